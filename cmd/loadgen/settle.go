package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// settleOpts configures a settle run.
type settleOpts struct {
	url, token, rpc, tradeType, tokenName string
	n, batch                              int
}

func runSettle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("settle", stderr)
	var o settleOpts
	var rows bool
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8000", "gateway base URL")
	fs.StringVar(&o.token, "token", "", "api_auth_token (required)")
	fs.StringVar(&o.rpc, "rpc", "http://127.0.0.1:8545", "devchain URL (JSON-RPC and /control/)")
	fs.StringVar(&o.tradeType, "trade-type", "usdt.erc20", "trade_type of the orders")
	fs.StringVar(&o.tokenName, "token-name", "usdt6", "devchain token the chain of -trade-type watches (usdt6 or usdt18)")
	fs.IntVar(&o.n, "n", 30, "payments to measure")
	fs.IntVar(&o.batch, "batch", 10, "payments per transaction (one block)")
	fs.BoolVar(&rows, "row", false, "print Markdown table rows instead of the summary")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.token == "" || o.n < 1 || o.batch < 1 {
		return fmt.Errorf("settle: need -token, -n ≥ 1 and -batch ≥ 1")
	}
	detect, callback, err := settle(ctx, o)
	if err != nil {
		return err
	}
	if rows {
		fmt.Fprintf(stdout, "| detection latency after settlement | p50 %s | p95 %s, p99 %s, max %s (%d payments) |\n",
			ms(detect.p50), ms(detect.p95), ms(detect.p99), ms(detect.max), detect.n)
		fmt.Fprintf(stdout, "| callback delay (settled → merchant has it) | p99 %s | p50 %s, max %s (%d callbacks; includes detection) |\n",
			ms(callback.p99), ms(callback.p50), ms(callback.max), callback.n)
		return nil
	}
	fmt.Fprintf(stdout, "detection latency after settlement: %s\ncallback received after settlement: %s\n", detect, callback)
	return nil
}

// merchantSink receives callbacks and notes when each trade's first arrived.
type merchantSink struct {
	mu  sync.Mutex
	got map[string]time.Time
}

func (m *merchantSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	var b struct {
		TradeID string `json:"trade_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	m.mu.Lock()
	if _, ok := m.got[b.TradeID]; !ok {
		m.got[b.TradeID] = at
	}
	m.mu.Unlock()
	_, _ = w.Write([]byte("ok"))
}

func (m *merchantSink) arrived(id string) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.got[id]
	return t, ok
}

// settle pays n orders in batches and measures, per order, settled →
// status 2 seen (detection) and settled → callback received. The callback
// is timed from settlement, not from status 2, because the gateway wakes
// its callback worker on commit: the callback usually arrives before a
// status poll can see status 2.
func settle(ctx context.Context, o settleOpts) (summary, summary, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return summary{}, summary{}, err
	}
	sink := &merchantSink{got: map[string]time.Time{}}
	srv := &http.Server{Handler: sink, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	g := newGateway(o.url, o.token, 32)
	chain := newChainClient(o.rpc)
	notify := "http://" + ln.Addr().String() + "/notify"
	prefix := randomPrefix()
	var detect, callback []time.Duration
	for done := 0; done < o.n; {
		k := min(o.batch, o.n-done)
		d, c, err := settleRound(ctx, g, chain, sink, o, fmt.Sprintf("%s-%d", prefix, done), notify, k)
		if err != nil {
			return summary{}, summary{}, err
		}
		detect, callback = append(detect, d...), append(callback, c...)
		done += k
	}
	return summarize(detect), summarize(callback), nil
}

// settleRound creates k orders, pays them in one transaction and times them.
func settleRound(ctx context.Context, g *gateway, chain *chainClient, sink *merchantSink, o settleOpts,
	prefix, notify string, k int) ([]time.Duration, []time.Duration, error) {
	orders := make([]order, k)
	ts := make([]transfer, k)
	for i := range orders {
		var err error
		orders[i], err = g.create(ctx, map[string]string{"order_id": fmt.Sprintf("%s-%d", prefix, i),
			"amount": strconv.Itoa(7 * (i + 1)), "notify_url": notify, "trade_type": o.tradeType})
		if err != nil {
			return nil, nil, err
		}
		ts[i] = transfer{To: orders[i].Token, Amount: strconv.FormatFloat(orders[i].ActualAmount, 'f', 2, 64)}
	}
	block, err := chain.batch(ctx, o.tokenName, ts)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	settled := make(chan time.Time, 1)
	go func() { settled <- waitSettled(ctx, chain, block) }()
	paid := waitPaid(ctx, g, orders)
	tSettled := <-settled
	var detect, callback []time.Duration
	for i, op := range orders {
		if paid[i].IsZero() {
			return nil, nil, fmt.Errorf("order %s was not paid within 2 minutes", op.TradeID)
		}
		detect = append(detect, max(paid[i].Sub(tSettled), 0))
		if at, ok := waitCallback(ctx, sink, op.TradeID); ok {
			callback = append(callback, max(at.Sub(tSettled), 0))
		}
	}
	return detect, callback, nil
}

// waitSettled polls the finalized tag every 5 ms until it covers block.
func waitSettled(ctx context.Context, chain *chainClient, block uint64) time.Time {
	for ctx.Err() == nil {
		if n, err := chain.blockNumber(ctx, "finalized"); err == nil && n >= block {
			return time.Now()
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Now()
}

// waitPaid polls check-status of every order every 10 ms and returns when
// each was first seen paid (zero if never).
func waitPaid(ctx context.Context, g *gateway, orders []order) []time.Time {
	paid := make([]time.Time, len(orders))
	left := len(orders)
	for left > 0 && ctx.Err() == nil {
		for i, o := range orders {
			if !paid[i].IsZero() {
				continue
			}
			if s, err := g.status(ctx, o.TradeID); err == nil && s == 2 {
				paid[i] = time.Now()
				left--
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return paid
}

// waitCallback waits for the first callback of a trade.
func waitCallback(ctx context.Context, sink *merchantSink, tradeID string) (time.Time, bool) {
	for ctx.Err() == nil {
		if at, ok := sink.arrived(tradeID); ok {
			return at, true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Time{}, false
}
