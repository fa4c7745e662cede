package payment

import (
	"context"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
)

// testClock is a settable clock shared by a test and the service.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixedRate is a RateSource with one rate for every fiat, or an error.
type fixedRate struct {
	rate decimal.Decimal
	err  error
}

func (f fixedRate) Rate(string) (decimal.Decimal, time.Time, error) {
	return f.rate, time.Now(), f.err
}

// wallet returns a deterministic valid address of chain number n.
func wallet(chain string, n byte) string {
	var b [20]byte
	b[0], b[19] = 0x5a, n
	return address.FromBytes(chain, b)
}

type env struct {
	svc   *Service
	st    *store.Store
	clock *testClock
	cfg   *config.Config
	m     *metrics.Metrics
	wakes *atomic.Int64 // calls of Deps.Wake
}

// newEnv builds a Service over st with rate 7.2 and the given config tweaks.
func newEnv(t *testing.T, st *store.Store, tweak func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.BSC.Enabled = true
	if tweak != nil {
		tweak(&cfg)
	}
	c := newClock()
	m := metrics.New()
	wakes := new(atomic.Int64)
	svc, err := New(Deps{Store: st, Config: &cfg, Rates: fixedRate{rate: decimal.RequireFromString("7.2")},
		Metrics: m, Now: c.Now, Log: zap.NewNop(), Wake: func() { wakes.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, st: st, clock: c, cfg: &cfg, m: m, wakes: wakes}
}

func (e *env) addWallet(t *testing.T, chain string, n byte) string {
	t.Helper()
	w := wallet(chain, n)
	if _, err := e.st.AddWallet(context.Background(), chain, w, "", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return w
}

func req(orderID, amount string) CreateRequest {
	d := decimal.RequireFromString(amount)
	return CreateRequest{OrderID: orderID, Amount: d, AmountText: d.String(), NotifyURL: "https://shop.example/notify"}
}

// insertTransfer stores a transfer row as the watcher would and returns it
// with its ID.
func insertTransfer(t *testing.T, st *store.Store, tr store.Transfer) store.Transfer {
	t.Helper()
	if tr.State == "" {
		tr.State = store.TransferSettled
	}
	if tr.BlockHash == "" {
		tr.BlockHash = "0xblock"
	}
	if tr.From == "" {
		tr.From = "payer"
	}
	now := store.MS(time.Now())
	ctx := context.Background()
	d := st.Dialect()
	_, err := st.DB().ExecContext(ctx, d.Rebind(`INSERT INTO transfers (chain, token_contract, tx_hash, log_index, block_number,
 block_hash, block_time, from_address, to_address, amount_units, decimals, state, match_status, note, created_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?)`), tr.Chain, tr.TokenContract, tr.TxHash, tr.LogIndex,
		tr.BlockNumber, tr.BlockHash, store.MS(tr.BlockTime), tr.From, tr.To, tr.AmountUnits.String(), tr.Decimals, tr.State, now, now)
	if err != nil {
		t.Fatalf("insert transfer: %v", err)
	}
	if err := st.DB().QueryRowContext(ctx, d.Rebind("SELECT id FROM transfers WHERE chain = ? AND tx_hash = ? AND log_index = ?"),
		tr.Chain, tr.TxHash, tr.LogIndex).Scan(&tr.ID); err != nil {
		t.Fatal(err)
	}
	return tr
}

// transferFor builds a settled transfer paying o's exact amount at bt.
func transferFor(o store.Order, hash string, bt time.Time) store.Transfer {
	u, _ := new(big.Int).SetString(o.AmountUnits, 10)
	return store.Transfer{Chain: o.Chain, TokenContract: o.TokenContract, TxHash: hash, BlockNumber: 100,
		BlockTime: bt, To: o.Token, AmountUnits: u, Decimals: o.Decimals}
}

// settle stores transfers and runs Settle on them in one transaction.
func (e *env) settle(t *testing.T, trs ...store.Transfer) []store.Transfer {
	t.Helper()
	var stored []store.Transfer
	for _, tr := range trs {
		stored = append(stored, insertTransfer(t, e.st, tr))
	}
	err := e.st.InTx(context.Background(), func(tx *store.Tx) error {
		return e.svc.Settle(context.Background(), tx, stored)
	})
	if err != nil {
		t.Fatalf("settle: %v", err)
	}
	out := make([]store.Transfer, len(stored))
	for i, tr := range stored {
		out[i] = readTransfer(t, e.st, tr.ID)
	}
	return out
}

func readTransfer(t *testing.T, st *store.Store, id int64) store.Transfer {
	t.Helper()
	var tr store.Transfer
	var trade *string
	err := st.DB().QueryRowContext(context.Background(), st.Dialect().Rebind(
		"SELECT id, match_status, trade_id, note FROM transfers WHERE id = ?"), id).Scan(&tr.ID, &tr.MatchStatus, &trade, &tr.Note)
	if err != nil {
		t.Fatal(err)
	}
	if trade != nil {
		tr.TradeID = *trade
	}
	return tr
}

// callbackJobs lists (kind, trade_id, priority, max_attempts) of queued jobs.
func callbackJobs(t *testing.T, st *store.Store) []store.CallbackJob {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(),
		"SELECT event_id, trade_id, kind, priority, max_attempts, status FROM callback_jobs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []store.CallbackJob
	for rows.Next() {
		var j store.CallbackJob
		if err := rows.Scan(&j.EventID, &j.TradeID, &j.Kind, &j.Priority, &j.MaxAttempts, &j.Status); err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	return out
}

func getOrder(t *testing.T, st *store.Store, tradeID string) store.Order {
	t.Helper()
	o, err := st.GetOrder(context.Background(), tradeID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
