package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AcquireLease takes or renews the named lease for holder until now+ttl and
// reports whether holder holds it afterwards. The lease is taken over only
// when it has expired; the conditional UPDATE (or the insert of a missing
// row) decides, so at most one holder wins however many instances race.
func (c conn) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	until := MS(now.Add(ttl))
	res, err := c.exec(ctx, "UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND (holder = ? OR expires_at <= ?)",
		holder, until, name, holder, MS(now))
	if err != nil {
		return false, fmt.Errorf("renew lease %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return true, nil
	}
	res, err = c.exec(ctx, c.d.InsertIgnore("INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)"), name, holder, until)
	if err != nil {
		return false, fmt.Errorf("take lease %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return true, nil
	}
	// MySQL reports 0 rows affected when an UPDATE changes nothing (a renewal
	// within the same millisecond): read the row to be sure.
	got, exp, err := c.LeaseHolder(ctx, name)
	if err != nil {
		return false, err
	}
	return got == holder && exp.After(now), nil
}

// LeaseHolder returns who holds the named lease and until when;
// ErrNotFound when nobody ever took it.
func (c conn) LeaseHolder(ctx context.Context, name string) (string, time.Time, error) {
	var holder string
	var exp int64
	err := c.queryRow(ctx, "SELECT holder, expires_at FROM leases WHERE name = ?", name).Scan(&holder, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, ErrNotFound
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read lease %s: %w", name, err)
	}
	return holder, FromMS(exp), nil
}

// ReleaseLease ends holder's lease at once so another instance can take it
// over without waiting for it to expire. Releasing a lease held by someone
// else changes nothing.
func (c conn) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := c.exec(ctx, "UPDATE leases SET expires_at = 0 WHERE name = ? AND holder = ?", name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}
