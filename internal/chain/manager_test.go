package chain

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// The manager builds watchers from the configuration (enabled chains only)
// and its Run loop settles a payment on its own, then releases the lease
// when stopped.
func TestManagerRunsEnabledChains(t *testing.T) {
	t.Parallel()
	dc := startChain(t, 2)
	st := storetest.Open(t, store.SQLite)
	cfg := config.Default()
	cfg.Tron.Enabled = false
	cfg.Eth = chainConfig(dc.RPCURL(), dc.Token("usdt6"), 6)
	cfg.Eth.PollInterval = 100 * time.Millisecond
	sink := &recSink{}
	m, err := NewManager(ManagerOptions{Config: &cfg, Store: st, Sink: sink, Metrics: metrics.New(), Log: zap.NewNop(), Instance: "m1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Chains(); len(got) != 1 || got[0] != address.Ethereum {
		t.Fatalf("chains %v", got)
	}
	wallet := walletAddr(1)
	addWallet(t, st, address.Ethereum, wallet)
	ctx, stop := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	tx, _ := pay(t, dc, "usdt6", wallet, "9.99")
	mine(t, dc, 2) // settles tx's block
	settledAt := time.Now()
	for len(sink.all()) == 0 {
		if time.Since(settledAt) > 20*time.Second {
			t.Fatal("Run never settled the payment")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("settled %s %.1f poll intervals after its block was finalized",
		tx, float64(time.Since(settledAt))/float64(cfg.Eth.PollInterval))
	if got := sink.all(); len(got) != 1 || got[0].TxHash != tx {
		t.Fatalf("settled %+v", got)
	}
	// The pass that settled the payment goes on to the unsettled blocks;
	// let it complete before stopping, or the stop cancels it before it
	// records its success.
	for m.States()[address.Ethereum].LastSuccess.IsZero() {
		if time.Since(settledAt) > 20*time.Second {
			t.Fatalf("no scan pass completed: %+v", m.States()[address.Ethereum])
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ok, _ := st.AcquireLease(context.Background(), "scan:ethereum", "other", time.Now(), time.Minute); !ok {
		t.Fatal("lease not released on stop")
	}
	if s := m.States()[address.Ethereum]; s.Cursor == 0 || s.LastSuccess.IsZero() {
		t.Fatalf("state %+v", s)
	}
}

func TestBackoffIsCappedExponential(t *testing.T) {
	t.Parallel()
	w := &Watcher{cfg: config.Chain{PollInterval: 3 * time.Second}}
	want := []time.Duration{3, 3, 6, 12, 24, 48, 60, 60}
	for fails, d := range want {
		if got := w.delay(fails); got != d*time.Second {
			t.Errorf("delay after %d failures = %s, want %ss", fails, got, d)
		}
	}
}
