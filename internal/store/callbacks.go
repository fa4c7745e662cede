package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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

const jobCols = `id, event_id, trade_id, kind, priority, status, attempts, max_attempts, next_attempt_at,
 lease_holder, lease_until, last_error, created_at, updated_at, delivered_at`

func scanJob(sc interface{ Scan(...any) error }) (CallbackJob, error) {
	var j CallbackJob
	var holder sql.NullString
	var leaseUntil, delivered sql.NullInt64
	var next, created, updated int64
	err := sc.Scan(&j.ID, &j.EventID, &j.TradeID, &j.Kind, &j.Priority, &j.Status, &j.Attempts, &j.MaxAttempts,
		&next, &holder, &leaseUntil, &j.LastError, &created, &updated, &delivered)
	j.NextAttemptAt, j.CreatedAt, j.UpdatedAt = FromMS(next), FromMS(created), FromMS(updated)
	j.LeaseHolder, j.LeaseUntil, j.DeliveredAt = holder.String, fromNullMS(leaseUntil), fromNullMS(delivered)
	return j, err
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

func (c conn) scanJobs(ctx context.Context, what, q string, args ...any) ([]CallbackJob, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []CallbackJob
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// GetCallbackJob finds a callback job by id.
func (c conn) GetCallbackJob(ctx context.Context, id int64) (CallbackJob, error) {
	j, err := scanJob(c.queryRow(ctx, "SELECT "+jobCols+" FROM callback_jobs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return CallbackJob{}, ErrNotFound
	}
	if err != nil {
		return CallbackJob{}, fmt.Errorf("get callback job %d: %w", id, err)
	}
	return j, nil
}

// CallbackJobsForTrade lists the callback jobs of one order, oldest first.
func (c conn) CallbackJobsForTrade(ctx context.Context, tradeID string) ([]CallbackJob, error) {
	return c.scanJobs(ctx, "callback jobs of "+tradeID,
		"SELECT "+jobCols+" FROM callback_jobs WHERE trade_id = ? ORDER BY id", tradeID)
}

// CallbackJobFilter selects callback jobs for ListCallbackJobs.
type CallbackJobFilter struct {
	Status   string // "" = any
	BeforeID int64  // > 0: only jobs with a smaller id (paging)
	Limit    int    // <= 0: 100
}

// ListCallbackJobs lists callback jobs, newest first.
func (c conn) ListCallbackJobs(ctx context.Context, f CallbackJobFilter) ([]CallbackJob, error) {
	q := "SELECT " + jobCols + " FROM callback_jobs WHERE 1=1"
	var args []any
	if f.Status != "" {
		q += " AND status = ?"
		args = append(args, f.Status)
	}
	if f.BeforeID > 0 {
		q += " AND id < ?"
		args = append(args, f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	return c.scanJobs(ctx, "list callback jobs", q+" ORDER BY id DESC LIMIT ?", args...)
}

const dueJob = "status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)"

// DueCallbackCounts counts the jobs a worker may claim at now, by priority.
func (c conn) DueCallbackCounts(ctx context.Context, now time.Time) (map[int]int, error) {
	rows, err := c.query(ctx, "SELECT priority, COUNT(*) FROM callback_jobs WHERE "+dueJob+" GROUP BY priority",
		MS(now), MS(now))
	if err != nil {
		return nil, fmt.Errorf("count due callbacks: %w", err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var p, n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, fmt.Errorf("count due callbacks: %w", err)
		}
		out[p] = n
	}
	return out, rows.Err()
}

// ClaimCallbackJobs leases up to n due jobs of one priority to holder until
// leaseUntil and returns them. A job is due when pending, its
// next_attempt_at has come and no live lease holds it. Each claim is a
// conditional UPDATE, so two claimers never get the same job; MySQL and
// PostgreSQL also skip rows another claimer has locked. holder must be
// unique per claim: RecordCallbackAttempt checks it.
func (s *Store) ClaimCallbackJobs(ctx context.Context, priority, n int, holder string, now, leaseUntil time.Time) ([]CallbackJob, error) {
	var out []CallbackJob
	err := s.InTx(ctx, func(tx *Tx) error {
		ids, err := tx.dueJobIDs(ctx, priority, n, now)
		if err != nil || len(ids) == 0 {
			return err
		}
		var won []any
		for _, id := range ids {
			err := tx.execOne(ctx, "UPDATE callback_jobs SET lease_holder = ?, lease_until = ?, updated_at = ? WHERE id = ? AND "+dueJob,
				holder, MS(leaseUntil), MS(now), id, MS(now), MS(now))
			if errors.Is(err, ErrConflict) {
				continue
			}
			if err != nil {
				return err
			}
			won = append(won, id)
		}
		if len(won) == 0 {
			return nil
		}
		q := "SELECT " + jobCols + " FROM callback_jobs WHERE lease_holder = ? AND id IN (?" + strings.Repeat(", ?", len(won)-1) + ") ORDER BY id"
		out, err = tx.scanJobs(ctx, "read claimed jobs", q, append([]any{holder}, won...)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim callback jobs: %w", err)
	}
	return out, nil
}

func (c conn) dueJobIDs(ctx context.Context, priority, n int, now time.Time) ([]int64, error) {
	rows, err := c.query(ctx, "SELECT id FROM callback_jobs WHERE "+dueJob+" AND priority = ? ORDER BY next_attempt_at, id LIMIT ?"+
		c.d.SkipLocked(), MS(now), MS(now), priority, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ResendCallbackJob makes a job due at now again, keeping its event id and
// dropping any lease. A pending job keeps its retry budget; a delivered or
// failed one gets exactly one more attempt. An unknown id changes nothing.
func (c conn) ResendCallbackJob(ctx context.Context, id int64, now time.Time) error {
	// max_attempts comes first: MySQL evaluates SET assignments left to
	// right, so the CASE must read status before it changes.
	_, err := c.exec(ctx, `UPDATE callback_jobs SET
 max_attempts = CASE WHEN status = 'pending' AND max_attempts > attempts THEN max_attempts ELSE attempts + 1 END,
 status = 'pending', next_attempt_at = ?, lease_holder = NULL, lease_until = NULL, updated_at = ? WHERE id = ?`,
		MS(now), MS(now), id)
	if err != nil {
		return fmt.Errorf("resend callback job %d: %w", id, err)
	}
	return nil
}

// CallbackQueueStats returns the number of pending jobs and the time the
// oldest of them became due (nil when none is pending).
func (c conn) CallbackQueueStats(ctx context.Context) (int, *time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := c.queryRow(ctx, "SELECT COUNT(*), MIN(next_attempt_at) FROM callback_jobs WHERE status = 'pending'").Scan(&n, &oldest)
	if err != nil {
		return 0, nil, fmt.Errorf("callback queue stats: %w", err)
	}
	return n, fromNullMS(oldest), nil
}
