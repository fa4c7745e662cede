package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	cdp "github.com/chromedp/chromedp"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/notify"
	"github.com/epusdt/epusdt/internal/store"
)

// notifyResender is the app's CallbackActions: notify.Resend.
type notifyResender struct{ st *store.Store }

func (n notifyResender) Resend(ctx context.Context, tradeID string) error {
	_, err := notify.Resend(ctx, n.st, tradeID, time.Now())
	return err
}

type merchant struct {
	mu sync.Mutex
	n  int
}

func (m *merchant) calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// startMerchantAndWorker points the order at a fake shop that answers "ok"
// and runs a real notify worker for the test.
func startMerchantAndWorker(t *testing.T, e *env) *merchant {
	m := &merchant{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.n++
		m.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	if _, err := e.st.DB().ExecContext(ctx, e.st.Dialect().Rebind("UPDATE orders SET notify_url = ?"), srv.URL+"/notify"); err != nil {
		t.Fatal(err)
	}
	w := notify.NewWorker(notify.Options{Store: e.st, Token: e.cfg.APIAuthToken, Metrics: metrics.New(), Instance: "test",
		Callback: config.Callback{Timeout: 5 * time.Second, LeaseTTL: 30 * time.Second}, PollInterval: 50 * time.Millisecond})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(wctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

const chromium = "/usr/bin/chromium"

// browserCtx starts headless Chromium for one test.
func browserCtx(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing: CI must run the browser test", chromium)
		}
		t.Skipf("NOTICE: %s not installed: browser test SKIPPED", chromium)
	}
	opts := []cdp.ExecAllocatorOption{cdp.ExecPath(chromium), cdp.Headless, cdp.NoSandbox, cdp.DisableGPU,
		cdp.NoFirstRun, cdp.NoDefaultBrowserCheck, cdp.UserDataDir(t.TempDir()),
		cdp.Flag("disable-background-networking", true), cdp.Flag("disable-component-update", true),
		cdp.Flag("disable-sync", true), cdp.WindowSize(1280, 900)}
	actx, cancelAlloc := cdp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := cdp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := cdp.Do(ctx, cdp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

type page struct {
	t   *testing.T
	ctx context.Context
}

// do runs steps, each step bounded so a missing element fails the test
// instead of hanging it.
func (p page) do(step string, as ...cdp.Action[cdp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := cdp.Do(ctx, as...); err != nil {
		p.t.Fatalf("%s: %v", step, err)
	}
}

func get[T any](p page, a cdp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := cdp.Run(ctx, a)
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

func css(s string) cdp.CSS { return cdp.CSS(s) }

// loading runs click and waits for the page it loads, so that the next
// wait cannot match an element of the page before (the unfiltered order
// list shows the order a search is about to find).
func loading(click cdp.Action[cdp.Void]) cdp.Action[cdp.Void] {
	return cdp.Func(func(ctx context.Context, t *cdp.Target) error {
		_, err := cdp.WaitEvent(cdppage.LoadEventFired, nil, click)(ctx, t)
		return err
	})
}

func countOf(p page, sel string) int {
	return get(p, cdp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
}

// TestBrowserConsole drives the console in headless Chromium: log in, see
// the dashboard, find a paid order, open it, resend its callback and see
// the new attempt, add and disable a wallet, then read those actions in
// the audit log; and the dashboard in Chinese on a phone-sized screen.
func TestBrowserConsole(t *testing.T) {
	p := page{t: t, ctx: browserCtx(t)}
	e := newEnv(t, nil, func(d *Deps) { d.Callbacks = notifyResender{st: d.Store} })
	o := e.order("TBROWSER01", walletB, "25000000", store.OrderPaid)
	merchant := startMerchantAndWorker(t, e)
	u := e.srv.URL

	p.do("login", cdp.Navigate(u+"/admin/"), cdp.WaitVisible(css("#login-form")),
		cdp.SendKeys(css("#username"), testUser), cdp.SendKeys(css("#password"), testPassword),
		cdp.Click(css("#login-submit")), cdp.WaitVisible(css("#dashboard-title")))
	if paid := get(p, cdp.Text(css("#orders-paid"))); strings.TrimSpace(paid) != "1" {
		t.Fatalf("dashboard paid orders %q", paid)
	}
	link := `#orders-table a[href="/admin/orders/TBROWSER01"]`
	p.do("find order", cdp.Navigate(u+"/admin/orders"), cdp.WaitVisible(css("#order-search")),
		cdp.SendKeys(css("#order-search"), o.BlockTransactionID), loading(cdp.Click(css("#order-search-submit"))),
		cdp.WaitVisible(css(link)), cdp.Click(css(link)), cdp.WaitVisible(css("#order-trade-id")))
	if st, n := get(p, cdp.Text(css("#order-status"))), countOf(p, "#deliveries tr.delivery"); st != "paid" || n != 1 {
		t.Fatalf("detail: status %q, %d attempts", st, n)
	}
	if href := get(p, cdp.AttributeValue(css("#explorer-link"), "href")); !strings.HasPrefix(href.Value, "https://tronscan.org/#/transaction/") {
		t.Fatalf("explorer link %q", href.Value)
	}
	p.do("resend", cdp.Click(css("#resend-callback")), cdp.WaitVisible(css("#flash")))
	// The notify worker delivers the resent callback to the merchant;
	// reloading the detail page shows the new attempt.
	for i := 0; countOf(p, "#deliveries tr.delivery") < 2; i++ {
		if i == 100 {
			t.Fatalf("the resent callback's attempt never appeared (merchant got %d)", merchant.calls())
		}
		p.do("reload", cdp.Sleep(200*time.Millisecond), cdp.Navigate(u+"/admin/orders/TBROWSER01"), cdp.WaitVisible(css("#deliveries")))
	}
	if merchant.calls() != 1 || !strings.Contains(get(p, cdp.Text(css("#deliveries"))), "ok") {
		t.Fatalf("merchant got %d callbacks", merchant.calls())
	}
	row := `#wallets-table tr[data-address="` + walletA + `"]`
	p.do("add wallet", cdp.Navigate(u+"/admin/wallets"), cdp.WaitVisible(css("#wallet-add")),
		cdp.SetValue(css("#wallet-chain"), "tron"), cdp.SendKeys(css("#wallet-address"), walletA),
		cdp.SendKeys(css("#wallet-label"), "browser"), cdp.Click(css("#wallet-add-submit")), cdp.WaitVisible(css(row)))
	p.do("disable wallet", cdp.Click(css(row+` button[data-action="disable"]`)),
		cdp.WaitVisible(css(row+` [data-status="disabled"]`)))
	p.do("audit", cdp.Navigate(u+"/admin/audit"), cdp.WaitVisible(css("#audit-table")))
	audit := get(p, cdp.Text(css("#audit-table")))
	for _, want := range []string{"auth.login", "order.resend_callback", "wallet.add", "wallet.disable", "TBROWSER01", walletA} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q:\n%s", want, audit)
		}
	}
	p.do("phone", cdp.EmulateViewport(375, 740), cdp.Navigate(u+"/admin/?lang=zh"), cdp.WaitVisible(css("#dashboard-title")))
	title := get(p, cdp.Text(css("#dashboard-title")))
	wide := get(p, cdp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if title != "仪表盘" || wide {
		t.Fatalf("phone/zh: title %q, page wider than the screen: %v", title, wide)
	}
	if w, err := e.st.GetWallet(context.Background(), "tron", walletA, false); err != nil || w.Status != store.WalletDisabled {
		t.Fatalf("wallet in db: %+v %v", w, err)
	}
}
