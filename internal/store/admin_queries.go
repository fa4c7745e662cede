package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Read models of the admin console: searching and paging orders and
// transfers, dashboard aggregates and per-wallet totals.

// OrderFilter selects orders for SearchOrders; zero fields do not filter.
type OrderFilter struct {
	Status int    // store.Order* status
	Chain  string //
	Since  time.Time
	Until  time.Time
	// Terms: an order matches when its trade_id, order_id, wallet or tx
	// hash equals one of them (callers pass the spellings to try).
	Terms  []string
	Limit  int // <= 0 or > 1000: 50
	Offset int
}

func inList(col string, n int) string {
	return col + " IN (?" + strings.Repeat(", ?", n-1) + ")"
}

func (f OrderFilter) where() (string, []any) {
	w, args := "1=1", []any{}
	if f.Status != 0 {
		w, args = w+" AND status = ?", append(args, f.Status)
	}
	if f.Chain != "" {
		w, args = w+" AND chain = ?", append(args, f.Chain)
	}
	if !f.Since.IsZero() {
		w, args = w+" AND created_at >= ?", append(args, MS(f.Since))
	}
	if !f.Until.IsZero() {
		w, args = w+" AND created_at < ?", append(args, MS(f.Until))
	}
	if n := len(f.Terms); n > 0 {
		var ors []string
		for _, col := range []string{"trade_id", "order_id", "token", "block_transaction_id"} {
			ors = append(ors, inList(col, n))
			for _, t := range f.Terms {
				args = append(args, t)
			}
		}
		w += " AND (" + strings.Join(ors, " OR ") + ")"
	}
	return w, args
}

func pageOf(limit, offset, def int) (int, int) {
	if limit <= 0 || limit > 1000 {
		limit = def
	}
	return limit, max(offset, 0)
}

// SearchOrders returns one page of the orders f selects, newest first, and
// how many it selects in all.
func (c conn) SearchOrders(ctx context.Context, f OrderFilter) ([]Order, int, error) {
	where, args := f.where()
	var total int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM orders WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count orders: %w", err)
	}
	limit, offset := pageOf(f.Limit, f.Offset, 50)
	out, err := c.listOrders(ctx, "search orders", where+fmt.Sprintf(" ORDER BY id DESC LIMIT %d OFFSET %d", limit, offset), args...)
	return out, total, err
}

// OrdersWithTx lists the orders whose block_transaction_id is txHash.
func (c conn) OrdersWithTx(ctx context.Context, txHash string) ([]Order, error) {
	return c.listOrders(ctx, "orders paid by "+txHash, "block_transaction_id = ? ORDER BY id", txHash)
}

// OrderStatusCounts counts the orders created in [since, until) by status.
func (c conn) OrderStatusCounts(ctx context.Context, since, until time.Time) (map[int]int, error) {
	rows, err := c.query(ctx, "SELECT status, COUNT(*) FROM orders WHERE created_at >= ? AND created_at < ? GROUP BY status",
		MS(since), MS(until))
	if err != nil {
		return nil, fmt.Errorf("count orders by status: %w", err)
	}
	defer rows.Close()
	out := map[int]int{}
	for rows.Next() {
		var st, n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count orders by status: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// PaidAmount is the USDT amount of one paid order, for volume sums.
type PaidAmount struct {
	Chain         string
	TokenContract string
	ActualAmount  string
	PaidAt        time.Time
}

// PaidAmountsSince lists the amounts of orders paid at or after since.
// Amounts are decimal text; the caller sums them exactly.
func (c conn) PaidAmountsSince(ctx context.Context, since time.Time) ([]PaidAmount, error) {
	rows, err := c.query(ctx, "SELECT chain, token_contract, actual_amount, paid_at FROM orders WHERE status = ? AND paid_at >= ?",
		OrderPaid, MS(since))
	if err != nil {
		return nil, fmt.Errorf("paid amounts: %w", err)
	}
	defer rows.Close()
	var out []PaidAmount
	for rows.Next() {
		var p PaidAmount
		var at int64
		if err := rows.Scan(&p.Chain, &p.TokenContract, &p.ActualAmount, &at); err != nil {
			return nil, fmt.Errorf("paid amounts: %w", err)
		}
		p.PaidAt = FromMS(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// CallbackJobCounts counts callback jobs by status; "retrying" counts the
// pending jobs that have failed at least once.
func (c conn) CallbackJobCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	rows, err := c.query(ctx, "SELECT status, COUNT(*) FROM callback_jobs GROUP BY status")
	if err != nil {
		return nil, fmt.Errorf("count callback jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count callback jobs: %w", err)
		}
		out[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count callback jobs: %w", err)
	}
	var retrying int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM callback_jobs WHERE status = ? AND attempts > 0", CallbackPending).Scan(&retrying); err != nil {
		return nil, fmt.Errorf("count retrying callbacks: %w", err)
	}
	out["retrying"] = retrying
	return out, nil
}

// TransferFilter selects transfers for SearchTransfers; zero fields do not
// filter.
type TransferFilter struct {
	Chain string
	// Match: a store.Match* value, or "attention" for the ones an operator
	// should look at (unmatched, late, late_recorded).
	Match  string
	State  string
	Terms  []string // tx hash, from or to address, trade_id
	Since  time.Time
	Limit  int // <= 0 or > 1000: 50
	Offset int
}

// MatchAttention is the TransferFilter.Match value selecting transfers that
// need an operator's eye.
const MatchAttention = "attention"

func (f TransferFilter) where() (string, []any) {
	w, args := "1=1", []any{}
	if f.Chain != "" {
		w, args = w+" AND chain = ?", append(args, f.Chain)
	}
	switch f.Match {
	case "":
	case MatchAttention:
		w, args = w+" AND match_status IN (?, ?, ?)", append(args, MatchUnmatched, MatchLate, MatchLateOnly)
	default:
		w, args = w+" AND match_status = ?", append(args, f.Match)
	}
	if f.State != "" {
		w, args = w+" AND state = ?", append(args, f.State)
	}
	if !f.Since.IsZero() {
		w, args = w+" AND created_at >= ?", append(args, MS(f.Since))
	}
	if n := len(f.Terms); n > 0 {
		var ors []string
		for _, col := range []string{"tx_hash", "from_address", "to_address", "trade_id"} {
			ors = append(ors, inList(col, n))
			for _, t := range f.Terms {
				args = append(args, t)
			}
		}
		w += " AND (" + strings.Join(ors, " OR ") + ")"
	}
	return w, args
}

func (c conn) listTransfers(ctx context.Context, what, where string, args ...any) ([]Transfer, error) {
	return queryAll(ctx, c, what, func(r rowScanner) (Transfer, error) { return scanTransferRow(r) },
		"SELECT "+scanTransferCols+" FROM transfers WHERE "+where, args...)
}

// SearchTransfers returns one page of the transfers f selects, newest
// first, and how many it selects in all.
func (c conn) SearchTransfers(ctx context.Context, f TransferFilter) ([]Transfer, int, error) {
	where, args := f.where()
	var total int
	if err := c.queryRow(ctx, "SELECT COUNT(*) FROM transfers WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count transfers: %w", err)
	}
	limit, offset := pageOf(f.Limit, f.Offset, 50)
	out, err := c.listTransfers(ctx, "search transfers", where+fmt.Sprintf(" ORDER BY id DESC LIMIT %d OFFSET %d", limit, offset), args...)
	return out, total, err
}

// GetTransfer finds a transfer by id.
func (c conn) GetTransfer(ctx context.Context, id int64) (Transfer, error) {
	ts, err := c.listTransfers(ctx, "get transfer", "id = ?", id)
	if err != nil {
		return Transfer{}, err
	}
	if len(ts) == 0 {
		return Transfer{}, ErrNotFound
	}
	return ts[0], nil
}

// TransfersOfTx lists the stored transfers of one transaction.
func (c conn) TransfersOfTx(ctx context.Context, chain, txHash string) ([]Transfer, error) {
	return c.listTransfers(ctx, "transfers of "+txHash, "chain = ? AND tx_hash = ? ORDER BY log_index", chain, txHash)
}

// WalletReceipt is one settled transfer's amount to a wallet, for totals.
type WalletReceipt struct {
	Chain         string
	To            string
	TokenContract string
	AmountUnits   string
	Decimals      int
}

// SettledReceipts lists the amounts of every settled transfer, for
// per-wallet received totals (summed exactly by the caller).
func (c conn) SettledReceipts(ctx context.Context) ([]WalletReceipt, error) {
	rows, err := c.query(ctx, "SELECT chain, to_address, token_contract, amount_units, decimals FROM transfers WHERE state = ?", TransferSettled)
	if err != nil {
		return nil, fmt.Errorf("settled receipts: %w", err)
	}
	defer rows.Close()
	var out []WalletReceipt
	for rows.Next() {
		var r WalletReceipt
		if err := rows.Scan(&r.Chain, &r.To, &r.TokenContract, &r.AmountUnits, &r.Decimals); err != nil {
			return nil, fmt.Errorf("settled receipts: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetWalletByID finds a wallet by id (removed ones too).
func (c conn) GetWalletByID(ctx context.Context, id int64) (Wallet, error) {
	w, err := scanWallet(c.queryRow(ctx, "SELECT "+walletCols+" FROM wallets WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Wallet{}, ErrNotFound
	}
	if err != nil {
		return Wallet{}, fmt.Errorf("get wallet %d: %w", id, err)
	}
	return w, nil
}

// DeliveryFilter selects callback deliveries for ListDeliveries.
type DeliveryFilter struct {
	FailedOnly bool  // only attempts that were not acknowledged with "ok"
	BeforeID   int64 // > 0: only older rows (paging)
	Limit      int   // <= 0 or > 1000: 100
}

// ListDeliveries lists the callback delivery log across orders, newest
// first.
func (c conn) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]CallbackDelivery, error) {
	q := `SELECT d.id, d.job_id, d.event_id, d.trade_id, d.attempt, d.url, d.http_status, d.duration_ms, d.response_body,
 d.error, d.created_at FROM callback_deliveries d WHERE 1=1`
	var args []any
	if f.FailedOnly {
		q += " AND d.error <> ''"
	}
	if f.BeforeID > 0 {
		q, args = q+" AND d.id < ?", append(args, f.BeforeID)
	}
	limit, _ := pageOf(f.Limit, 0, 100)
	rows, err := c.query(ctx, q+fmt.Sprintf(" ORDER BY d.id DESC LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []CallbackDelivery
	for rows.Next() {
		var d CallbackDelivery
		var ms, created int64
		if err := rows.Scan(&d.ID, &d.JobID, &d.EventID, &d.TradeID, &d.Attempt, &d.URL, &d.HTTPStatus, &ms,
			&d.ResponseBody, &d.Error, &created); err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		d.Duration, d.CreatedAt = time.Duration(ms)*time.Millisecond, FromMS(created)
		out = append(out, d)
	}
	return out, rows.Err()
}
