package payment

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// BenchmarkCreateOrder measures CreateOrder on the default SQLite store at
// concurrency 1, 8 and 32 and reports orders/s and p50/p99 latency. Every
// order has its own order_id and amount, as in a busy shop.
func BenchmarkCreateOrder(b *testing.B) {
	for _, conc := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("c=%d", conc), func(b *testing.B) {
			st := storetest.Open(b, store.SQLite)
			cfg := config.Default()
			svc, err := New(Deps{Store: st, Config: &cfg, Rates: fixedRate{rate: decimal.RequireFromString("7.2")},
				Metrics: metrics.New(), Now: time.Now, Log: zap.NewNop()})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.AddWallet(context.Background(), "tron", wallet("tron", 1), "", time.Now()); err != nil {
				b.Fatal(err)
			}
			runCreates(b, svc, conc)
		})
	}
}

func runCreates(b *testing.B, svc *Service, conc int) {
	var next atomic.Int64
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				r := req(fmt.Sprintf("bench-%d", i), fmt.Sprint(10+i))
				t0 := time.Now()
				if _, err := svc.CreateOrder(context.Background(), r); err != nil {
					failed.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d creates failed", n, b.N)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
