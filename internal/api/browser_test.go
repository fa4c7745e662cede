package api

import (
	"context"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Chromium for a test, or skips loudly when it
// is not installed (fails under CI=true).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing: CI must run the browser tests", chromiumPath)
		}
		t.Skipf("NOTICE: %s not installed: cashier browser test SKIPPED", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(420, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true.
func waitFor(t *testing.T, ctx context.Context, what, js string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(timeout))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, js, err)
	}
}

// waitLocation waits until the tab has navigated to want (polled from Go,
// since a navigation ends any in-page wait).
func waitLocation(t *testing.T, ctx context.Context, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && loc == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("location %q (%v), want %q", loc, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type stubProgress struct{}

func (stubProgress) SettleProgress(string, uint64) (int, int, bool) { return 3, 19, true }

// TestCashierInBrowser drives the cashier page in headless Chromium: it
// shows the amount, the address and a QR code, copies, counts down, shows a
// seen payment confirming, follows the order to paid (redirect) and, for
// another order, to expired.
func TestCashierInBrowser(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	s := newServer(t, st, serverOpts{progress: stubProgress{}})
	w := s.addWallet(t, "tron", 1)
	ctx := newBrowser(t)

	p := createParams("b-1", 100)
	p["redirect_url"] = s.URL + "/?returned=1"
	order := decode[created](t, s.signed(t, "/api/v1/order/create-transaction", p))

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/checkout-counter/"+order.TradeID+"?lang=en"),
		chromedp.WaitVisible(chromedp.ID("amount"))); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `document.getElementById("amount").textContent`); got != "13.89" {
		t.Fatalf("amount %q", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("address").textContent`); got != w {
		t.Fatalf("address %q", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("network").textContent`); got != "USDT on TRON (TRC-20)" {
		t.Fatalf("network %q", got)
	}
	waitFor(t, ctx, "QR image decoded and visible",
		`(function(){var i=document.getElementById("qr");return i.complete&&i.naturalWidth>100&&i.getBoundingClientRect().width>100})()`,
		10*time.Second)

	checkCopy(t, ctx, s.URL, w)

	// The countdown runs.
	waitFor(t, ctx, "countdown text", `/^\d\d:\d\d$/.test(document.getElementById("countdown").textContent)`, 5*time.Second)
	first := eval[string](t, ctx, `document.getElementById("countdown").textContent`)
	waitFor(t, ctx, "countdown to change", `document.getElementById("countdown").textContent !== "`+first+`"`, 5*time.Second)
	if first > "10:00" || first < "09:00" {
		t.Fatalf("countdown starts at %s, want about 10:00", first)
	}

	// A detected (unsettled) transfer: "payment seen, confirming (3/19)".
	insertDetected(t, st, order)
	waitFor(t, ctx, "confirming state", `document.getElementById("state").textContent.indexOf("confirming (3/19)") >= 0`, 8*time.Second)

	// Paid in the database: the page redirects to redirect_url.
	setStatus(t, st, order.TradeID, store.OrderPaid)
	waitLocation(t, ctx, s.URL+"/?returned=1", 10*time.Second)

	// Another order, expired in the database: the page says so and hides the
	// payment details.
	second := decode[created](t, s.signed(t, "/api/v1/order/create-transaction", createParams("b-2", 50)))
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/checkout-counter/"+second.TradeID),
		chromedp.WaitVisible(chromedp.ID("amount"))); err != nil {
		t.Fatal(err)
	}
	setStatus(t, st, second.TradeID, store.OrderExpired)
	waitFor(t, ctx, "expired state", `document.getElementById("cashier").classList.contains("state-expired")`, 8*time.Second)
	if txt := eval[string](t, ctx, `document.getElementById("state").textContent`); !strings.Contains(txt, "expired") {
		t.Fatalf("state %q", txt)
	}
	if vis := eval[bool](t, ctx, `document.getElementById("address").getBoundingClientRect().height > 0`); vis {
		t.Fatal("address still visible on an expired order")
	}
	// Reloading an expired order shows the clear expired page.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/checkout-counter/"+second.TradeID+"?lang=zh"),
		chromedp.WaitVisible(chromedp.ID("notice-title"))); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `document.getElementById("notice-title").textContent`); got != "订单已过期" {
		t.Fatalf("expired page title %q", got)
	}
}

// checkCopy clicks the copy button of the address: the button says "Copied"
// and, where the browser lets the test read it, the clipboard holds the
// address.
func checkCopy(t *testing.T, ctx context.Context, origin, want string) {
	t.Helper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: origin,
		}); err != nil {
			t.Logf("grant %s: %v", name, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("copy-address"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "copied feedback", `document.getElementById("copy-address").textContent === "Copied"`, 5*time.Second)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Logf("clipboard not readable here (%v); the button's feedback was checked", err)
		return
	}
	if got != want {
		t.Fatalf("clipboard holds %q, want %q", got, want)
	}
}

func insertDetected(t *testing.T, st *store.Store, o created) {
	t.Helper()
	u, _ := new(big.Int).SetString(strings.ReplaceAll(o.ActualAmount.String(), ".", "")+"0000", 10)
	now := store.MS(time.Now())
	_, err := st.DB().Exec(`INSERT INTO transfers (chain, token_contract, tx_hash, log_index, block_number, block_hash,
 block_time, from_address, to_address, amount_units, decimals, state, match_status, note, created_at, updated_at)
 VALUES ('tron', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', '0xseen', 0, 100, '0xb', ?, 'payer', ?, ?, 6, 'detected', '', '', ?, ?)`,
		now, o.Token, u.String(), now, now)
	if err != nil {
		t.Fatal(err)
	}
}
