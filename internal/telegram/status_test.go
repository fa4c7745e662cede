package telegram

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// fakeWorld is a controllable chain watcher and rate source.
type fakeWorld struct {
	mu     sync.Mutex
	states []ChainState
	rate   decimal.Decimal
	rateAt time.Time
	err    error
}

func (f *fakeWorld) ChainStates() []ChainState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ChainState(nil), f.states...)
}

func (f *fakeWorld) Rate(fiat string) (decimal.Decimal, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return decimal.Decimal{}, time.Time{}, f.err
	}
	return f.rate, f.rateAt, nil
}

func (f *fakeWorld) set(fn func(f *fakeWorld)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func TestStatsAndHealth(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		world := &fakeWorld{rate: decimal.RequireFromString("7.21"), rateAt: time.Now().Add(-30 * time.Second),
			states: []ChainState{{Chain: "tron", Leader: true, Lag: 12 * time.Second, LagBlocks: 4, LastSuccess: time.Now()}}}
		h := newHarness(t, st, nil, func(cfg *config.Config, d *Deps) {
			d.Chains, d.Rate = world, world
			d.Checks = []Check{{Name: "redis", Fn: func(context.Context) error { return errors.New("dial tcp: connection refused") }}}
		})
		h.start()
		paidOrder(t, st, h.cfg, "T9001", tronAddr(20), false, 3)
		paidOrder(t, st, h.cfg, "T9002", tronAddr(20), true, 3)
		settledTransfer(t, st, "0xbb1", tronAddr(20), store.MatchUnmatched, "", "no order", 1)

		h.tg.PushText(ann(), "/stats")
		m := h.waitText(annID, 0, "Today", "Last 7 days")
		if strings.Count(m.Text, "TRON: 2 / 2 / 27.92 (1 late); 1") != 2 {
			t.Errorf("stats should show 2 created, 2 paid, 27.92 USDT, 1 late, 1 unmatched for today and the week:\n%s", m.Text)
		}
		n := len(h.tg.Sent())
		h.tg.PushText(ann(), "/health")
		m = h.waitText(annID, n, "Health")
		for _, want := range []string{"Database: ok", "Callback queue: 2 pending", "TRON: lag 12s (4 blocks)",
			"Rate CNY: 7.21 (3", "redis: ❌ dial tcp: connection refused"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("health lacks %q:\n%s", want, m.Text)
			}
		}
	})
}

func TestChainAndRateAlerts(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	world := &fakeWorld{rate: decimal.NewFromInt(7), rateAt: time.Now(),
		states: []ChainState{{Chain: "tron", Leader: true}, {Chain: "bsc", Leader: false, Lag: time.Hour}}}
	h := newHarness(t, st, nil, func(cfg *config.Config, d *Deps) {
		d.Chains, d.Rate = world, world
		cfg.Telegram.ChainLagThreshold = time.Minute
	})
	h.bot.tune.streak = 2
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.bot.out.run(ctx)

	h.bot.monitorOnce()
	world.set(func(f *fakeWorld) {
		f.states[0].Lag, f.states[0].RPCFailing, f.states[0].LastError = 3*time.Minute, true, "429 Too Many Requests"
		f.err = errors.New("CNY: no usable rate (newest is 20m0s old, max 10m0s)")
	})
	h.bot.monitorOnce() // seen once: not told yet
	time.Sleep(50 * time.Millisecond)
	if len(h.tg.Sent()) != 0 {
		t.Fatalf("a problem seen once was told: %s", dump(h.tg.Sent()))
	}
	h.bot.monitorOnce()
	h.waitText(annID, 0, "TRON watcher is 3m0s behind (threshold 1m0s)")
	h.waitText(annID, 0, "TRON RPC failing: 429 Too Many Requests")
	h.waitText(annID, 0, "Exchange rate CNY is stale: CNY: no usable rate")
	h.bot.monitorOnce() // still bad: not told again
	world.set(func(f *fakeWorld) { f.states[0] = ChainState{Chain: "tron", Leader: true}; f.err = nil })
	h.bot.monitorOnce()
	h.waitText(annID, 0, "TRON watcher recovered")
	h.waitText(annID, 0, "Exchange rate CNY is fresh again")
	time.Sleep(50 * time.Millisecond)
	sent := h.tg.Sent()
	if countTo(sent, annID, "behind") != 1 || countTo(sent, annID, "stale") != 1 || countTo(sent, annID, "BSC") != 0 {
		t.Errorf("alerts must be told once, and only for chains this instance scans: %s", dump(sent))
	}
}

func TestLifecycleNotifications(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	h := newHarness(t, st, nil, func(_ *config.Config, d *Deps) { d.Instance, d.Version = "inst-1", "v9.9" })
	h.bot.NotifyStarted() // before Run: queued, never blocking
	h.start()
	h.waitText(annID, 0, "Gateway started (instance inst-1, version v9.9)")
	h.stop()
	h.bot.NotifyStopping(context.Background())
	h.waitText(annID, 0, "Gateway stopping (instance inst-1)")
	h.waitText(bobID, 0, "Gateway stopping")

	off := newHarness(t, st, h.tg, func(cfg *config.Config, _ *Deps) { cfg.Telegram.NotifyLifecycle = false })
	n := len(h.tg.Sent())
	off.bot.NotifyStarted()
	off.bot.NotifyStopping(context.Background())
	if len(h.tg.Sent()) != n {
		t.Errorf("lifecycle messages sent while switched off")
	}
}
