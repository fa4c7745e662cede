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
