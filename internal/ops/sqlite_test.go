package ops

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
)

func TestBackupSQLiteWhileOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "epusdt.db")
	s, err := store.Open(ctx, store.Options{Dialect: store.SQLite, DSN: src})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, addr := range []string{"TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"} {
		if _, err := s.AddWallet(ctx, "tron", addr, "w"+string(rune('0'+i)), now); err != nil {
			t.Fatal(err)
		}
	}
	addJob(t, s, "evt-1", store.CallbackPending, now)
	// The rows sit in the write-ahead log while the gateway keeps the
	// database open: a plain file copy of epusdt.db would miss them.
	if fi, err := os.Stat(src + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("expected a non-empty WAL next to the live database: %v", err)
	}

	dest := filepath.Join(dir, "backup", "copy.db")
	if err := os.Mkdir(filepath.Dir(dest), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := BackupSQLite(ctx, src, dest); err != nil {
		t.Fatalf("backup: %v", err)
	}
	fi, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(dest + "-wal"); err == nil {
		t.Error("the backup must be one self-contained file")
	}

	b, err := store.Open(ctx, store.Options{Dialect: store.SQLite, DSN: dest})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ws, err := b.ListWallets(ctx, "tron", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 {
		t.Fatalf("backup holds %d wallets, want 2", len(ws))
	}
	if j, err := b.GetCallbackJob(ctx, 1); err != nil || j.EventID != "evt-1" {
		t.Fatalf("callback job in backup: %+v, %v", j, err)
	}
	if cur, latest, err := b.SchemaStatus(ctx); err != nil || cur != latest {
		t.Fatalf("backup schema %d/%d: %v", cur, latest, err)
	}

	if err := BackupSQLite(ctx, src, dest); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("overwriting a backup must be refused, got %v", err)
	}
	if err := BackupSQLite(ctx, filepath.Join(dir, "missing.db"), filepath.Join(dir, "x.db")); err == nil {
		t.Error("a missing source must be an error")
	}
}
