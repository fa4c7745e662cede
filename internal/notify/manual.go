package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
)

// ErrNoCallback is returned by Resend for an order that has no callback job.
var ErrNoCallback = errors.New("order has no callback to resend")

// NewEventID returns a fresh event id ("evt_" and 24 random hex digits).
func NewEventID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "evt_" + hex.EncodeToString(b)
}

// NewJob returns the outbox row for a callback event of an order, due at
// now: a new event id, priority queue_level_critical for "paid" and
// queue_level_low for "expired", and order_notice_max_retry+1 attempts.
// Payment passes it to tx.EnqueueCallback in the transaction that changes
// the order.
func NewJob(cfg *config.Config, tradeID, kind string, now time.Time) store.CallbackJob {
	prio := cfg.QueueLevelCritical
	if kind != store.CallbackKindPaid {
		prio = cfg.QueueLevelLow
	}
	return store.CallbackJob{EventID: NewEventID(), TradeID: tradeID, Kind: kind, Priority: prio,
		Status: store.CallbackPending, MaxAttempts: cfg.Callback.MaxRetry + 1, NextAttemptAt: now, CreatedAt: now}
}

// Resend makes an order's callback due now, with the same event id as
// before: the "paid" callback when there is one, otherwise the latest. It
// works on failed, pending and delivered callbacks; a failed or delivered
// one gets one more attempt, a pending one keeps its remaining retries.
// A worker picks it up at its next poll (within about 200 ms).
func Resend(ctx context.Context, st *store.Store, tradeID string, now time.Time) (store.CallbackJob, error) {
	jobs, err := st.CallbackJobsForTrade(ctx, tradeID)
	if err != nil {
		return store.CallbackJob{}, err
	}
	if len(jobs) == 0 {
		return store.CallbackJob{}, fmt.Errorf("resend callback of %s: %w", tradeID, ErrNoCallback)
	}
	pick := jobs[len(jobs)-1]
	for _, j := range jobs {
		if j.Kind == store.CallbackKindPaid {
			pick = j
		}
	}
	if err := st.ResendCallbackJob(ctx, pick.ID, now); err != nil {
		return store.CallbackJob{}, err
	}
	return st.GetCallbackJob(ctx, pick.ID)
}

// ListJobs lists callback jobs, newest first (status "" = all).
func ListJobs(ctx context.Context, st *store.Store, f store.CallbackJobFilter) ([]store.CallbackJob, error) {
	return st.Read().ListCallbackJobs(ctx, f)
}

// ListFailed lists the callbacks that exhausted their retries, newest
// first (limit <= 0: 100).
func ListFailed(ctx context.Context, st *store.Store, limit int) ([]store.CallbackJob, error) {
	return ListJobs(ctx, st, store.CallbackJobFilter{Status: store.CallbackFailed, Limit: limit})
}

// Deliveries returns the delivery log of an order's callbacks, oldest
// first.
func Deliveries(ctx context.Context, st *store.Store, tradeID string) ([]store.CallbackDelivery, error) {
	return st.Read().ListCallbackDeliveries(ctx, tradeID)
}
