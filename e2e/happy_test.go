package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// TestHappyPath is scenario 1 on every database: on TRON (usdt6 as a
// TRC-20), Ethereum (usdt6) and BSC (usdt18) an order is created by a
// PHP-style client, paid on devchain with the exact amount, settled,
// called back with both signatures verified, reported as status 2, shown
// as paid by the cashier, and counted in /metrics.
func TestHappyPath(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) { runHappy(t, d) })
	}
}

func runHappy(t *testing.T, d store.Dialect) {
	chain := startChain(t, chainOpts{})
	g := newGateway(t, chain, gwOpts{Dialect: d})
	m := newMerchant(t, apiToken)
	cases := []struct{ chain, tradeType, token, amount string }{
		{"tron", "usdt.trc20", "usdt6", "70"},
		{"ethereum", "usdt.erc20", "usdt6", "42.5"},
		{"bsc", "usdt.bep20", "usdt18", "7.91"},
	}
	for _, c := range cases {
		g.addWallet(t, c.chain, g.wallet(c.chain, 0))
	}
	g.start(t)
	sh := g.shop()
	orders := map[string]orderData{}
	for i, c := range cases {
		o := sh.create(t, fmt.Sprintf("happy-%s-%d", c.chain, i), c.amount, m.url("/notify"), c.tradeType)
		if o.Chain != c.chain || o.Token != g.wallet(c.chain, 0) || o.TradeType != c.tradeType {
			t.Fatalf("%s: order %+v", c.chain, o)
		}
		fiat, _ := strconv.ParseFloat(c.amount, 64)
		if want := fiat / 7; o.ActualAmount < want-0.005 || o.ActualAmount > want+1.0 {
			t.Fatalf("%s: actual_amount %v for %s CNY at rate 7", c.chain, o.ActualAmount, c.amount)
		}
		if sh.status(t, o.TradeID) != store.OrderWaiting {
			t.Fatalf("%s: new order not waiting", c.chain)
		}
		orders[c.chain] = o
	}
	for _, c := range cases {
		o := orders[c.chain]
		chain.pay(t, c.token, o.Token, strconv.FormatFloat(o.ActualAmount, 'f', 2, 64))
	}
	waitFor(t, 60*time.Second, "three verified callbacks", func() bool { return len(m.callbacks()) >= 3 })
	if bad := m.failures(); len(bad) > 0 {
		t.Fatalf("callbacks failed verification: %v", bad)
	}
	byTrade := map[string]callback{}
	for _, cb := range m.callbacks() {
		byTrade[cb.Fields["trade_id"]] = cb
	}
	for i, c := range cases {
		o := orders[c.chain]
		cb, ok := byTrade[o.TradeID]
		if !ok {
			t.Fatalf("%s: no callback for %s", c.chain, o.TradeID)
		}
		f := cb.Fields
		want := map[string]string{"order_id": fmt.Sprintf("happy-%s-%d", c.chain, i), "amount": c.amount, "status": "2",
			"token": o.Token, "actual_amount": strconv.FormatFloat(o.ActualAmount, 'f', -1, 64)}
		for k, v := range want {
			if f[k] != v {
				t.Errorf("%s: callback %s = %q, want %q", c.chain, k, f[k], v)
			}
		}
		if len(f["block_transaction_id"]) < 64 || cb.EventID == "" {
			t.Errorf("%s: callback lacks tx hash or event id: %+v", c.chain, f)
		}
		if s := sh.status(t, o.TradeID); s != store.OrderPaid {
			t.Errorf("%s: check-status %d after the callback, want 2", c.chain, s)
		}
		body := get(t, g.base()+"/pay/checkout-counter/"+o.TradeID)
		if !strings.Contains(body, `data-kind="paid"`) {
			t.Errorf("%s: cashier does not show the order paid:\n%s", c.chain, tail(body, 800))
		}
	}
	checkMetrics(t, get(t, g.base()+"/metrics"))
	g.stop(t)
}

func get(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// checkMetrics asserts the order, transfer, callback and chain series after
// one payment on each of the three chains.
func checkMetrics(t *testing.T, text string) {
	t.Helper()
	value := func(series string) float64 {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+]+)$`)
		m := re.FindStringSubmatch(text)
		if m == nil {
			t.Errorf("metrics lack %s", series)
			return -1
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	for _, c := range []string{"tron", "ethereum", "bsc"} {
		if v := value(`epusdt_orders_created_total{chain="` + c + `"}`); v != 1 {
			t.Errorf("%s orders created = %v, want 1", c, v)
		}
		if v := value(`epusdt_orders_paid_total{chain="` + c + `"}`); v != 1 {
			t.Errorf("%s orders paid = %v, want 1", c, v)
		}
		if v := value(`epusdt_transfers_total{chain="` + c + `",result="matched"}`); v != 1 {
			t.Errorf("%s matched transfers = %v, want 1", c, v)
		}
		if v := value(`epusdt_chain_cursor_block{chain="` + c + `"}`); v < 1 {
			t.Errorf("%s cursor = %v", c, v)
		}
		if v := value(`epusdt_chain_lag_blocks{chain="` + c + `"}`); v < 0 || v > 50 {
			t.Errorf("%s lag = %v blocks", c, v)
		}
	}
	if v := value(`epusdt_callback_attempts_total{result="ok"}`); v < 3 {
		t.Errorf("callback ok attempts = %v, want ≥ 3", v)
	}
	if !strings.Contains(text, `epusdt_http_requests_total{code="200",route="POST /api/v1/order/create-transaction"}`) {
		t.Errorf("metrics lack the create-transaction request counter")
	}
}
