package chain

import (
	"context"
	"errors"
	"math/big"
	"net/http"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// A payment is "detected" while unsettled (Settle not called, the cashier
// sees n/N), and is stored settled and handed to Settle exactly once by the
// first pass after its block is finalized.
func TestPaymentDetectedThenSettledOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		dc := startChain(t, 3)
		sink := &recSink{}
		w := newWatcher(t, st, watcherSetup{cfg: chainConfig(dc.RPCURL(), dc.Token("usdt6"), 6), sink: sink})
		m := NewManagerOf(w)
		wallet := walletAddr(1)
		canon := addWallet(t, st, address.Ethereum, wallet)
		mine(t, dc, 10)
		mustRun(t, w)
		if got, want := cursorOf(t, st, address.Ethereum), dc.Finalized(); got != want {
			t.Fatalf("cursor %d, want the settled head %d", got, want)
		}

		tx, block := pay(t, dc, "usdt6", wallet, "7.91")
		mustRun(t, w)
		row := transferRow(t, st, address.Ethereum, tx, 0)
		if row.State != store.TransferDetected || len(sink.all()) != 0 {
			t.Fatalf("before settling: state %q, settled %d", row.State, len(sink.all()))
		}
		if n, req, ok := m.SettleProgress(address.Ethereum, block); !ok || n != 1 || req != 4 {
			t.Fatalf("progress %d/%d %v, want 1/4", n, req, ok)
		}
		mine(t, dc, 2)
		mustRun(t, w)
		if n, req, _ := m.SettleProgress(address.Ethereum, block); n != 3 || req != 4 || len(sink.all()) != 0 {
			t.Fatalf("progress %d/%d, settled %d", n, req, len(sink.all()))
		}
		mine(t, dc, 1) // now finalized == block
		mustRun(t, w)
		got := sink.all()
		if len(got) != 1 {
			t.Fatalf("settled %d transfers, want 1", len(got))
		}
		tr := got[0]
		if tr.AmountUnits.Cmp(big.NewInt(7_910_000)) != 0 || tr.To != canon || tr.TxHash != tx || tr.BlockNumber != block ||
			tr.TokenContract != dc.Token("usdt6").Hex() || tr.From != dc.Payer().Hex() || tr.Decimals != 6 ||
			tr.State != store.TransferSettled || tr.ID == 0 || tr.BlockTime.IsZero() {
			t.Fatalf("settled transfer %+v", tr)
		}
		if row := transferRow(t, st, address.Ethereum, tx, 0); row.State != store.TransferSettled {
			t.Fatalf("row state %q", row.State)
		}
		if n, req, _ := m.SettleProgress(address.Ethereum, block); n != req {
			t.Fatalf("settled block progress %d/%d", n, req)
		}
		mine(t, dc, 3)
		mustRun(t, w)
		mustRun(t, w)
		if len(sink.all()) != 1 {
			t.Fatalf("settled again: %d", len(sink.all()))
		}
		if s := w.State(); !s.Leader || s.Cursor != dc.Finalized() || s.Head != dc.Head() || s.LagBlocks != 0 || s.LastSuccess.IsZero() {
			t.Fatalf("state %+v (finalized %d head %d)", s, dc.Finalized(), dc.Head())
		}
	})
}

// Wrong token, zero value, two transfers in one tx, an unwatched recipient.
func TestTransfersOfEveryShape(t *testing.T) {
	t.Parallel()
	dc := startChain(t, 2)
	st := storetest.Open(t, store.SQLite)
	sink := &recSink{}
	w := newWatcher(t, st, watcherSetup{cfg: chainConfig(dc.RPCURL(), dc.Token("usdt6"), 6), sink: sink})
	a, b := walletAddr(1), walletAddr(2)
	addWallet(t, st, address.Ethereum, a)
	addWallet(t, st, address.Ethereum, b)
	mustRun(t, w)

	wrongToken, _ := pay(t, dc, "usdt18", a, "7.91")
	zero, _ := pay(t, dc, "usdt6", a, "0")
	unwatched, _ := pay(t, dc, "usdt6", walletAddr(99), "1")
	bh, _, err := dc.BatchTransfer(testCtx(t), "usdt6", []common.Address{a, b, walletAddr(98)}, []string{"1.5", "2.25", "3"})
	if err != nil {
		t.Fatal(err)
	}
	batch := bh.Hex()
	mine(t, dc, 3)
	mustRun(t, w)

	got := sink.byTx(t)
	if len(got[wrongToken]) != 0 || len(got[unwatched]) != 0 {
		t.Fatalf("saw a transfer it must not: %+v", got)
	}
	if z := got[zero]; len(z) != 1 || z[0].AmountUnits.Sign() != 0 {
		t.Fatalf("zero-value transfer: %+v", z)
	}
	bt := got[batch]
	if len(bt) != 2 || bt[0].LogIndex == bt[1].LogIndex {
		t.Fatalf("two transfers in one tx must be two records: %+v", bt)
	}
	sum := new(big.Int).Add(bt[0].AmountUnits, bt[1].AmountUnits)
	if sum.Cmp(big.NewInt(3_750_000)) != 0 {
		t.Fatalf("batch amounts %v %v", bt[0].AmountUnits, bt[1].AmountUnits)
	}
	if _, err := st.TransferByLog(context.Background(), address.Ethereum, wrongToken, 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("wrong-token transfer stored: %v", err)
	}
	if len(sink.all()) != 3 {
		t.Fatalf("settled %d, want 3", len(sink.all()))
	}
}

// An 18-decimal token (BSC's USDT) keeps every base unit.
func TestEighteenDecimalsExact(t *testing.T) {
	t.Parallel()
	dc := startChain(t, 1)
	st := storetest.Open(t, store.SQLite)
	sink := &recSink{}
	w := newWatcher(t, st, watcherSetup{chain: address.BSC, cfg: chainConfig(dc.RPCURL(), dc.Token("usdt18"), 18), sink: sink})
	a := walletAddr(7)
	addWallet(t, st, address.BSC, a)
	mustRun(t, w)
	tx, _ := pay(t, dc, "usdt18", a, "1234.567890123456789012")
	pay(t, dc, "usdt6", a, "1234.567890") // same wallet, other token: not this watcher's
	mine(t, dc, 2)
	mustRun(t, w)
	got := sink.all()
	want, _ := new(big.Int).SetString("1234567890123456789012", 10)
	if len(got) != 1 || got[0].TxHash != tx || got[0].AmountUnits.Cmp(want) != 0 || got[0].Decimals != 18 {
		t.Fatalf("got %+v", got)
	}
	if row := transferRow(t, st, address.BSC, tx, 0); row.AmountUnits.Cmp(want) != 0 {
		t.Fatalf("stored amount %v", row.AmountUnits)
	}
}

// A failing Sink rolls the whole range back: no settled row, cursor
// unmoved; the next pass settles the transfer once.
func TestSinkFailureRollsBackRange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		dc := startChain(t, 1)
		sink := &recSink{}
		w := newWatcher(t, st, watcherSetup{cfg: chainConfig(dc.RPCURL(), dc.Token("usdt6"), 6), sink: sink})
		a := walletAddr(3)
		addWallet(t, st, address.Ethereum, a)
		mustRun(t, w)
		before := cursorOf(t, st, address.Ethereum)
		tx, _ := pay(t, dc, "usdt6", a, "5")
		mine(t, dc, 1)
		sink.fail = errors.New("payment down")
		if err := w.runOnce(testCtx(t)); err == nil {
			t.Fatal("runOnce ignored the sink's failure")
		}
		if c := cursorOf(t, st, address.Ethereum); c != before {
			t.Fatalf("cursor moved %d→%d despite the failure", before, c)
		}
		if _, err := st.TransferByLog(context.Background(), address.Ethereum, tx, 0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("transfer of the failed range kept: %v", err)
		}
		mustRun(t, w)
		if got := sink.all(); len(got) != 1 || got[0].TxHash != tx {
			t.Fatalf("after recovery: %+v", got)
		}
	})
}

// No wallet: no RPC call at all. The first wallet starts the chain at the
// settled head minus the lookback: a payment within the lookback is found,
// an older one is not scanned.
func TestIdleUntilFirstWallet(t *testing.T) {
	t.Parallel()
	dc := startChain(t, 3)
	st := storetest.Open(t, store.SQLite)
	cnt := &counter{}
	sink := &recSink{}
	w := newWatcher(t, st, watcherSetup{cfg: chainConfig(dc.RPCURL(), dc.Token("usdt6"), 6), sink: sink,
		client: &http.Client{Transport: cnt}})
	a := walletAddr(1)
	old, _ := pay(t, dc, "usdt6", a, "1")
	mine(t, dc, 10)
	recent, _ := pay(t, dc, "usdt6", a, "2")
	mine(t, dc, 3) // finalized == recent's block; lookback 5 starts 5 blocks below it
	mustRun(t, w)
	if cnt.total() != 0 || !w.State().Idle {
		t.Fatalf("idle chain made %d RPC calls (state %+v)", cnt.total(), w.State())
	}
	if _, ok, _ := st.ScanCursor(context.Background(), address.Ethereum); ok {
		t.Fatal("cursor created without wallets")
	}
	addWallet(t, st, address.Ethereum, a)
	mustRun(t, w)
	got := sink.byTx(t)
	if len(got[recent]) != 1 || len(got[old]) != 0 || len(sink.all()) != 1 {
		t.Fatalf("want only the payment within the lookback, got %+v", sink.all())
	}
	if c := cursorOf(t, st, address.Ethereum); c != dc.Finalized() {
		t.Fatalf("cursor %d, want %d", c, dc.Finalized())
	}
}

func TestSettleProgressRules(t *testing.T) {
	t.Parallel()
	fin := State{Head: 120, Settled: 100}
	conf := State{Head: 120, Settled: 109, Confirm: 12}
	cases := []struct {
		s      State
		block  uint64
		n, req int
		ok     bool
	}{
		{fin, 90, 21, 21, true},
		{fin, 100, 21, 21, true},
		{fin, 101, 20, 21, true},
		{fin, 120, 1, 21, true},
		{fin, 121, 0, 21, true},
		{conf, 109, 12, 12, true},
		{conf, 110, 11, 12, true},
		{conf, 120, 1, 12, true},
		{State{}, 1, 0, 0, false},
		{State{Head: 5, Idle: true}, 1, 0, 0, false},
	}
	for _, c := range cases {
		n, req, ok := settleProgress(c.s, c.block)
		if n != c.n || req != c.req || ok != c.ok {
			t.Errorf("%+v block %d: got %d/%d %v, want %d/%d %v", c.s, c.block, n, req, ok, c.n, c.req, c.ok)
		}
	}
	if _, _, ok := NewManagerOf().SettleProgress("tron", 1); ok {
		t.Error("unknown chain reported ok")
	}
}
