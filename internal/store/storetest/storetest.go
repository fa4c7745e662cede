// Package storetest opens isolated, migrated databases for tests: SQLite
// always, MySQL and PostgreSQL when EPUSDT_TEST_MYSQL_DSN and
// EPUSDT_TEST_POSTGRES_DSN are set. Each Open gets a fresh database (MySQL)
// or schema (PostgreSQL) that is dropped when the test ends, so test
// packages running in parallel never see each other's rows. When CI=true a
// missing DSN fails the test instead of skipping it.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/epusdt/epusdt/internal/store"
)

// Env var names of the real-database DSNs.
const (
	MySQLEnv    = "EPUSDT_TEST_MYSQL_DSN"
	PostgresEnv = "EPUSDT_TEST_POSTGRES_DSN"
)

// Dialects lists every dialect whose database is available to this test
// run; SQLite is always there.
func Dialects(t testing.TB) []store.Dialect {
	out := []store.Dialect{store.SQLite}
	for _, d := range []store.Dialect{store.MySQL, store.Postgres} {
		if _, ok := DSN(t, d); ok {
			out = append(out, d)
		}
	}
	return out
}

// DSN returns the configured server DSN for d, reporting loudly when unset.
func DSN(t testing.TB, d store.Dialect) (string, bool) {
	env := map[store.Dialect]string{store.MySQL: MySQLEnv, store.Postgres: PostgresEnv}[d]
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the %s store tests", env, d)
		}
		t.Logf("NOTICE: %s not set: %s tests are SKIPPED on this machine", env, d)
		return "", false
	}
	return v, true
}

// Each runs fn as a subtest on every available dialect with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, d := range Dialects(t) {
		t.Run(string(d), func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// Open returns a fresh migrated store of dialect d, closed and dropped at
// the end of the test.
func Open(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	opts := Options(t, d)
	s, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", d, err)
	}
	return s
}

// Options creates an empty isolated database of dialect d and returns the
// store options that reach it (for tests that start a real process).
func Options(t testing.TB, d store.Dialect) store.Options {
	t.Helper()
	switch d {
	case store.SQLite:
		return store.Options{Dialect: d, DSN: filepath.Join(t.TempDir(), "test.db")}
	case store.MySQL, store.Postgres:
		dsn, ok := DSN(t, d)
		if !ok {
			t.Skipf("%s not configured", d)
		}
		return store.Options{Dialect: d, DSN: isolate(t, d, dsn), MaxOpenConns: 20, MaxIdleConns: 5}
	}
	t.Fatalf("unknown dialect %s", d)
	return store.Options{}
}

func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "t_" + hex.EncodeToString(b)
}

// isolate creates a database (MySQL) or schema (PostgreSQL) for one test and
// returns a DSN pointing at it.
func isolate(t testing.TB, d store.Dialect, dsn string) string {
	name := randomName()
	driver := map[store.Dialect]string{store.MySQL: "mysql", store.Postgres: "pgx"}[d]
	admin, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	create, drop := "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "DROP DATABASE IF EXISTS "+name
	if d == store.Postgres {
		create, drop = "CREATE SCHEMA "+name, "DROP SCHEMA IF EXISTS "+name+" CASCADE"
	}
	if _, err := admin.Exec(create); err != nil {
		admin.Close()
		t.Fatalf("%s: %s: %v", d, create, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(drop); err != nil {
			t.Logf("cleanup %s: %v", drop, err)
		}
		admin.Close()
	})
	if d == store.MySQL {
		return WithMySQLDatabase(dsn, name)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%ssearch_path=%s", dsn, sep, name)
}

// WithMySQLDatabase replaces the database name of a go-sql-driver DSN.
func WithMySQLDatabase(dsn, db string) string {
	slash := strings.LastIndex(dsn, "/")
	if slash < 0 {
		return dsn + "/" + db
	}
	rest := dsn[slash+1:]
	params := ""
	if q := strings.Index(rest, "?"); q >= 0 {
		params = rest[q:]
	}
	return dsn[:slash+1] + db + params
}
