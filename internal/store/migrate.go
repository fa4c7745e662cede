package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the dialect's migrations in version order.
func Migrations(d Dialect) ([]Migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations for %s: %w", d, err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", name)
		}
		b, err := migrationFS.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version BIGINT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  applied_at BIGINT NOT NULL
)`

// Migrate applies every migration not yet recorded in schema_migrations
// and returns the versions it applied. Several instances starting at once
// serialise on a database lock, so each migration runs once.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	ms, err := Migrations(s.d)
	if err != nil {
		return nil, err
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer c.Close()
	unlock, err := lockMigrations(ctx, c, s.d)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := c.ExecContext(ctx, createVersionTable); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	done, err := appliedVersions(ctx, c)
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := s.apply(ctx, c, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

func (s *Store) apply(ctx context.Context, c *sql.Conn, m Migration) error {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.Name, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	for _, stmt := range splitStatements(m.SQL) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.Rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.Version, m.Name, MS(time.Now())); err != nil {
		return fmt.Errorf("migration %s: record version: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.Name, err)
	}
	return nil
}

func appliedVersions(ctx context.Context, c *sql.Conn) (map[int]bool, error) {
	rows, err := c.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}

func lockMigrations(ctx context.Context, c *sql.Conn, d Dialect) (func(), error) {
	switch d {
	case Postgres:
		if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock(727007)"); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
		return func() { _, _ = c.ExecContext(context.Background(), "SELECT pg_advisory_unlock(727007)") }, nil
	case MySQL:
		var got sql.NullInt64
		if err := c.QueryRowContext(ctx, "SELECT GET_LOCK('epusdt_migrate', 60)").Scan(&got); err != nil || got.Int64 != 1 {
			return nil, fmt.Errorf("migrate: lock not acquired within 60s (err=%v)", err)
		}
		return func() { _, _ = c.ExecContext(context.Background(), "SELECT RELEASE_LOCK('epusdt_migrate')") }, nil
	}
	return func() {}, nil
}

// splitStatements splits a migration file on semicolons that end a line,
// dropping comment-only lines.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			out = append(out, stmt)
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// SchemaStatus reports the latest known migration and whether all are applied.
func (s *Store) SchemaStatus(ctx context.Context) (current, latest int, err error) {
	ms, err := Migrations(s.d)
	if err != nil {
		return 0, 0, err
	}
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	var v sql.NullInt64
	if err := s.read.queryRow(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, latest, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), latest, nil
}
