package chain

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/chain/evm"
	"github.com/epusdt/epusdt/internal/store"
)

// scanTail records the transfers of the unsettled tail (cursor, latest] as
// "detected" so the cashier can show "confirming (n/N)". The whole tail is
// rescanned on every pass, which is how reorgs inside it are undone: a
// detection the chain no longer holds is marked removed, one that moved is
// updated, one that comes back is detected again. Detected transfers are
// never handed to the Sink.
func (w *Watcher) scanTail(ctx context.Context, h heads, cursor uint64, pre *tailLogs, ws watchSet) error {
	from, to := cursor+1, h.latest.Number
	if from > to {
		return nil
	}
	logs := []evm.Log(nil)
	if pre != nil && pre.from == from && pre.to == to {
		logs = pre.logs
	} else {
		var err error
		if logs, err = w.fetch(ctx, from, to, ws); err != nil {
			return err
		}
	}
	ts, err := w.transfers(ctx, logs, ws, store.TransferDetected)
	if err != nil {
		return err
	}
	headMoved, err := w.headReorged(ctx, h.latest, cursor)
	if err != nil {
		return err
	}
	var changed, dropped int
	err = w.o.Store.InTx(ctx, func(tx *store.Tx) error {
		if changed, err = w.detectAll(ctx, tx, ts); err != nil {
			return err
		}
		if dropped, err = w.dropStale(ctx, tx, from, to, ts); err != nil {
			return err
		}
		return tx.PutScannedBlock(ctx, w.o.Chain, store.ScannedBlock{Number: h.latest.Number, Hash: h.latest.Hash, ParentHash: h.latest.ParentHash})
	})
	if err != nil {
		return err
	}
	if headMoved || changed > 0 || dropped > 0 {
		w.reorged("unsettled tail changed; rescanned", zap.Uint64("from", from), zap.Uint64("to", to),
			zap.Int("moved", changed), zap.Int("removed", dropped), zap.Bool("head_mismatch", headMoved))
	}
	return nil
}

// detectAll stores detected transfers and returns how many it found
// changed by a reorg (moved to another block, or back after removal).
func (w *Watcher) detectAll(ctx context.Context, tx *store.Tx, ts []store.Transfer) (int, error) {
	now, changed := w.now(), 0
	for _, t := range ts {
		inserted, err := tx.InsertScannedTransfer(ctx, &t, now)
		if err != nil || inserted {
			if err != nil {
				return changed, err
			}
			continue
		}
		ex, err := tx.TransferByLog(ctx, t.Chain, t.TxHash, t.LogIndex)
		if err != nil {
			return changed, err
		}
		switch {
		case ex.State == store.TransferSettled:
			w.settledConflict("a settled transfer appears in an unsettled block", zap.String("tx", t.TxHash),
				zap.Uint64("stored_block", ex.BlockNumber), zap.Uint64("rpc_block", t.BlockNumber))
		case ex.State == store.TransferRemoved || ex.BlockHash != t.BlockHash:
			ok, err := tx.RedetectTransfer(ctx, ex.ID, t.BlockNumber, t.BlockHash, t.BlockTime, now)
			if err != nil {
				return changed, err
			}
			if ok {
				changed++
			}
		}
	}
	return changed, nil
}

// headReorged checks the latest block against the hashes remembered from
// earlier passes: its parent must be the block remembered one height below,
// and a height seen before must still have the same hash. A mismatch at or
// below the cursor contradicts a settled block and raises the alert.
func (w *Watcher) headReorged(ctx context.Context, latest evm.Header, cursor uint64) (bool, error) {
	mismatch := false
	for _, c := range []struct {
		n    uint64
		want string
	}{{latest.Number - 1, latest.ParentHash}, {latest.Number, latest.Hash}} {
		if latest.Number == 0 && c.n != 0 {
			continue
		}
		b, err := w.o.Store.GetScannedBlock(ctx, w.o.Chain, c.n)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if b.Hash == c.want {
			continue
		}
		if c.n <= cursor {
			w.settledConflict("the latest block does not extend the settled chain", zap.Uint64("block", c.n),
				zap.String("stored_hash", b.Hash), zap.String("rpc_hash", c.want))
			continue
		}
		mismatch = true
	}
	return mismatch, nil
}
