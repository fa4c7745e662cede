package notify

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func getJob(t *testing.T, s *store.Store, id int64) store.CallbackJob {
	t.Helper()
	j, err := s.GetCallbackJob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func getOrder(t *testing.T, s *store.Store, tradeID string) store.Order {
	t.Helper()
	o, err := s.GetOrder(context.Background(), tradeID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func deliveries(t *testing.T, s *store.Store, tradeID string) []store.CallbackDelivery {
	t.Helper()
	ds, err := Deliveries(context.Background(), s, tradeID)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// counter reads a counter's value.
func counter(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

func TestDeliverySignedAndLogged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newMerchant(t, nil)
		insertOrder(t, s, "T100", m.URL+"/notify?shop=1", "10.5", "1.450000", clk.Now())
		job := enqueue(t, s, "T100", store.CallbackKindPaid, 10, clk.Now())
		ws := &workerSetup{clock: clk}
		w := newTestWorker(t, s, ws)
		if n := w.runOnce(ctx); n != 1 {
			t.Fatalf("runOnce delivered %d, want 1", n)
		}
		got := m.received()
		if len(got) != 1 {
			t.Fatalf("merchant got %d callbacks", len(got))
		}
		r := got[0]
		if !r.PHPOK || r.GoErr != nil || r.EventID != job.EventID {
			t.Fatalf("php ok=%v, go verify=%v, event %q want %q", r.PHPOK, r.GoErr, r.EventID, job.EventID)
		}
		for _, want := range []string{`"trade_id":"T100"`, `"order_id":"shop-T100"`, `"amount":10.5,`,
			`"actual_amount":1.45,`, `"token":"TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"`, `"block_transaction_id":"0xabcT100"`, `"status":2}`} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("body %s lacks %s", r.Body, want)
			}
		}
		j := getJob(t, s, job.ID)
		if j.Status != store.CallbackDelivered || j.Attempts != 1 || j.DeliveredAt == nil || j.LeaseHolder != "" {
			t.Fatalf("job after delivery: %+v", j)
		}
		o := getOrder(t, s, "T100")
		if o.CallbackNum != 1 || o.CallbackConfirm != 1 {
			t.Fatalf("order callback_num=%d confirm=%d", o.CallbackNum, o.CallbackConfirm)
		}
		ds := deliveries(t, s, "T100")
		if len(ds) != 1 || ds[0].HTTPStatus != 200 || ds[0].ResponseBody != "ok" || ds[0].Error != "" ||
			ds[0].Attempt != 1 || ds[0].EventID != job.EventID || ds[0].URL != m.URL+"/notify?shop=1" || !ds[0].CreatedAt.Equal(clk.Now()) {
			t.Fatalf("delivery log %+v", ds)
		}
		if v := counter(ws.metrics.CallbackAttempts.WithLabelValues("ok")); v != 1 {
			t.Fatalf("ok attempts metric %v", v)
		}
		if n := w.runOnce(ctx); n != 0 {
			t.Fatalf("delivered job claimed again (%d)", n)
		}
	})
}

// TestRetriesOnSchedule walks one callback through every kind of failure
// the merchant can produce, on the backoff schedule of an injected clock.
func TestRetriesOnSchedule(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := newClock()
		var m *merchant
		m = newMerchant(t, func(n int, w http.ResponseWriter, r *http.Request) {
			switch n {
			case 1:
				io.WriteString(w, "fail")
			case 2:
				w.WriteHeader(500)
				io.WriteString(w, "boom "+strings.Repeat("x", 2000))
			case 3:
				http.Redirect(w, r, m.URL+"/moved", http.StatusFound)
			case 4:
				select { // slower than callback_timeout
				case <-time.After(3 * time.Second):
				case <-r.Context().Done():
				}
				io.WriteString(w, "ok")
			case 5:
				io.WriteString(w, "OK") // not exactly ok
			default:
				io.WriteString(w, " ok\n")
			}
		})
		insertOrder(t, s, "T200", m.URL+"/notify", "42", "5.83", clk.Now())
		job := enqueue(t, s, "T200", store.CallbackKindPaid, 10, clk.Now())
		ws := &workerSetup{clock: clk, callback: config.Callback{MaxRetry: 10, Timeout: 300 * time.Millisecond, LeaseTTL: time.Minute}}
		w := newTestWorker(t, s, ws)
		wantStatus := []int{200, 500, 302, 0, 200, 200}
		for attempt := 1; attempt <= 6; attempt++ {
			if n := w.runOnce(ctx); n != 1 {
				t.Fatalf("attempt %d: runOnce claimed %d", attempt, n)
			}
			j := getJob(t, s, job.ID)
			if attempt == 6 {
				if j.Status != store.CallbackDelivered {
					t.Fatalf("after %q: job %+v", " ok\n", j)
				}
				break
			}
			base := Schedule()[attempt-1]
			wait := j.NextAttemptAt.Sub(clk.Now())
			if j.Status != store.CallbackPending || j.Attempts != attempt || wait < base-base/10 || wait > base+base/10 {
				t.Fatalf("attempt %d: status %s attempts %d wait %s, want %s ±10%%", attempt, j.Status, j.Attempts, wait, base)
			}
			clk.Add(wait - time.Second)
			if n := w.runOnce(ctx); n != 0 {
				t.Fatalf("attempt %d: retried %s early", attempt, time.Second)
			}
			clk.Add(time.Second)
		}
		if m.redirectHops() != 0 {
			t.Fatal("redirect was followed")
		}
		ds := deliveries(t, s, "T200")
		if len(ds) != 6 {
			t.Fatalf("%d deliveries logged", len(ds))
		}
		for i, d := range ds {
			if d.Attempt != i+1 || d.HTTPStatus != wantStatus[i] || (i < 5) != (d.Error != "") {
				t.Errorf("delivery %d: %+v", i+1, d)
			}
		}
		if len(ds[1].ResponseBody) != 1024 || !strings.HasPrefix(ds[1].ResponseBody, "boom ") {
			t.Errorf("500 body logged as %d bytes", len(ds[1].ResponseBody))
		}
		if !strings.Contains(ds[2].Error, "redirect") || !strings.Contains(ds[3].Error, "timeout") {
			t.Errorf("errors: %q / %q", ds[2].Error, ds[3].Error)
		}
		for _, r := range m.received() {
			if r.EventID != job.EventID || !r.PHPOK || r.GoErr != nil {
				t.Fatalf("retry changed event id or signature: %+v", r)
			}
		}
		o := getOrder(t, s, "T200")
		if o.CallbackNum != 6 || o.CallbackConfirm != 1 {
			t.Fatalf("order callback_num=%d confirm=%d", o.CallbackNum, o.CallbackConfirm)
		}
		// The delay counts from the job's creation to the acknowledgement,
		// the retries' waits included.
		n, sum := histogram(ws.metrics.CallbackDelay)
		if want := clk.Now().Sub(job.CreatedAt).Seconds(); n != 1 || sum != want {
			t.Fatalf("callback delay: %d samples summing to %vs, want 1 of %vs", n, sum, want)
		}
	})
}

func histogram(h prometheus.Histogram) (uint64, float64) {
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		panic(err)
	}
	return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
}

func TestExhaustedThenResend(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := newClock()
		var healthy atomic.Bool
		m := newMerchant(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if healthy.Load() {
				io.WriteString(w, "ok")
				return
			}
			w.WriteHeader(http.StatusBadGateway)
		})
		insertOrder(t, s, "T300", m.URL, "8", "1.11", clk.Now())
		job := enqueue(t, s, "T300", store.CallbackKindPaid, 1, clk.Now()) // 2 attempts
		ws := &workerSetup{clock: clk}
		w := newTestWorker(t, s, ws)
		w.runOnce(ctx)
		clk.Add(time.Minute)
		w.runOnce(ctx)
		j := getJob(t, s, job.ID)
		if j.Status != store.CallbackFailed || j.Attempts != 2 || j.LastError != "HTTP 502" {
			t.Fatalf("exhausted job %+v", j)
		}
		if v := counter(ws.metrics.CallbackFailed); v != 1 {
			t.Fatalf("failed metric %v", v)
		}
		if f := <-ws.failed; f.EventID != job.EventID {
			t.Fatalf("alert for %+v", f)
		}
		clk.Add(48 * time.Hour)
		if n := w.runOnce(ctx); n != 0 {
			t.Fatal("failed job retried on its own")
		}
		failed, err := ListFailed(ctx, s, 0)
		if err != nil || len(failed) != 1 || failed[0].TradeID != "T300" {
			t.Fatalf("ListFailed %+v %v", failed, err)
		}
		o := getOrder(t, s, "T300")
		if o.CallbackNum != 2 || o.CallbackConfirm != 2 {
			t.Fatalf("order callback_num=%d confirm=%d", o.CallbackNum, o.CallbackConfirm)
		}

		healthy.Store(true)
		for round, wantNum := range []int{3, 4} { // resend the failed, then the delivered callback
			rj, err := Resend(ctx, s, "T300", clk.Now())
			if err != nil || rj.Status != store.CallbackPending || rj.EventID != job.EventID {
				t.Fatalf("round %d: resend %+v %v", round, rj, err)
			}
			if n := w.runOnce(ctx); n != 1 {
				t.Fatalf("round %d: resent job not claimed", round)
			}
			if j := getJob(t, s, job.ID); j.Status != store.CallbackDelivered || j.Attempts != wantNum {
				t.Fatalf("round %d: job %+v", round, j)
			}
			if o := getOrder(t, s, "T300"); o.CallbackNum != wantNum || o.CallbackConfirm != 1 {
				t.Fatalf("round %d: order callback_num=%d confirm=%d", round, o.CallbackNum, o.CallbackConfirm)
			}
		}
		for _, r := range m.received() {
			if r.EventID != job.EventID {
				t.Fatal("resend changed the event id")
			}
		}
		if failed, _ := ListFailed(ctx, s, 0); len(failed) != 0 {
			t.Fatalf("still failed: %+v", failed)
		}
		if _, err := Resend(ctx, s, "nope", clk.Now()); err == nil {
			t.Fatal("resend of an unknown trade succeeded")
		}
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newMerchant(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", "120")
			} else {
				w.Header().Set("Retry-After", clk.Now().Add(3*time.Hour).Format(http.TimeFormat))
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		insertOrder(t, s, "T400", m.URL, "8", "1.11", clk.Now())
		job := enqueue(t, s, "T400", store.CallbackKindPaid, 10, clk.Now())
		w := newTestWorker(t, s, &workerSetup{clock: clk})
		w.runOnce(ctx)
		if wait := getJob(t, s, job.ID).NextAttemptAt.Sub(clk.Now()); wait != 120*time.Second {
			t.Fatalf("Retry-After 120: next attempt in %s", wait)
		}
		clk.Add(120 * time.Second)
		w.runOnce(ctx)
		if wait := getJob(t, s, job.ID).NextAttemptAt.Sub(clk.Now()); wait != 3*time.Hour {
			t.Fatalf("Retry-After date +3h: next attempt in %s", wait)
		}
	})
}

func TestExpiredCallbacks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newMerchant(t, nil)
		insertOrder(t, s, "T500", m.URL, "8", "1.11", clk.Now())
		// An expired order has no tx hash.
		if _, err := s.DB().ExecContext(ctx, s.Dialect().Rebind("UPDATE orders SET block_transaction_id = '', status = 3 WHERE trade_id = ?"), "T500"); err != nil {
			t.Fatal(err)
		}
		off := enqueue(t, s, "T500", store.CallbackKindExpired, 10, clk.Now())
		w := newTestWorker(t, s, &workerSetup{clock: clk})
		w.runOnce(ctx)
		if j := getJob(t, s, off.ID); j.Status != store.CallbackFailed || !strings.Contains(j.LastError, "notify_expired") || len(m.received()) != 0 {
			t.Fatalf("expired callback with notify_expired off: %+v, merchant got %d", j, len(m.received()))
		}
		insertOrder(t, s, "T501", m.URL, "8", "1.11", clk.Now())
		on := enqueue(t, s, "T501", store.CallbackKindExpired, 10, clk.Now())
		ws := &workerSetup{clock: clk, callback: config.Callback{MaxRetry: 10, Timeout: time.Second, NotifyExpire: true}}
		newTestWorker(t, s, ws).runOnce(ctx)
		got := m.received()
		if len(got) != 1 || got[0].Fields["status"] != float64(3) || !got[0].PHPOK || got[0].GoErr != nil {
			t.Fatalf("expired callback: %+v", got)
		}
		if j := getJob(t, s, on.ID); j.Status != store.CallbackDelivered {
			t.Fatalf("job %+v", j)
		}
	})
}
