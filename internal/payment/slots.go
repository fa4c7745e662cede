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

// candidates lists the first n amounts to try: base, base+step, …
func (s *Service) candidates(base decimal.Decimal, decimals, n int) ([]candidate, error) {
	out := make([]candidate, 0, n)
	for i := 0; i < n; i++ {
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
	first, err := s.candidates(base, o.Decimals, 1)
	if err != nil {
		return false, err
	}
	if ok, err := try(wallets[0], first[0]); ok || err != nil {
		return ok, err
	}
	cands, err := s.candidates(base, o.Decimals, s.orders.AmountMaxTries)
	if err != nil {
		return false, err
	}
	return s.claimFree(ctx, tx, o, wallets, cands, try, now)
}

// claimFree reads the holds of all candidates and tries the free pairs in
// order (the first pair was tried already).
func (s *Service) claimFree(ctx context.Context, tx *store.Tx, o *store.Order, wallets []string, cands []candidate,
	try func(string, candidate) (bool, error), now time.Time) (bool, error) {
	units := make([]string, len(cands))
	for i, c := range cands {
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
	for i, c := range cands {
		for j, w := range wallets {
			if (i == 0 && j == 0) || busy[[2]string{w, c.units}] {
				continue
			}
			if ok, err := try(w, c); ok || err != nil {
				return ok, err
			}
		}
	}
	return false, nil
}
