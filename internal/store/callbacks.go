package store

import (
	"context"
	"fmt"
	"time"
)

// Callback job statuses.
const (
	CallbackPending   = "pending"
	CallbackDelivered = "delivered"
	CallbackFailed    = "failed"
)

// Callback job kinds.
const (
	CallbackKindPaid    = "paid"
	CallbackKindExpired = "expired"
)

// CallbackJob is one callback event in the outbox. EventID is stable across
// retries and resends of the same event.
type CallbackJob struct {
	ID            int64
	EventID       string
	TradeID       string
	Kind          string
	Priority      int
	Status        string
	Attempts      int
	MaxAttempts   int
	NextAttemptAt time.Time
	LeaseHolder   string
	LeaseUntil    *time.Time
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DeliveredAt   *time.Time
}

// EnqueueCallback inserts a pending callback job; call it on the Tx that
// changes the order so both commit together (transactional outbox).
func (c conn) EnqueueCallback(ctx context.Context, j CallbackJob) (int64, error) {
	if j.Status == "" {
		j.Status = CallbackPending
	}
	id, err := c.insertID(ctx, `INSERT INTO callback_jobs (event_id, trade_id, kind, priority, status, attempts, max_attempts,
 next_attempt_at, last_error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, '', ?, ?)`,
		j.EventID, j.TradeID, j.Kind, j.Priority, j.Status, j.MaxAttempts, MS(j.NextAttemptAt), MS(j.CreatedAt), MS(j.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("enqueue callback %s for %s: %w", j.Kind, j.TradeID, err)
	}
	return id, nil
}
