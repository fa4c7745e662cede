package payment

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/epusdt/epusdt/internal/money"
	"github.com/epusdt/epusdt/internal/store"
)

// match is what payment decided for one settled transfer.
type match struct {
	status  string // store.Match*
	tradeID string
	note    string
	paid    *store.Order
}

// Settle matches transfers that have just settled (stored in transfers,
// with ID set) to orders, inside the caller's transaction — the watcher's
// scan transaction, so transfers, order updates, callback jobs and the
// cursor commit together. A transfer pays the order on the same chain, token
// contract and wallet with exactly its amount in base units whose window
// [created_at − match_time_skew, expires_at + late_payment_grace] holds the
// block time. After expires_at it is late: the order is paid and flagged
// when accept_late_payments is on, else only recorded. Everything else is
// recorded as unmatched with the reason. An order is never paid twice.
func (s *Service) Settle(ctx context.Context, tx *store.Tx, ts []store.Transfer) error {
	now := s.clock()
	var paid []*store.Order
	for _, t := range ts {
		if t.MatchStatus != store.MatchNone {
			continue
		}
		m, err := s.match(ctx, tx, t, now)
		if err != nil {
			return fmt.Errorf("match transfer %s#%d: %w", t.TxHash, t.LogIndex, err)
		}
		if err := tx.SetTransferMatch(ctx, t.ID, m.status, m.tradeID, truncate(m.note, 255), now); err != nil {
			return err
		}
		s.metrics.Transfers.WithLabelValues(t.Chain, m.status).Inc()
		if m.paid != nil {
			paid = append(paid, m.paid)
		}
	}
	for _, o := range paid {
		s.metrics.OrdersPaid.WithLabelValues(o.Chain).Inc()
	}
	return nil
}

// match decides one transfer and applies a payment.
func (s *Service) match(ctx context.Context, tx *store.Tx, t store.Transfer, now time.Time) (match, error) {
	if t.AmountUnits == nil || t.AmountUnits.Sign() <= 0 {
		return match{status: store.MatchUnmatched, note: "zero-value transfer"}, nil
	}
	cands, err := tx.PaymentCandidates(ctx, t.Chain, t.TokenContract, t.To, t.AmountUnits.String(),
		t.BlockTime.Add(s.orders.MatchTimeSkew), t.BlockTime.Add(-s.orders.LatePaymentGrace))
	if err != nil {
		return match{}, err
	}
	o, paidTrade := pick(cands, t.BlockTime)
	if o == nil {
		if paidTrade != "" {
			return match{status: store.MatchUnmatched, tradeID: "", note: "order already paid (trade " + paidTrade + ")"}, nil
		}
		note, err := s.explain(ctx, tx, t)
		return match{status: store.MatchUnmatched, note: note}, err
	}
	late := t.BlockTime.After(o.ExpiresAt)
	if late && !s.orders.AcceptLate {
		return match{status: store.MatchLateOnly, tradeID: o.TradeID,
			note: "paid after expiry; recorded only (accept_late_payments=false)"}, nil
	}
	return s.pay(ctx, tx, *o, t, late, now)
}

// pick chooses the unpaid order among candidates: one whose own time
// [created, expires] holds the block time first, else the newest. It also
// returns a paid candidate's trade, to explain a second payment.
func pick(cands []store.Order, bt time.Time) (*store.Order, string) {
	var best *store.Order
	paidTrade := ""
	for i := range cands {
		o := &cands[i]
		if o.Status == store.OrderPaid {
			if paidTrade == "" {
				paidTrade = o.TradeID
			}
			continue
		}
		inTime := !bt.Before(o.CreatedAt) && !bt.After(o.ExpiresAt)
		if best == nil || (inTime && (bt.Before(best.CreatedAt) || bt.After(best.ExpiresAt))) {
			best = o
		}
	}
	return best, paidTrade
}

// pay marks the order paid, frees its slot and queues the paid callback.
func (s *Service) pay(ctx context.Context, tx *store.Tx, o store.Order, t store.Transfer, late bool, now time.Time) (match, error) {
	err := tx.MarkOrderPaid(ctx, o.ID, t.TxHash, t.BlockTime, late, now)
	if errors.Is(err, store.ErrConflict) {
		return match{status: store.MatchUnmatched, note: "order already paid (trade " + o.TradeID + ")"}, nil
	}
	if err != nil {
		return match{}, err
	}
	if o.Status == store.OrderExpired {
		if err := tx.HoldOrderID(ctx, o.ID, o.OrderID); err != nil {
			return match{}, err
		}
	}
	if err := tx.ReleaseSlot(ctx, o.TradeID); err != nil {
		return match{}, err
	}
	if _, err := tx.EnqueueCallback(ctx, store.CallbackJob{EventID: newEventID(), TradeID: o.TradeID,
		Kind: store.CallbackKindPaid, Priority: s.prioPay, MaxAttempts: s.cb.MaxRetry + 1,
		NextAttemptAt: now, CreatedAt: now}); err != nil {
		return match{}, err
	}
	tx.AfterCommit(s.wake)
	m := match{status: store.MatchPaid, tradeID: o.TradeID, paid: &o}
	if late {
		m.status, m.note = store.MatchLate, "paid after expiry, within late_payment_grace"
	}
	return m, nil
}

// explain says why a transfer matched no order: a partial payment or an
// overpayment of a waiting order on that wallet (the nearest amount), or no
// order for that amount at all.
func (s *Service) explain(ctx context.Context, tx *store.Tx, t store.Transfer) (string, error) {
	got := fmtUnits(t.AmountUnits, t.Decimals)
	waiting, err := tx.OrdersOnWallet(ctx, t.Chain, t.TokenContract, t.To, store.OrderWaiting, 50)
	if err != nil {
		return "", err
	}
	var near *store.Order
	var nearDiff *big.Int
	for i := range waiting {
		u, err := money.ParseUnits(waiting[i].AmountUnits)
		if err != nil {
			continue
		}
		d := new(big.Int).Sub(u, t.AmountUnits)
		if nearDiff == nil || new(big.Int).Abs(d).Cmp(new(big.Int).Abs(nearDiff)) < 0 {
			near, nearDiff = &waiting[i], d
		}
	}
	if near != nil {
		want := near.ActualAmount
		switch nearDiff.Sign() {
		case 0:
			return fmt.Sprintf("amount of trade %s but block time %s is outside its window (created %s)", near.TradeID,
				t.BlockTime.UTC().Format(time.RFC3339), near.CreatedAt.UTC().Format(time.RFC3339)), nil
		case 1:
			return fmt.Sprintf("partial payment for trade %s: expected %s, got %s", near.TradeID, want, got), nil
		}
		return fmt.Sprintf("overpayment for trade %s: expected %s, got %s", near.TradeID, want, got), nil
	}
	return fmt.Sprintf("no order for amount %s on wallet %s at %s", got, t.To, t.BlockTime.UTC().Format(time.RFC3339)), nil
}

// fmtUnits shows base units as a USDT amount with at least 2 decimals.
func fmtUnits(u *big.Int, decimals int) string {
	d := money.FromUnits(u, decimals)
	if d.Equal(d.Round(2)) {
		return money.Fixed(d, 2)
	}
	return money.Format(d)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		n--
	}
	return s[:n]
}
