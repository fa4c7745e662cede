package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"
)

const payTransferCols = `id, chain, token_contract, tx_hash, log_index, block_number, block_hash, block_time, from_address,
 to_address, amount_units, decimals, state, match_status, trade_id, note, created_at, updated_at`

func scanPayTransfer(sc interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var units string
	var trade sql.NullString
	var bt, created, updated int64
	err := sc.Scan(&t.ID, &t.Chain, &t.TokenContract, &t.TxHash, &t.LogIndex, &t.BlockNumber, &t.BlockHash, &bt,
		&t.From, &t.To, &units, &t.Decimals, &t.State, &t.MatchStatus, &trade, &t.Note, &created, &updated)
	if err != nil {
		return Transfer{}, err
	}
	u, ok := new(big.Int).SetString(units, 10)
	if !ok {
		return Transfer{}, fmt.Errorf("transfer %d: bad amount_units %q", t.ID, units)
	}
	t.AmountUnits, t.TradeID = u, trade.String
	t.BlockTime, t.CreatedAt, t.UpdatedAt = FromMS(bt), FromMS(created), FromMS(updated)
	return t, nil
}

// DetectedTransferFor finds the newest transfer in state "detected" (seen on
// chain, not settled yet) of exactly units of contract to wallet with a block
// time at or after since: the payment the cashier shows as "confirming".
func (c conn) DetectedTransferFor(ctx context.Context, chain, contract, wallet, units string, since time.Time) (Transfer, bool, error) {
	t, err := scanPayTransfer(c.queryRow(ctx, "SELECT "+payTransferCols+` FROM transfers
 WHERE chain = ? AND to_address = ? AND token_contract = ? AND amount_units = ? AND state = ? AND block_time >= ?
 ORDER BY id DESC LIMIT 1`, chain, wallet, contract, units, TransferDetected, MS(since)))
	if errors.Is(err, sql.ErrNoRows) {
		return Transfer{}, false, nil
	}
	if err != nil {
		return Transfer{}, false, fmt.Errorf("find detected transfer to %s: %w", wallet, err)
	}
	return t, true, nil
}

// TransfersOfTrade lists the transfers matched to a trade, oldest first.
func (c conn) TransfersOfTrade(ctx context.Context, tradeID string) ([]Transfer, error) {
	rows, err := c.query(ctx, "SELECT "+payTransferCols+" FROM transfers WHERE trade_id = ? ORDER BY id", tradeID)
	if err != nil {
		return nil, fmt.Errorf("transfers of %s: %w", tradeID, err)
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		t, err := scanPayTransfer(rows)
		if err != nil {
			return nil, fmt.Errorf("transfers of %s: %w", tradeID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
