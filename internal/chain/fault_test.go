package chain

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/devchain/faultproxy"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// A provider that answers 429/500/502, times out, hangs, refuses large
// ranges in three providers' styles, lags, and steps its head backwards:
// after every pass, every payment at or below the cursor has been settled
// exactly once and the cursor never passes the finalized block; at the end
// every payment is found once.
func TestFaultyProviderMissesNothingDoublesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		dc := startChain(t, 3)
		p := faultproxy.New(dc.RPCURL())
		if err := p.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		cfg := chainConfig(p.URL(), dc.Token("usdt6"), 6)
		cfg.RPCTimeout, cfg.MaxBlockRange, cfg.AddressChunk = 150*time.Millisecond, 40, 1
		sink := &recSink{}
		w := newWatcher(t, st, watcherSetup{cfg: cfg, sink: sink})
		wallets := []common.Address{walletAddr(1), walletAddr(2)}
		for _, a := range wallets {
			addWallet(t, st, address.Ethereum, a)
		}
		mustRun(t, w)

		phases := []func(){
			func() { p.FailFraction(0.3, 1, faultproxy.HTTPError(429)) },
			func() { p.FailFraction(0.3, 2, faultproxy.HTTPError(500)) },
			func() { p.FailFraction(0.25, 3, faultproxy.Delay(400*time.Millisecond)) },
			func() { p.LimitLogRange(3, faultproxy.TooManyResults) },
			func() { p.LimitLogRange(2, faultproxy.BlockRangeTooLarge) },
			func() { p.SetHeadLag(4) },
			func() { p.StepHeadBackOnce(6) },
			func() { p.FailFraction(0.2, 4, faultproxy.Hang().For("eth_getLogs")) },
			func() {
				p.LimitLogRange(5, faultproxy.ExceedMaxRange)
				p.FailFraction(0.2, 5, faultproxy.HTTPError(502))
			},
		}
		payments := map[string]uint64{}
		minRange := w.State().Range
		for i := 0; i < 3*len(phases); i++ {
			p.ClearFaults()
			p.LimitLogRange(0, 0)
			p.SetHeadLag(0)
			phases[i%len(phases)]()
			tx, block := pay(t, dc, "usdt6", wallets[i%2], "1.000001")
			payments[tx] = block
			mine(t, dc, i%4)
			for k := 0; k < 3; k++ {
				_ = w.runOnce(testCtx(t)) // errors are expected here
				checkCursorInvariant(t, st, dc.Finalized(), sink, payments)
				minRange = min(minRange, w.State().Range)
			}
		}
		p.ClearFaults()
		p.LimitLogRange(0, 0)
		p.SetHeadLag(0)
		mine(t, dc, 4)
		for k := 0; k < 50 && cursorOf(t, st, address.Ethereum) < dc.Finalized(); k++ {
			_ = w.runOnce(testCtx(t))
		}
		checkCursorInvariant(t, st, dc.Finalized(), sink, payments)
		got := sink.byTx(t)
		if len(got) != len(payments) {
			t.Fatalf("settled %d payments, want %d", len(got), len(payments))
		}
		settled, err := st.TransfersInBlocks(context.Background(), address.Ethereum, store.TransferSettled, 0, dc.Head())
		if err != nil || len(settled) != len(payments) {
			t.Fatalf("%d settled rows (%v), want %d", len(settled), err, len(payments))
		}
		if s := w.State(); s.RPCErrors == 0 || minRange > 5 {
			t.Fatalf("faults were not exercised: rpc errors %d, smallest range %d", s.RPCErrors, minRange)
		}
	})
}

// checkCursorInvariant: the cursor is at most the finalized block, and
// every payment in a block at or below it was settled exactly once.
func checkCursorInvariant(t *testing.T, st *store.Store, finalized uint64, sink *recSink, payments map[string]uint64) {
	t.Helper()
	c := cursorOf(t, st, address.Ethereum)
	if c > finalized {
		t.Fatalf("cursor %d passed the finalized block %d", c, finalized)
	}
	got := sink.byTx(t)
	for tx, block := range payments {
		if block <= c && len(got[tx]) != 1 {
			t.Fatalf("cursor %d passed payment %s in block %d that was not settled", c, tx, block)
		}
	}
}

// With a dead first URL the watcher fails over to the second and keeps
// using it.
func TestFailoverToSecondURL(t *testing.T) {
	t.Parallel()
	dc := startChain(t, 1)
	p := faultproxy.New(dc.RPCURL())
	if err := p.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	p.FailFraction(1, 1, faultproxy.HTTPError(500))
	st := storetest.Open(t, store.SQLite)
	cfg := chainConfig(p.URL(), dc.Token("usdt6"), 6)
	cfg.RPCURLs = append(cfg.RPCURLs, dc.RPCURL())
	sink := &recSink{}
	w := newWatcher(t, st, watcherSetup{cfg: cfg, sink: sink})
	a := walletAddr(1)
	addWallet(t, st, address.Ethereum, a)
	mustRun(t, w)
	tx, _ := pay(t, dc, "usdt6", a, "4")
	mine(t, dc, 1)
	mustRun(t, w)
	if got := sink.all(); len(got) != 1 || got[0].TxHash != tx {
		t.Fatalf("settled %+v", got)
	}
	if n := p.Requests(); n != 1 {
		t.Fatalf("the failing URL got %d requests; after one failure calls must start at the next URL", n)
	}
}
