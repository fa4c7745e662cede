package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CallbackDelivery is one attempt to deliver a callback, as logged.
type CallbackDelivery struct {
	ID           int64
	JobID        int64
	EventID      string
	TradeID      string
	Attempt      int // 1 for the first attempt of the job
	URL          string
	HTTPStatus   int // 0 when no response arrived
	Duration     time.Duration
	ResponseBody string // the first 1 KiB
	Error        string
	CreatedAt    time.Time
}

// CallbackAttempt is the outcome of one delivery attempt: the log row and
// the job's next state.
type CallbackAttempt struct {
	Delivery      CallbackDelivery
	Holder        string    // the lease holder that claimed the job
	Status        string    // the job's new status: pending, delivered or failed
	NextAttemptAt time.Time // when Status is pending
}

// ErrLeaseLost is returned by RecordCallbackAttempt when another worker
// took the job over (or it was resent) while this attempt ran; the attempt
// is logged but the job is left to its new holder.
var ErrLeaseLost = errors.New("callback job lease lost")

// RecordCallbackAttempt logs one attempt and, in the same transaction,
// moves the job to its next state (only while holder still holds its lease)
// and counts the attempt on the order (callback_num, and callback_confirm =
// 1 once delivered). It returns ErrLeaseLost when the job had moved on.
func (s *Store) RecordCallbackAttempt(ctx context.Context, a CallbackAttempt) error {
	lost, err := s.RecordCallbackAttempts(ctx, []CallbackAttempt{a})
	if err == nil && lost[0] {
		err = fmt.Errorf("record callback attempt %d of %s: %w", a.Delivery.Attempt, a.Delivery.EventID, ErrLeaseLost)
	}
	return err
}

// RecordCallbackAttempts records several attempts as RecordCallbackAttempt
// does, in one transaction (one commit for a batch of deliveries). lost[i]
// tells whether attempt i had lost its lease: it is logged, its job is
// left alone.
func (s *Store) RecordCallbackAttempts(ctx context.Context, as []CallbackAttempt) ([]bool, error) {
	lost := make([]bool, len(as))
	err := s.inQueueTx(ctx, func(tx *Tx) error {
		for i, a := range as {
			var err error
			if lost[i], err = tx.recordAttempt(ctx, a); err != nil {
				return fmt.Errorf("record callback attempt %d of %s: %w", a.Delivery.Attempt, a.Delivery.EventID, err)
			}
		}
		return nil
	})
	return lost, err
}

func (c conn) recordAttempt(ctx context.Context, a CallbackAttempt) (lost bool, err error) {
	d := a.Delivery
	if err := c.insertDelivery(ctx, d); err != nil {
		return false, err
	}
	var delivered any
	if a.Status == CallbackDelivered {
		delivered = MS(d.CreatedAt)
	}
	err = c.execOne(ctx, `UPDATE callback_jobs SET attempts = attempts + 1, status = ?, next_attempt_at = ?,
 lease_holder = NULL, lease_until = NULL, last_error = ?, updated_at = ?, delivered_at = COALESCE(?, delivered_at)
 WHERE id = ? AND lease_holder = ?`,
		a.Status, MS(a.NextAttemptAt), cutText(d.Error, 1024), MS(d.CreatedAt), delivered, d.JobID, a.Holder)
	if errors.Is(err, ErrConflict) {
		lost = true
	} else if err != nil {
		return false, fmt.Errorf("update job: %w", err)
	}
	return lost, c.countOrderCallback(ctx, d.TradeID, a.Status == CallbackDelivered)
}

func (c conn) insertDelivery(ctx context.Context, d CallbackDelivery) error {
	_, err := c.insertID(ctx, `INSERT INTO callback_deliveries (job_id, event_id, trade_id, attempt, url, http_status,
 duration_ms, response_body, error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.JobID, d.EventID, d.TradeID, d.Attempt, cutText(d.URL, 1024), d.HTTPStatus, d.Duration.Milliseconds(),
		cutText(d.ResponseBody, 1024), cutText(d.Error, 4096), MS(d.CreatedAt))
	if err != nil {
		return fmt.Errorf("log delivery: %w", err)
	}
	return nil
}

func (c conn) countOrderCallback(ctx context.Context, tradeID string, delivered bool) error {
	q := "UPDATE orders SET callback_num = callback_num + 1 WHERE trade_id = ?"
	if delivered {
		q = "UPDATE orders SET callback_num = callback_num + 1, callback_confirm = 1 WHERE trade_id = ?"
	}
	if _, err := c.exec(ctx, q, tradeID); err != nil {
		return fmt.Errorf("count callback on order: %w", err)
	}
	return nil
}

// ListCallbackDeliveries lists the logged attempts of one order's
// callbacks, oldest first.
func (c conn) ListCallbackDeliveries(ctx context.Context, tradeID string) ([]CallbackDelivery, error) {
	rows, err := c.query(ctx, `SELECT id, job_id, event_id, trade_id, attempt, url, http_status, duration_ms,
 response_body, error, created_at FROM callback_deliveries WHERE trade_id = ? ORDER BY id`, tradeID)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", tradeID, err)
	}
	defer rows.Close()
	var out []CallbackDelivery
	for rows.Next() {
		var d CallbackDelivery
		var ms, created int64
		if err := rows.Scan(&d.ID, &d.JobID, &d.EventID, &d.TradeID, &d.Attempt, &d.URL, &d.HTTPStatus, &ms,
			&d.ResponseBody, &d.Error, &created); err != nil {
			return nil, fmt.Errorf("list deliveries of %s: %w", tradeID, err)
		}
		d.Duration, d.CreatedAt = time.Duration(ms)*time.Millisecond, FromMS(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

// cutText makes s storable as TEXT on every dialect (valid UTF-8, no NUL)
// and cuts it to at most n bytes without splitting a UTF-8 sequence.
func cutText(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
