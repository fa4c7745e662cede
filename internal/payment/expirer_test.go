package payment

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestExpirerAcrossInstances(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		notify := func(c *config.Config) { c.Callback.NotifyExpire = true }
		e := newEnv(t, st, notify)
		e.addWallet(t, "tron", 1)
		var short []store.Order
		for i := 0; i < 20; i++ {
			r := req("x"+string(rune('a'+i)), "10")
			r.Timeout = time.Minute
			o, err := e.svc.CreateOrder(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			short = append(short, o)
		}
		long, err := e.svc.CreateOrder(ctx, req("long", "10"))
		if err != nil {
			t.Fatal(err)
		}
		// A second instance on the same database, same clock.
		peer, err := New(Deps{Store: st, Config: e.cfg, Rates: e.svc.rates, Metrics: e.m, Now: e.clock.Now, Log: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(61 * time.Second)
		var wg sync.WaitGroup
		for _, s := range []*Service{e.svc, peer, e.svc, peer} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.runOnce(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for _, o := range short {
			if got := getOrder(t, st, o.TradeID); got.Status != store.OrderExpired || got.Canceled {
				t.Fatalf("%s: status %d", o.TradeID, got.Status)
			}
		}
		if got := getOrder(t, st, long.TradeID); got.Status != store.OrderWaiting {
			t.Fatalf("long order expired early")
		}
		jobs := callbackJobs(t, st)
		seen := map[string]int{}
		for _, j := range jobs {
			if j.Kind != store.CallbackKindExpired || j.Priority != e.cfg.QueueLevelLow {
				t.Fatalf("job %+v", j)
			}
			seen[j.TradeID]++
		}
		if len(jobs) != len(short) || len(seen) != len(short) {
			t.Fatalf("expired callbacks: %d jobs for %d trades, want one per order", len(jobs), len(seen))
		}
		if v := value(e.m.OrdersExpired.WithLabelValues("tron")); v != float64(len(short)) {
			t.Fatalf("orders_expired = %v", v)
		}
		// Slots stay held through the grace, then the expirer deletes them.
		if held, err := st.Read().HeldSlotCounts(ctx, e.clock.Now()); err != nil || held["tron"] != len(short)+1 {
			t.Fatalf("slots held = %v %v, want %d", held, err, len(short)+1)
		}
		e.clock.Add(10*time.Minute + time.Second)
		if err := e.svc.runOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if held, err := st.Read().HeldSlotCounts(ctx, e.clock.Now()); err != nil || held["tron"] != 1 {
			t.Fatalf("slots held after grace = %v %v", held, err)
		}
		var n int
		if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM amount_slots").Scan(&n); err != nil || n != 1 {
			t.Fatalf("slot rows: %d %v", n, err)
		}
	})
}

func TestExpirerRunLoop(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	e := newEnv(t, st, func(c *config.Config) { c.Orders.ExpireInterval = 20 * time.Millisecond })
	e.addWallet(t, "tron", 1)
	r := req("loop", "10")
	r.Timeout = time.Minute
	o, err := e.svc.CreateOrder(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.Run(ctx) }()
	e.clock.Add(time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for getOrder(t, st, o.TradeID).Status != store.OrderExpired {
		if time.Now().After(deadline) {
			t.Fatal("Run did not expire the order")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Without notify_expired no callback is queued.
	if jobs := callbackJobs(t, st); len(jobs) != 0 {
		t.Fatalf("jobs: %+v", jobs)
	}
}
