package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openSQLiteTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Dialect: SQLite, DSN: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func (c *stmtCache) has(q string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q] != nil
}

// A statement first met inside a transaction runs unprepared there (the
// writer's one connection is taken), is prepared once the transaction
// ended, and is used prepared by the next transaction.
func TestStmtCacheInTransaction(t *testing.T) {
	s := openSQLiteTest(t)
	ctx := context.Background()
	const q = "DELETE FROM amount_slots WHERE held_until < ?"
	if s.stmts == nil || s.read.stmts == nil {
		t.Fatal("SQLite store without statement caches")
	}
	err := s.InTx(ctx, func(tx *Tx) error {
		if tx.stmts != s.stmts {
			t.Error("transaction does not share the writer's cache")
		}
		if _, err := tx.DeleteExpiredSlots(ctx, time.Now()); err != nil {
			return err
		}
		if s.stmts.has(q) {
			t.Error("statement prepared while the transaction holds the connection")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !s.stmts.has(q) {
		t.Fatal("statement met in a transaction not prepared after it")
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		if tx.stmt(ctx, q) == nil {
			t.Error("cached statement not used inside the next transaction")
		}
		_, err := tx.DeleteExpiredSlots(ctx, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Outside a transaction a new statement is prepared at once, on the
	// read pool too.
	if _, err := s.Read().HeldSlotCounts(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !s.read.stmts.has("SELECT chain, COUNT(*) FROM amount_slots WHERE held_until >= ? GROUP BY chain") {
		t.Fatal("read-pool statement not cached")
	}
}

// A statement that does not prepare still reports its own error, every
// time, and is not retried as a prepare.
func TestStmtCacheBadStatement(t *testing.T) {
	s := openSQLiteTest(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		_, err := s.exec(ctx, "DELETE FROM no_such_table WHERE x = ?", 1)
		if err == nil || !strings.Contains(err.Error(), "no_such_table") {
			t.Fatalf("try %d: got %v, want the error naming the table", i, err)
		}
	}
	s.stmts.mu.Lock()
	failed := s.stmts.failed["DELETE FROM no_such_table WHERE x = ?"]
	s.stmts.mu.Unlock()
	if !failed {
		t.Fatal("bad statement not remembered as failed")
	}
}

// The cache stops growing at its bound; later texts run unprepared and
// still work.
func TestStmtCacheBound(t *testing.T) {
	s := openSQLiteTest(t)
	ctx := context.Background()
	for i := 0; i < maxCachedStmts+20; i++ {
		var n int
		if err := s.queryRow(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("query %d: %d %v", i, n, err)
		}
	}
	s.stmts.mu.Lock()
	size := len(s.stmts.m)
	s.stmts.mu.Unlock()
	if size != maxCachedStmts {
		t.Fatalf("cache holds %d statements, want the bound %d", size, maxCachedStmts)
	}
}

// Transactions, direct writes and reads from many goroutines, each meeting
// new statements, neither deadlock nor lose a write.
func TestStmtCacheConcurrent(t *testing.T) {
	s := openSQLiteTest(t)
	ctx := context.Background()
	now := time.Now()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				slot := Slot{Chain: "tron", TokenContract: "c", Wallet: fmt.Sprintf("w%d", w),
					AmountUnits: fmt.Sprint(i), TradeID: fmt.Sprintf("t%d-%d", w, i), HeldUntil: now.Add(time.Hour), CreatedAt: now}
				err := s.InTx(ctx, func(tx *Tx) error {
					ok, err := tx.ClaimSlot(ctx, slot, now)
					if err == nil && !ok {
						err = fmt.Errorf("slot %s %s taken", slot.Wallet, slot.AmountUnits)
					}
					if err == nil {
						_, err = tx.SlotHolds(ctx, "tron", "c", []string{slot.AmountUnits})
					}
					return err
				})
				if err == nil {
					_, err = s.Read().HeldSlotCounts(ctx, now)
				}
				if err == nil {
					_, err = s.DeleteExpiredSlots(ctx, now)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("concurrent use of the statement cache did not finish in 60 s (deadlock)")
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	counts, err := s.Read().HeldSlotCounts(ctx, now)
	if err != nil || counts["tron"] != workers*each {
		t.Fatalf("held slots %v %v, want %d", counts, err, workers*each)
	}
}
