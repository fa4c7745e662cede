package e2e

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	cdp "github.com/chromedp/chromedp"
)

// loading runs click and waits for the page it loads, so that the next
// wait cannot match an element of the page before.
func loading(click cdp.Action[cdp.Void]) cdp.Action[cdp.Void] {
	return cdp.Func(func(ctx context.Context, t *cdp.Target) error {
		_, err := cdp.WaitEvent(page.LoadEventFired, nil, click)(ctx, t)
		return err
	})
}

// chromium starts headless Chromium for one test (required in CI).
func chromium(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("EPUSDT_TEST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing: CI must run the browser tests", path)
		}
		t.Skipf("NOTICE: %s not installed: browser test SKIPPED", path)
	}
	opts := []cdp.ExecAllocatorOption{cdp.ExecPath(path), cdp.Headless, cdp.NoSandbox, cdp.DisableGPU,
		cdp.NoFirstRun, cdp.NoDefaultBrowserCheck, cdp.UserDataDir(t.TempDir()),
		cdp.Flag("disable-background-networking", true), cdp.Flag("disable-component-update", true),
		cdp.Flag("disable-sync", true), cdp.WindowSize(1280, 900)}
	actx, cancelAlloc := cdp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := cdp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := cdp.Do(ctx, cdp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// browse runs chromedp actions, each step bounded.
func browse(t *testing.T, ctx context.Context, step string, as ...cdp.Action[cdp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := cdp.Do(ctx, as...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// read runs one chromedp action that yields a value.
func read[T any](t *testing.T, ctx context.Context, a cdp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := cdp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func sel(s string) cdp.CSS { return cdp.CSS(s) }

// TestConsoleInBrowser: an order paid on devchain is found in the admin
// console of the real gateway, its callback resent and the new attempt
// seen, a wallet added and disabled, and all of it read back in the audit
// log — in headless Chromium.
func TestConsoleInBrowser(t *testing.T) {
	ctx := chromium(t)
	chain := startChain(t, chainOpts{})
	g := newGateway(t, chain, gwOpts{})
	m := newMerchant(t, apiToken)
	g.addWallet(t, "tron", g.wallet("tron", 0))
	g.start(t)
	o := g.shop().create(t, "browser-1", "49", m.url("/notify"), "usdt.trc20")
	tx := chain.pay(t, "usdt6", o.Token, strconv.FormatFloat(o.ActualAmount, 'f', 2, 64))
	waitFor(t, 60*time.Second, "the callback", func() bool { return len(m.callbacks()) == 1 })

	u := g.base()
	browse(t, ctx, "login", cdp.Navigate(u+"/admin/"), cdp.WaitVisible(sel("#login-form")),
		cdp.SendKeys(sel("#username"), adminUser), cdp.SendKeys(sel("#password"), adminPassword),
		cdp.Click(sel("#login-submit")), cdp.WaitVisible(sel("#dashboard-title")))
	text := read(t, ctx, cdp.Text(sel("#orders-paid")))
	if strings.TrimSpace(text) != "1" {
		t.Fatalf("dashboard shows %q paid orders, want 1", text)
	}
	link := `#orders-table a[href="/admin/orders/` + o.TradeID + `"]`
	browse(t, ctx, "find the order by tx hash", cdp.Navigate(u+"/admin/orders"), cdp.WaitVisible(sel("#order-search")),
		cdp.SendKeys(sel("#order-search"), tx.TxHash), loading(cdp.Click(sel("#order-search-submit"))),
		cdp.WaitVisible(sel(link)), cdp.Click(sel(link)), cdp.WaitVisible(sel("#order-trade-id")))
	text = read(t, ctx, cdp.Text(sel("#order-status")))
	if text != "paid" {
		t.Fatalf("order detail status %q", text)
	}
	attempts := func() int {
		return read(t, ctx, cdp.Evaluate[int](`document.querySelectorAll("#deliveries tr.delivery").length`))
	}
	if n := attempts(); n != 1 {
		t.Fatalf("detail shows %d delivery attempts, want 1", n)
	}
	browse(t, ctx, "resend", cdp.Click(sel("#resend-callback")), cdp.WaitVisible(sel("#flash")))
	waitFor(t, 30*time.Second, "the resent callback at the shop", func() bool { return len(m.callbacks()) == 2 })
	for i := 0; attempts() < 2; i++ {
		if i == 50 {
			t.Fatal("the resent attempt never appeared on the order page")
		}
		browse(t, ctx, "reload", cdp.Sleep(200*time.Millisecond), cdp.Navigate(u+"/admin/orders/"+o.TradeID),
			cdp.WaitVisible(sel("#deliveries")))
	}
	extra := g.wallet("tron", 5)
	row := `#wallets-table tr[data-address="` + extra + `"]`
	browse(t, ctx, "add a wallet", cdp.Navigate(u+"/admin/wallets"), cdp.WaitVisible(sel("#wallet-add")),
		cdp.SetValue(sel("#wallet-chain"), "tron"), cdp.SendKeys(sel("#wallet-address"), extra),
		cdp.SendKeys(sel("#wallet-label"), "from the browser"), cdp.Click(sel("#wallet-add-submit")),
		cdp.WaitVisible(sel(row)))
	browse(t, ctx, "disable it", cdp.Click(sel(row+` button[data-action="disable"]`)),
		cdp.WaitVisible(sel(row+` [data-status="disabled"]`)))
	browse(t, ctx, "audit log", cdp.Navigate(u+"/admin/audit"), cdp.WaitVisible(sel("#audit-table")))
	text = read(t, ctx, cdp.Text(sel("#audit-table")))
	for _, want := range []string{"auth.login", "order.resend_callback", "wallet.add", "wallet.disable", o.TradeID, extra} {
		if !strings.Contains(text, want) {
			t.Errorf("audit log lacks %q:\n%s", want, text)
		}
	}
	g.stop(t)
}
