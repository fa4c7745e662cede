package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// Scenario 6: a late payment (with accept_late_payments on and off), an
// underpayment, an overpayment, a payment to a disabled wallet and a
// payment of an amount no order has each end in the documented state and
// stay visible as a record in the admin API.
func TestPaymentEdgeCases(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			chain := startChain(t, chainOpts{})
			runs := []*edgeRun{newEdgeRun(t, chain, d, true), newEdgeRun(t, chain, d, false)}
			for _, r := range runs {
				r.createOrders(t)
			}
			for _, r := range runs {
				r.pay(t)
			}
			waitRecorded(t, runs, 30*time.Second)
			for _, r := range runs {
				r.check(t)
			}
		})
	}
}

// edgeRun is one gateway (accept_late_payments on or off) with its own
// wallets and merchant, and the orders and payments of every edge case.
type edgeRun struct {
	g      *gateway
	m      *merchant
	accept bool
	// orders by case: under, over, late, disabled
	orders map[string]*order
	// payments by case: under, over, late, disabled, unknown
	txs map[string]txResult
	adm *adminClient
}

func newEdgeRun(t *testing.T, chain *devchainProc, d store.Dialect, accept bool) *edgeRun {
	r := &edgeRun{accept: accept, m: newMerchant(t, apiToken), orders: map[string]*order{}, txs: map[string]txResult{}}
	acc := "false"
	if accept {
		acc = "true"
	}
	r.g = newGateway(t, chain, gwOpts{Dialect: d, Env: map[string]string{"ACCEPT_LATE_PAYMENTS": acc,
		"ORDER_TIMEOUT_MIN": "1s", "LATE_PAYMENT_GRACE": "10m"}})
	r.g.seed += "/accept_late=" + acc
	for _, ch := range []string{"tron", "bsc"} {
		r.g.addWallet(t, ch, r.g.wallet(ch, 0))
	}
	r.g.addWallet(t, "ethereum", r.g.wallet("ethereum", 1)) // the one to disable
	r.g.start(t)
	r.adm = r.g.admin(t)
	return r
}

func (r *edgeRun) newOrder(id, chain, amount string) *order {
	return &order{id: id, chain: chain, amount: amount, notify: r.m.url("/notify")}
}

// createOrders creates the four orders (10.00 and 100.00 USDT on the TRON
// wallet, 5.00 on BSC expiring in 2 s, 7.00 on the Ethereum wallet that is
// then disabled) and adds a second, order-less Ethereum wallet.
func (r *edgeRun) createOrders(t *testing.T) {
	sh := r.g.shop()
	r.orders["under"] = r.newOrder("edge-under", "tron", "70")
	r.orders["over"] = r.newOrder("edge-over", "tron", "700")
	r.orders["disabled"] = r.newOrder("edge-disabled", "ethereum", "49")
	for _, o := range r.orders {
		if err := tryCreate(t, sh, o); err != nil {
			t.Fatalf("create %s: %v", o.id, err)
		}
	}
	late := r.newOrder("edge-late", "bsc", "35")
	f := late.fields()
	f["timeout"] = "2"
	env, err := sh.post(t, "/api/v1/order/create-transaction", f)
	if err != nil || env.StatusCode != 200 {
		t.Fatalf("create the late order: %v %+v", err, env)
	}
	if err := json.Unmarshal(env.Data, &late.data); err != nil {
		t.Fatal(err)
	}
	r.orders["late"] = late
	for name, want := range map[string]string{"under": "10.00", "over": "100.00", "late": "5.00", "disabled": "7.00"} {
		if got := r.orders[name].usdt(); got != want {
			t.Fatalf("%s order asks %s USDT, want %s (rate 7)", name, got, want)
		}
	}
	if r.orders["disabled"].data.Token != r.g.wallet("ethereum", 1) {
		t.Fatalf("the ethereum order went to %s, the only wallet is %s", r.orders["disabled"].data.Token, r.g.wallet("ethereum", 1))
	}
	r.g.disableWallet(t, "ethereum", r.g.wallet("ethereum", 1))
	r.g.addWallet(t, "ethereum", r.g.wallet("ethereum", 0))
}

// pay waits for the late order to expire, then makes every payment.
func (r *edgeRun) pay(t *testing.T) {
	sh, c := r.g.shop(), r.g.chain
	late := r.orders["late"]
	waitFor(t, 30*time.Second, "the 2 s order to expire", func() bool { return sh.status(t, late.data.TradeID) == store.OrderExpired })
	// Block times are whole seconds: pay when even a truncated block time
	// is clearly after the expiry.
	time.Sleep(time.Until(time.Unix(late.data.ExpirationTime+2, 0)))
	r.txs["late"] = c.pay(t, "usdt18", late.data.Token, "5.00")
	late.paid = r.txs["late"]
	r.txs["under"] = c.pay(t, "usdt6", r.orders["under"].data.Token, "9.50")
	r.txs["over"] = c.pay(t, "usdt6", r.orders["over"].data.Token, "100.50")
	r.txs["disabled"] = c.pay(t, "usdt6", r.orders["disabled"].data.Token, "7.00")
	r.orders["disabled"].paid = r.txs["disabled"]
	r.txs["unknown"] = c.pay(t, "usdt6", r.g.wallet("ethereum", 0), "55.55")
}

// waitRecorded waits until every payment of every run is stored, settled
// and evaluated, or the time is up (check then reports each missing one).
func waitRecorded(t *testing.T, runs []*edgeRun, within time.Duration) {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		done, want := 0, 0
		for _, r := range runs {
			for _, tx := range r.txs {
				want++
				if ts := r.adm.transfers(t, tx.TxHash); len(ts) == 1 && ts[0].State == store.TransferSettled && ts[0].MatchStatus != "" {
					done++
				}
			}
		}
		if done == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// expectation is the documented end state of one case.
type expectation struct {
	match, trade string
	notes        []string // parts the record's note must contain
	status       int      // the order's check-status (0: no order)
}

func (r *edgeRun) expectations() map[string]expectation {
	o := r.orders
	late := expectation{store.MatchLate, o["late"].data.TradeID, []string{"paid after expiry"}, store.OrderPaid}
	if !r.accept {
		late = expectation{store.MatchLateOnly, o["late"].data.TradeID, []string{"recorded only", "accept_late_payments=false"}, store.OrderExpired}
	}
	return map[string]expectation{
		"late":     late,
		"under":    {store.MatchUnmatched, "", []string{"partial payment for trade " + o["under"].data.TradeID, "got 9.50"}, store.OrderWaiting},
		"over":     {store.MatchUnmatched, "", []string{"overpayment for trade " + o["over"].data.TradeID, "got 100.50"}, store.OrderWaiting},
		"disabled": {store.MatchPaid, o["disabled"].data.TradeID, nil, store.OrderPaid},
		"unknown":  {store.MatchUnmatched, "", []string{"no order for amount 55.55", r.g.wallet("ethereum", 0)}, 0},
	}
}

// check compares every case's record and order with its expectation, and
// the merchant's callbacks with the orders that were paid.
func (r *edgeRun) check(t *testing.T) {
	t.Run(map[bool]string{true: "accept_late=on", false: "accept_late=off"}[r.accept], func(t *testing.T) {
		var paid []*order
		for name, want := range r.expectations() {
			if r.checkCase(t, name, want) && want.status == store.OrderPaid {
				paid = append(paid, r.orders[name]) // recorded as paying it: its callback must come
			}
		}
		if len(paid) > 0 {
			waitCallbacks(t, r.m, paid, 30*time.Second)
		}
		time.Sleep(time.Second) // a wrongly queued callback would have arrived by now
		checkCallbacks(t, r.m, paid)
		if o := r.adm.order(t, r.orders["late"].data.TradeID).Order; o.Late != r.accept {
			t.Errorf("late order: admin shows late=%v, want %v", o.Late, r.accept)
		}
	})
}

// checkCase compares one case with its expectation; it reports whether
// the payment's record was as expected.
func (r *edgeRun) checkCase(t *testing.T, name string, want expectation) bool {
	tx := r.txs[name]
	ts := r.adm.transfers(t, tx.TxHash)
	if len(ts) != 1 {
		t.Errorf("%s payment %s: %d records in the admin API, want 1: %+v", name, tx.TxHash, len(ts), ts)
		return false
	}
	got := ts[0]
	noteOK := true
	for _, part := range want.notes {
		noteOK = noteOK && strings.Contains(got.Note, part)
	}
	ok := got.State == store.TransferSettled && got.MatchStatus == want.match && got.TradeID == want.trade && noteOK
	if !ok {
		t.Errorf("%s payment is recorded as %s/%s for trade %q with note %q; want settled/%s for trade %q with a note containing %q",
			name, got.State, got.MatchStatus, got.TradeID, got.Note, want.match, want.trade, want.notes)
	}
	if wantAttention := want.match != store.MatchPaid; got.Attention != wantAttention {
		t.Errorf("%s payment: attention flag %v, want %v", name, got.Attention, wantAttention)
	}
	if o := r.orders[name]; o != nil {
		if s := r.g.shop().status(t, o.data.TradeID); s != want.status {
			t.Errorf("%s order %s: check-status %d, want %d", name, o.data.TradeID, s, want.status)
		}
	}
	return ok
}
