package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// chainSpec is how one gateway chain is exercised on devchain.
type chainSpec struct {
	name, tradeType, token string
	decimals               int
}

// e2eChains are the three chains every e2e gateway watches.
var e2eChains = []chainSpec{
	{"tron", "usdt.trc20", "usdt6", 6},
	{"ethereum", "usdt.erc20", "usdt6", 6},
	{"bsc", "usdt.bep20", "usdt18", 18},
}

func specOf(chain string) chainSpec {
	for _, c := range e2eChains {
		if c.name == chain {
			return c
		}
	}
	panic("unknown chain " + chain)
}

// order is one merchant order of a scenario: what was asked, what the
// gateway answered, and how it was paid.
type order struct {
	id, chain, amount, notify string
	data                      orderData
	paid                      txResult // zero until paid
	firstTx                   string   // a payment a reorg dropped (scenario 4)
}

// usdt is the amount to pay, as decimal text.
func (o *order) usdt() string { return strconv.FormatFloat(o.data.ActualAmount, 'f', 2, 64) }

// units is the amount to pay in token base units.
func (o *order) units() string { return unitsOf(o.usdt(), specOf(o.chain).decimals) }

func unitsOf(amount string, decimals int) string {
	return decimal.RequireFromString(amount).Shift(int32(decimals)).String()
}

// newOrders makes n orders with random fiat amounts (CNY 7.00–700.00) on
// random chains, notifying notify.
func newOrders(rnd *rand.Rand, prefix string, n int, notify string) []*order {
	out := make([]*order, n)
	for i := range out {
		cents := 700 + rnd.IntN(69300)
		out[i] = &order{id: fmt.Sprintf("%s-%04d", prefix, i), chain: e2eChains[rnd.IntN(len(e2eChains))].name,
			amount: strconv.FormatFloat(float64(cents)/100, 'f', -1, 64), notify: notify}
	}
	return out
}

// fields are the signed create-transaction fields of o.
func (o *order) fields() map[string]string {
	return map[string]string{"order_id": o.id, "amount": o.amount, "notify_url": o.notify,
		"redirect_url": "http://shop.example/return", "trade_type": specOf(o.chain).tradeType}
}

// errRefused is a create the gateway answered with a non-success envelope.
type errRefused struct{ env envelope }

func (e *errRefused) Error() string {
	return fmt.Sprintf("refused: status_code %d, message %q", e.env.StatusCode, e.env.Message)
}

// tryCreate creates o once. An answer with an Epusdt envelope that is not
// a success (a 5xx included) is an *errRefused; no answer at all is a
// plain error.
func tryCreate(t testing.TB, sh *shop, o *order) error {
	env, err := sh.post(t, "/api/v1/order/create-transaction", o.fields())
	if err != nil && env.StatusCode == 0 {
		return err
	}
	if env.StatusCode != 200 || env.Message != "success" {
		return &errRefused{env}
	}
	var d orderData
	if err := json.Unmarshal(env.Data, &d); err != nil {
		return fmt.Errorf("decode order: %w", err)
	}
	if d.OrderID != o.id || d.Chain != o.chain || d.TradeID == "" || d.ActualAmount <= 0 || d.Token == "" {
		return &errRefused{env}
	}
	o.data = d
	return nil
}

// createAll creates every order with workers concurrent clients, retrying
// transport errors and 5xx (the gateway may be down) until ctx ends. The
// same order_id with the same parameters is idempotent, so a retry after a
// lost answer returns the order created the first time. Each created order
// is sent on out (when not nil) as soon as it exists.
func createAll(ctx context.Context, t testing.TB, sh *shop, orders []*order, workers int, out chan<- *order) error {
	jobs := make(chan *order)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range jobs {
				if err := createRetry(ctx, t, sh, o); err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					continue
				}
				if out != nil {
					out <- o
				}
			}
		}()
	}
	for _, o := range orders {
		select {
		case jobs <- o:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	return firstErr
}

// createRetry retries tryCreate until it succeeds, is refused, or ctx ends.
func createRetry(ctx context.Context, t testing.TB, sh *shop, o *order) error {
	for {
		err := tryCreate(t, sh, o)
		var ref *errRefused
		switch {
		case err == nil:
			return nil
		case errors.As(err, &ref) && ref.env.StatusCode != 500:
			return fmt.Errorf("create %s: %w", o.id, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create %s: gave up: %w (last error %v)", o.id, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// payer pays orders on devchain in random batches, one token per batch.
type payer struct {
	chain *devchainProc
	mu    sync.Mutex
	rnd   *rand.Rand
}

// payBatch pays os (all on one token) in one transaction and records it.
func (p *payer) payBatch(ctx context.Context, token string, os []*order) error {
	ps := make([]payment, len(os))
	for i, o := range os {
		ps[i] = payment{To: o.data.Token, Amount: o.usdt()}
	}
	var r txResult
	var err error
	for try := 0; try < 5; try++ {
		if r, err = p.chain.batch(ctx, token, ps); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("pay %d orders: %w", len(os), err)
	}
	for _, o := range os {
		o.paid = r
	}
	return nil
}

// payAll pays orders in random order and random batches of 1 to maxBatch,
// workers batches at a time.
func (p *payer) payAll(ctx context.Context, orders []*order, maxBatch, workers int) error {
	p.mu.Lock()
	shuffled := append([]*order(nil), orders...)
	p.rnd.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var batches [][]*order
	pending := map[string][]*order{}
	for _, o := range shuffled {
		tok := specOf(o.chain).token
		pending[tok] = append(pending[tok], o)
		if len(pending[tok]) >= 1+p.rnd.IntN(maxBatch) {
			batches, pending[tok] = append(batches, pending[tok]), nil
		}
	}
	for _, b := range pending {
		if len(b) > 0 {
			batches = append(batches, b)
		}
	}
	p.mu.Unlock()
	return parallel(ctx, workers, len(batches), func(i int) error {
		return p.payBatch(ctx, specOf(batches[i][0].chain).token, batches[i])
	})
}

// parallel runs fn(0…n-1) on workers goroutines and joins the errors.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	idx := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = errors.Join(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		idx <- i
	}
	close(idx)
	wg.Wait()
	if errs == nil {
		errs = ctx.Err()
	}
	return errs
}

// normTx compares transaction hashes across forms (TRON ids have no 0x).
func normTx(h string) string { return strings.TrimPrefix(strings.ToLower(h), "0x") }

// byTrade indexes orders by trade_id.
func byTrade(orders []*order) map[string]*order {
	m := make(map[string]*order, len(orders))
	for _, o := range orders {
		m[o.data.TradeID] = o
	}
	return m
}

// waitCallbacks waits until the merchant holds a verified callback for
// every order.
func waitCallbacks(t testing.TB, m *merchant, orders []*order, within time.Duration) {
	t.Helper()
	want := byTrade(orders)
	deadline := time.Now().Add(within)
	for {
		got := map[string]bool{}
		for _, cb := range m.callbacks() {
			got[cb.Fields["trade_id"]] = true
		}
		missing := 0
		for id := range want {
			if !got[id] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d of %d paid orders have no verified callback", within, missing, len(want))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkCallbacks asserts every order got callbacks that describe exactly
// its payment (at-least-once: repeats must carry the same event and data),
// that no callback concerns another trade, and that none failed
// verification. It returns how many duplicate deliveries there were.
func checkCallbacks(t testing.TB, m *merchant, orders []*order) int {
	t.Helper()
	want := byTrade(orders)
	if f := m.failures(); len(f) > 0 {
		t.Errorf("%d callbacks failed signature verification, first: %s", len(f), f[0])
	}
	seen := map[string]callback{}
	dups := 0
	for _, cb := range m.callbacks() {
		f := cb.Fields
		o := want[f["trade_id"]]
		if o == nil {
			t.Errorf("callback for unknown trade %q: %s", f["trade_id"], cb.Raw)
			continue
		}
		if prev, ok := seen[f["trade_id"]]; ok {
			dups++
			if prev.EventID != cb.EventID || string(prev.Raw) != string(cb.Raw) {
				t.Errorf("trade %s called back twice with different content:\n%s (%s)\n%s (%s)",
					f["trade_id"], prev.Raw, prev.EventID, cb.Raw, cb.EventID)
			}
			continue
		}
		seen[f["trade_id"]] = cb
		checkCallbackFields(t, o, f)
	}
	return dups
}

// checkCallbackFields compares one callback with its order and payment.
func checkCallbackFields(t testing.TB, o *order, f map[string]string) {
	t.Helper()
	wantFields := map[string]string{"order_id": o.id, "amount": o.amount, "status": "2", "token": o.data.Token,
		"actual_amount": strconv.FormatFloat(o.data.ActualAmount, 'f', -1, 64)}
	for k, v := range wantFields {
		if f[k] != v {
			t.Errorf("trade %s callback %s = %q, want %q", o.data.TradeID, k, f[k], v)
		}
	}
	if normTx(f["block_transaction_id"]) != normTx(o.paid.TxHash) {
		t.Errorf("trade %s callback block_transaction_id %q, paid with %s", o.data.TradeID, f["block_transaction_id"], o.paid.TxHash)
	}
}

// checkStatuses asserts check-status says want for every order.
func checkStatuses(t testing.TB, sh *shop, orders []*order, want int) {
	t.Helper()
	bad := 0
	for _, o := range orders {
		if got := sh.status(t, o.data.TradeID); got != want {
			if bad++; bad <= 5 {
				t.Errorf("check-status %s (%s) = %d, want %d", o.data.TradeID, o.chain, got, want)
			}
		}
	}
	if bad > 5 {
		t.Errorf("… %d orders in all have the wrong status", bad)
	}
}
