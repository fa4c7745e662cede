package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestCreateLikePHPClient(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, serverOpts{})
		w := s.addWallet(t, "tron", 1)
		cases := []struct {
			amount     any
			wantAmount string
			wantUSDT   string
		}{
			{100, "100", "13.89"},
			{42.5, "42.5", "5.9"},
			{7.91, "7.91", "1.1"},
		}
		for i, c := range cases {
			p := createParams(fmt.Sprint("php-", i), c.amount)
			e := s.signed(t, "/api/v1/order/create-transaction", p)
			mustOK(t, e)
			d := decode[created](t, e)
			now := s.clock.Now()
			if d.Amount.String() != c.wantAmount || d.ActualAmount.String() != c.wantUSDT || d.Token != w ||
				d.OrderID != p["order_id"] || d.TradeType != "usdt.trc20" || d.Chain != "tron" ||
				d.PaymentURL != "https://pay.example.com/pay/checkout-counter/"+d.TradeID ||
				d.ExpirationTime != now.Add(10*time.Minute).Unix() || len(d.TradeID) > 32 {
				t.Fatalf("case %d: %+v", i, d)
			}
			if !strings.Contains(string(e.Data), `"actual_amount":`+c.wantUSDT+`,`) {
				t.Fatalf("actual_amount is not a JSON number: %s", e.Data)
			}
		}
		// Unknown extra fields are signed and accepted; BEP-20 is 18 decimals.
		s.addWallet(t, "bsc", 1)
		p := createParams("php-bsc", 100)
		p["trade_type"], p["custom"], p["fiat"] = "usdt.bep20", "x", "CNY"
		e := s.signed(t, "/api/v1/order/create-transaction", p)
		mustOK(t, e)
		if d := decode[created](t, e); d.Chain != "bsc" || d.ActualAmount.String() != "13.89" {
			t.Fatalf("bsc: %+v", d)
		}
	})
}

func TestRequestIDEcho(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.Open(t, store.SQLite), serverOpts{})
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/pay/check-status/nope", nil)
	req.Header.Set("X-Request-ID", "abc-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e envelope
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if e.RequestID != "abc-123" || e.StatusCode != codeNotFound || e.Message != "订单不存在" || string(e.Data) != "null" {
		t.Fatalf("%+v", e)
	}
}

type replayFunc func(ts, nonce string) error

func (f replayFunc) CheckReplay(_ context.Context, ts, nonce string) error { return f(ts, nonce) }

// TestEveryErrorCode reaches each Epusdt code over HTTP.
func TestEveryErrorCode(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	var sawTS, sawNonce string
	s := newServer(t, st, serverOpts{
		tweak: func(c *config.Config) { c.Orders.AmountMaxTries = 1; c.HTTPBodyLimit = 4096 },
		replay: replayFunc(func(ts, nonce string) error {
			sawTS, sawNonce = ts, nonce
			if nonce == "used" {
				return errors.New("nonce already used")
			}
			return nil
		}),
		urlCheck: func(_ context.Context, u string) error {
			if strings.Contains(u, "10.0.0.1") {
				return errors.New("resolves to a private address")
			}
			return nil
		},
	})
	s.addWallet(t, "tron", 1)
	create := "/api/v1/order/create-transaction"
	first := s.signed(t, create, createParams("e-1", 72))
	mustOK(t, first)
	paid := s.signed(t, create, createParams("e-paid", 144))
	mustOK(t, paid)
	paidID := decode[created](t, paid).TradeID
	setStatus(t, st, paidID, store.OrderPaid)

	sign := func(p map[string]any) map[string]any { p["signature"] = phpSign(p, testToken); return p }
	raw := func(p map[string]any) []byte { b, _ := json.Marshal(p); return b }
	withField := func(k string, v any) map[string]any { p := createParams("e-x", 10); p[k] = v; return p }
	badSig := createParams("e-2", 10)
	badSig["signature"] = strings.Repeat("0", 32)
	boolField := sign(createParams("e-3", 10))
	boolField["flag"] = true // added after signing: it cannot be signed anyway
	cases := []struct {
		name     string
		path     string
		body     []byte
		code     int
		http     int
		contains string
	}{
		{"missing order_id", create, raw(sign(withField("order_id", ""))), 400, 200, "order_id"},
		{"bad notify_url", create, raw(sign(withField("notify_url", "ftp://x"))), 400, 200, "notify_url"},
		{"private notify_url", create, raw(sign(withField("notify_url", "http://10.0.0.1/n"))), 400, 200, "notify_url: resolves"},
		{"unknown trade_type", create, raw(sign(withField("trade_type", "usdt.doge"))), 400, 200, "usdt.doge"},
		{"missing amount", create, raw(sign(withField("amount", nil))), 400, 200, "amount"},
		{"bad signature", create, raw(badSig), 401, 200, "签名认证错误"},
		{"missing signature", create, raw(createParams("e-4", 10)), 401, 200, "signature"},
		{"bool value", create, raw(boolField), 401, 200, "boolean"},
		{"array value", create, raw(sign(withField("x", []any{1}))), 401, 200, "array"},
		{"object value", create, raw(sign(withField("x", map[string]any{}))), 401, 200, "object"},
		{"replayed nonce", create, raw(sign(withField("nonce", "used"))), 401, 200, "nonce already used"},
		{"order_id exists", create, raw(sign(createParams("e-1", 73))), 10002, 200, "支付交易已存在"},
		{"paid order_id", create, raw(sign(createParams("e-paid", 144))), 10002, 200, ""},
		{"no wallet", create, raw(sign(withField("trade_type", "usdt.erc20"))), 10003, 200, "无可用钱包地址"},
		{"amount too small", create, raw(sign(withField("amount", 0.001))), 10004, 200, "最小支付单位"},
		{"no slot", create, raw(sign(createParams("e-5", 72))), 10005, 200, "无可用金额通道"},
		{"no rate", create, raw(sign(withField("fiat", "USD"))), 10006, 200, "汇率计算错误"},
		{"unknown trade", "/api/v1/order/query-transaction", raw(sign(map[string]any{"trade_id": "nope"})), 10008, 200, "订单不存在"},
		{"not json", create, []byte("order_id=1&amount=2"), 10009, 200, "not JSON"},
		{"json array", create, []byte(`[1,2]`), 10009, 200, "object"},
		{"trailing data", create, []byte(`{"a":"1"} {"b":2}`), 10009, 200, "extra"},
		{"amount as string", create, raw(sign(withField("amount", "10"))), 10009, 200, "amount must be a JSON number"},
		{"order_id as number", create, raw(sign(withField("order_id", 12345))), 10009, 200, "order_id must be a JSON string"},
		{"timeout fraction", create, raw(sign(withField("timeout", 1.5))), 400, 200, "timeout"},
		{"too large", create, []byte(`{"order_id":"` + strings.Repeat("x", 5000) + `"}`), 413, 413, "too large"},
		{"cancel paid", "/api/v1/order/cancel-transaction", raw(sign(map[string]any{"trade_id": paidID})), 400, 200, "paid"},
		{"cancel without id", "/api/v1/order/cancel-transaction", raw(sign(map[string]any{"x": "1"})), 400, 200, "trade_id"},
	}
	// 10006 needs a fiat with no rate: USD has no source in this server.
	for _, c := range cases {
		e := s.post(t, c.path, c.body)
		if e.StatusCode != c.code || e.HTTP != c.http || !strings.Contains(e.Message, c.contains) || string(e.Data) != "null" {
			t.Errorf("%s: got HTTP %d code %d %q data %s; want HTTP %d code %d containing %q",
				c.name, e.HTTP, e.StatusCode, e.Message, e.Data, c.http, c.code, c.contains)
		}
	}
	// The replay guard saw the signed timestamp and nonce as text.
	p := sign(withField("timestamp", 1700000000))
	p["nonce"] = "n1"
	p = sign(p)
	s.post(t, create, raw(p))
	if sawTS != "1700000000" || sawNonce != "n1" {
		t.Fatalf("replay guard got %q %q", sawTS, sawNonce)
	}
}

func TestQueryCancelAndStatus(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newServer(t, st, serverOpts{})
		s.addWallet(t, "tron", 1)
		e := s.signed(t, "/api/v1/order/create-transaction", createParams("q-1", 100))
		mustOK(t, e)
		c := decode[created](t, e)
		// Idempotent repeat.
		again := s.signed(t, "/api/v1/order/create-transaction", createParams("q-1", 100))
		mustOK(t, again)
		if decode[created](t, again).TradeID != c.TradeID {
			t.Fatal("repeat created a new trade")
		}
		for _, q := range []map[string]any{{"trade_id": c.TradeID}, {"order_id": "q-1"}} {
			e := s.signed(t, "/api/v1/order/query-transaction", q)
			mustOK(t, e)
			if d := decode[created](t, e); d.TradeID != c.TradeID || d.Status != 1 {
				t.Fatalf("query %v: %+v", q, d)
			}
		}
		_, body := s.get(t, "/pay/check-status/"+c.TradeID, nil)
		if !strings.Contains(body, `"status":1`) || !strings.Contains(body, `"seen":false`) ||
			!strings.Contains(body, `"trade_id":"`+c.TradeID+`"`) {
			t.Fatalf("check-status: %s", body)
		}
		e = s.signed(t, "/api/v1/order/cancel-transaction", map[string]any{"trade_id": c.TradeID})
		mustOK(t, e)
		if !strings.Contains(string(e.Data), `"status":3`) || !strings.Contains(string(e.Data), `"canceled":true`) {
			t.Fatalf("cancel: %s", e.Data)
		}
		if _, body := s.get(t, "/pay/check-status/"+c.TradeID, nil); !strings.Contains(body, `"status":3`) {
			t.Fatalf("after cancel: %s", body)
		}
		setStatus(t, st, c.TradeID, store.OrderPaid)
		if _, body := s.get(t, "/pay/check-status/"+c.TradeID, nil); !strings.Contains(body, `"status":2`) {
			t.Fatalf("paid: %s", body)
		}
	})
}

func TestGreeting(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.Open(t, store.SQLite), serverOpts{})
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequest(m, s.URL+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("%s /: %d", m, resp.StatusCode)
		}
	}
}

func TestRotatedToken(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	current := testToken
	s := newServer(t, storetest.Open(t, store.SQLite), serverOpts{token: func() string {
		mu.Lock()
		defer mu.Unlock()
		return current
	}})
	s.addWallet(t, "tron", 1)
	mustOK(t, s.signed(t, "/api/v1/order/create-transaction", createParams("r-1", 10)))
	mu.Lock()
	current = "rotated-token"
	mu.Unlock()
	if e := s.signed(t, "/api/v1/order/create-transaction", createParams("r-2", 10)); e.StatusCode != codeSignature {
		t.Fatalf("old token accepted after rotation: %d", e.StatusCode)
	}
	p := createParams("r-3", 10)
	p["signature"] = phpSign(p, "rotated-token")
	body, _ := json.Marshal(p)
	mustOK(t, s.post(t, "/api/v1/order/create-transaction", body))
}
