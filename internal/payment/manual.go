package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/epusdt/epusdt/internal/store"
)

// ErrAlreadyPaid is returned when an order, or a transfer, paid already.
var ErrAlreadyPaid = errors.New("already paid")

// PayWithTransfer pays an order by hand with t, a settled on-chain transfer
// an operator found and the caller verified on chain. The rules still hold:
// t must be settled and send exactly the order's amount of its token to its
// wallet, and must not have paid another order. The operator's decision
// overrides the time window and accept_late_payments (a payment after expiry
// is flagged late). In one transaction it stores t when the watcher has not
// (yet), marks the order paid, records the match and queues the callback.
func (s *Service) PayWithTransfer(ctx context.Context, tradeID string, t store.Transfer) error {
	var paid *store.Order
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		o, err := tx.GetOrder(ctx, tradeID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("trade %s: %w", tradeID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if err := fits(o, t); err != nil {
			return err
		}
		stored, err := s.storeTransfer(ctx, tx, t)
		if err != nil {
			return err
		}
		now := s.clock()
		m, err := s.pay(ctx, tx, o, stored, stored.BlockTime.After(o.ExpiresAt), now)
		if err != nil {
			return err
		}
		if m.paid == nil {
			return fmt.Errorf("trade %s: %w", tradeID, ErrAlreadyPaid)
		}
		paid = m.paid
		return tx.SetTransferMatch(ctx, stored.ID, m.status, tradeID, "marked paid by an operator", now)
	})
	if err != nil {
		return err
	}
	s.metrics.OrdersPaid.WithLabelValues(paid.Chain).Inc()
	return nil
}

// fits checks that t can pay o.
func fits(o store.Order, t store.Transfer) error {
	switch {
	case o.Status == store.OrderPaid:
		return fmt.Errorf("trade %s: %w", o.TradeID, ErrAlreadyPaid)
	case t.Chain != o.Chain || t.TokenContract != o.TokenContract:
		return invalid("tx_hash", "the transfer is of token %s on %s, not the order's %s on %s", t.TokenContract, t.Chain,
			o.TokenContract, o.Chain)
	case t.To != o.Token:
		return invalid("tx_hash", "the transfer pays %s, not the order's wallet %s", t.To, o.Token)
	case t.AmountUnits == nil || t.AmountUnits.String() != o.AmountUnits:
		return invalid("tx_hash", "the transfer's amount is not exactly the order's %s USDT", o.ActualAmount)
	case t.State != store.TransferSettled:
		return invalid("tx_hash", "the transfer is not settled yet")
	}
	return nil
}

// storeTransfer inserts t unless the watcher stored it already, and refuses
// a stored transfer that paid an order.
func (s *Service) storeTransfer(ctx context.Context, tx *store.Tx, t store.Transfer) (store.Transfer, error) {
	if _, err := tx.InsertScannedTransfer(ctx, &t, s.clock()); err != nil {
		return store.Transfer{}, err
	}
	got, err := tx.TransferByLog(ctx, t.Chain, t.TxHash, t.LogIndex)
	if err != nil {
		return store.Transfer{}, err
	}
	if got.MatchStatus == store.MatchPaid || got.MatchStatus == store.MatchLate {
		return store.Transfer{}, fmt.Errorf("transfer %s#%d paid trade %s: %w", t.TxHash, t.LogIndex, got.TradeID, ErrAlreadyPaid)
	}
	return got, nil
}
