package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// Slot is a held (chain, token contract, wallet, amount) combination: while
// the row exists and HeldUntil is not past, no other order may use the same
// wallet and amount, so a transfer can only ever belong to one order. The
// UNIQUE key on those four columns makes the database the judge.
type Slot struct {
	Chain         string
	TokenContract string
	Wallet        string
	AmountUnits   string
	TradeID       string
	HeldUntil     time.Time
	CreatedAt     time.Time
}

// SlotHolds returns the slot rows of one chain and token whose amount is
// one of units (any wallet), so a caller can skip taken candidates before
// trying to claim. The answer is advisory: ClaimSlot decides.
func (c conn) SlotHolds(ctx context.Context, chain, contract string, units []string) ([]Slot, error) {
	if len(units) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(units)+2)
	args = append(args, chain, contract)
	for _, u := range units {
		args = append(args, u)
	}
	q := `SELECT wallet, amount_units, trade_id, held_until, created_at FROM amount_slots
 WHERE chain = ? AND token_contract = ? AND amount_units IN (?` + strings.Repeat(", ?", len(units)-1) + ")"
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read slot holds: %w", err)
	}
	defer rows.Close()
	var out []Slot
	for rows.Next() {
		s := Slot{Chain: chain, TokenContract: contract}
		var held, created int64
		if err := rows.Scan(&s.Wallet, &s.AmountUnits, &s.TradeID, &held, &created); err != nil {
			return nil, fmt.Errorf("read slot holds: %w", err)
		}
		s.HeldUntil, s.CreatedAt = FromMS(held), FromMS(created)
		out = append(out, s)
	}
	return out, rows.Err()
}

// ClaimSlot tries to hold s for s.TradeID. A row whose hold ended before now
// is reclaimed (deleted and re-inserted in this transaction). It returns
// false, without error and without aborting the transaction, when another
// order holds the slot.
func (c conn) ClaimSlot(ctx context.Context, s Slot, now time.Time) (bool, error) {
	ok, err := c.InsertSlot(ctx, s)
	if err != nil || ok {
		return ok, err
	}
	res, err := c.exec(ctx, `DELETE FROM amount_slots WHERE chain = ? AND token_contract = ? AND wallet = ? AND amount_units = ?
 AND held_until < ?`, s.Chain, s.TokenContract, s.Wallet, s.AmountUnits, MS(now))
	if err != nil {
		return false, fmt.Errorf("reclaim slot %s %s: %w", s.Wallet, s.AmountUnits, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	return c.InsertSlot(ctx, s)
}

// InsertSlot holds s for s.TradeID if no row holds its (chain, token
// contract, wallet, amount), ended or not; it returns false, without error
// and without aborting the transaction, when one does.
func (c conn) InsertSlot(ctx context.Context, s Slot) (bool, error) {
	res, err := c.exec(ctx, c.d.InsertIgnore(`INSERT INTO amount_slots (chain, token_contract, wallet, amount_units, trade_id,
 held_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		s.Chain, s.TokenContract, s.Wallet, s.AmountUnits, s.TradeID, MS(s.HeldUntil), MS(s.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("claim slot %s %s: %w", s.Wallet, s.AmountUnits, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim slot %s %s: %w", s.Wallet, s.AmountUnits, err)
	}
	return n == 1, nil
}

// ReleaseSlot deletes the slot of a trade (after it is paid).
func (c conn) ReleaseSlot(ctx context.Context, tradeID string) error {
	if _, err := c.exec(ctx, "DELETE FROM amount_slots WHERE trade_id = ?", tradeID); err != nil {
		return fmt.Errorf("release slot of %s: %w", tradeID, err)
	}
	return nil
}

// HoldSlotUntil changes how long the slot of a trade stays held.
func (c conn) HoldSlotUntil(ctx context.Context, tradeID string, until time.Time) error {
	if _, err := c.exec(ctx, "UPDATE amount_slots SET held_until = ? WHERE trade_id = ?", MS(until), tradeID); err != nil {
		return fmt.Errorf("hold slot of %s: %w", tradeID, err)
	}
	return nil
}

// DeleteExpiredSlots removes the slots whose hold ended before now and
// returns how many it removed.
func (c conn) DeleteExpiredSlots(ctx context.Context, now time.Time) (int64, error) {
	res, err := c.exec(ctx, "DELETE FROM amount_slots WHERE held_until < ?", MS(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired slots: %w", err)
	}
	return res.RowsAffected()
}

// HeldSlotCounts counts the slots still held at now, per chain.
func (c conn) HeldSlotCounts(ctx context.Context, now time.Time) (map[string]int, error) {
	rows, err := c.query(ctx, "SELECT chain, COUNT(*) FROM amount_slots WHERE held_until >= ? GROUP BY chain", MS(now))
	if err != nil {
		return nil, fmt.Errorf("count held slots: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var chain string
		var n int
		if err := rows.Scan(&chain, &n); err != nil {
			return nil, fmt.Errorf("count held slots: %w", err)
		}
		out[chain] = n
	}
	return out, rows.Err()
}

// IsTxConflict reports whether err is a transient conflict between
// concurrent transactions that a retry of the whole transaction resolves:
// a MySQL deadlock or lock wait timeout, a PostgreSQL serialization failure
// or deadlock.
func IsTxConflict(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return false
}
