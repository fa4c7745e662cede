package payment

import (
	"context"
	"fmt"
	"sync"

	"github.com/epusdt/epusdt/internal/store"
)

// maxGroup bounds how many creates share one transaction.
const maxGroup = 64

// group commits concurrent order creations together ("group commit"). SQLite
// has one writer, and each commit costs a WAL write of every touched page;
// sharing one transaction among the creates that queued meanwhile turns many
// small commits into one. There is no background goroutine: the first
// caller that finds the group idle leads one batch, then hands the lead to
// the next waiter.
//
// Each job must leave no writes behind when it returns an error (it undoes
// its own partial work), because its batch commits the others' work. If the
// batch transaction itself fails, every job is retried in its own
// transaction, so one bad job cannot fail the rest.
type group struct {
	st    *store.Store
	mu    sync.Mutex
	busy  bool
	queue []*job
}

type job struct {
	fn   func(tx *store.Tx) error
	err  error
	lead chan struct{}
	done chan struct{}
}

// do runs fn in a transaction shared with concurrent callers and returns
// fn's error, or the error that kept fn's work from committing.
func (g *group) do(ctx context.Context, fn func(tx *store.Tx) error) error {
	j := &job{fn: fn, lead: make(chan struct{}, 1), done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, j)
	if !g.busy {
		g.busy = true
		j.lead <- struct{}{}
	}
	g.mu.Unlock()
	select {
	case <-j.done:
		return j.err
	case <-j.lead:
	}
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	batch := append([]*job(nil), g.queue[:n]...)
	g.queue = g.queue[n:]
	g.mu.Unlock()

	g.run(context.WithoutCancel(ctx), batch)

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].lead <- struct{}{}
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	return j.err
}

// run executes a batch in one transaction, falling back to one transaction
// per job when the shared one fails.
func (g *group) run(ctx context.Context, batch []*job) {
	defer func() {
		for _, j := range batch {
			close(j.done)
		}
	}()
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		for _, j := range batch {
			j.err = safely(j.fn, tx)
			if j.err != nil && !isBusinessErr(j.err) {
				return j.err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		if err != nil {
			batch[0].err = err
		}
		return
	}
	for _, j := range batch {
		j.err = g.st.InTx(ctx, func(tx *store.Tx) error { return safely(j.fn, tx) })
	}
}

// safely runs fn, turning a panic into an error so that a bug in one job
// can neither leave the shared transaction open nor strand the waiters.
func safely(fn func(tx *store.Tx) error, tx *store.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("create order: panic: %v", p)
		}
	}()
	return fn(tx)
}
