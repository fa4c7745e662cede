package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Options says which database to open and how to pool connections.
type Options struct {
	Dialect      Dialect
	DSN          string // SQLite: a file path; MySQL/PostgreSQL: a driver DSN
	MaxOpenConns int
	MaxIdleConns int
	MaxLifeTime  time.Duration
}

// Open connects to the database (it does not migrate; call Migrate).
func Open(ctx context.Context, o Options) (*Store, error) {
	var s *Store
	var err error
	switch o.Dialect {
	case SQLite:
		s, err = openSQLite(o.DSN)
	case MySQL:
		s, err = openPool(MySQL, "mysql", mysqlDSN(o.DSN), o)
	case Postgres:
		s, err = openPool(Postgres, "pgx", o.DSN, o)
	default:
		return nil, fmt.Errorf("open database: unknown dialect %q", o.Dialect)
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pingCtx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to %s database: %w", o.Dialect, err)
	}
	return s, nil
}

func openPool(d Dialect, driver, dsn string, o Options) (*Store, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", d, err)
	}
	if o.MaxOpenConns > 0 {
		db.SetMaxOpenConns(o.MaxOpenConns)
	}
	db.SetMaxIdleConns(o.MaxIdleConns)
	if o.MaxLifeTime > 0 {
		db.SetConnMaxLifetime(o.MaxLifeTime)
	}
	c := conn{q: db, d: d}
	return &Store{conn: c, db: db, rdb: db, read: c}, nil
}

// mysqlDSN adds the parameters the store relies on unless the operator set them.
func mysqlDSN(dsn string) string {
	params := map[string]string{"charset": "utf8mb4", "loc": "UTC", "clientFoundRows": "true", "timeout": "10s", "readTimeout": "60s", "writeTimeout": "60s"}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	for k, v := range params {
		if !strings.Contains(dsn, k+"=") {
			dsn += sep + k + "=" + v
			sep = "&"
		}
	}
	return dsn
}

// openSQLite opens one writer connection (SQLite allows one writer at a
// time; a single connection makes writers queue in Go instead of failing
// with SQLITE_BUSY) and a small pool of read-only connections (WAL lets them
// read while the writer writes).
func openSQLite(path string) (*Store, error) {
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	// The writer creates the file and switches it to WAL before readers open.
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return &Store{conn: conn{q: w, d: SQLite, stmts: newStmtCache(w)}, db: w, rdb: r,
		read: conn{q: r, d: SQLite, stmts: newStmtCache(r)}}, nil
}
