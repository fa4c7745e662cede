package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// AfterCommit hooks run after a commit, in order, and never after a
// rollback.
func TestAfterCommit(t *testing.T) {
	s := openSQLiteTest(t)
	ctx := context.Background()
	var ran []string
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx *Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "rolled back") })
		return boom
	})
	if !errors.Is(err, boom) || len(ran) != 0 {
		t.Fatalf("rollback: err %v, hooks ran %v", err, ran)
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		tx.AfterCommit(func() { ran = append(ran, "a") })
		tx.AfterCommit(func() { ran = append(ran, "b") })
		if len(ran) != 0 {
			t.Error("hook ran before commit")
		}
		return nil
	})
	if err != nil || strings.Join(ran, ",") != "a,b" {
		t.Fatalf("commit: err %v, hooks ran %v", err, ran)
	}
}
