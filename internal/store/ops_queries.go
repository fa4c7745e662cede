package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// OpsGauges are the database-derived numbers the metrics collector
// exports: the callback outbox backlog and the amount slots in use.
type OpsGauges struct {
	CallbackPending int            // callback jobs not yet delivered or failed for good
	OldestDue       *time.Time     // next_attempt_at of the oldest pending job already due; nil when none is due
	SlotsHeld       map[string]int // amount slots still held at now, per chain
	CheckedAt       time.Time      // the now the numbers were computed for
}

// OpsGauges reads the collector's numbers at now in two read-only queries
// on the read pool.
func (s *Store) OpsGauges(ctx context.Context, now time.Time) (OpsGauges, error) {
	r := s.read
	g := OpsGauges{CheckedAt: now}
	var oldest sql.NullInt64
	err := r.queryRow(ctx, `SELECT COUNT(*), MIN(CASE WHEN next_attempt_at <= ? THEN next_attempt_at END)
 FROM callback_jobs WHERE status = 'pending'`, MS(now)).Scan(&g.CallbackPending, &oldest)
	if err != nil {
		return g, fmt.Errorf("read callback backlog: %w", err)
	}
	g.OldestDue = fromNullMS(oldest)
	if g.SlotsHeld, err = r.HeldSlotCounts(ctx, now); err != nil {
		return g, err
	}
	return g, nil
}

// ScanCursorAges returns, per chain, when its scan cursor last moved. The
// cursor is shared by every instance, so this tells whether some instance
// is scanning the chain even where this one is not the lease holder.
func (s *Store) ScanCursorAges(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.read.query(ctx, "SELECT chain, updated_at FROM scan_cursors")
	if err != nil {
		return nil, fmt.Errorf("read scan cursors: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var chain string
		var ms int64
		if err := rows.Scan(&chain, &ms); err != nil {
			return nil, fmt.Errorf("read scan cursors: %w", err)
		}
		out[chain] = FromMS(ms)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read scan cursors: %w", err)
	}
	return out, nil
}
