package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/epusdt/epusdt/internal/audit"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

const (
	testUser     = "alice"
	testPassword = "correct-horse-battery"
	tronUSDT     = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
	walletA      = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"
	walletB      = "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeOrders pays and cancels orders with the store, as the payment
// service adapter does.
type fakeOrders struct {
	st  *store.Store
	now func() time.Time
}

func (f *fakeOrders) Cancel(ctx context.Context, tradeID string) error {
	o, err := f.st.GetOrder(ctx, tradeID)
	if err != nil {
		return err
	}
	return f.st.ExpireOrder(ctx, o.ID, true, f.now(), f.now())
}

func (f *fakeOrders) MarkPaid(ctx context.Context, tradeID string, t store.Transfer) error {
	now := f.now()
	return f.st.InTx(ctx, func(tx *store.Tx) error {
		o, err := tx.GetOrder(ctx, tradeID)
		if err != nil {
			return err
		}
		if t.ID == 0 {
			if _, err := tx.InsertScannedTransfer(ctx, &t, now); err != nil {
				return err
			}
		}
		if err := tx.MarkOrderPaid(ctx, o.ID, t.TxHash, t.BlockTime, false, now); err != nil {
			return err
		}
		if err := tx.SetTransferMatch(ctx, t.ID, store.MatchPaid, tradeID, "marked paid by admin", now); err != nil {
			return err
		}
		_, err = tx.EnqueueCallback(ctx, store.CallbackJob{EventID: "evt_" + randomHex(8), TradeID: tradeID, Kind: store.CallbackKindPaid,
			Priority: 10, MaxAttempts: 3, NextAttemptAt: now, CreatedAt: now})
		return err
	})
}

// fakeVerifier answers transactions from a table.
type fakeVerifier struct {
	mu  sync.Mutex
	txs map[string][]store.Transfer
}

func (f *fakeVerifier) Verify(_ context.Context, chain, tx string) ([]store.Transfer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ts, ok := f.txs[chain+":"+tx]
	if !ok {
		return nil, ErrTxNotFound
	}
	return ts, nil
}

func (f *fakeVerifier) add(t store.Transfer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txs[t.Chain+":"+t.TxHash] = append(f.txs[t.Chain+":"+t.TxHash], t)
}

// fakeCallbacks resends like notify.Resend and, as a worker would, logs an
// acknowledged attempt at once.
type fakeCallbacks struct {
	st  *store.Store
	now func() time.Time
}

func (f *fakeCallbacks) Resend(ctx context.Context, tradeID string) error {
	jobs, err := f.st.CallbackJobsForTrade(ctx, tradeID)
	if err != nil || len(jobs) == 0 {
		return store.ErrNotFound
	}
	j := jobs[len(jobs)-1]
	if err := f.st.ResendCallbackJob(ctx, j.ID, f.now()); err != nil {
		return err
	}
	n := len(mustDeliveries(ctx, f.st, tradeID))
	return insertDelivery(ctx, f.st, j, n+1, 200, "ok", "", f.now())
}

func mustDeliveries(ctx context.Context, st *store.Store, tradeID string) []store.CallbackDelivery {
	ds, _ := st.ListCallbackDeliveries(ctx, tradeID)
	return ds
}

func insertDelivery(ctx context.Context, st *store.Store, j store.CallbackJob, attempt, status int, body, errText string, at time.Time) error {
	q := st.Dialect().Rebind(`INSERT INTO callback_deliveries (job_id, event_id, trade_id, attempt, url, http_status, duration_ms,
 response_body, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	_, err := st.DB().ExecContext(ctx, q, j.ID, j.EventID, j.TradeID, attempt, "http://shop.test/notify", status, 12, body, errText, store.MS(at))
	return err
}

type env struct {
	t        *testing.T
	st       *store.Store
	cfg      *config.Config
	a        *Admin
	srv      *httptest.Server
	clock    *clock
	verifier *fakeVerifier
	tokens   *Tokens
}

type envOpt func(*Deps)

func newEnv(t *testing.T, st *store.Store, opts ...envOpt) *env {
	t.Helper()
	if st == nil {
		st = storetest.Open(t, store.SQLite)
	}
	cfg := config.Default()
	cfg.AdminJWTSecret = "test-jwt-secret-0123456789abcdef"
	cfg.APIAuthToken = "configured-api-token-123456"
	cfg.AppURI = "http://127.0.0.1"
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	e := &env{t: t, st: st, cfg: &cfg, clock: c, verifier: &fakeVerifier{txs: map[string][]store.Transfer{}}}
	if _, err := ensureInitialAdmin(context.Background(), st, testUser, testPassword, c.now(), bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	e.tokens = NewTokens(st, cfg.APIAuthToken, c.now)
	d := Deps{Config: &cfg, Store: st, Now: c.now, Verifier: e.verifier, Tokens: e.tokens,
		Audit:     audit.New(audit.Options{Store: st, Enabled: true, Now: c.now, Secrets: []string{cfg.APIAuthToken, cfg.AdminJWTSecret}}),
		Orders:    &fakeOrders{st: st, now: c.now},
		Callbacks: &fakeCallbacks{st: st, now: c.now},
		Limiter:   NewMemoryLimiter(1000, time.Minute, c.now), bcryptCost: bcrypt.MinCost}
	for _, o := range opts {
		o(&d)
	}
	a, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	e.a = a
	mux := http.NewServeMux()
	for _, rt := range a.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	e.srv = httptest.NewServer(httpx.Chain(mux, httpx.RequestIDs(), httpx.BodyLimit(64<<10)))
	t.Cleanup(e.srv.Close)
	return e
}

type reply struct {
	HTTP    int
	Code    int             `json:"status_code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Header  http.Header
}

func (r reply) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// call makes an API request with an optional bearer token and JSON body.
func (e *env) call(method, path, token string, body any, hdr ...string) reply {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return e.send(http.DefaultClient, req)
}

func (e *env) send(c *http.Client, req *http.Request) reply {
	e.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{HTTP: resp.StatusCode, Header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r); err != nil {
			e.t.Fatalf("%s %s: body %s: %v", req.Method, req.URL.Path, raw, err)
		}
	} else {
		r.Data = raw
	}
	return r
}

func (e *env) login(user, pw string) TokenPair {
	e.t.Helper()
	r := e.call("POST", "/admin/api/v1/auth/login", "", LoginRequest{Username: user, Password: pw})
	if r.HTTP != 200 || r.Code != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.HTTP, r.Message)
	}
	var p TokenPair
	r.into(e.t, &p)
	return p
}

func expect(t *testing.T, r reply, status int, msgPart string) {
	t.Helper()
	if r.HTTP != status || (msgPart != "" && !strings.Contains(r.Message, msgPart)) {
		t.Fatalf("want HTTP %d with %q, got %d %q (%s)", status, msgPart, r.HTTP, r.Message, r.Data)
	}
}

// browser is a cookie-keeping client that does not follow redirects.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) order(tradeID, wallet, units string, status int) store.Order {
	e.t.Helper()
	ctx := context.Background()
	now := e.clock.now()
	o := store.Order{TradeID: tradeID, OrderID: "shop-" + tradeID, Chain: "tron", TradeType: "usdt.trc20", TokenContract: tronUSDT,
		Decimals: 6, Fiat: "CNY", Amount: "72", Rate: "7.2", ActualAmount: unitsAmount(bigUnits(units), 6), AmountUnits: units,
		Token: wallet, NotifyURL: "http://shop.test/notify", CreatedAt: now.Add(-time.Minute), ExpiresAt: now.Add(10 * time.Minute)}
	if ok, err := e.st.InsertOrder(ctx, o); !ok || err != nil {
		e.t.Fatal(ok, err)
	}
	got, _ := e.st.GetOrder(ctx, tradeID)
	if status == store.OrderPaid {
		tx := strings.Repeat("ab", 31) + tradeID[len(tradeID)-2:]
		if err := e.st.MarkOrderPaid(ctx, got.ID, tx, now, false, now); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.st.EnqueueCallback(ctx, store.CallbackJob{EventID: "evt_" + tradeID, TradeID: tradeID, Kind: "paid",
			Status: store.CallbackDelivered, MaxAttempts: 1, NextAttemptAt: now, CreatedAt: now}); err != nil {
			e.t.Fatal(err)
		}
		jobs, _ := e.st.CallbackJobsForTrade(ctx, tradeID)
		if _, err := e.st.DB().ExecContext(ctx, e.st.Dialect().Rebind("UPDATE callback_jobs SET attempts = 1 WHERE id = ?"), jobs[0].ID); err != nil {
			e.t.Fatal(err)
		}
		if err := insertDelivery(ctx, e.st, jobs[0], 1, 200, "ok", "", now); err != nil {
			e.t.Fatal(err)
		}
		got, _ = e.st.GetOrder(ctx, tradeID)
	}
	return got
}

func bigUnits(s string) *big.Int {
	b, _ := new(big.Int).SetString(s, 10)
	return b
}

// chainTransfer is a settled transfer of the tron USDT as a verifier
// returns it.
func (e *env) chainTransfer(tx string, li uint, to, units string) store.Transfer {
	return store.Transfer{Chain: "tron", TokenContract: tronUSDT, TxHash: tx, LogIndex: li, BlockNumber: 100, BlockHash: "bh",
		BlockTime: e.clock.now(), From: walletB, To: to, AmountUnits: bigUnits(units), Decimals: 6, State: store.TransferSettled}
}

func (e *env) auditActions(t *testing.T) []string {
	t.Helper()
	es, err := e.st.ListAudit(context.Background(), store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range es {
		out = append(out, x.Action)
	}
	return out
}

func newEmptyStore(t *testing.T) *store.Store {
	return storetest.Open(t, store.SQLite)
}
