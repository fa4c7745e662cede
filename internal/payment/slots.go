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
// requests.
//
// The holds are read a window of amounts at a time — one amount, then
// four, then sixteen … — because the first free pair is nearly always
// among the first amounts, and reading every candidate's holds costs in
// proportion to how many orders wait. Only pairs the read shows free are
// inserted, and only a hold the read shows ended is reclaimed: a blind
// insert or delete on a held pair would, on MySQL, lock that key and the
// gap before it until commit and make concurrent creates wait.
func (s *Service) claimSlot(ctx context.Context, tx *store.Tx, o *store.Order, wallets []string, base decimal.Decimal, now time.Time) (bool, error) {
	slot := store.Slot{Chain: o.Chain, TokenContract: o.TokenContract, TradeID: o.TradeID,
		HeldUntil: o.ExpiresAt.Add(s.orders.LatePaymentGrace), CreatedAt: now}
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
		heldUntil := make(map[[2]string]time.Time, len(holds))
		for _, h := range holds {
			heldUntil[[2]string{h.Wallet, h.AmountUnits}] = h.HeldUntil
		}
		for _, c := range window {
			for _, w := range wallets {
				until, taken := heldUntil[[2]string{w, c.units}]
				if taken && !until.Before(now) {
					continue
				}
				slot.Wallet, slot.AmountUnits = w, c.units
				var ok bool
				if taken {
					ok, err = tx.ClaimSlot(ctx, slot, now) // reclaims the ended hold
				} else {
					ok, err = tx.InsertSlot(ctx, slot) // false: taken meanwhile
				}
				if err != nil || ok {
					if ok {
						o.Token, o.AmountUnits, o.ActualAmount = w, c.units, money.Format(c.amount)
					}
					return ok, err
				}
			}
		}
	}
	return false, nil
}
