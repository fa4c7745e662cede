package store

import (
	"context"
	"fmt"
	"time"
)

// SetTransferMatch records what payment decided for a settled transfer.
func (c conn) SetTransferMatch(ctx context.Context, id int64, matchStatus, tradeID, note string, now time.Time) error {
	var trade any
	if tradeID != "" {
		trade = tradeID
	}
	if _, err := c.exec(ctx, "UPDATE transfers SET match_status = ?, trade_id = ?, note = ?, updated_at = ? WHERE id = ?",
		matchStatus, trade, note, MS(now), id); err != nil {
		return fmt.Errorf("set transfer %d match: %w", id, err)
	}
	return nil
}
