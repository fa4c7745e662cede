package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/epusdt/epusdt/internal/store"
)

// Progress tells how far a block is from settling on its chain; the chain
// watcher implements it. ok is false when the chain's state is unknown.
type Progress interface {
	SettleProgress(chain string, block uint64) (confirmations, required int, ok bool)
}

// StatusView is what the cashier shows about an order.
type StatusView struct {
	Order  store.Order
	Status int // 1 waiting, 2 paid, 3 expired (EffectiveStatus)
	// Seen is true when a transfer of the exact amount to the order's wallet
	// is on chain but not settled yet ("payment seen, confirming").
	Seen          bool
	TxHash        string // the seen transfer, or the paying one
	Confirmations int    // with Required, only when ProgressKnown
	Required      int
	ProgressKnown bool
}

// Status reads an order for the cashier and check-status (read pool), with
// the confirming progress of a payment seen but not settled. p may be nil
// (progress unknown).
func (s *Service) Status(ctx context.Context, tradeID string, p Progress) (StatusView, error) {
	r := s.store.Read()
	o, err := r.GetOrder(ctx, tradeID)
	if errors.Is(err, store.ErrNotFound) {
		return StatusView{}, fmt.Errorf("trade %s: %w", tradeID, ErrNotFound)
	}
	if err != nil {
		return StatusView{}, err
	}
	now := s.clock()
	v := StatusView{Order: o, Status: EffectiveStatus(o, now), TxHash: o.BlockTransactionID}
	// A payment may still count until expiry + grace: show it while it confirms.
	if v.Status == store.OrderPaid || now.After(o.ExpiresAt.Add(s.orders.LatePaymentGrace)) {
		return v, nil
	}
	t, ok, err := r.DetectedTransferFor(ctx, o.Chain, o.TokenContract, o.Token, o.AmountUnits,
		o.CreatedAt.Add(-s.orders.MatchTimeSkew))
	if err != nil || !ok {
		return v, err
	}
	v.Seen, v.TxHash = true, t.TxHash
	if p != nil {
		v.Confirmations, v.Required, v.ProgressKnown = p.SettleProgress(o.Chain, t.BlockNumber)
	}
	return v, nil
}
