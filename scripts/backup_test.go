package scripts_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// drill is one backup → wipe → restore run.
type drill struct {
	t       *testing.T
	d       store.Dialect
	opts    store.Options // the database the gateway uses
	work    string        // the gateway's working directory
	backups string
	addr    string
	env     []string // environment of the scripts
}

func newDrill(t *testing.T, d store.Dialect, sqliteTool string) *drill {
	dr := &drill{t: t, d: d, work: filepath.Join(t.TempDir(), "gateway"), backups: filepath.Join(t.TempDir(), "backups"),
		addr: freeAddr(t), env: baseEnv("EPUSDT_BIN="+binPath, "BACKUP_SQLITE_TOOL="+sqliteTool)}
	lines := []string{"http_listen=" + dr.addr, "app_uri=https://pay.drill.test", "tron_enabled=false",
		"forced_usdt_rate=7.2", "db_type=" + string(d), "backup_keep=1"}
	if d == store.SQLite {
		dr.opts = store.Options{Dialect: d, DSN: filepath.Join(dr.work, "runtime", "epusdt.db")}
	} else {
		dr.opts = storetest.Options(t, d)
		lines = append(lines, "db_dsn="+dr.opts.DSN)
	}
	if err := os.MkdirAll(dr.work, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dr.work, ".env"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dr
}

func (dr *drill) open() *store.Store {
	s, err := store.Open(context.Background(), dr.opts)
	if err != nil {
		dr.t.Fatalf("open %s: %v", dr.d, err)
	}
	return s
}

func (dr *drill) readFile(rel string) (string, os.FileMode) {
	p := filepath.Join(dr.work, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		dr.t.Fatalf("read %s: %v", rel, err)
	}
	fi, _ := os.Stat(p)
	return string(b), fi.Mode().Perm()
}

// wipe removes the working directory and the database.
func (dr *drill) wipe() {
	t := dr.t
	if err := os.RemoveAll(dr.work); err != nil {
		t.Fatal(err)
	}
	if dr.d == store.SQLite {
		return
	}
	dsn, _ := storetest.DSN(t, dr.d)
	driver, stmt := "mysql", ""
	if dr.d == store.MySQL {
		name := strings.TrimPrefix(dr.opts.DSN[strings.LastIndex(dr.opts.DSN, "/"):], "/")
		name, _, _ = strings.Cut(name, "?")
		stmt = "DROP DATABASE " + name
	} else {
		driver, dsn = "pgx", dr.opts.DSN
		schema := dr.opts.DSN[strings.Index(dr.opts.DSN, "search_path=")+len("search_path="):]
		stmt = "DROP SCHEMA " + schema + " CASCADE"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatalf("wipe: %s: %v", stmt, err)
	}
}

// serves checks that the restored gateway is ready and answers for every
// restored order and wallet.
func (dr *drill) serves(want seeded) {
	t := dr.t
	g := startGateway(t, dr.work, dr.addr)
	defer g.stop(t)
	code, body := httpGet(t, "http://"+dr.addr+"/readyz")
	if code != http.StatusOK {
		t.Fatalf("restored gateway not ready (%d): %s", code, body)
	}
	for trade, status := range want.orders {
		code, body := httpGet(t, "http://"+dr.addr+"/pay/check-status/"+trade)
		if code == http.StatusNotFound && !strings.Contains(body, "status_code") {
			if os.Getenv("CI") == "true" {
				t.Fatalf("GET /pay/check-status is not mounted in the gateway: %s", body)
			}
			t.Logf("NOTICE: /pay/check-status is not mounted yet: restored orders checked in the database only")
			break
		}
		var env struct {
			StatusCode int `json:"status_code"`
			Data       struct {
				TradeID string `json:"trade_id"`
				Status  int    `json:"status"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(body), &env); err != nil || env.StatusCode != 200 || env.Data.Status != status {
			t.Errorf("check-status %s after restore: %d %s (want status %d)", trade, code, body, status)
		}
	}
	cmd := exec.Command(binPath, "wallet", "list", "--all")
	cmd.Dir, cmd.Env = dr.work, baseEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("wallet list: %v\n%s", err, out)
	}
	for _, w := range want.wallets {
		if !strings.Contains(string(out), w) {
			t.Errorf("restored gateway does not list wallet %s:\n%s", w, out)
		}
	}
}

func runDrill(t *testing.T, d store.Dialect, sqliteTool string) {
	dr := newDrill(t, d, sqliteTool)
	g := startGateway(t, dr.work, dr.addr) // migrates and generates the runtime secrets
	s := dr.open()
	want := seed(t, s)
	before := takeSnapshot(t, s)
	s.Close()
	env, envMode := dr.readFile(".env")
	token, tokenMode := dr.readFile("runtime/api_auth_token")

	// Online: the gateway keeps running; on SQLite the new rows still sit
	// in its write-ahead log, which a copy of the .db file would miss.
	if d == store.SQLite {
		if fi, err := os.Stat(dr.opts.DSN + "-wal"); err != nil || fi.Size() == 0 {
			t.Fatalf("expected the live database's WAL to hold the seeded rows: %v", err)
		}
	}
	for i := 0; i < 2; i++ {
		out := script(t, dr.work, dr.env, "backup.sh", dr.backups)
		if !strings.Contains(out, "epusdt-backup-") {
			t.Fatalf("backup.sh printed no archive name:\n%s", out)
		}
	}
	g.stop(t)
	archives, _ := filepath.Glob(filepath.Join(dr.backups, "epusdt-backup-*.tar.gz"))
	if len(archives) != 1 {
		t.Fatalf("backup_keep=1 after 2 backups: %d archives %v", len(archives), archives)
	}
	for _, a := range archives {
		if fi, _ := os.Stat(a); fi.Mode().Perm() != 0o600 {
			t.Errorf("archive %s mode %v, want 0600", a, fi.Mode().Perm())
		}
	}

	dr.wipe()
	if err := os.MkdirAll(dr.work, 0o755); err != nil {
		t.Fatal(err)
	}
	out := script(t, dr.work, dr.env, "restore.sh", "--yes", archives[len(archives)-1])
	if !strings.Contains(out, "restored "+string(d)) {
		t.Fatalf("restore.sh output:\n%s", out)
	}

	if got, mode := dr.readFile(".env"); got != env || mode != envMode {
		t.Errorf(".env after restore: mode %v (want %v), same content %v", mode, envMode, got == env)
	}
	if got, mode := dr.readFile("runtime/api_auth_token"); got != token || mode != tokenMode {
		t.Errorf("api_auth_token after restore: mode %v (want %v), same content %v", mode, tokenMode, got == token)
	}
	s = dr.open()
	compareSnapshots(t, before, takeSnapshot(t, s))
	s.Close()
	dr.serves(want)
}

func TestBackupRestoreDrill(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) { runDrill(t, d, "") })
	}
}

// TestBackupRestoreDrillSQLiteWithoutSQLite3 takes the online SQLite copy
// with the gateway binary (VACUUM INTO), as on hosts without the sqlite3
// command.
func TestBackupRestoreDrillSQLiteWithoutSQLite3(t *testing.T) {
	out, err := exec.Command(binPath, "db", "backup-sqlite", "--help").CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("`epusdt db backup-sqlite` is not wired into the CLI: %v: %s", err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("NOTICE: " + msg)
	}
	runDrill(t, store.SQLite, "epusdt")
}
