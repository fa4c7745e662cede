package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Queries the chain watcher uses to record transfers as it sees them:
// detected in the unsettled tail, settled once the settle rule says so,
// removed when a reorg drops them before they settled.

const scanTransferCols = `id, chain, token_contract, tx_hash, log_index, block_number, block_hash, block_time,
 from_address, to_address, amount_units, decimals, state, match_status, trade_id, note, created_at, updated_at`

func scanTransferRow(sc interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var logIndex, block, blockTime, created, updated int64
	var amount string
	var trade sql.NullString
	err := sc.Scan(&t.ID, &t.Chain, &t.TokenContract, &t.TxHash, &logIndex, &block, &t.BlockHash, &blockTime,
		&t.From, &t.To, &amount, &t.Decimals, &t.State, &t.MatchStatus, &trade, &t.Note, &created, &updated)
	if err != nil {
		return t, err
	}
	units, ok := new(big.Int).SetString(amount, 10)
	if !ok {
		return t, fmt.Errorf("transfer %d: amount %q is not an integer", t.ID, amount)
	}
	t.LogIndex, t.BlockNumber, t.AmountUnits, t.TradeID = uint(logIndex), uint64(block), units, trade.String
	t.BlockTime, t.CreatedAt, t.UpdatedAt = FromMS(blockTime), FromMS(created), FromMS(updated)
	return t, nil
}

// InsertScannedTransfer stores t unless a transfer with the same (chain,
// tx hash, log index) exists. It reports whether a row was inserted and then
// sets t.ID, t.CreatedAt and t.UpdatedAt.
func (c conn) InsertScannedTransfer(ctx context.Context, t *Transfer, now time.Time) (bool, error) {
	if t.AmountUnits == nil || t.AmountUnits.Sign() < 0 {
		return false, fmt.Errorf("insert transfer %s#%d: amount must be a non-negative integer", t.TxHash, t.LogIndex)
	}
	q := c.d.InsertIgnore(`INSERT INTO transfers (chain, token_contract, tx_hash, log_index, block_number, block_hash,
 block_time, from_address, to_address, amount_units, decimals, state, created_at, updated_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	res, err := c.exec(ctx, q, t.Chain, t.TokenContract, t.TxHash, int64(t.LogIndex), int64(t.BlockNumber), t.BlockHash,
		MS(t.BlockTime), t.From, t.To, t.AmountUnits.String(), t.Decimals, t.State, MS(now), MS(now))
	if err != nil {
		return false, fmt.Errorf("insert transfer %s#%d: %w", t.TxHash, t.LogIndex, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	got, err := c.TransferByLog(ctx, t.Chain, t.TxHash, t.LogIndex)
	if err != nil {
		return false, err
	}
	t.ID, t.CreatedAt, t.UpdatedAt = got.ID, got.CreatedAt, got.UpdatedAt
	return true, nil
}

// TransferByLog finds a transfer by its identity, or ErrNotFound.
func (c conn) TransferByLog(ctx context.Context, chain, txHash string, logIndex uint) (Transfer, error) {
	t, err := scanTransferRow(c.queryRow(ctx, "SELECT "+scanTransferCols+" FROM transfers WHERE chain = ? AND tx_hash = ? AND log_index = ?",
		chain, txHash, int64(logIndex)))
	if errors.Is(err, sql.ErrNoRows) {
		return Transfer{}, ErrNotFound
	}
	if err != nil {
		return Transfer{}, fmt.Errorf("read transfer %s#%d: %w", txHash, logIndex, err)
	}
	return t, nil
}

// SettleScannedTransfer marks a detected (or removed) transfer settled, in
// the block the settled scan found it in. It reports false when the
// transfer was already settled, so a transfer settles exactly once.
func (c conn) SettleScannedTransfer(ctx context.Context, id int64, block uint64, blockHash string, blockTime, now time.Time) (bool, error) {
	return c.setTransferState(ctx, id, TransferSettled, block, blockHash, blockTime, now)
}

// RedetectTransfer records that an unsettled transfer is (again) on the
// chain in the given block: a removed one becomes detected, a detected one
// moves to the block it is in now. Settled transfers are never touched.
func (c conn) RedetectTransfer(ctx context.Context, id int64, block uint64, blockHash string, blockTime, now time.Time) (bool, error) {
	return c.setTransferState(ctx, id, TransferDetected, block, blockHash, blockTime, now)
}

func (c conn) setTransferState(ctx context.Context, id int64, state string, block uint64, blockHash string, blockTime, now time.Time) (bool, error) {
	err := c.execOne(ctx, `UPDATE transfers SET state = ?, block_number = ?, block_hash = ?, block_time = ?, updated_at = ?
 WHERE id = ? AND state <> ?`, state, int64(block), blockHash, MS(blockTime), MS(now), id, TransferSettled)
	if errors.Is(err, ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark transfer %d %s: %w", id, state, err)
	}
	return true, nil
}

// RemoveDetectedTransfer marks a detected transfer removed (its block was
// reorged away before it settled). It reports false when the transfer was
// not in state detected.
func (c conn) RemoveDetectedTransfer(ctx context.Context, id int64, now time.Time) (bool, error) {
	err := c.execOne(ctx, "UPDATE transfers SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
		TransferRemoved, MS(now), id, TransferDetected)
	if errors.Is(err, ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark transfer %d removed: %w", id, err)
	}
	return true, nil
}

// TransfersInBlocks lists chain's transfers in state state whose block is
// in [from, to], in chain order.
func (c conn) TransfersInBlocks(ctx context.Context, chain, state string, from, to uint64) ([]Transfer, error) {
	rows, err := c.query(ctx, "SELECT "+scanTransferCols+` FROM transfers
 WHERE chain = ? AND state = ? AND block_number >= ? AND block_number <= ? ORDER BY block_number, log_index`,
		chain, state, int64(from), int64(to))
	if err != nil {
		return nil, fmt.Errorf("list %s %s transfers: %w", chain, state, err)
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		t, err := scanTransferRow(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s %s transfers: %w", chain, state, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
