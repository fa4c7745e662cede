package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// BenchmarkCreateOrderHTTP measures create-transaction end to end over real
// HTTP (JSON, signature, envelope) on SQLite at concurrency 1, 8 and 32, and
// reports orders/s and p50/p99 latency.
func BenchmarkCreateOrderHTTP(b *testing.B) {
	for _, conc := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("c=%d", conc), func(b *testing.B) {
			s := newServer(b, storetest.Open(b, store.SQLite), serverOpts{})
			s.addWallet(b, "tron", 1)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
			bodies := make([][]byte, b.N)
			for i := range bodies {
				p := createParams(fmt.Sprint("hb-", i), 10+i)
				p["signature"] = phpSign(p, testToken)
				bodies[i], _ = json.Marshal(p)
			}
			lat := make([]time.Duration, b.N)
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < conc; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
						t0 := time.Now()
						resp, err := client.Post(s.URL+"/api/v1/order/create-transaction", "application/json", bytes.NewReader(bodies[i]))
						if err != nil {
							failed.Add(1)
							continue
						}
						raw, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if !bytes.Contains(raw, []byte(`"status_code":200`)) {
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
		})
	}
}
