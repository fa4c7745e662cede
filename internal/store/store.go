// Package store owns every SQL statement of the gateway: the schema and its
// versioned migrations for SQLite, MySQL/MariaDB and PostgreSQL, and one file
// of queries per table. Times are stored as UTC unix milliseconds (BIGINT),
// amounts as exact decimal text, so all three databases behave alike.
//
// Queries are written with ? placeholders; the dialect rewrites them.
// Methods on conn are available on both *Store and *Tx. Inside InTx use only
// the *Tx given to the callback: on SQLite the writer pool has a single
// connection, so calling the *Store from inside a transaction would wait on
// itself.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a conditional update found the row in
// another state than required (rows affected = 0).
var ErrConflict = errors.New("state conflict")

type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// conn carries the query methods shared by Store and Tx.
type conn struct {
	q     querier
	d     Dialect
	stmts *stmtCache // SQLite only; nil elsewhere
}

// Store is an open database.
type Store struct {
	conn
	db   *sql.DB
	rdb  *sql.DB
	read conn
}

// Tx is a database transaction; every query method of Store is on it too.
type Tx struct {
	conn
	tx    *sql.Tx
	after []func()
}

// AfterCommit registers fn to run once the transaction has committed (not
// when it rolls back), e.g. to wake a worker for the rows it wrote.
func (tx *Tx) AfterCommit(fn func()) { tx.after = append(tx.after, fn) }

// Dialect returns the database flavour.
func (c conn) Dialect() Dialect { return c.d }

func (c conn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = c.d.Rebind(q)
	if st := c.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, q, args...)
}

func (c conn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = c.d.Rebind(q)
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, q, args...)
}

func (c conn) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = c.d.Rebind(q)
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, q, args...)
}

// insertID runs an INSERT and returns the new row's id.
func (c conn) insertID(ctx context.Context, q string, args ...any) (int64, error) {
	if c.d == Postgres {
		var id int64
		err := c.queryRow(ctx, q+" RETURNING id", args...).Scan(&id)
		return id, err
	}
	res, err := c.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// execOne runs a conditional UPDATE/DELETE and returns ErrConflict when no
// row changed.
func (c conn) execOne(ctx context.Context, q string, args ...any) error {
	res, err := c.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrConflict
	}
	return nil
}

// Read returns query methods bound to the read pool (on SQLite a separate
// pool of read-only connections; elsewhere the same pool). Use it for
// read-only queries on hot paths such as status polling and lists.
func (s *Store) Read() ReadConn { return ReadConn{s.read} }

// ReadConn exposes the read-only query methods on the read pool.
type ReadConn struct{ conn }

// DB returns the writer pool, for health checks.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the cached statements and both pools.
func (s *Store) Close() error {
	err := errors.Join(s.stmts.close(), s.read.stmts.close(), s.db.Close())
	if s.rdb != s.db {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// InTx runs fn in a transaction, committing when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return s.runTx(ctx, nil, fn)
}

// runTx runs fn in one transaction with opts, committing when fn returns
// nil.
func (s *Store) runTx(ctx context.Context, opts *sql.TxOptions, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer s.stmts.prepareWanted(ctx)
	tx := &Tx{conn: conn{q: sqlTx, d: s.d, stmts: s.stmts}, tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range tx.after {
		f()
	}
	return nil
}

// MS converts a time to stored unix milliseconds.
func MS(t time.Time) int64 { return t.UnixMilli() }

// FromMS converts stored unix milliseconds to a UTC time.
func FromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func fromNullMS(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := FromMS(n.Int64)
	return &t
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface{ Scan(dest ...any) error }

// queryAll runs q and scans every row with scan; errors name what was
// being read.
func queryAll[T any](ctx context.Context, c conn, what string, scan func(rowScanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
