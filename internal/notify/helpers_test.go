package notify

import (
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

	"go.uber.org/zap/zaptest"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
)

const testToken = "epusdt_password_xasddawqe"

// clock is an injectable time source tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// insertOrder stores a paid order directly (payment owns the real path).
func insertOrder(t testing.TB, s *store.Store, tradeID, notifyURL, amount, actual string, now time.Time) {
	t.Helper()
	q := `INSERT INTO orders (trade_id, order_id, active_order_id, chain, trade_type, token_contract, decimals, fiat,
 amount, rate, actual_amount, amount_units, token, status, notify_url, redirect_url, block_transaction_id, paid_at,
 created_at, expires_at, updated_at) VALUES (?, ?, ?, 'tron', 'usdt.trc20', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 6,
 'CNY', ?, '7.2', ?, '1450000', 'TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf', 2, ?, '', ?, ?, ?, ?, ?)`
	ms := store.MS(now)
	_, err := s.DB().ExecContext(context.Background(), s.Dialect().Rebind(q), tradeID, "shop-"+tradeID, "shop-"+tradeID,
		amount, actual, notifyURL, "0xabc"+tradeID, ms, ms, ms+600000, ms)
	if err != nil {
		t.Fatalf("insert order %s: %v", tradeID, err)
	}
}

// enqueue adds a callback job for tradeID due at now and returns it.
func enqueue(t testing.TB, s *store.Store, tradeID, kind string, maxRetry int, now time.Time) store.CallbackJob {
	t.Helper()
	cfg := config.Default()
	cfg.Callback.MaxRetry = maxRetry
	j := NewJob(&cfg, tradeID, kind, now)
	id, err := s.EnqueueCallback(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCallbackJob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

type workerSetup struct {
	clock    *clock
	metrics  *metrics.Metrics
	failed   chan store.CallbackJob
	callback config.Callback
}

func newTestWorker(t testing.TB, s *store.Store, ws *workerSetup) *Worker {
	if ws.metrics == nil {
		ws.metrics = metrics.New()
	}
	if ws.callback.Timeout == 0 {
		ws.callback = config.Callback{MaxRetry: 10, Timeout: 2 * time.Second, LeaseTTL: 30 * time.Second}
	}
	ws.failed = make(chan store.CallbackJob, 100)
	now := time.Now
	if ws.clock != nil {
		now = ws.clock.Now
	}
	return NewWorker(Options{Store: s, Token: testToken, Callback: ws.callback, Concurrency: 4,
		Metrics: ws.metrics, Log: zaptest.NewLogger(t), Now: now, Instance: "test",
		PollInterval: 20 * time.Millisecond, OnFailed: func(j store.CallbackJob) { ws.failed <- j }})
}

// received is one callback as the fake merchant saw it.
type received struct {
	Body    []byte
	Fields  map[string]any
	EventID string
	At      time.Time
	PHPOK   bool  // the MD5 signature checked the way PHP plugins do
	GoErr   error // notify.Verify on the HMAC header
}

// merchant is a fake shop: it verifies both signatures of every callback
// and answers according to reply.
type merchant struct {
	*httptest.Server
	t     testing.TB
	mu    sync.Mutex
	got   []received
	reply func(n int, w http.ResponseWriter, r *http.Request) // n = 1-based request number
	hops  int                                                 // requests to /moved (redirect target)
}

func newMerchant(t testing.TB, reply func(n int, w http.ResponseWriter, r *http.Request)) *merchant {
	m := &merchant{t: t, reply: reply}
	m.Server = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.Close)
	return m
}

func (m *merchant) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/moved" {
		m.mu.Lock()
		m.hops++
		m.mu.Unlock()
		io.WriteString(w, "ok")
		return
	}
	body, _ := io.ReadAll(r.Body)
	rec := received{Body: body, EventID: r.Header.Get(HeaderEventID), At: time.Now(), PHPOK: phpVerify(body, testToken)}
	_ = json.Unmarshal(body, &rec.Fields)
	// The gateway's clock is injected and may be far from the wall clock:
	// the tolerance check is covered by TestVerifyHMAC.
	_, rec.GoErr = Verify(r.Header, body, testToken, time.Now(), 0)
	m.mu.Lock()
	m.got = append(m.got, rec)
	n := len(m.got)
	m.mu.Unlock()
	if m.reply == nil {
		io.WriteString(w, "ok")
		return
	}
	m.reply(n, w, r)
}

func (m *merchant) redirectHops() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hops
}

func (m *merchant) received() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

// phpVerify checks the signature field as a PHP plugin does: json_decode,
// ksort, skip ”, "k=v" joined by &, md5($str . $token). PHP turns floats
// into text with precision 14, so that is what this uses.
func phpVerify(body []byte, token string) bool {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if k == "signature" {
			continue
		}
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case float64:
			v = strconv.FormatFloat(x, 'G', 14, 64)
		}
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	sum := md5.Sum([]byte(strings.Join(parts, "&") + token))
	sig, _ := m["signature"].(string)
	return sig != "" && sig == hex.EncodeToString(sum[:])
}
