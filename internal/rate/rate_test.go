package rate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
)

// fakeProvider serves canned provider answers per path and records the
// queries it saw; it can be switched to failing.
type fakeProvider struct {
	mu      sync.Mutex
	body    map[string]string // fiat (as it appears in the query) → body
	status  int
	queries []string
}

func (f *fakeProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, r.URL.RawQuery)
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	for fiat, b := range f.body {
		if strings.Contains(r.URL.RawQuery, "="+fiat) || strings.Contains(r.URL.RawQuery, "-"+fiat) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(b))
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
}

func (f *fakeProvider) set(status int, body map[string]string) {
	f.mu.Lock()
	f.status, f.body = status, body
	f.mu.Unlock()
}

const okxBooksCNY = `{"code":0,"data":{"buy":[{"price":"7.01"}],"sell":[
 {"price":"7.15","availableAmount":"100"},{"price":"7.16"},{"price":"7.17"},{"price":"9.99"},{"price":"7.18"},{"price":"1.00"}]},
 "msg":"","requestId":"x"}`
const okxTickerUSD = `{"code":"0","msg":"","data":[{"instType":"SPOT","instId":"USDT-USD","last":"1.0003","askPx":"1.0004","ts":"1700000000000"}]}`
const geckoCNY = `{"tether":{"cny":7.12}}`
const geckoUSD = `{"tether":{"usd":0.999800000000000001}}`

func TestOKXFormats(t *testing.T) {
	f := &fakeProvider{body: map[string]string{"CNY": okxBooksCNY, "USD": okxTickerUSD}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	books := NewOKX(srv.Client(), srv.URL+"/v3/c2c/tradingOrders/books?quoteCurrency={fiat}&baseCurrency=usdt&side=sell")
	d, err := books.Fetch(context.Background(), "CNY")
	// Median of the best five sell offers 7.15 7.16 7.17 9.99 7.18 → 7.17.
	if err != nil || !d.Equal(decimal.RequireFromString("7.17")) {
		t.Fatalf("books: %s %v", d, err)
	}
	ticker := NewOKX(srv.Client(), srv.URL+"/api/v5/market/ticker?instId=USDT-{fiat}")
	d, err = ticker.Fetch(context.Background(), "USD")
	if err != nil || d.String() != "1.0003" {
		t.Fatalf("ticker: %s %v", d, err)
	}
	f.set(0, map[string]string{"CNY": `{"code":50011,"msg":"Too Many Requests","data":{}}`})
	if _, err := books.Fetch(context.Background(), "CNY"); err == nil || !strings.Contains(err.Error(), "Too Many") {
		t.Fatalf("error code: %v", err)
	}
	f.set(0, map[string]string{"CNY": `{"code":0,"data":{"sell":[]}}`})
	if _, err := books.Fetch(context.Background(), "CNY"); err == nil {
		t.Fatal("empty book accepted")
	}
	f.set(0, map[string]string{"CNY": `{"code":0,"data":{"sell":[{"price":"-1"}]}}`})
	if _, err := books.Fetch(context.Background(), "CNY"); err == nil {
		t.Fatal("negative price accepted")
	}
}

func TestCoinGeckoFormat(t *testing.T) {
	f := &fakeProvider{body: map[string]string{"cny": geckoCNY, "usd": geckoUSD}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	g := NewCoinGecko(srv.Client(), srv.URL+"/api/v3/simple/price?ids=tether&vs_currencies={fiat}")
	d, err := g.Fetch(context.Background(), "CNY")
	if err != nil || d.String() != "7.12" {
		t.Fatalf("cny: %s %v", d, err)
	}
	// The number is kept exactly, never through a float64.
	d, err = g.Fetch(context.Background(), "USD")
	if err != nil || d.String() != "0.999800000000000001" {
		t.Fatalf("usd: %s %v", d, err)
	}
	f.set(0, map[string]string{"cny": `{"tether":{}}`})
	if _, err := g.Fetch(context.Background(), "CNY"); err == nil {
		t.Fatal("missing price accepted")
	}
	f.set(http.StatusTooManyRequests, nil)
	if _, err := g.Fetch(context.Background(), "CNY"); err == nil || !strings.Contains(err.Error(), "429") {
		t.Fatalf("429: %v", err)
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestRefresher(t *testing.T, cfg config.Rates, c *clock) (*Refresher, *fakeProvider, *fakeProvider) {
	okx := &fakeProvider{body: map[string]string{"CNY": okxBooksCNY}}
	gecko := &fakeProvider{body: map[string]string{"cny": geckoCNY, "usd": `{"tether":{"usd":1.0001}}`}}
	so, sg := httptest.NewServer(okx), httptest.NewServer(gecko)
	t.Cleanup(so.Close)
	t.Cleanup(sg.Close)
	cfg.OKXURL = so.URL + "/v3/c2c/tradingOrders/books?quoteCurrency={fiat}&baseCurrency=usdt&side=sell"
	cfg.CoinGeckoURL = sg.URL + "/api/v3/simple/price?ids=tether&vs_currencies={fiat}"
	srcs, err := Sources(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return NewRefresher(cfg, "CNY", srcs, metrics.New(), c.now, zap.NewNop()), okx, gecko
}

func TestRefresherOrderFallbackAndStaleness(t *testing.T) {
	cfg := config.Default().Rates
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	r, okx, gecko := newTestRefresher(t, cfg, c)
	if _, _, err := r.Rate("CNY"); err == nil {
		t.Fatal("rate before any refresh")
	}
	r.runOnce(context.Background())
	d, at, err := r.Rate("CNY")
	if err != nil || d.String() != "7.17" || !at.Equal(c.now()) {
		t.Fatalf("first source wins: %s %v %v", d, at, err)
	}
	// OKX has no USD book in this fake: CoinGecko serves USD.
	if d, _, err := r.Rate("USD"); err != nil || d.String() != "1.0001" {
		t.Fatalf("USD from the second source: %s %v", d, err)
	}
	// OKX fails: CoinGecko takes over.
	okx.set(http.StatusInternalServerError, nil)
	c.add(time.Minute)
	r.runOnce(context.Background())
	if d, _, _ := r.Rate("CNY"); d.String() != "7.12" {
		t.Fatalf("fallback: %s", d)
	}
	// Both fail: the last good rate stays usable until rate_max_age…
	gecko.set(http.StatusBadGateway, nil)
	c.add(9 * time.Minute)
	r.runOnce(context.Background())
	if d, _, err := r.Rate("CNY"); err != nil || d.String() != "7.12" {
		t.Fatalf("within max age: %s %v", d, err)
	}
	// …and not after it: no made-up fallback.
	c.add(2 * time.Minute)
	r.runOnce(context.Background())
	if _, _, err := r.Rate("CNY"); err == nil || !strings.Contains(err.Error(), "old") {
		t.Fatalf("stale rate used: %v", err)
	}
	// A source recovering makes it usable again.
	gecko.set(0, map[string]string{"cny": geckoCNY})
	r.runOnce(context.Background())
	if _, _, err := r.Rate("CNY"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestRefresherAdjustAndForced(t *testing.T) {
	cfg := config.Default().Rates
	cfg.AdjustPercent = decimal.RequireFromString("1.5")
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	r, _, _ := newTestRefresher(t, cfg, c)
	r.runOnce(context.Background())
	if d, _, _ := r.Rate("CNY"); d.String() != "7.27755" { // 7.17 × 1.015
		t.Fatalf("adjusted: %s", d)
	}

	cfg.ForcedUSDTRate = decimal.RequireFromString("7.3")
	cfg.Sources = nil
	forced := NewRefresher(cfg, "CNY", nil, metrics.New(), c.now, zap.NewNop())
	forced.runOnce(context.Background())
	if d, _, err := forced.Rate("CNY"); err != nil || d.String() != "7.3" {
		t.Fatalf("forced: %s %v", d, err)
	}
	// The forced rate belongs to the default fiat only: USD is not invented.
	if _, _, err := forced.Rate("USD"); err == nil {
		t.Fatal("USD served from a CNY forced rate")
	}
}

func TestRunRefreshesImmediately(t *testing.T) {
	cfg := config.Default().Rates
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	r, okx, _ := newTestRefresher(t, cfg, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, _, err := r.Rate("CNY"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not refresh at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	okx.mu.Lock()
	defer okx.mu.Unlock()
	if len(okx.queries) == 0 || !strings.Contains(okx.queries[0], "quoteCurrency=CNY") {
		t.Fatalf("queries: %v", okx.queries)
	}
}
