package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds a statement cache: queries built at run time (list
// filters, IN lists) come in a few shapes each, but a bug that built a new
// text per call must not grow memory without end. Past the bound, queries
// run unprepared as before.
const maxCachedStmts = 512

// stmtCache keeps the prepared statements of one SQLite pool by query text.
// SQLite parses and plans a statement in-process, which on the create path
// cost about a fifth of the CPU; a prepared statement skips that. database/
// sql prepares a cached statement once per connection of the pool and, in a
// transaction, reuses the one of the transaction's connection. It is not
// used for MySQL and PostgreSQL: there a prepare is a network round trip
// per connection and their drivers already cache what they need.
//
// Preparing on the pool needs a free connection. SQLite's writer pool has
// one, which a transaction holds, so a statement first met inside a
// transaction is only noted there and prepared after the transaction ends.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	failed map[string]bool // texts that did not prepare: never tried again
	wanted []string        // met inside a transaction, to prepare after it
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, failed: map[string]bool{}}
}

// get returns the prepared statement for q, or nil when q is to run
// unprepared: the cache is full, q did not prepare (running it reports the
// error), or q is new and inTx (it is prepared by prepareWanted).
func (c *stmtCache) get(ctx context.Context, q string, inTx bool) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	st, known := c.m[q]
	full := len(c.m)+len(c.failed) >= maxCachedStmts
	if known || c.failed[q] || full {
		c.mu.Unlock()
		return st
	}
	if inTx {
		if len(c.wanted) < maxCachedStmts {
			c.wanted = append(c.wanted, q)
		}
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	return c.prepare(ctx, q)
}

// prepare prepares q on the pool and keeps it. The lock is not held while
// preparing: on the writer pool that waits for the one connection, whose
// holder may be asking the cache for a statement.
func (c *stmtCache) prepare(ctx context.Context, q string) *sql.Stmt {
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), q)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failed[q] = true
		return nil
	}
	if prev, ok := c.m[q]; ok { // prepared meanwhile by another caller
		_ = st.Close()
		return prev
	}
	c.m[q] = st
	return st
}

// prepareWanted prepares the statements met inside transactions; call it
// when no transaction of this goroutine is open.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	wanted := c.wanted
	c.wanted = nil
	c.mu.Unlock()
	for _, q := range wanted {
		c.mu.Lock()
		skip := c.m[q] != nil || c.failed[q] || len(c.m)+len(c.failed) >= maxCachedStmts
		c.mu.Unlock()
		if !skip {
			c.prepare(ctx, q)
		}
	}
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for q, st := range c.m {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.m, q)
	}
	return first
}

// stmt returns the cached statement for q bound to c's transaction when c
// is one, or nil when c has no cache.
func (c conn) stmt(ctx context.Context, q string) *sql.Stmt {
	tx, inTx := c.q.(*sql.Tx)
	st := c.stmts.get(ctx, q, inTx)
	if st == nil || !inTx {
		return st
	}
	return tx.StmtContext(ctx, st)
}
