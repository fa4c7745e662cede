package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ScanCursor returns the last block of chain whose settled transfers are
// all stored; ok is false when the chain was never scanned.
func (c conn) ScanCursor(ctx context.Context, chain string) (block uint64, ok bool, err error) {
	var n int64
	err = c.queryRow(ctx, "SELECT block_number FROM scan_cursors WHERE chain = ?", chain).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read %s scan cursor: %w", chain, err)
	}
	return uint64(n), true, nil
}

// InitScanCursor creates chain's cursor at block unless it exists, and
// returns the cursor as stored (an existing one wins).
func (c conn) InitScanCursor(ctx context.Context, chain string, block uint64, now time.Time) (uint64, error) {
	_, err := c.exec(ctx, c.d.InsertIgnore("INSERT INTO scan_cursors (chain, block_number, updated_at) VALUES (?, ?, ?)"),
		chain, int64(block), MS(now))
	if err != nil {
		return 0, fmt.Errorf("create %s scan cursor: %w", chain, err)
	}
	got, ok, err := c.ScanCursor(ctx, chain)
	if err == nil && !ok {
		err = fmt.Errorf("create %s scan cursor: row missing after insert", chain)
	}
	return got, err
}

// AdvanceScanCursor moves chain's cursor from from to to. It returns
// ErrConflict when the cursor is no longer at from (another scanner moved
// it), so the caller's transaction can be rolled back.
func (c conn) AdvanceScanCursor(ctx context.Context, chain string, from, to uint64, now time.Time) error {
	if to < from {
		return fmt.Errorf("advance %s scan cursor: %d is behind %d", chain, to, from)
	}
	err := c.execOne(ctx, "UPDATE scan_cursors SET block_number = ?, updated_at = ? WHERE chain = ? AND block_number = ?",
		int64(to), MS(now), chain, int64(from))
	if err != nil {
		return fmt.Errorf("advance %s scan cursor %d→%d: %w", chain, from, to, err)
	}
	return nil
}

// ScannedBlock is the remembered hash of one scanned block height.
type ScannedBlock struct {
	Number     uint64
	Hash       string
	ParentHash string
}

// PutScannedBlock remembers (or replaces) the hash of a scanned height.
func (c conn) PutScannedBlock(ctx context.Context, chain string, b ScannedBlock) error {
	if _, err := c.exec(ctx, "DELETE FROM scanned_blocks WHERE chain = ? AND number = ?", chain, int64(b.Number)); err != nil {
		return fmt.Errorf("replace %s block %d: %w", chain, b.Number, err)
	}
	_, err := c.exec(ctx, "INSERT INTO scanned_blocks (chain, number, hash, parent_hash) VALUES (?, ?, ?, ?)",
		chain, int64(b.Number), b.Hash, b.ParentHash)
	if err != nil {
		return fmt.Errorf("remember %s block %d: %w", chain, b.Number, err)
	}
	return nil
}

// GetScannedBlock returns the remembered hash of a height, or ErrNotFound.
func (c conn) GetScannedBlock(ctx context.Context, chain string, number uint64) (ScannedBlock, error) {
	b := ScannedBlock{Number: number}
	err := c.queryRow(ctx, "SELECT hash, parent_hash FROM scanned_blocks WHERE chain = ? AND number = ?",
		chain, int64(number)).Scan(&b.Hash, &b.ParentHash)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("read %s block %d: %w", chain, number, err)
	}
	return b, nil
}

// ForgetScannedBlocks deletes chain's remembered hashes of heights in
// [from, to]: snapshots of unsettled heights a settled scan superseded, or
// old heights outside the kept window.
func (c conn) ForgetScannedBlocks(ctx context.Context, chain string, from, to uint64) error {
	if from > to {
		return nil
	}
	_, err := c.exec(ctx, "DELETE FROM scanned_blocks WHERE chain = ? AND number >= ? AND number <= ?", chain, int64(from), int64(to))
	if err != nil {
		return fmt.Errorf("forget %s scanned blocks %d-%d: %w", chain, from, to, err)
	}
	return nil
}
