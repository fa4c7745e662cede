package payment

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/epusdt/epusdt/internal/money"
	"github.com/epusdt/epusdt/internal/store"
)

// candidate is one USDT amount to try, with its base units.
type candidate struct {
	amount decimal.Decimal
	units  string
}

// candidates lists the amounts to try number from to from+n-1, where
// number i is base + i·step.
func (s *Service) candidates(base decimal.Decimal, decimals, from, n int) ([]candidate, error) {
	out := make([]candidate, 0, n)
	for i := from; i < from+n; i++ {
		amt := base.Add(s.orders.AmountStep.Mul(decimal.NewFromInt(int64(i))))
		u, err := money.ToUnits(amt, decimals)
		if err != nil {
			return nil, fmt.Errorf("amount slots: %w", err)
		}
		out = append(out, candidate{amount: amt, units: u.String()})
	}
	return out, nil
}

// claimSlot holds the first free (wallet, amount) pair — amounts in order
// from base, and for each amount the wallets in order — for o and fills in
// o's wallet and amounts. The slot row is inserted in tx, so it commits or
// rolls back with the order; the unique key decides between concurrent
// requests. The first pair is tried directly (the common case); only when
// it is taken are the holds of all candidates read, to skip taken pairs
// without trying each.
func (s *Service) claimSlot(ctx context.Context, tx *store.Tx, o *store.Order, wallets []string, base decimal.Decimal, now time.Time) (bool, error) {
	held := o.ExpiresAt.Add(s.orders.LatePaymentGrace)
	try := func(wallet string, c candidate) (bool, error) {
		ok, err := tx.ClaimSlot(ctx, store.Slot{Chain: o.Chain, TokenContract: o.TokenContract, Wallet: wallet,
			AmountUnits: c.units, TradeID: o.TradeID, HeldUntil: held, CreatedAt: now}, now)
		if ok {
			o.Token, o.AmountUnits, o.ActualAmount = wallet, c.units, money.Format(c.amount)
		}
		return ok, err
	}
	first, err := s.candidates(base, o.Decimals, 0, 1)
	if err != nil {
		return false, err
	}
	if ok, err := try(wallets[0], first[0]); ok || err != nil {
		return ok, err
	}
	return s.claimFree(ctx, tx, o, wallets, base, try, now)
}

// claimFree tries the free pairs in order (the first pair was tried
// already). It reads the holds of a window of candidates at a time — one
// amount, then four, then sixteen … — because the first free pair is nearly
// always among the first amounts, and reading the holds of every candidate
// costs in proportion to how many orders wait.
func (s *Service) claimFree(ctx context.Context, tx *store.Tx, o *store.Order, wallets []string, base decimal.Decimal,
	try func(string, candidate) (bool, error), now time.Time) (bool, error) {
	tries := s.orders.AmountMaxTries
	for from, size := 0, 1; from < tries; from, size = from+size, size*4 {
		window, err := s.candidates(base, o.Decimals, from, min(size, tries-from))
		if err != nil {
			return false, err
		}
		units := make([]string, len(window))
		for i, c := range window {
			units[i] = c.units
		}
		holds, err := tx.SlotHolds(ctx, o.Chain, o.TokenContract, units)
		if err != nil {
			return false, err
		}
		busy := make(map[[2]string]bool, len(holds))
		for _, h := range holds {
			busy[[2]string{h.Wallet, h.AmountUnits}] = !h.HeldUntil.Before(now)
		}
		for i, c := range window {
			for j, w := range wallets {
				if (from+i == 0 && j == 0) || busy[[2]string{w, c.units}] {
					continue
				}
				if ok, err := try(w, c); ok || err != nil {
					return ok, err
				}
			}
		}
	}
	return false, nil
}
