package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// createOpts configures a create run.
type createOpts struct {
	url, token, tradeType, notify, prefix string
	concurrency, n                        int
	minCents, maxCents                    int
}

// createResult is what a create run measured.
type createResult struct {
	ok, failed int
	elapsed    time.Duration
	latency    summary
	firstErr   error
}

// rate is successful orders per second.
func (r createResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

func runCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("create", stderr)
	var o createOpts
	var minAmount, maxAmount float64
	var row string
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8000", "gateway base URL")
	fs.StringVar(&o.token, "token", "", "api_auth_token (required)")
	fs.IntVar(&o.concurrency, "c", 8, "concurrent clients")
	fs.IntVar(&o.n, "n", 2000, "orders to create")
	fs.StringVar(&o.tradeType, "trade-type", "usdt.trc20", "trade_type of the orders")
	fs.StringVar(&o.notify, "notify", "http://127.0.0.1:9/notify", "notify_url of the orders")
	fs.StringVar(&o.prefix, "prefix", "", "order_id prefix (default: random, so runs never collide)")
	fs.Float64Var(&minAmount, "min", 7, "smallest fiat amount")
	fs.Float64Var(&maxAmount, "max", 700, "largest fiat amount")
	fs.StringVar(&row, "row", "", "print one Markdown table row with this label instead of the summary")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.token == "" || o.concurrency < 1 || o.n < 1 || minAmount < 0.02 || maxAmount < minAmount {
		return fmt.Errorf("create: need -token, -c ≥ 1, -n ≥ 1 and 0.02 ≤ -min ≤ -max")
	}
	o.minCents, o.maxCents = int(minAmount*100), int(maxAmount*100)
	if o.prefix == "" {
		o.prefix = randomPrefix()
	}
	r := create(ctx, o)
	if row != "" {
		fmt.Fprintf(stdout, "| %s | %.0f orders/s | p50 %s, p95 %s, p99 %s (%d orders, %d errors) |\n",
			row, r.rate(), ms(r.latency.p50), ms(r.latency.p95), ms(r.latency.p99), r.ok, r.failed)
	} else {
		fmt.Fprintf(stdout, "created %d orders (%d failed) in %s at c=%d: %.0f orders/s; latency %s\n",
			r.ok, r.failed, r.elapsed.Round(time.Millisecond), o.concurrency, r.rate(), r.latency)
	}
	if r.firstErr != nil {
		fmt.Fprintln(stderr, "first error:", r.firstErr)
	}
	if r.ok == 0 {
		return fmt.Errorf("no order was created")
	}
	return nil
}

func randomPrefix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "lg" + hex.EncodeToString(b)
}

// create sends o.n create-transaction requests from o.concurrency clients.
func create(ctx context.Context, o createOpts) createResult {
	g := newGateway(o.url, o.token, o.concurrency)
	var next atomic.Int64
	lat := make([][]time.Duration, o.concurrency)
	var mu sync.Mutex
	var res createResult
	var wg sync.WaitGroup
	start := time.Now()
	for w := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := mrand.New(mrand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for i := int(next.Add(1)); i <= o.n && ctx.Err() == nil; i = int(next.Add(1)) {
				cents := o.minCents + rnd.IntN(o.maxCents-o.minCents+1)
				t0 := time.Now()
				_, err := g.create(ctx, map[string]string{"order_id": fmt.Sprintf("%s-%d", o.prefix, i),
					"amount": strconv.FormatFloat(float64(cents)/100, 'f', -1, 64), "notify_url": o.notify,
					"trade_type": o.tradeType})
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					res.failed++
					if res.firstErr == nil {
						res.firstErr = err
					}
				} else {
					res.ok++
					lat[w] = append(lat[w], d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	res.latency = summarize(all)
	return res
}
