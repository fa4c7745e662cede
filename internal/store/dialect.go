package store

import (
	"errors"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Dialect is a supported database flavour.
type Dialect string

// The supported dialects; the names are the db_type config values.
const (
	SQLite   Dialect = "sqlite"
	MySQL    Dialect = "mysql"
	Postgres Dialect = "postgres"
)

// Rebind rewrites ? placeholders to $1, $2… for PostgreSQL. Queries here
// never contain a literal '?' inside a string.
func (d Dialect) Rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// InsertIgnore turns "INSERT INTO …" into an insert that silently skips a
// row violating a unique key (rows affected tells whether it was inserted).
func (d Dialect) InsertIgnore(q string) string {
	if d == MySQL {
		return strings.Replace(q, "INSERT INTO", "INSERT IGNORE INTO", 1)
	}
	return q + " ON CONFLICT DO NOTHING"
}

// ForUpdate returns the row-lock suffix of a SELECT (SQLite locks the whole
// database per write transaction and needs none).
func (d Dialect) ForUpdate() string {
	if d == SQLite {
		return ""
	}
	return " FOR UPDATE"
}

// SkipLocked returns the suffix that makes concurrent claimers skip rows
// another transaction holds.
func (d Dialect) SkipLocked() string {
	if d == SQLite {
		return ""
	}
	return " FOR UPDATE SKIP LOCKED"
}

// IsUniqueViolation reports whether err is a unique-key violation.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == 2067 || c == 1555 // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}
