package notify

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// BenchmarkDelivery measures a Worker with the default settings (10
// workers, 200 ms idle poll, no Wake) delivering to a local merchant, on
// every available database:
//
//   - backlog: 1,000 paid orders with their jobs are already queued when
//     the worker starts; reports callbacks delivered per second.
//   - burst: 1,000 orders are marked paid one transaction each (job
//     included, as payment does) as fast as the database takes them while
//     the worker runs; reports the delay from each job's creation to its
//     first attempt reaching the merchant (p50, p99) and callbacks/s.
//   - steady: the same at 50 paid orders per second, a busy shop's peak.
func BenchmarkDelivery(b *testing.B) {
	for _, d := range storetest.Dialects(b) {
		for _, mode := range []struct {
			name    string
			prefill bool
			every   time.Duration
		}{{"backlog", true, 0}, {"burst", false, 0}, {"steady", false, 20 * time.Millisecond}} {
			b.Run(string(d)+"/"+mode.name, func(b *testing.B) {
				for range b.N {
					benchRound(b, d, 1000, mode.prefill, mode.every)
				}
			})
		}
	}
}

// benchMerchant answers ok and notes when each event first arrived.
type benchMerchant struct {
	*merchant
	mu      sync.Mutex
	arrived map[string]time.Time
}

func newBenchMerchant(b *testing.B) *benchMerchant {
	bm := &benchMerchant{arrived: map[string]time.Time{}}
	bm.merchant = newMerchant(b, func(n int, w http.ResponseWriter, r *http.Request) {
		bm.mu.Lock()
		if _, ok := bm.arrived[r.Header.Get(HeaderEventID)]; !ok {
			bm.arrived[r.Header.Get(HeaderEventID)] = time.Now()
		}
		bm.mu.Unlock()
		w.Write([]byte("ok"))
	})
	return bm
}

func (bm *benchMerchant) waitFor(n int) map[string]time.Time {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		bm.mu.Lock()
		got := len(bm.arrived)
		bm.mu.Unlock()
		if got >= n {
			break
		}
	}
	bm.mu.Lock()
	defer bm.mu.Unlock()
	out := make(map[string]time.Time, len(bm.arrived))
	for k, v := range bm.arrived {
		out[k] = v
	}
	return out
}

func benchRound(b *testing.B, d store.Dialect, orders int, prefill bool, every time.Duration) {
	b.StopTimer()
	ctx := context.Background()
	cfg := config.Default()
	s := openWithDefaultPool(b, d, cfg)
	bm := newBenchMerchant(b)
	now := time.Now()
	created := make(map[string]time.Time, orders)
	pay := func(i int) {
		j := NewJob(&cfg, fmt.Sprintf("B%05d", i), store.CallbackKindPaid, time.Now())
		if err := s.InTx(ctx, func(tx *store.Tx) error { _, err := tx.EnqueueCallback(ctx, j); return err }); err != nil {
			b.Fatal(err)
		}
		created[j.EventID] = j.CreatedAt
	}
	for i := range orders {
		insertOrder(b, s, fmt.Sprintf("B%05d", i), bm.URL+"/notify", "100", "13.89", now)
		if prefill {
			pay(i)
		}
	}
	w := NewWorker(Options{Store: s, Token: testToken, Callback: cfg.Callback, Concurrency: cfg.QueueConcurrency,
		Metrics: metrics.New(), Log: zap.NewNop(), Instance: "bench",
		Levels: []int{cfg.QueueLevelCritical, cfg.QueueLevelDefault, cfg.QueueLevelLow}})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	b.StartTimer()
	start := time.Now()
	go func() { done <- w.Run(runCtx) }()
	for i := 0; !prefill && i < orders; i++ {
		pay(i)
		if every > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(i+1) * every)))
		}
	}
	arrived := bm.waitFor(orders)
	b.StopTimer()
	stop()
	<-done
	reportDelays(b, created, arrived, start, !prefill)
}

// openWithDefaultPool opens a fresh database with the connection pool a
// default configuration gets (storetest's pool is smaller).
func openWithDefaultPool(b *testing.B, d store.Dialect, cfg config.Config) *store.Store {
	opts := storetest.Options(b, d)
	switch d {
	case store.MySQL:
		opts.MaxOpenConns, opts.MaxIdleConns = cfg.MySQL.MaxOpenConns, cfg.MySQL.MaxIdleConns
	case store.Postgres:
		opts.MaxOpenConns, opts.MaxIdleConns = cfg.Postgres.MaxOpenConns, cfg.Postgres.MaxIdleConns
	}
	s, err := store.Open(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

func reportDelays(b *testing.B, created, arrived map[string]time.Time, start time.Time, delays bool) {
	if len(arrived) != len(created) {
		b.Fatalf("%d of %d callbacks arrived", len(arrived), len(created))
	}
	var ds []time.Duration
	last := start
	for id, c := range created {
		ds = append(ds, arrived[id].Sub(c))
		if arrived[id].After(last) {
			last = arrived[id]
		}
	}
	b.ReportMetric(float64(len(created))/last.Sub(start).Seconds(), "callbacks/s")
	if delays {
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds())/1000, "p99-ms")
	}
}
