package chain

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/chain/evm"
	"github.com/epusdt/epusdt/internal/store"
)

// Run scans until ctx ends: one runOnce per poll interval, with capped
// exponential backoff after failures, renewing the lease while it waits.
// On return it releases the lease so another instance can take over at once.
func (w *Watcher) Run(ctx context.Context) error {
	defer w.release()
	fails := 0
	for {
		err := w.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			fails++
			w.log.Warn("chain scan failed; retrying", zap.Int("failures", fails), zap.Error(err))
		} else {
			fails = 0
		}
		if !w.sleep(ctx, w.delay(fails)) {
			return nil
		}
	}
}

// delay is the poll interval, doubled per consecutive failure up to
// 32 poll intervals or a minute, whichever is smaller (never below one
// poll interval).
func (w *Watcher) delay(fails int) time.Duration {
	poll := w.cfg.PollInterval
	if fails == 0 {
		return poll
	}
	ceiling := max(poll, min(time.Minute, 32*poll))
	d := poll
	for i := 1; i < fails && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// sleep waits d, waking every third of the lease TTL to renew a held lease
// (a poll interval longer than the lease must not lose it). It reports
// false when ctx ended.
func (w *Watcher) sleep(ctx context.Context, d time.Duration) bool {
	step := max(w.o.LeaseTTL/3, 10*time.Millisecond)
	for d > 0 {
		t := time.NewTimer(min(d, step))
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		d -= min(d, step)
		if d > 0 && w.State().Leader {
			if _, err := w.renew(ctx, true); err != nil && ctx.Err() == nil {
				w.log.Warn("renew scan lease", zap.Error(err))
			}
		}
	}
	return true
}

func (w *Watcher) release() {
	if !w.State().Leader {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.o.Store.ReleaseLease(ctx, w.leaseName, w.o.Instance); err != nil {
		w.log.Warn("release scan lease", zap.Error(err))
	}
	w.update(func(s *State) { s.Leader = false })
}

// renew takes or renews the lease; with force=false it skips the database
// when the lease was renewed less than a third of its TTL ago.
func (w *Watcher) renew(ctx context.Context, force bool) (bool, error) {
	now := w.now()
	if !force && w.State().Leader && now.Sub(w.leaseAt) < w.o.LeaseTTL/3 {
		return true, nil
	}
	held, err := w.o.Store.AcquireLease(ctx, w.leaseName, w.o.Instance, now, w.o.LeaseTTL)
	if err != nil {
		return false, err
	}
	if held {
		w.leaseAt = now
	}
	was := w.State().Leader
	if held != was {
		w.log.Info("scan lease changed", zap.Bool("held", held), zap.String("instance", w.o.Instance))
	}
	w.update(func(s *State) { s.Leader = held })
	return held, nil
}

// runOnce is one scan: take the lease, read the watched wallets, read the
// heads, scan settled ranges from the cursor up to the settled head, then
// the unsettled tail.
func (w *Watcher) runOnce(ctx context.Context) error {
	err := w.scan(ctx)
	if err != nil {
		w.update(func(s *State) { s.LastError = err.Error() })
	}
	return err
}

func (w *Watcher) scan(ctx context.Context) error {
	held, err := w.renew(ctx, true)
	if err != nil {
		return err
	}
	watched, err := w.watched(ctx)
	if err != nil {
		return err
	}
	w.update(func(s *State) { s.Idle = len(watched.words) == 0 })
	if len(watched.words) == 0 {
		return nil
	}
	h, err := w.heads(ctx)
	if err != nil {
		return err
	}
	if !held {
		return w.follow(ctx, h)
	}
	start, err := w.cursor(ctx, h)
	if err != nil {
		return err
	}
	cursorTime, err := w.recheck(ctx, start)
	if err != nil {
		return err
	}
	w.progress(h, start, cursorTime)
	cursor, tail, err := w.scanSettled(ctx, h, start, watched)
	if err != nil {
		return err
	}
	if err := w.scanTail(ctx, h, cursor, tail, watched); err != nil {
		return err
	}
	w.update(func(s *State) { s.LastSuccess, s.LastError = w.now(), "" })
	w.progress(h, cursor, h.settled.Time)
	return nil
}

// follow keeps a non-scanning instance's state current (heads from the
// RPC, cursor from the database) so SettleProgress and the lag metrics
// work on every instance.
func (w *Watcher) follow(ctx context.Context, h heads) error {
	c, _, err := w.o.Store.ScanCursor(ctx, w.o.Chain)
	if err != nil {
		return err
	}
	w.progress(h, c, 0)
	return nil
}

// watchSet is the topic filter for the watched wallets.
type watchSet struct {
	words []evm.Word
	set   map[[20]byte]bool
}

// watched reads the chain's wallets that are not removed: disabled ones
// take no new orders, but a payment to them is still recorded.
func (w *Watcher) watched(ctx context.Context) (watchSet, error) {
	ws, err := w.o.Store.ListWallets(ctx, w.o.Chain, false)
	if err != nil {
		return watchSet{}, fmt.Errorf("read %s wallets: %w", w.o.Chain, err)
	}
	out := watchSet{set: make(map[[20]byte]bool, len(ws))}
	for _, wl := range ws {
		b, err := address.Bytes(w.o.Chain, wl.Address)
		if err != nil {
			w.log.Warn("wallet address is invalid; not watched", zap.String("address", wl.Address), zap.Error(err))
			continue
		}
		if !out.set[b] {
			out.set[b] = true
			out.words = append(out.words, evm.AddressWord(b))
		}
	}
	return out, nil
}

// heads are the latest and the latest settled block.
type heads struct {
	latest, settled evm.Header
}

// heads reads the latest block and the settled one: the finalized tag, or
// latest − confirmations + 1.
func (w *Watcher) heads(ctx context.Context) (heads, error) {
	latest, err := w.client.HeaderByTag(ctx, evm.TagLatest)
	if err != nil {
		return heads{}, fmt.Errorf("read latest block: %w", err)
	}
	var settled evm.Header
	switch {
	case w.confirm == 0:
		settled, err = w.client.HeaderByTag(ctx, evm.TagFinalized)
	case latest.Number+1 < w.confirm:
		return heads{latest: latest}, nil
	case w.confirm == 1:
		settled = latest
	default:
		settled, err = w.client.HeaderByNumber(ctx, latest.Number+1-w.confirm)
	}
	if err != nil {
		return heads{}, fmt.Errorf("read settled block: %w", err)
	}
	if settled.Number > latest.Number { // answers from two nodes at different heights
		latest = settled
	}
	return heads{latest: latest, settled: settled}, nil
}

// cursor returns the stored cursor, creating it at the settled head minus
// the lookback when the chain was never scanned.
func (w *Watcher) cursor(ctx context.Context, h heads) (uint64, error) {
	c, ok, err := w.o.Store.ScanCursor(ctx, w.o.Chain)
	if err != nil || ok {
		return c, err
	}
	start := uint64(0)
	if h.settled.Number > w.cfg.StartLookback {
		start = h.settled.Number - w.cfg.StartLookback
	}
	c, err = w.o.Store.InitScanCursor(ctx, w.o.Chain, start, w.now())
	if err == nil {
		w.log.Info("chain scan starts", zap.Uint64("cursor", c), zap.Uint64("settled_head", h.settled.Number))
	}
	return c, err
}

// recheck compares the cursor block's hash with the one stored when it
// settled. A difference means the RPC now disagrees about a settled block:
// alert, never revoke. It returns the cursor block's time.
func (w *Watcher) recheck(ctx context.Context, cursor uint64) (uint64, error) {
	stored, err := w.o.Store.GetScannedBlock(ctx, w.o.Chain, cursor)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	got, err := w.client.HeaderByNumber(ctx, cursor)
	if err != nil {
		return 0, fmt.Errorf("recheck settled block %d: %w", cursor, err)
	}
	if got.Hash != stored.Hash {
		w.settledConflict("settled block hash changed", zap.Uint64("block", cursor),
			zap.String("stored_hash", stored.Hash), zap.String("rpc_hash", got.Hash))
		stored.Hash, stored.ParentHash = got.Hash, got.ParentHash
		if err := w.o.Store.PutScannedBlock(ctx, w.o.Chain, stored); err != nil {
			return 0, err
		}
	}
	return got.Time, nil
}

// settledConflict raises the alert for an RPC contradicting settled data.
func (w *Watcher) settledConflict(msg string, fields ...zap.Field) {
	w.o.Metrics.SettledConflicts.WithLabelValues(w.o.Chain).Inc()
	w.log.Error("ALERT: "+msg+"; settled payments are kept, check the chain and the RPC provider", fields...)
}
