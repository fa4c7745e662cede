package chain

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Two instances on one database: only the lease holder scans; when it
// stops renewing, the other takes over after the lease expires and goes on
// from the cursor. No payment is lost or settled twice.
func TestLeaseOneScannerAndTakeover(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		dc := startChain(t, 2)
		clk := &clock{t: time.Now()}
		cfg := chainConfig(dc.RPCURL(), dc.Token("usdt6"), 6)
		cntA, cntB := &counter{}, &counter{}
		sinkA, sinkB := &recSink{}, &recSink{}
		a := newWatcher(t, st, watcherSetup{cfg: cfg, instance: "A", now: clk.now, sink: sinkA, client: &http.Client{Transport: cntA}})
		b := newWatcher(t, st, watcherSetup{cfg: cfg, instance: "B", now: clk.now, sink: sinkB, client: &http.Client{Transport: cntB}})
		wallet := walletAddr(1)
		addWallet(t, st, address.Ethereum, wallet)
		mine(t, dc, 4)

		mustRun(t, a)
		mustRun(t, b)
		if !a.State().Leader || b.State().Leader {
			t.Fatalf("leaders: A %v, B %v", a.State().Leader, b.State().Leader)
		}
		tx1, block1 := pay(t, dc, "usdt6", wallet, "1.1")
		mine(t, dc, 2)
		clk.add(5 * time.Second)
		mustRun(t, b)
		mustRun(t, a)
		if cntB.get("eth_getLogs") != 0 {
			t.Fatalf("the non-holder scanned: %d eth_getLogs", cntB.get("eth_getLogs"))
		}
		if n, _, ok := NewManagerOf(b).SettleProgress(address.Ethereum, block1); !ok || n < 1 {
			t.Fatalf("follower cannot tell settle progress: %d %v", n, ok)
		}
		if got := sinkA.all(); len(got) != 1 || got[0].TxHash != tx1 {
			t.Fatalf("A settled %+v", got)
		}
		leftAt := cursorOf(t, st, address.Ethereum)

		// A dies (stops renewing). Within the TTL B still waits…
		tx2, _ := pay(t, dc, "usdt6", wallet, "2.2")
		mine(t, dc, 2)
		clk.add(14 * time.Second)
		mustRun(t, b)
		if b.State().Leader || cntB.get("eth_getLogs") != 0 {
			t.Fatal("B took over before the lease expired")
		}
		// …and takes over once it has expired, from A's cursor.
		clk.add(2 * time.Second)
		mustRun(t, b)
		if !b.State().Leader {
			t.Fatal("B did not take over an expired lease")
		}
		if got := sinkB.all(); len(got) != 1 || got[0].TxHash != tx2 {
			t.Fatalf("B settled %+v, want only %s", got, tx2)
		}
		if c := cursorOf(t, st, address.Ethereum); c < leftAt || c != dc.Finalized() {
			t.Fatalf("cursor %d (A left it at %d, finalized %d)", c, leftAt, dc.Finalized())
		}
		// A comes back: it is a follower now and scans nothing.
		logsA := cntA.get("eth_getLogs")
		mustRun(t, a)
		if a.State().Leader || cntA.get("eth_getLogs") != logsA || len(sinkA.all()) != 1 {
			t.Fatalf("A scanned after losing the lease (leader %v)", a.State().Leader)
		}
	})
}

// Restart: stop the scanner, make payments over 200 blocks (one every
// fourth block), start a new one (another instance, taking the released
// lease at once): all found, across several block ranges, each once.
func TestRestartCatchesUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		dc := startChain(t, 2)
		cfg := chainConfig(dc.RPCURL(), dc.Token("usdt6"), 6)
		cfg.MaxBlockRange = 64
		wallet := walletAddr(1)
		addWallet(t, st, address.Ethereum, wallet)
		first := newWatcher(t, st, watcherSetup{cfg: cfg, instance: "old", sink: &recSink{}})
		ctx, stop := context.WithCancel(testCtx(t))
		done := make(chan error, 1)
		go func() { done <- first.Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		for !first.State().Leader || first.State().LastSuccess.IsZero() {
			if time.Now().After(deadline) {
				t.Fatal("first scanner never scanned")
			}
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		stoppedAt := cursorOf(t, st, address.Ethereum)

		want := map[string]bool{}
		from := dc.Head()
		for i := 0; i < 50; i++ { // each transfer is mined in its own block
			tx, _ := pay(t, dc, "usdt6", wallet, "0.01")
			want[tx] = true
			mine(t, dc, 3)
		}
		mine(t, dc, 2)
		if dc.Head()-from < 200 {
			t.Fatalf("payments span only %d blocks", dc.Head()-from)
		}
		sink := &recSink{}
		second := newWatcher(t, st, watcherSetup{cfg: cfg, instance: "new", sink: sink})
		mustRun(t, second)
		got := sink.byTx(t)
		if len(got) != len(want) {
			t.Fatalf("found %d of %d payments (cursor %d→%d)", len(got), len(want), stoppedAt, cursorOf(t, st, address.Ethereum))
		}
		for tx := range want {
			if len(got[tx]) != 1 {
				t.Fatalf("payment %s missing", tx)
			}
		}
	})
}
