package chain

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/chain/evm"
	"github.com/epusdt/epusdt/internal/store"
)

// hashWindow is how many settled heights of block hashes are kept below
// the cursor.
const hashWindow = 256

type logKey struct {
	tx    string
	index uint
}

func keyOf(t store.Transfer) logKey { return logKey{t.TxHash, t.LogIndex} }

// commitSettled stores the settled range (cursor, to.Number] in one
// transaction: its transfers (new ones inserted, detected ones settled),
// detections the settled chain no longer holds marked removed, the block
// hash of to, the cursor, and the Sink's work on the newly settled
// transfers. The cursor moves only if it is still where this scan read it.
func (w *Watcher) commitSettled(ctx context.Context, cursor uint64, to evm.Header, ts []store.Transfer) error {
	var fresh []store.Transfer
	var dropped int
	err := w.o.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if fresh, err = w.settleAll(ctx, tx, ts); err != nil {
			return err
		}
		if dropped, err = w.dropStale(ctx, tx, cursor+1, to.Number, ts); err != nil {
			return err
		}
		if err := w.rememberSettled(ctx, tx, cursor, to); err != nil {
			return err
		}
		if err := tx.AdvanceScanCursor(ctx, w.o.Chain, cursor, to.Number, w.now()); err != nil {
			return err
		}
		if len(fresh) == 0 {
			return nil
		}
		if err := w.o.Sink.Settle(ctx, tx, fresh); err != nil {
			return fmt.Errorf("settle %d transfers of blocks %d-%d: %w", len(fresh), cursor+1, to.Number, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if dropped > 0 {
		w.reorged("detected transfers are not in the settled chain; marked removed", zap.Int("removed", dropped),
			zap.Uint64("from", cursor+1), zap.Uint64("to", to.Number))
	}
	for _, t := range fresh {
		w.log.Info("transfer settled", zap.String("tx", t.TxHash), zap.Uint("log_index", t.LogIndex),
			zap.Uint64("block", t.BlockNumber), zap.String("to", t.To), zap.String("amount_units", t.AmountUnits.String()))
	}
	return nil
}

// settleAll stores settled transfers and returns those that settled just
// now: inserted, or moved from detected/removed to settled. A transfer
// already settled is skipped (and raises an alert if its block changed).
func (w *Watcher) settleAll(ctx context.Context, tx *store.Tx, ts []store.Transfer) ([]store.Transfer, error) {
	var fresh []store.Transfer
	now := w.now()
	for _, t := range ts {
		inserted, err := tx.InsertScannedTransfer(ctx, &t, now)
		if err != nil {
			return nil, err
		}
		if inserted {
			fresh = append(fresh, t)
			continue
		}
		ex, err := tx.TransferByLog(ctx, t.Chain, t.TxHash, t.LogIndex)
		if err != nil {
			return nil, err
		}
		if ex.State == store.TransferSettled {
			if ex.BlockHash != t.BlockHash {
				w.settledConflict("a settled transfer appears in another block", zap.String("tx", t.TxHash),
					zap.Uint64("stored_block", ex.BlockNumber), zap.Uint64("rpc_block", t.BlockNumber))
			}
			continue
		}
		ok, err := tx.SettleScannedTransfer(ctx, ex.ID, t.BlockNumber, t.BlockHash, t.BlockTime, now)
		if err != nil {
			return nil, err
		}
		if ok {
			ex.State, ex.BlockNumber, ex.BlockHash, ex.BlockTime, ex.UpdatedAt = store.TransferSettled, t.BlockNumber, t.BlockHash, t.BlockTime, now
			fresh = append(fresh, ex)
		}
	}
	return fresh, nil
}

// dropStale marks removed the detected transfers in blocks [from, to] that
// are not among seen: the chain no longer holds them there.
func (w *Watcher) dropStale(ctx context.Context, tx *store.Tx, from, to uint64, seen []store.Transfer) (int, error) {
	if from > to {
		return 0, nil
	}
	detected, err := tx.TransfersInBlocks(ctx, w.o.Chain, store.TransferDetected, from, to)
	if err != nil {
		return 0, err
	}
	keep := make(map[logKey]bool, len(seen))
	for _, t := range seen {
		keep[keyOf(t)] = true
	}
	n := 0
	for _, d := range detected {
		if keep[keyOf(d)] {
			continue
		}
		ok, err := tx.RemoveDetectedTransfer(ctx, d.ID, w.now())
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// reorged counts a reorg and logs what it changed.
func (w *Watcher) reorged(msg string, fields ...zap.Field) {
	w.o.Metrics.Reorgs.WithLabelValues(w.o.Chain).Inc()
	w.log.Warn("reorg: "+msg, fields...)
}

// rememberSettled stores the hash of the new cursor block, forgets the
// unsettled snapshots of the heights just settled and the heights that left
// the kept window.
func (w *Watcher) rememberSettled(ctx context.Context, tx *store.Tx, cursor uint64, to evm.Header) error {
	if err := tx.ForgetScannedBlocks(ctx, w.o.Chain, cursor+1, to.Number); err != nil {
		return err
	}
	if to.Number > hashWindow {
		if err := tx.ForgetScannedBlocks(ctx, w.o.Chain, 0, to.Number-hashWindow); err != nil {
			return err
		}
	}
	return tx.PutScannedBlock(ctx, w.o.Chain, store.ScannedBlock{Number: to.Number, Hash: to.Hash, ParentHash: to.ParentHash})
}
