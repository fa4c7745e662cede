package chain

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// A transfer whose block is reorged away before it settles is never
// handed to Settle; the same payment sent again later is.
func TestReorgDropBeforeSettling(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		dc := startChain(t, 5)
		sink := &recSink{}
		w := newWatcher(t, st, watcherSetup{cfg: chainConfig(dc.RPCURL(), dc.Token("usdt6"), 6), sink: sink})
		a := walletAddr(1)
		addWallet(t, st, address.Ethereum, a)
		mine(t, dc, 6)
		mustRun(t, w)

		dropped, block := pay(t, dc, "usdt6", a, "7.91")
		mine(t, dc, 1)
		mustRun(t, w)
		if r := transferRow(t, st, address.Ethereum, dropped, 0); r.State != store.TransferDetected {
			t.Fatalf("state %q before the reorg", r.State)
		}
		h := common.HexToHash(dropped)
		if err := dc.Reorg(testCtx(t), int(dc.Head()-block+1), &h); err != nil {
			t.Fatalf("reorg: %v", err)
		}
		mustRun(t, w)
		if r := transferRow(t, st, address.Ethereum, dropped, 0); r.State != store.TransferRemoved {
			t.Fatalf("state %q after the reorg, want removed", r.State)
		}
		if counterValue(w.o.Metrics.Reorgs.WithLabelValues(address.Ethereum)) < 1 {
			t.Fatal("reorg not counted")
		}
		mine(t, dc, 8)
		mustRun(t, w)
		if len(sink.all()) != 0 {
			t.Fatalf("a reorged-away transfer settled: %+v", sink.all())
		}
		if r := transferRow(t, st, address.Ethereum, dropped, 0); r.State != store.TransferRemoved {
			t.Fatalf("state %q after settling the height, want removed", r.State)
		}

		again, _ := pay(t, dc, "usdt6", a, "7.91")
		mine(t, dc, 5)
		mustRun(t, w)
		if got := sink.all(); len(got) != 1 || got[0].TxHash != again {
			t.Fatalf("the re-sent payment: %+v", got)
		}
		if n := counterValue(w.o.Metrics.SettledConflicts.WithLabelValues(address.Ethereum)); n != 0 {
			t.Fatalf("%v false settled-conflict alerts", n)
		}
	})
}

// A reorg that keeps the transaction but moves it to a new block (new
// hash) re-detects it there, and it settles with the block it ended in.
func TestReorgReincludedTransferSettles(t *testing.T) {
	t.Parallel()
	dc := startChain(t, 4)
	st := storetest.Open(t, store.SQLite)
	sink := &recSink{}
	w := newWatcher(t, st, watcherSetup{cfg: chainConfig(dc.RPCURL(), dc.Token("usdt6"), 6), sink: sink})
	a := walletAddr(1)
	addWallet(t, st, address.Ethereum, a)
	mine(t, dc, 5)
	mustRun(t, w)
	tx, block := pay(t, dc, "usdt6", a, "3.5")
	mustRun(t, w)
	first := transferRow(t, st, address.Ethereum, tx, 0)
	if err := dc.Reorg(testCtx(t), 2, nil); err != nil { // replaces tx's block and the one before
		t.Fatalf("reorg: %v", err)
	}
	mustRun(t, w)
	moved := transferRow(t, st, address.Ethereum, tx, 0)
	if moved.State != store.TransferDetected || moved.BlockHash == first.BlockHash || moved.BlockNumber != block {
		t.Fatalf("after reorg: %+v (was %s)", moved, first.BlockHash)
	}
	mine(t, dc, 5)
	mustRun(t, w)
	got := sink.all()
	if len(got) != 1 || got[0].TxHash != tx || got[0].BlockHash != moved.BlockHash {
		t.Fatalf("settled %+v, want %s in block %s", got, tx, moved.BlockHash)
	}
}
