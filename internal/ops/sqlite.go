package ops

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers "sqlite"
)

// BackupSQLite writes a consistent copy of the SQLite database src to dest
// with VACUUM INTO, while the gateway keeps running: it reads one snapshot
// through SQLite (WAL content included), unlike a copy of the file. dest
// must not exist; it is created with mode 0600.
func BackupSQLite(ctx context.Context, src, dest string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("sqlite backup: source: %w", err)
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("sqlite backup: %s already exists", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sqlite backup: %w", err)
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return fmt.Errorf("sqlite backup: %w", err)
	}
	if dest, err = filepath.Abs(dest); err != nil {
		return fmt.Errorf("sqlite backup: %w", err)
	}
	db, err := sql.Open("sqlite", sqliteURI(abs, "_pragma=busy_timeout(10000)"))
	if err != nil {
		return fmt.Errorf("sqlite backup: open %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return fmt.Errorf("sqlite backup: copy %s to %s: %w", src, dest, err)
	}
	if err := os.Chmod(dest, 0o600); err != nil {
		return fmt.Errorf("sqlite backup: %w", err)
	}
	return verifySQLite(ctx, dest)
}

// verifySQLite runs SQLite's integrity check on the file at path.
func verifySQLite(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", sqliteURI(path, "mode=ro"))
	if err != nil {
		return fmt.Errorf("sqlite backup: verify %s: %w", path, err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("sqlite backup: verify %s: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("sqlite backup: %s failed the integrity check: %s", path, res)
	}
	return nil
}

// sqliteURI makes a file: URI of an absolute path with query parameters.
func sqliteURI(abs, query string) string {
	u := url.URL{Scheme: "file", Path: abs, RawQuery: query}
	return u.String()
}
