package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestCashierPageHTML(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	s := newServer(t, st, serverOpts{})
	w := s.addWallet(t, "tron", 1)
	e := s.signed(t, "/api/v1/order/create-transaction", createParams("h-1", 100))
	mustOK(t, e)
	c := decode[created](t, e)

	resp, body := s.get(t, "/pay/checkout-counter/"+c.TradeID, map[string]string{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("status %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	for _, want := range []string{`lang="zh"`, "13.89", w, "data:image/png;base64,", "TRON 链 USDT (TRC-20)",
		`data-status-url="/pay/check-status/` + c.TradeID, "/static/cashier/cashier.js?v=", "approve", `href="?lang=en"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "style=") || strings.Contains(body, "ethereum:") {
		t.Error("inline script/style or an EVM link on a TRON page")
	}
	_, en := s.get(t, "/pay/checkout-counter/"+c.TradeID+"?lang=en", map[string]string{"Accept-Language": "zh-CN"})
	if !strings.Contains(en, "USDT on TRON (TRC-20)") || !strings.Contains(en, `lang="en"`) {
		t.Error("?lang=en not honoured")
	}

	// EVM: an EIP-681 link with the token, chain id, wallet and base units.
	bw := s.addWallet(t, "bsc", 2)
	p := createParams("h-2", 100)
	p["trade_type"] = "usdt.bep20"
	b := decode[created](t, s.signed(t, "/api/v1/order/create-transaction", p))
	_, evm := s.get(t, "/pay/checkout-counter/"+b.TradeID, nil)
	link := "ethereum:0x55d398326f99059fF775485246999027B3197955@56/transfer?address=" + bw + "&amp;uint256=13890000000000000000"
	if !strings.Contains(evm, link) || !strings.Contains(evm, "BNB Smart Chain (BEP-20)") {
		t.Errorf("EVM page lacks %s", link)
	}

	// Unknown, paid and expired orders get a clear page.
	resp, body = s.get(t, "/pay/checkout-counter/nope", nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Order not found") {
		t.Errorf("unknown: %d", resp.StatusCode)
	}
	setStatus(t, st, b.TradeID, store.OrderPaid)
	if _, body = s.get(t, "/pay/checkout-counter/"+b.TradeID, nil); !strings.Contains(body, "Order paid") ||
		!strings.Contains(body, "http://shop.example.com/return") {
		t.Error("paid page")
	}
	s.clock.Add(11 * time.Minute)
	if _, body = s.get(t, "/pay/checkout-counter/"+c.TradeID, nil); !strings.Contains(body, "Order expired") ||
		strings.Contains(body, w) {
		t.Error("expired page must not show the address")
	}
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	s := newServer(t, storetest.Open(t, store.SQLite), serverOpts{})
	resp, body := s.get(t, "/static/cashier/cashier.js", nil)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || !strings.Contains(body, "statusUrl") {
		t.Fatalf("js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := s.get(t, "/static/cashier/cashier.css", nil); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("css: %d", resp.StatusCode)
	}
	for _, p := range []string{"/static/", "/static/cashier/", "/static/nope.js"} {
		if resp, _ := s.get(t, p, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

func TestPickLang(t *testing.T) {
	cases := map[string]string{"": "en", "zh-CN,zh;q=0.9": "zh", "en-US,zh;q=0.5": "en", "fr,zh-TW;q=0.8,en;q=0.7": "zh",
		"de": "en", "en;q=0.2,zh;q=0.9": "zh", "zh;q=0": "en"}
	for h, want := range cases {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Language", h)
		if got := pickLang(r); got != want {
			t.Errorf("%q: %s, want %s", h, got, want)
		}
	}
}
