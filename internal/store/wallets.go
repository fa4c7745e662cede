package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Wallet status values, as upstream stored them.
const (
	WalletEnabled  = 1
	WalletDisabled = 2
)

// ErrDuplicate is returned when a row with the same unique key exists.
var ErrDuplicate = errors.New("already exists")

// Wallet is a merchant's receiving address on one chain.
type Wallet struct {
	ID        int64
	Chain     string
	Address   string
	Label     string
	Status    int
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time
}

const walletCols = "id, chain, address, label, status, created_at, updated_at, deleted_at"

func scanWallet(sc interface{ Scan(...any) error }) (Wallet, error) {
	var w Wallet
	var created, updated int64
	var deleted sql.NullInt64
	err := sc.Scan(&w.ID, &w.Chain, &w.Address, &w.Label, &w.Status, &created, &updated, &deleted)
	w.CreatedAt, w.UpdatedAt, w.DeletedAt = FromMS(created), FromMS(updated), fromNullMS(deleted)
	return w, err
}

// AddWallet stores a new enabled wallet. Adding a wallet that was removed
// before restores it (history is kept); adding a live duplicate returns
// ErrDuplicate.
func (c conn) AddWallet(ctx context.Context, chain, address, label string, now time.Time) (Wallet, error) {
	existing, err := c.GetWallet(ctx, chain, address, true)
	switch {
	case err == nil && existing.DeletedAt == nil:
		return Wallet{}, fmt.Errorf("wallet %s on %s: %w", address, chain, ErrDuplicate)
	case err == nil:
		_, err = c.exec(ctx, "UPDATE wallets SET deleted_at = NULL, status = ?, label = ?, updated_at = ? WHERE id = ?",
			WalletEnabled, label, MS(now), existing.ID)
		if err != nil {
			return Wallet{}, fmt.Errorf("restore wallet: %w", err)
		}
		return c.GetWallet(ctx, chain, address, false)
	case !errors.Is(err, ErrNotFound):
		return Wallet{}, err
	}
	_, err = c.insertID(ctx, "INSERT INTO wallets (chain, address, label, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		chain, address, label, WalletEnabled, MS(now), MS(now))
	if IsUniqueViolation(err) {
		return Wallet{}, fmt.Errorf("wallet %s on %s: %w", address, chain, ErrDuplicate)
	}
	if err != nil {
		return Wallet{}, fmt.Errorf("add wallet: %w", err)
	}
	return c.GetWallet(ctx, chain, address, false)
}

// GetWallet finds a wallet by chain and stored address form.
func (c conn) GetWallet(ctx context.Context, chain, address string, withDeleted bool) (Wallet, error) {
	q := "SELECT " + walletCols + " FROM wallets WHERE chain = ? AND address = ?"
	if !withDeleted {
		q += " AND deleted_at IS NULL"
	}
	w, err := scanWallet(c.queryRow(ctx, q, chain, address))
	if errors.Is(err, sql.ErrNoRows) {
		return Wallet{}, ErrNotFound
	}
	if err != nil {
		return Wallet{}, fmt.Errorf("get wallet: %w", err)
	}
	return w, nil
}

// ListWallets lists wallets (all chains when chain is ""), oldest first.
func (c conn) ListWallets(ctx context.Context, chain string, withDeleted bool) ([]Wallet, error) {
	q := "SELECT " + walletCols + " FROM wallets WHERE 1=1"
	var args []any
	if chain != "" {
		q += " AND chain = ?"
		args = append(args, chain)
	}
	if !withDeleted {
		q += " AND deleted_at IS NULL"
	}
	rows, err := c.query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("list wallets: %w", err)
	}
	defer rows.Close()
	var out []Wallet
	for rows.Next() {
		w, err := scanWallet(rows)
		if err != nil {
			return nil, fmt.Errorf("list wallets: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// EnabledWallets lists the enabled, not removed wallets of one chain.
func (c conn) EnabledWallets(ctx context.Context, chain string) ([]Wallet, error) {
	ws, err := c.ListWallets(ctx, chain, false)
	if err != nil {
		return nil, err
	}
	out := ws[:0]
	for _, w := range ws {
		if w.Status == WalletEnabled {
			out = append(out, w)
		}
	}
	return out, nil
}

// SetWalletStatus enables or disables a live wallet.
func (c conn) SetWalletStatus(ctx context.Context, chain, address string, status int, now time.Time) error {
	if status != WalletEnabled && status != WalletDisabled {
		return fmt.Errorf("set wallet status: invalid status %d", status)
	}
	err := c.execOne(ctx, "UPDATE wallets SET status = ?, updated_at = ? WHERE chain = ? AND address = ? AND deleted_at IS NULL",
		status, MS(now), chain, address)
	if errors.Is(err, ErrConflict) {
		return ErrNotFound
	}
	return err
}

// SetWalletLabel changes a live wallet's label.
func (c conn) SetWalletLabel(ctx context.Context, chain, address, label string, now time.Time) error {
	err := c.execOne(ctx, "UPDATE wallets SET label = ?, updated_at = ? WHERE chain = ? AND address = ? AND deleted_at IS NULL",
		label, MS(now), chain, address)
	if errors.Is(err, ErrConflict) {
		return ErrNotFound
	}
	return err
}

// RemoveWallet soft-deletes a wallet: it stops receiving orders but its
// history stays.
func (c conn) RemoveWallet(ctx context.Context, chain, address string, now time.Time) error {
	err := c.execOne(ctx, "UPDATE wallets SET deleted_at = ?, status = ?, updated_at = ? WHERE chain = ? AND address = ? AND deleted_at IS NULL",
		MS(now), WalletDisabled, MS(now), chain, address)
	if errors.Is(err, ErrConflict) {
		return ErrNotFound
	}
	return err
}
