package api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/payment"
	"github.com/epusdt/epusdt/internal/rate"
	"github.com/epusdt/epusdt/internal/store"
)

const testToken = "epusdt_password_xasddawqe"

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testServer is the API mounted on a real HTTP server over a real store.
type testServer struct {
	*httptest.Server
	st    *store.Store
	pay   *payment.Service
	clock *testClock
	cfg   *config.Config
}

type serverOpts struct {
	tweak    func(*config.Config)
	rates    payment.RateSource
	replay   ReplayGuard
	urlCheck URLCheck
	progress payment.Progress
	token    func() string
	clock    *testClock
}

func newServer(t testing.TB, st *store.Store, o serverOpts) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.APIAuthToken = testToken
	cfg.AppURI = "https://pay.example.com/"
	cfg.BSC.Enabled = true
	if o.tweak != nil {
		o.tweak(&cfg)
	}
	if o.clock == nil {
		o.clock = &testClock{t: time.Now().UTC()}
	}
	if o.rates == nil {
		// The real refresher with a forced CNY rate; USD has no source.
		cfg.Rates.ForcedUSDTRate = decimal.RequireFromString("7.2")
		o.rates = rate.NewRefresher(cfg.Rates, "CNY", nil, metrics.New(), o.clock.Now, zap.NewNop())
	}
	pay, err := payment.New(payment.Deps{Store: st, Config: &cfg, Rates: o.rates, Metrics: metrics.New(), Now: o.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Deps{Config: &cfg, Payment: pay, Progress: o.progress, Replay: o.replay, URLCheck: o.urlCheck,
		Token: o.token, Now: o.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, rt := range append(a.Routes(), a.GreetingRoute()) {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	h := httpx.Chain(mux, httpx.RequestIDs(), httpx.BodyLimit(cfg.HTTPBodyLimit))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, st: st, pay: pay, clock: o.clock, cfg: &cfg}
}

func (s *testServer) addWallet(t testing.TB, chain string, n byte) string {
	t.Helper()
	var b [20]byte
	b[0], b[19] = 0x77, n
	w := address.FromBytes(chain, b)
	if _, err := s.st.AddWallet(context.Background(), chain, w, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	return w
}

// phpSign signs like the PHP plugins do: ksort, skip ”, "k=v" joined with
// &, md5(str . token). Values are PHP scalars (string, int, float).
func phpSign(params map[string]any, token string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if k == "signature" {
			continue
		}
		var s string
		switch v := params[k].(type) {
		case string:
			s = v
		case int:
			s = strconv.Itoa(v)
		case float64: // PHP prints floats with up to 14 significant digits
			s = strconv.FormatFloat(v, 'G', 14, 64)
		}
		if s == "" {
			continue
		}
		parts = append(parts, k+"="+s)
	}
	sum := md5.Sum([]byte(strings.Join(parts, "&") + token))
	return hex.EncodeToString(sum[:])
}

type envelope struct {
	StatusCode int             `json:"status_code"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data"`
	RequestID  string          `json:"request_id"`
	HTTP       int             `json:"-"`
}

// post sends a raw body and decodes the envelope.
func (s *testServer) post(t testing.TB, path string, body []byte) envelope {
	t.Helper()
	resp, err := http.Post(s.URL+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e envelope
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("%s: not an envelope (HTTP %d): %s", path, resp.StatusCode, raw)
	}
	e.HTTP = resp.StatusCode
	return e
}

// signed signs params PHP-style, JSON-encodes them and posts them.
func (s *testServer) signed(t testing.TB, path string, params map[string]any) envelope {
	t.Helper()
	params["signature"] = phpSign(params, testToken)
	body, _ := json.Marshal(params)
	return s.post(t, path, body)
}

func (s *testServer) get(t testing.TB, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func createParams(orderID string, amount any) map[string]any {
	return map[string]any{"order_id": orderID, "amount": amount, "notify_url": "http://shop.example.com/notify",
		"redirect_url": "http://shop.example.com/return"}
}

type created struct {
	TradeID        string      `json:"trade_id"`
	OrderID        string      `json:"order_id"`
	Amount         json.Number `json:"amount"`
	ActualAmount   json.Number `json:"actual_amount"`
	Token          string      `json:"token"`
	ExpirationTime int64       `json:"expiration_time"`
	PaymentURL     string      `json:"payment_url"`
	TradeType      string      `json:"trade_type"`
	Chain          string      `json:"chain"`
	Status         int         `json:"status"`
}

func decode[T any](t testing.TB, e envelope) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatalf("data %s: %v", e.Data, err)
	}
	return v
}

func mustOK(t testing.TB, e envelope) {
	t.Helper()
	if e.HTTP != 200 || e.StatusCode != 200 || e.Message != "success" {
		t.Fatalf("want success, got HTTP %d %d %q %s", e.HTTP, e.StatusCode, e.Message, e.Data)
	}
}

func setStatus(t testing.TB, st *store.Store, tradeID string, status int) {
	t.Helper()
	if _, err := st.DB().Exec(st.Dialect().Rebind("UPDATE orders SET status = ? WHERE trade_id = ?"), status, tradeID); err != nil {
		t.Fatal(err)
	}
}
