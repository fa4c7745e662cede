package payment

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func units(s string) *big.Int {
	u, _ := new(big.Int).SetString(s, 10)
	return u
}

func TestSettleExactPayment(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		e.addWallet(t, "tron", 1)
		o, err := e.svc.CreateOrder(ctx, req("m1", "100"))
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(2 * time.Minute)
		bt := e.clock.Now().Add(-10 * time.Second)
		got := e.settle(t, transferFor(o, "0xexact", bt))
		if got[0].MatchStatus != store.MatchPaid || got[0].TradeID != o.TradeID {
			t.Fatalf("transfer: %+v", got[0])
		}
		p := getOrder(t, st, o.TradeID)
		if p.Status != store.OrderPaid || p.BlockTransactionID != "0xexact" || p.Late || p.PaidAt == nil || !p.PaidAt.Equal(bt) {
			t.Fatalf("order: %+v", p)
		}
		jobs := callbackJobs(t, st)
		if len(jobs) != 1 || jobs[0].Kind != store.CallbackKindPaid || jobs[0].TradeID != o.TradeID ||
			jobs[0].Priority != 6 || jobs[0].MaxAttempts != 11 || !strings.HasPrefix(jobs[0].EventID, "evt_") {
			t.Fatalf("jobs: %+v", jobs)
		}
		if holds, _ := st.SlotHolds(ctx, "tron", o.TokenContract, []string{o.AmountUnits}); len(holds) != 0 {
			t.Fatalf("slot still held after payment: %+v", holds)
		}
		if v := value(e.m.OrdersPaid.WithLabelValues("tron")); v != 1 {
			t.Fatalf("orders_paid = %v", v)
		}
	})
}

func TestSettleUnmatched(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		w := e.addWallet(t, "tron", 1)
		o, err := e.svc.CreateOrder(ctx, req("u1", "100")) // 13.89 USDT
		if err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		partial := transferFor(o, "0xpartial", now)
		partial.AmountUnits = units("13000000")
		over := transferFor(o, "0xover", now)
		over.AmountUnits = units("14000000")
		fake := transferFor(o, "0xfake", now)
		fake.TokenContract = "TXYZopYRdj2D9XRtbG411XZZ3kM5VkAeBf"
		early := transferFor(o, "0xearly", now.Add(-2*time.Minute)) // before creation − skew
		zero := transferFor(o, "0xzero", now)
		zero.AmountUnits = big.NewInt(0)
		other := transferFor(o, "0xother", now)
		other.To = wallet("tron", 9)
		got := e.settle(t, partial, over, fake, early, zero, other)
		wantNotes := []string{
			"partial payment for trade " + o.TradeID + ": expected 13.89, got 13.00",
			"overpayment for trade " + o.TradeID + ": expected 13.89, got 14.00",
			"no order for amount 13.89 on wallet " + w,
			"amount of trade " + o.TradeID + " but block time",
			"zero-value transfer",
			"no order for amount 13.89 on wallet " + other.To,
		}
		for i, tr := range got {
			if tr.MatchStatus != store.MatchUnmatched || tr.TradeID != "" || !strings.HasPrefix(tr.Note, wantNotes[i]) {
				t.Errorf("transfer %d: %+v, want note %q", i, tr, wantNotes[i])
			}
		}
		if p := getOrder(t, st, o.TradeID); p.Status != store.OrderWaiting {
			t.Fatalf("order changed: %d", p.Status)
		}
		if jobs := callbackJobs(t, st); len(jobs) != 0 {
			t.Fatalf("callbacks for unmatched transfers: %+v", jobs)
		}
		// Within the skew before creation it still pays.
		got = e.settle(t, transferFor(o, "0xskew", now.Add(-30*time.Second)))
		if got[0].MatchStatus != store.MatchPaid {
			t.Fatalf("within skew: %+v", got[0])
		}
	})
}

func TestSettleLate(t *testing.T) {
	t.Parallel()
	for _, accept := range []bool{true, false} {
		name := map[bool]string{true: "accept", false: "record-only"}[accept]
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				e := newEnv(t, st, func(c *config.Config) { c.Orders.AcceptLate = accept })
				e.addWallet(t, "tron", 1)
				o, err := e.svc.CreateOrder(ctx, req("l1", "100"))
				if err != nil {
					t.Fatal(err)
				}
				gone, err := e.svc.CreateOrder(ctx, req("l2", "200"))
				if err != nil {
					t.Fatal(err)
				}
				e.clock.Add(16 * time.Minute)
				if err := e.svc.runOnce(ctx); err != nil {
					t.Fatal(err)
				}
				late := transferFor(o, "0xlate", o.ExpiresAt.Add(5*time.Minute))
				tooLate := transferFor(gone, "0xtoolate", gone.ExpiresAt.Add(11*time.Minute))
				got := e.settle(t, late, tooLate)
				p := getOrder(t, st, o.TradeID)
				if accept {
					if got[0].MatchStatus != store.MatchLate || got[0].TradeID != o.TradeID || p.Status != store.OrderPaid || !p.Late {
						t.Fatalf("late accepted: %+v %+v", got[0], p)
					}
					if jobs := callbackJobs(t, st); len(jobs) != 1 || jobs[0].Kind != store.CallbackKindPaid {
						t.Fatalf("jobs: %+v", jobs)
					}
					// Paid late, its order_id is taken for good again.
					if _, err := e.svc.CreateOrder(ctx, req("l1", "100")); !errors.Is(err, ErrOrderExists) {
						t.Fatalf("create after late payment: %v", err)
					}
				} else {
					if got[0].MatchStatus != store.MatchLateOnly || got[0].TradeID != o.TradeID || p.Status != store.OrderExpired {
						t.Fatalf("late recorded: %+v %+v", got[0], p)
					}
					if jobs := callbackJobs(t, st); len(jobs) != 0 {
						t.Fatalf("callback for a recorded-only payment: %+v", jobs)
					}
				}
				if got[1].MatchStatus != store.MatchUnmatched || got[1].TradeID != "" {
					t.Fatalf("after grace: %+v", got[1])
				}
			})
		})
	}
}

func TestSettleNeverPaysTwice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		e.addWallet(t, "tron", 1)
		o, err := e.svc.CreateOrder(ctx, req("d1", "100"))
		if err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		first, second := transferFor(o, "0xdup", now), transferFor(o, "0xdup", now)
		second.LogIndex = 1 // two transfers in one tx are two payments
		got := e.settle(t, first, second)
		if got[0].MatchStatus != store.MatchPaid || got[1].MatchStatus != store.MatchUnmatched ||
			!strings.Contains(got[1].Note, "order already paid") {
			t.Fatalf("same batch: %+v", got)
		}
		got = e.settle(t, transferFor(o, "0xthird", now.Add(time.Second)))
		if got[0].MatchStatus != store.MatchUnmatched || !strings.Contains(got[0].Note, "order already paid (trade "+o.TradeID) {
			t.Fatalf("later batch: %+v", got)
		}
		if jobs := callbackJobs(t, st); len(jobs) != 1 {
			t.Fatalf("callbacks: %d", len(jobs))
		}
		// A transfer already decided is left alone.
		tr := insertTransfer(t, st, transferFor(o, "0xdecided", now))
		tr.MatchStatus = store.MatchUnmatched
		if err := st.InTx(ctx, func(tx *store.Tx) error { return e.svc.Settle(ctx, tx, []store.Transfer{tr}) }); err != nil {
			t.Fatal(err)
		}
		if r := readTransfer(t, st, tr.ID); r.MatchStatus != store.MatchNone {
			t.Fatalf("decided transfer re-matched: %+v", r)
		}
	})
}

func TestSettle18Decimals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		e.addWallet(t, "bsc", 1)
		r := req("b1", "100")
		r.TradeType = "usdt.bep20"
		o, err := e.svc.CreateOrder(ctx, r)
		if err != nil || o.AmountUnits != "13890000000000000000" {
			t.Fatalf("%+v %v", o, err)
		}
		now := e.clock.Now()
		oneWeiMore := transferFor(o, "0xwei", now)
		oneWeiMore.AmountUnits = units("13890000000000000001")
		got := e.settle(t, oneWeiMore)
		if got[0].MatchStatus != store.MatchUnmatched || !strings.Contains(got[0].Note, "got 13.890000000000000001") {
			t.Fatalf("one wei more: %+v", got[0])
		}
		got = e.settle(t, transferFor(o, "0xexact18", now))
		if got[0].MatchStatus != store.MatchPaid || getOrder(t, st, o.TradeID).Status != store.OrderPaid {
			t.Fatalf("exact 18 decimals: %+v", got[0])
		}
	})
}

type fakeProgress struct{ conf, req int }

func (f fakeProgress) SettleProgress(chain string, block uint64) (int, int, bool) {
	return f.conf, f.req, chain == "tron" && block == 100
}

func TestStatusSeenConfirming(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, nil)
		e.addWallet(t, "tron", 1)
		o, err := e.svc.CreateOrder(ctx, req("s1", "100"))
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.svc.Status(ctx, o.TradeID, fakeProgress{3, 19})
		if err != nil || v.Status != store.OrderWaiting || v.Seen {
			t.Fatalf("before: %+v %v", v, err)
		}
		det := transferFor(o, "0xseen", e.clock.Now())
		det.State = store.TransferDetected
		insertTransfer(t, st, det)
		v, err = e.svc.Status(ctx, o.TradeID, fakeProgress{3, 19})
		if err != nil || !v.Seen || v.TxHash != "0xseen" || !v.ProgressKnown || v.Confirmations != 3 || v.Required != 19 {
			t.Fatalf("seen: %+v %v", v, err)
		}
		if v, _ := e.svc.Status(ctx, o.TradeID, nil); !v.Seen || v.ProgressKnown {
			t.Fatalf("nil progress: %+v", v)
		}
		// Past expiry but within the grace, a confirming payment is still shown.
		e.clock.Add(12 * time.Minute)
		if v, _ := e.svc.Status(ctx, o.TradeID, nil); v.Status != store.OrderExpired || !v.Seen {
			t.Fatalf("expired, seen: %+v", v)
		}
		if _, err := e.svc.Status(ctx, "nope", nil); err == nil {
			t.Fatal("unknown trade")
		}
	})
}

// TestWakeAfterCommit: Deps.Wake runs once a transaction that queued a
// callback has committed — a payment, an expiry with notify_expired — and
// not for a rolled-back payment or a transfer that paid nothing.
func TestWakeAfterCommit(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	e := newEnv(t, st, func(c *config.Config) { c.Callback.NotifyExpire = true })
	e.addWallet(t, "tron", 1)
	o, err := e.svc.CreateOrder(ctx, req("w1", "100"))
	if err != nil {
		t.Fatal(err)
	}
	if n := e.wakes.Load(); n != 0 {
		t.Fatalf("create woke the worker %d times", n)
	}
	tr := insertTransfer(t, st, transferFor(o, "0xrolled", e.clock.Now()))
	rollback := errors.New("scan failed after settling")
	err = st.InTx(ctx, func(tx *store.Tx) error {
		if err := e.svc.Settle(ctx, tx, []store.Transfer{tr}); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) || e.wakes.Load() != 0 || getOrder(t, st, o.TradeID).Status != store.OrderWaiting {
		t.Fatalf("rolled-back payment: err %v, wakes %d", err, e.wakes.Load())
	}
	e.settle(t, transferFor(o, "0xpaid", e.clock.Now()))
	if n := e.wakes.Load(); n != 1 || getOrder(t, st, o.TradeID).Status != store.OrderPaid {
		t.Fatalf("after a committed payment: %d wakes, want 1", n)
	}
	other := transferFor(o, "0xstray", e.clock.Now())
	other.AmountUnits = units("1")
	if got := e.settle(t, other); got[0].MatchStatus != store.MatchUnmatched || e.wakes.Load() != 1 {
		t.Fatalf("unmatched transfer: %+v, wakes %d", got[0], e.wakes.Load())
	}
	r := req("w2", "50")
	r.Timeout = time.Minute
	if _, err := e.svc.CreateOrder(ctx, r); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Minute)
	if err := e.svc.runOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.wakes.Load(); n != 2 {
		t.Fatalf("after an expiry with notify_expired: %d wakes, want 2", n)
	}
}
