package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/epusdt/epusdt/internal/store"
)

// QueryOrder finds an order by trade_id, or else by order_id (its newest
// trade). With both, the trade must belong to that order_id.
func (s *Service) QueryOrder(ctx context.Context, tradeID, orderID string) (store.Order, error) {
	r := s.store.Read()
	if tradeID != "" {
		o, err := r.GetOrder(ctx, tradeID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && orderID != "" && o.OrderID != orderID) {
			return store.Order{}, fmt.Errorf("trade %s: %w", tradeID, ErrNotFound)
		}
		return o, err
	}
	if orderID == "" {
		return store.Order{}, invalid("trade_id", "trade_id or order_id is required")
	}
	trades, err := r.OrdersByOrderID(ctx, orderID, 1)
	if err != nil {
		return store.Order{}, err
	}
	if len(trades) == 0 {
		return store.Order{}, fmt.Errorf("order_id %s: %w", orderID, ErrNotFound)
	}
	return trades[0], nil
}

// CancelOrder moves a waiting order to expired (flagged canceled) and frees
// its order_id for a new trade. Its expiry becomes now, and its amount slot
// stays held for late_payment_grace like any expired order's, so a payment
// already under way is never attributed to another order. Cancelling an
// expired order changes nothing; a paid one is refused with ErrOrderPaid.
func (s *Service) CancelOrder(ctx context.Context, tradeID string) (store.Order, error) {
	var out store.Order
	changed := false
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		o, err := tx.GetOrder(ctx, tradeID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("trade %s: %w", tradeID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		now := s.clock()
		switch o.Status {
		case store.OrderPaid:
			return fmt.Errorf("trade %s: %w", tradeID, ErrOrderPaid)
		case store.OrderExpired:
			out, changed = o, false
			return nil
		}
		until := o.ExpiresAt
		if now.Before(until) {
			until = now
		}
		if err := tx.ExpireOrder(ctx, o.ID, true, until, now); err != nil {
			return fmt.Errorf("cancel trade %s: %w", tradeID, err)
		}
		if err := tx.HoldSlotUntil(ctx, tradeID, until.Add(s.orders.LatePaymentGrace)); err != nil {
			return err
		}
		o.Status, o.Canceled, o.ExpiresAt, o.UpdatedAt = store.OrderExpired, true, until, now
		out, changed = o, true
		return nil
	})
	if err != nil {
		return store.Order{}, err
	}
	if changed {
		s.metrics.OrdersExpired.WithLabelValues(out.Chain).Inc()
	}
	return out, nil
}

// expire moves one waiting order to expired (its slot keeps its hold until
// expiry + grace) and, when notify_expired is on, queues a status 3
// callback in the same transaction. The caller counts it in the metrics
// after commit. It reports false when another instance
// or a payment changed the order first.
func (s *Service) expire(ctx context.Context, tx *store.Tx, o store.Order, now time.Time) (bool, error) {
	err := tx.ExpireOrder(ctx, o.ID, false, o.ExpiresAt, now)
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if s.cb.NotifyExpire {
		if _, err := tx.EnqueueCallback(ctx, store.CallbackJob{EventID: newEventID(), TradeID: o.TradeID,
			Kind: store.CallbackKindExpired, Priority: s.prioExp, MaxAttempts: s.cb.MaxRetry + 1,
			NextAttemptAt: now, CreatedAt: now}); err != nil {
			return false, err
		}
		tx.AfterCommit(s.wake)
	}
	return true, nil
}
