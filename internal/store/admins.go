package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// Admin status values.
const (
	AdminActive   = 1
	AdminDisabled = 2
)

// Admin is an operator of the admin console. PasswordHash is a bcrypt hash;
// TOTPSecret is the base32 TOTP key ("" when the second factor is off).
type Admin struct {
	ID                int64
	Username          string
	PasswordHash      string
	TOTPSecret        string
	Status            int
	FailedLogins      int
	LockedUntil       time.Time // zero when not locked
	PasswordChangedAt time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

const adminCols = "id, username, password_hash, totp_secret, status, failed_logins, locked_until, password_changed_at, created_at, updated_at"

func scanAdmin(sc interface{ Scan(...any) error }) (Admin, error) {
	var a Admin
	var locked, changed, created, updated int64
	err := sc.Scan(&a.ID, &a.Username, &a.PasswordHash, &a.TOTPSecret, &a.Status, &a.FailedLogins, &locked,
		&changed, &created, &updated)
	if locked > 0 {
		a.LockedUntil = FromMS(locked)
	}
	a.PasswordChangedAt, a.CreatedAt, a.UpdatedAt = FromMS(changed), FromMS(created), FromMS(updated)
	return a, err
}

func (c conn) getAdmin(ctx context.Context, what, where string, arg any) (Admin, error) {
	a, err := scanAdmin(c.queryRow(ctx, "SELECT "+adminCols+" FROM admins WHERE "+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Admin{}, ErrNotFound
	}
	if err != nil {
		return Admin{}, fmt.Errorf("get admin %s: %w", what, err)
	}
	return a, nil
}

// CreateAdmin stores a new active admin; a taken user name gives
// ErrDuplicate.
func (c conn) CreateAdmin(ctx context.Context, username, passwordHash string, now time.Time) (Admin, error) {
	_, err := c.insertID(ctx, `INSERT INTO admins (username, password_hash, totp_secret, status, failed_logins, locked_until,
 password_changed_at, created_at, updated_at) VALUES (?, ?, '', ?, 0, 0, ?, ?, ?)`,
		username, passwordHash, AdminActive, MS(now), MS(now), MS(now))
	if IsUniqueViolation(err) {
		return Admin{}, fmt.Errorf("admin %s: %w", username, ErrDuplicate)
	}
	if err != nil {
		return Admin{}, fmt.Errorf("create admin %s: %w", username, err)
	}
	return c.GetAdminByName(ctx, username)
}

// GetAdminByName finds an admin by user name.
func (c conn) GetAdminByName(ctx context.Context, username string) (Admin, error) {
	return c.getAdmin(ctx, username, "username = ?", username)
}

// GetAdmin finds an admin by id.
func (c conn) GetAdmin(ctx context.Context, id int64) (Admin, error) {
	return c.getAdmin(ctx, fmt.Sprint(id), "id = ?", id)
}

// CountAdmins returns the number of admins (any status).
func (c conn) CountAdmins(ctx context.Context) (int, error) {
	var n int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM admins").Scan(&n); err != nil {
		return 0, fmt.Errorf("count admins: %w", err)
	}
	return n, nil
}

// SetAdminPassword replaces an admin's password hash, records when, and
// clears failed logins and any lock.
func (c conn) SetAdminPassword(ctx context.Context, id int64, passwordHash string, now time.Time) error {
	err := c.execOne(ctx, `UPDATE admins SET password_hash = ?, password_changed_at = ?, failed_logins = 0, locked_until = 0,
 updated_at = ? WHERE id = ?`, passwordHash, MS(now), MS(now), id)
	if errors.Is(err, ErrConflict) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set admin %d password: %w", id, err)
	}
	return nil
}

// SetAdminTOTP sets (or with "" clears) an admin's TOTP secret and, in the
// same statement, the last time step used (the step of the code that
// enabled it, so that code cannot then log in; 0 when clearing).
func (c conn) SetAdminTOTP(ctx context.Context, id int64, secret string, usedStep uint64, now time.Time) error {
	step, err := stepArg(usedStep)
	if err != nil {
		return fmt.Errorf("set admin %d totp: %w", id, err)
	}
	err = c.execOne(ctx, "UPDATE admins SET totp_secret = ?, totp_last_step = ?, updated_at = ? WHERE id = ?",
		secret, step, MS(now), id)
	if errors.Is(err, ErrConflict) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set admin %d totp: %w", id, err)
	}
	return nil
}

// UseAdminTOTPStep records that an admin logged in with the TOTP code of
// step. It returns false, changing nothing, when a code of that step or a
// later one was used already: the code is a replay. The conditional update
// decides between concurrent logins, on one instance or several.
func (c conn) UseAdminTOTPStep(ctx context.Context, id int64, step uint64) (bool, error) {
	arg, err := stepArg(step)
	if err != nil {
		return false, fmt.Errorf("use totp step of admin %d: %w", id, err)
	}
	res, err := c.exec(ctx, "UPDATE admins SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", arg, id, arg)
	if err != nil {
		return false, fmt.Errorf("use totp step of admin %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use totp step of admin %d: %w", id, err)
	}
	return n == 1, nil
}

// stepArg is a TOTP time step as the BIGINT column stores it.
func stepArg(step uint64) (int64, error) {
	if step > math.MaxInt64 {
		return 0, fmt.Errorf("totp step %d out of range", step)
	}
	return int64(step), nil
}

// AdminLoginFailed counts one failed login of an admin and, in the same
// transaction, sets locked_until to now + lockFor(failures) when lockFor
// returns a positive duration. It returns the admin as updated.
func (s *Store) AdminLoginFailed(ctx context.Context, id int64, now time.Time, lockFor func(failures int) time.Duration) (Admin, error) {
	var out Admin
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "UPDATE admins SET failed_logins = failed_logins + 1, updated_at = ? WHERE id = ?", MS(now), id); err != nil {
			return err
		}
		a, err := tx.GetAdmin(ctx, id)
		if err != nil {
			return err
		}
		if d := lockFor(a.FailedLogins); d > 0 {
			a.LockedUntil = now.Add(d)
			if _, err := tx.exec(ctx, "UPDATE admins SET locked_until = ? WHERE id = ?", MS(a.LockedUntil), id); err != nil {
				return err
			}
		}
		out = a
		return nil
	})
	if err != nil {
		return Admin{}, fmt.Errorf("count failed login of admin %d: %w", id, err)
	}
	return out, nil
}

// AdminLoginSucceeded clears an admin's failed login count and lock.
func (c conn) AdminLoginSucceeded(ctx context.Context, id int64, now time.Time) error {
	if _, err := c.exec(ctx, "UPDATE admins SET failed_logins = 0, locked_until = 0, updated_at = ? WHERE id = ? AND (failed_logins <> 0 OR locked_until <> 0)",
		MS(now), id); err != nil {
		return fmt.Errorf("reset failed logins of admin %d: %w", id, err)
	}
	return nil
}

// RefreshToken is one admin refresh token, stored as a hash. Tokens of one
// login share a Family; each refresh uses one token and issues the next.
type RefreshToken struct {
	ID        int64
	AdminID   int64
	TokenHash string
	Family    string
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// InsertRefreshToken stores a new refresh token.
func (c conn) InsertRefreshToken(ctx context.Context, t RefreshToken) error {
	if _, err := c.exec(ctx, `INSERT INTO admin_refresh_tokens (admin_id, token_hash, family, expires_at, created_at)
 VALUES (?, ?, ?, ?, ?)`, t.AdminID, t.TokenHash, t.Family, MS(t.ExpiresAt), MS(t.CreatedAt)); err != nil {
		return fmt.Errorf("store refresh token: %w", err)
	}
	return nil
}

// GetRefreshToken finds a refresh token by its hash.
func (c conn) GetRefreshToken(ctx context.Context, tokenHash string) (RefreshToken, error) {
	var t RefreshToken
	var expires, created int64
	var used, revoked sql.NullInt64
	err := c.queryRow(ctx, `SELECT id, admin_id, token_hash, family, expires_at, used_at, revoked_at, created_at
 FROM admin_refresh_tokens WHERE token_hash = ?`, tokenHash).Scan(&t.ID, &t.AdminID, &t.TokenHash, &t.Family,
		&expires, &used, &revoked, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return RefreshToken{}, ErrNotFound
	}
	if err != nil {
		return RefreshToken{}, fmt.Errorf("get refresh token: %w", err)
	}
	t.ExpiresAt, t.CreatedAt, t.UsedAt, t.RevokedAt = FromMS(expires), FromMS(created), fromNullMS(used), fromNullMS(revoked)
	return t, nil
}

// UseRefreshToken marks a live refresh token used; ErrConflict when it was
// used or revoked already (so two concurrent refreshes cannot both win).
func (c conn) UseRefreshToken(ctx context.Context, id int64, now time.Time) error {
	err := c.execOne(ctx, "UPDATE admin_refresh_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL", MS(now), id)
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("use refresh token %d: %w", id, err)
	}
	return err
}

// RevokeRefreshFamily revokes every token of one login.
func (c conn) RevokeRefreshFamily(ctx context.Context, family string, now time.Time) (int64, error) {
	res, err := c.exec(ctx, "UPDATE admin_refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL", MS(now), family)
	if err != nil {
		return 0, fmt.Errorf("revoke refresh family: %w", err)
	}
	return res.RowsAffected()
}

// RevokeAdminRefreshTokens revokes every token of an admin (all sessions).
func (c conn) RevokeAdminRefreshTokens(ctx context.Context, adminID int64, now time.Time) (int64, error) {
	res, err := c.exec(ctx, "UPDATE admin_refresh_tokens SET revoked_at = ? WHERE admin_id = ? AND revoked_at IS NULL", MS(now), adminID)
	if err != nil {
		return 0, fmt.Errorf("revoke refresh tokens of admin %d: %w", adminID, err)
	}
	return res.RowsAffected()
}

// RefreshFamilyLive reports whether a login (family) still has a token
// that is neither revoked nor expired at now: access tokens of a logged out
// or revoked session stop working with it.
func (c conn) RefreshFamilyLive(ctx context.Context, family string, now time.Time) (bool, error) {
	var n int
	err := c.queryRow(ctx, "SELECT COUNT(*) FROM admin_refresh_tokens WHERE family = ? AND revoked_at IS NULL AND expires_at > ?",
		family, MS(now)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check session: %w", err)
	}
	return n > 0, nil
}

// DeleteOldRefreshTokens removes tokens that expired before before.
func (c conn) DeleteOldRefreshTokens(ctx context.Context, before time.Time) (int64, error) {
	res, err := c.exec(ctx, "DELETE FROM admin_refresh_tokens WHERE expires_at < ?", MS(before))
	if err != nil {
		return 0, fmt.Errorf("delete old refresh tokens: %w", err)
	}
	return res.RowsAffected()
}
