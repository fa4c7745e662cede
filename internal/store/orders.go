package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Order status values, as the Epusdt API numbers them.
const (
	OrderWaiting = 1
	OrderPaid    = 2
	OrderExpired = 3
)

// Order is one payment request. Amount is the fiat amount exactly as the
// merchant sent it (shortest decimal text); ActualAmount the USDT amount
// (decimal text) and AmountUnits the same in token base units (integer text).
type Order struct {
	ID                 int64
	TradeID            string
	OrderID            string
	Chain              string
	TradeType          string
	TokenContract      string
	Decimals           int
	Fiat               string
	Amount             string
	Rate               string
	ActualAmount       string
	AmountUnits        string
	Token              string // the receiving wallet address
	Status             int
	NotifyURL          string
	RedirectURL        string
	BlockTransactionID string
	PaidAt             *time.Time
	Late               bool
	Canceled           bool
	CallbackNum        int
	CallbackConfirm    int // 1 delivered, 2 not (upstream's meaning)
	CreatedAt          time.Time
	ExpiresAt          time.Time
	UpdatedAt          time.Time
}

const orderCols = `id, trade_id, order_id, chain, trade_type, token_contract, decimals, fiat, amount, rate,
 actual_amount, amount_units, token, status, notify_url, redirect_url, block_transaction_id, paid_at,
 is_late, canceled, callback_num, callback_confirm, created_at, expires_at, updated_at`

func scanOrder(sc interface{ Scan(...any) error }) (Order, error) {
	var o Order
	var paid sql.NullInt64
	var late, canceled int
	var created, expires, updated int64
	err := sc.Scan(&o.ID, &o.TradeID, &o.OrderID, &o.Chain, &o.TradeType, &o.TokenContract, &o.Decimals, &o.Fiat,
		&o.Amount, &o.Rate, &o.ActualAmount, &o.AmountUnits, &o.Token, &o.Status, &o.NotifyURL, &o.RedirectURL,
		&o.BlockTransactionID, &paid, &late, &canceled, &o.CallbackNum, &o.CallbackConfirm, &created, &expires, &updated)
	o.PaidAt, o.Late, o.Canceled = fromNullMS(paid), late == 1, canceled == 1
	o.CreatedAt, o.ExpiresAt, o.UpdatedAt = FromMS(created), FromMS(expires), FromMS(updated)
	return o, err
}

// GetOrder finds an order by trade_id.
func (c conn) GetOrder(ctx context.Context, tradeID string) (Order, error) {
	o, err := scanOrder(c.queryRow(ctx, "SELECT "+orderCols+" FROM orders WHERE trade_id = ?", tradeID))
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("get order %s: %w", tradeID, err)
	}
	return o, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func scanOrders(rows *sql.Rows, what string) ([]Order, error) {
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func (c conn) listOrders(ctx context.Context, what, where string, args ...any) ([]Order, error) {
	rows, err := c.query(ctx, "SELECT "+orderCols+" FROM orders WHERE "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return scanOrders(rows, what)
}

// InsertOrder stores a new waiting order with active_order_id = order_id.
// It returns false (and no error) when another waiting or paid order of the
// same order_id holds active_order_id: the unique key decides races between
// concurrent requests and gateway instances. The insert never aborts the
// surrounding transaction (INSERT IGNORE / ON CONFLICT DO NOTHING).
func (c conn) InsertOrder(ctx context.Context, o Order) (bool, error) {
	q := c.d.InsertIgnore(`INSERT INTO orders (trade_id, order_id, active_order_id, chain, trade_type, token_contract, decimals,
 fiat, amount, rate, actual_amount, amount_units, token, status, notify_url, redirect_url, block_transaction_id,
 is_late, canceled, callback_num, callback_confirm, created_at, expires_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, 0, 0, 2, ?, ?, ?)`)
	res, err := c.exec(ctx, q, o.TradeID, o.OrderID, o.OrderID, o.Chain, o.TradeType, o.TokenContract, o.Decimals,
		o.Fiat, o.Amount, o.Rate, o.ActualAmount, o.AmountUnits, o.Token, OrderWaiting, o.NotifyURL, o.RedirectURL,
		MS(o.CreatedAt), MS(o.ExpiresAt), MS(o.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("insert order %s: %w", o.TradeID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert order %s: %w", o.TradeID, err)
	}
	return n == 1, nil
}

// OrdersByOrderID returns the trades created for a merchant order_id,
// newest first, at most limit.
func (c conn) OrdersByOrderID(ctx context.Context, orderID string, limit int) ([]Order, error) {
	return c.listOrders(ctx, "orders by order_id", "order_id = ? ORDER BY id DESC LIMIT ?", orderID, limit)
}

// ExpireOrder moves a waiting order to expired and frees its order_id for a
// new trade (active_order_id = NULL). canceled marks a merchant cancel;
// expiresAt is the order's new expiry (a cancel shortens it to now). It
// returns ErrConflict when the order was not waiting any more, so several
// instances expire each order once.
func (c conn) ExpireOrder(ctx context.Context, id int64, canceled bool, expiresAt, now time.Time) error {
	err := c.execOne(ctx, `UPDATE orders SET status = ?, active_order_id = NULL, canceled = ?, expires_at = ?, updated_at = ?
 WHERE id = ? AND status = ?`, OrderExpired, boolInt(canceled), MS(expiresAt), MS(now), id, OrderWaiting)
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("expire order %d: %w", id, err)
	}
	return err
}

// DueExpiries lists waiting orders whose expiry is at or before now, oldest
// first, at most limit.
func (c conn) DueExpiries(ctx context.Context, now time.Time, limit int) ([]Order, error) {
	return c.listOrders(ctx, "due expiries", "status = ? AND expires_at <= ? ORDER BY expires_at LIMIT ?",
		OrderWaiting, MS(now), limit)
}

// MarkOrderPaid records the payment of a waiting or expired order. It
// returns ErrConflict when the order is paid already (an order is never
// paid twice).
func (c conn) MarkOrderPaid(ctx context.Context, id int64, txHash string, paidAt time.Time, late bool, now time.Time) error {
	err := c.execOne(ctx, `UPDATE orders SET status = ?, block_transaction_id = ?, paid_at = ?, is_late = ?, updated_at = ?
 WHERE id = ? AND status IN (?, ?)`, OrderPaid, txHash, MS(paidAt), boolInt(late), MS(now), id, OrderWaiting, OrderExpired)
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("mark order %d paid: %w", id, err)
	}
	return err
}

// PaymentCandidates lists the orders on one wallet for one exact amount
// whose creation is not after createdBy and whose expiry is not before
// expiresFrom: the orders a transfer at some block time may pay. Newest
// first.
func (c conn) PaymentCandidates(ctx context.Context, chain, contract, wallet, units string, createdBy, expiresFrom time.Time) ([]Order, error) {
	return c.listOrders(ctx, "payment candidates", `chain = ? AND token = ? AND amount_units = ? AND token_contract = ?
 AND created_at <= ? AND expires_at >= ? ORDER BY id DESC LIMIT 20`, chain, wallet, units, contract, MS(createdBy), MS(expiresFrom))
}

// OrdersOnWallet lists recent orders of one wallet with the given status,
// newest first, at most limit (used to explain an unmatched transfer).
func (c conn) OrdersOnWallet(ctx context.Context, chain, contract, wallet string, status, limit int) ([]Order, error) {
	return c.listOrders(ctx, "orders on wallet", `chain = ? AND token = ? AND token_contract = ? AND status = ?
 ORDER BY id DESC LIMIT ?`, chain, wallet, contract, status, limit)
}

// HoldOrderID makes a paid order hold its order_id again (active_order_id)
// when it was paid after expiring, unless a newer trade of the same order_id
// holds it already; so a paid order_id keeps answering 10002.
func (c conn) HoldOrderID(ctx context.Context, id int64, orderID string) error {
	// The derived table lets MySQL read the table it updates.
	_, err := c.exec(ctx, `UPDATE orders SET active_order_id = order_id WHERE id = ? AND active_order_id IS NULL
 AND NOT EXISTS (SELECT 1 FROM (SELECT id FROM orders WHERE active_order_id = ?) held)`, id, orderID)
	if err != nil {
		return fmt.Errorf("hold order_id %s: %w", orderID, err)
	}
	return nil
}
