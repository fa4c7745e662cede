package evm

import (
	"context"
	"encoding/json"
	"fmt"
)

// Receipt is the part of a transaction receipt the gateway reads.
type Receipt struct {
	Status      uint64
	BlockNumber uint64
	BlockHash   string
	Logs        []Log
}

type rawReceipt struct {
	Status      *quantity `json:"status"`
	BlockNumber quantity  `json:"blockNumber"`
	BlockHash   string    `json:"blockHash"`
	Logs        []rawLog  `json:"logs"`
}

// Receipt returns the receipt of txHash; found is false when the node
// knows no such (mined) transaction.
func (c *Client) Receipt(ctx context.Context, txHash string) (r Receipt, found bool, err error) {
	var raw json.RawMessage
	if err := c.call(ctx, "eth_getTransactionReceipt", []any{normHash(txHash)}, &raw); err != nil {
		return Receipt{}, false, err
	}
	if len(raw) == 0 || string(raw) == "null" {
		return Receipt{}, false, nil
	}
	var rr rawReceipt
	if err := json.Unmarshal(raw, &rr); err != nil {
		return Receipt{}, false, fmt.Errorf("eth_getTransactionReceipt: %w", err)
	}
	if rr.Status == nil {
		return Receipt{}, false, fmt.Errorf("eth_getTransactionReceipt: receipt has no status (pre-Byzantium chain?)")
	}
	r = Receipt{Status: uint64(*rr.Status), BlockNumber: uint64(rr.BlockNumber), BlockHash: normHash(rr.BlockHash)}
	for _, l := range rr.Logs {
		lg, err := l.log()
		if err != nil {
			return Receipt{}, false, fmt.Errorf("eth_getTransactionReceipt: %w", err)
		}
		r.Logs = append(r.Logs, lg)
	}
	return r, true, nil
}
