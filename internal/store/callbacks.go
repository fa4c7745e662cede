package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
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
	return queryAll(ctx, c, what, func(r rowScanner) (CallbackJob, error) { return scanJob(r) }, q, args...)
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

// AnyCallbackDue reports whether some job can be claimed at now (a cheap
// probe for idle workers).
func (c conn) AnyCallbackDue(ctx context.Context, now time.Time) (bool, error) {
	var id int64
	err := c.queryRow(ctx, "SELECT id FROM callback_jobs WHERE "+dueJob+" ORDER BY next_attempt_at LIMIT 1", MS(now), MS(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look for due callbacks: %w", err)
	}
	return true, nil
}

// CallbackClaim asks ClaimCallbackJobs for jobs: Want[p] due jobs of
// priority p, oldest due first; slots a priority cannot fill go to due jobs
// of any priority.
type CallbackClaim struct {
	Want       map[int]int
	Holder     string // unique per claim: RecordCallbackAttempt checks it
	Now        time.Time
	LeaseUntil time.Time
}

// ClaimCallbackJobs leases due jobs to the claim's holder and returns them.
// A job is due when pending, its next_attempt_at has come and no live lease
// holds it. The lease is taken by a conditional UPDATE, so two claimers
// never get the same job; MySQL and PostgreSQL also skip rows another
// claimer has locked.
func (s *Store) ClaimCallbackJobs(ctx context.Context, cl CallbackClaim) ([]CallbackJob, error) {
	var out []CallbackJob
	err := s.inQueueTx(ctx, func(tx *Tx) error {
		out = nil
		ids, err := tx.pickDueJobs(ctx, cl)
		if err != nil || len(ids) == 0 {
			return err
		}
		in := "(?" + strings.Repeat(", ?", len(ids)-1) + ")"
		args := append([]any{cl.Holder, MS(cl.LeaseUntil), MS(cl.Now)}, ids...)
		if _, err := tx.exec(ctx, "UPDATE callback_jobs SET lease_holder = ?, lease_until = ?, updated_at = ? WHERE id IN "+in+
			" AND "+dueJob, append(args, MS(cl.Now), MS(cl.Now))...); err != nil {
			return err
		}
		out, err = tx.scanJobs(ctx, "read claimed jobs", "SELECT "+jobCols+" FROM callback_jobs WHERE lease_holder = ? AND id IN "+
			in+" ORDER BY next_attempt_at, id", append([]any{cl.Holder}, ids...)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim callback jobs: %w", err)
	}
	return out, nil
}

// pickDueJobs selects (and on MySQL/PostgreSQL locks) the ids to claim.
func (c conn) pickDueJobs(ctx context.Context, cl CallbackClaim) ([]any, error) {
	var ids []any
	short := 0
	for p, n := range cl.Want {
		if n <= 0 {
			continue
		}
		got, err := c.dueJobIDs(ctx, " AND priority = ?", []any{p}, n, cl.Now)
		if err != nil {
			return nil, err
		}
		ids = append(ids, got...)
		short += n - len(got)
	}
	if short == 0 {
		return ids, nil
	}
	var extra string
	if len(ids) > 0 {
		extra = " AND id NOT IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
	}
	more, err := c.dueJobIDs(ctx, extra, ids, short, cl.Now)
	return append(ids, more...), err
}

func (c conn) dueJobIDs(ctx context.Context, cond string, condArgs []any, n int, now time.Time) ([]any, error) {
	args := append(append([]any{MS(now), MS(now)}, condArgs...), n)
	rows, err := c.query(ctx, "SELECT id FROM callback_jobs WHERE "+dueJob+cond+" ORDER BY next_attempt_at, id LIMIT ?"+
		c.d.SkipLocked(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ReleaseCallbackLease drops holder's lease on a job it will not attempt.
func (c conn) ReleaseCallbackLease(ctx context.Context, id int64, holder string) error {
	if _, err := c.exec(ctx, "UPDATE callback_jobs SET lease_holder = NULL, lease_until = NULL WHERE id = ? AND lease_holder = ?",
		id, holder); err != nil {
		return fmt.Errorf("release callback job %d: %w", id, err)
	}
	return nil
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

// inQueueTx runs fn in a transaction for the callback queue. On MySQL it
// uses READ COMMITTED: under the default REPEATABLE READ the claim's
// locking read takes gap locks that block — and deadlock with — the
// payment transactions inserting new jobs. PostgreSQL already defaults to
// READ COMMITTED; SQLite serialises writers. A deadlock or serialization
// failure is retried up to twice.
func (s *Store) inQueueTx(ctx context.Context, fn func(tx *Tx) error) error {
	var opts *sql.TxOptions
	if s.d == MySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	var err error
	for range 3 {
		if err = s.runTx(ctx, opts, fn); !isRetryable(err) {
			return err
		}
	}
	return err
}

// isRetryable reports a deadlock or serialization failure, after which
// the whole transaction may simply be run again.
func isRetryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205 // deadlock, lock wait timeout
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40P01" || pe.Code == "40001"
	}
	return false
}
