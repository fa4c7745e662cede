package admin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
)

func TestPagesRenderAndForms(t *testing.T) {
	e := newEnv(t, nil)
	c := e.browser()
	csrf := e.browserLogin(c)
	e.order("TUI0000001", walletA, "10000000", store.OrderPaid)
	e.order("TUI0000002", walletB, "20000000", store.OrderWaiting)
	get := func(path string) (int, string, http.Header) {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		r := e.send(c, req)
		return r.HTTP, string(r.Data), r.Header
	}
	for path, want := range map[string]string{"/admin/": "dashboard-title", "/admin/orders?status=paid": "TUI0000001",
		"/admin/orders/TUI0000001": "timeline", "/admin/wallets": "wallet-add", "/admin/transfers?match=attention": "transfers-table",
		"/admin/callbacks?status=delivered": "TUI0000001", "/admin/audit?action=auth.login": "auth.login", "/admin/settings": "rotate-token",
		"/admin/orders.csv": "trade_id,order_id", "/admin/static/admin.css": "--accent", "/admin/?lang=zh": "仪表盘"} {
		status, body, h := get(path)
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %q in body", path, status, want)
		}
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") && !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("%s: CSP %q", path, h.Get("Content-Security-Policy"))
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "https://cdn") {
			t.Errorf("%s: inline script or CDN", path)
		}
	}
	post := func(path string, form url.Values) (int, string) {
		form.Set("csrf_token", csrf)
		req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r := e.send(c, req)
		return r.HTTP, r.Header.Get("Location") + string(r.Data)
	}
	if s, loc := post("/admin/orders/TUI0000002/cancel", url.Values{}); s != 303 || !strings.Contains(loc, "ok=Order+canceled") {
		t.Fatalf("cancel form: %d %s", s, loc)
	}
	if s, loc := post("/admin/orders/TUI0000001/mark-paid", url.Values{"tx_hash": {"zz"}}); s != 303 || !strings.Contains(loc, "err=") {
		t.Fatalf("refused mark-paid form: %d %s", s, loc)
	}
	if s, body := post("/admin/settings/rotate-token", url.Values{}); s != 200 || !strings.Contains(body, `id="new-token"`) {
		t.Fatalf("rotate form: %d", s)
	}
	if s, body := post("/admin/account/totp/setup", url.Values{}); s != 200 || !strings.Contains(body, "otpauth://") {
		t.Fatalf("totp setup form: %d", s)
	}
	// An expired access cookie is renewed with the refresh cookie.
	e.clock.advance(20 * time.Minute)
	if status, body, _ := get("/admin/wallets"); status != 200 || !strings.Contains(body, "wallet-add") {
		t.Fatalf("after access expiry: %d", status)
	}
	if s, loc := post("/admin/logout", url.Values{}); s != 303 || !strings.HasPrefix(loc, "/admin/login") {
		t.Fatalf("logout: %d %s", s, loc)
	}
	if status, _, h := get("/admin/orders"); status != 303 || !strings.HasPrefix(h.Get("Location"), "/admin/login?next=") {
		t.Fatalf("after logout: %d %s", status, h.Get("Location"))
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/admin/orders?x=1": "/admin/orders?x=1", "//evil.com": "/admin/", "https://evil.com": "/admin/",
		"/adminx\\evil": "/admin/", "": "/admin/"} {
		if got := safeNext(in); got != want {
			t.Errorf("%q → %q", in, got)
		}
	}
}
