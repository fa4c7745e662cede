package payment

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/store"
)

// expireBatch is how many due orders one pass reads at a time.
const expireBatch = 500

// Run expires due orders and frees ended slot holds every expire_interval
// until ctx ends. Several instances may run it on one database: each order
// is expired by exactly one of them (conditional update).
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.orders.ExpireInterval)
	defer t.Stop()
	for {
		if err := s.runOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("order expirer pass failed; retrying next tick", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// runOnce expires every waiting order past its expiry and deletes slots
// whose hold ended. (The held-slot gauge is ops' collector's.)
func (s *Service) runOnce(ctx context.Context) error {
	now := s.clock()
	for {
		due, err := s.store.Read().DueExpiries(ctx, now, expireBatch)
		if err != nil {
			return err
		}
		if len(due) > 0 {
			if err := s.expireAll(ctx, due, now); err != nil {
				return err
			}
		}
		if len(due) < expireBatch {
			break
		}
	}
	_, err := s.store.DeleteExpiredSlots(ctx, now)
	return err
}

// expireAll expires due orders in one transaction and counts them once it
// committed.
func (s *Service) expireAll(ctx context.Context, due []store.Order, now time.Time) error {
	var done []store.Order
	err := s.store.InTx(ctx, func(tx *store.Tx) error {
		done = done[:0]
		for _, o := range due {
			ok, err := s.expire(ctx, tx, o, now)
			if err != nil {
				return err
			}
			if ok {
				done = append(done, o)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range done {
		s.metrics.OrdersExpired.WithLabelValues(o.Chain).Inc()
	}
	return nil
}
