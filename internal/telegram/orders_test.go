package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/notify"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// setNotifyURL points an order's callback at url.
func setNotifyURL(t *testing.T, st *store.Store, trade, url string) {
	t.Helper()
	q := st.Dialect().Rebind("UPDATE orders SET notify_url = ? WHERE trade_id = ?")
	if _, err := st.DB().ExecContext(context.Background(), q, url, trade); err != nil {
		t.Fatal(err)
	}
}

// TestCallbackFailureToldAndResendDelivers runs the real callback worker
// against a shop that fails the first callback: the managers are told the
// callback failed for good, the Resend button makes it due again, and the
// worker's new attempt is delivered and logged.
func TestCallbackFailureToldAndResendDelivers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		ctx := context.Background()
		var hits atomic.Int32
		shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hits.Add(1) == 1 {
				http.Error(w, "database down", http.StatusInternalServerError)
				return
			}
			_, _ = w.Write([]byte("ok"))
		}))
		defer shop.Close()

		h := newHarness(t, st, nil, nil)
		h.start()
		h.ready()
		paidOrder(t, st, h.cfg, "T7001", tronAddr(11), false, 0) // one attempt only
		setNotifyURL(t, st, "T7001", shop.URL+"/cb")
		worker := notify.NewWorker(notify.Options{Store: st, Token: "merchant-token",
			Callback:    config.Callback{MaxRetry: 0, Timeout: 5 * time.Second, LeaseTTL: 10 * time.Second},
			Concurrency: 1, Metrics: metrics.New(), Log: zap.NewNop(), Instance: "w", PollInterval: 20 * time.Millisecond})
		wctx, stopWorker := context.WithCancel(ctx)
		defer stopWorker()
		go func() { _ = worker.Run(wctx) }()

		alert := h.waitText(annID, 0, "Callback failed for good", "Trade: T7001", "Merchant order: shop-T7001",
			"Attempts: 1", "HTTP 500", shop.URL+"/cb", "/resend T7001")
		n := len(h.tg.Sent())
		press(t, h, ann(), alert, "rs:T7001")
		h.waitText(annID, n, "due again", "Order T7001")

		deadline := time.Now().Add(waitLong)
		var ds []store.CallbackDelivery
		for time.Now().Before(deadline) {
			ds, _ = st.ListCallbackDeliveries(ctx, "T7001")
			if len(ds) == 2 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(ds) != 2 || ds[1].Attempt != 2 || ds[1].HTTPStatus != http.StatusOK {
			t.Fatalf("deliveries after resend = %+v, want a second, successful attempt", ds)
		}
		jobs, _ := st.CallbackJobsForTrade(ctx, "T7001")
		if len(jobs) != 1 || jobs[0].Status != store.CallbackDelivered {
			t.Errorf("job after resend = %+v", jobs)
		}
		a, err := st.ListAudit(ctx, store.AuditFilter{Action: "telegram.callback.resend"})
		if err != nil || len(a) != 1 || a[0].Actor != "1001" || a[0].Target != "T7001" || a[0].Detail != "ok" {
			t.Errorf("resend audit = %+v, %v", a, err)
		}
		// /order shows the delivered callback.
		n = len(h.tg.Sent())
		h.tg.PushText(ann(), "/order T7001")
		h.waitText(annID, n, "Order T7001", "Callback paid: delivered", "attempts 2 of 2")
	})
}

// fakeResender records resends.
type fakeResender struct {
	mu     sync.Mutex
	trades []string
	err    error
}

func (f *fakeResender) Resend(_ context.Context, tradeID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trades = append(f.trades, tradeID)
	return f.err
}

func (f *fakeResender) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeResender) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.trades...)
}

func TestOrderAndResendCommands(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	res := &fakeResender{}
	h := newHarness(t, st, nil, func(_ *config.Config, d *Deps) { d.Resender = res })
	h.start()
	paidOrder(t, st, h.cfg, "T8001", tronAddr(12), true, 3)

	h.tg.PushText(ann(), "/order")
	h.waitText(annID, 0, "Usage: /order")
	n := len(h.tg.Sent())
	h.tg.PushText(ann(), "/order shop-T8001") // by the merchant's order_id
	m := h.waitText(annID, n, "Order T8001", "Status: paid", "late, after expiry", "100.5 CNY = 13.96 USDT (rate 7.2)",
		"Tx: 0xfeedT8001", "Callback paid: pending")
	if _, ok := m.Button("rs:T8001"); !ok {
		t.Errorf("order view has no resend button")
	}
	n = len(h.tg.Sent())
	h.tg.PushText(ann(), "/order nope")
	h.waitText(annID, n, "No order nope")

	n = len(h.tg.Sent())
	h.tg.PushText(ann(), "/resend T8001")
	h.waitText(annID, n, "T8001 is due again")
	n = len(h.tg.Sent())
	h.tg.PushText(ann(), "/resend T9999")
	h.waitText(annID, n, "No order T9999")
	res.fail(errors.New("order has no callback to resend"))
	n = len(h.tg.Sent())
	h.tg.PushText(ann(), "/resend T8001")
	h.waitText(annID, n, "Resend of T8001 failed: order has no callback")
	if got := res.calls(); len(got) != 2 {
		t.Errorf("resender called for %v, want T8001 twice (unknown orders are refused first)", got)
	}
	a, _ := st.ListAudit(ctx, store.AuditFilter{Action: "telegram.callback.resend"})
	if len(a) != 3 || a[0].Detail == "ok" || a[2].Detail != "ok" {
		t.Errorf("resend audits = %+v", a)
	}
	v, _ := st.ListAudit(ctx, store.AuditFilter{Action: "telegram.order.view"})
	if len(v) != 2 || v[1].Target != "shop-T8001" {
		t.Errorf("order view audits = %+v", v)
	}
}
