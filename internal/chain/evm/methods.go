package evm

import (
	"context"
	"fmt"
)

// Block tags accepted by HeaderByTag.
const (
	TagLatest    = "latest"
	TagFinalized = "finalized"
)

// Header is the part of a block the watcher needs. Hashes are 0x +
// lower-case hex.
type Header struct {
	Number     uint64
	Hash       string
	ParentHash string
	Time       uint64 // unix seconds
}

type rawHeader struct {
	Number     quantity `json:"number"`
	Hash       string   `json:"hash"`
	ParentHash string   `json:"parentHash"`
	Timestamp  quantity `json:"timestamp"`
}

func (r rawHeader) header() Header {
	return Header{Number: uint64(r.Number), Hash: normHash(r.Hash), ParentHash: normHash(r.ParentHash), Time: uint64(r.Timestamp)}
}

// BlockNumber returns the number of the node's latest block.
func (c *Client) BlockNumber(ctx context.Context) (uint64, error) {
	var n quantity
	if err := c.call(ctx, "eth_blockNumber", []any{}, &n); err != nil {
		return 0, err
	}
	return uint64(n), nil
}

// HeaderByTag returns the header of the "latest" or "finalized" block.
func (c *Client) HeaderByTag(ctx context.Context, tag string) (Header, error) {
	return c.header(ctx, tag)
}

// HeaderByNumber returns the header of block n; ErrUnavailable (wrapped)
// when no endpoint has it.
func (c *Client) HeaderByNumber(ctx context.Context, n uint64) (Header, error) {
	h, err := c.header(ctx, EncodeQuantity(n))
	if err == nil && h.Number != n {
		return Header{}, fmt.Errorf("block %d: node answered with block %d", n, h.Number)
	}
	return h, err
}

func (c *Client) header(ctx context.Context, block string) (Header, error) {
	var r rawHeader
	if err := c.call(ctx, "eth_getBlockByNumber", []any{block, false}, &r); err != nil {
		return Header{}, err
	}
	if r.Hash == "" {
		return Header{}, fmt.Errorf("block %s: answer has no hash", block)
	}
	return r.header(), nil
}

// Filter selects logs: the contracts that emitted them, and per topic
// position a set of accepted values (an empty set accepts anything).
type Filter struct {
	From, To  uint64
	Addresses [][20]byte
	Topics    [][]Word
}

func (f Filter) params() map[string]any {
	addrs := make([]string, len(f.Addresses))
	for i, a := range f.Addresses {
		addrs[i] = HexAddress(a)
	}
	topics := make([]any, len(f.Topics))
	for i, set := range f.Topics {
		if len(set) == 0 {
			continue // nil = any value
		}
		vals := make([]string, len(set))
		for j, w := range set {
			vals[j] = w.Hex()
		}
		topics[i] = vals
	}
	return map[string]any{"fromBlock": EncodeQuantity(f.From), "toBlock": EncodeQuantity(f.To), "address": addrs, "topics": topics}
}

// Log is one event log. BlockTime is 0 when the node does not send
// blockTimestamp (TRON and older nodes).
type Log struct {
	Address     [20]byte
	Topics      []Word
	Data        []byte
	BlockNumber uint64
	BlockHash   string
	BlockTime   uint64
	TxHash      string
	LogIndex    uint
	Removed     bool
}

type rawLog struct {
	Address        string     `json:"address"`
	Topics         []hexBytes `json:"topics"`
	Data           hexBytes   `json:"data"`
	BlockNumber    quantity   `json:"blockNumber"`
	BlockHash      string     `json:"blockHash"`
	BlockTimestamp *quantity  `json:"blockTimestamp"`
	TxHash         string     `json:"transactionHash"`
	LogIndex       quantity   `json:"logIndex"`
	Removed        bool       `json:"removed"`
}

func (r rawLog) log() (Log, error) {
	addr, err := parseAddress(r.Address)
	if err != nil {
		return Log{}, err
	}
	l := Log{Address: addr, Data: r.Data, BlockNumber: uint64(r.BlockNumber), BlockHash: normHash(r.BlockHash),
		TxHash: normHash(r.TxHash), LogIndex: uint(r.LogIndex), Removed: r.Removed}
	if r.BlockTimestamp != nil {
		l.BlockTime = uint64(*r.BlockTimestamp)
	}
	for _, t := range r.Topics {
		if len(t) != 32 {
			return Log{}, fmt.Errorf("log topic of %d bytes", len(t))
		}
		l.Topics = append(l.Topics, Word(t))
	}
	return l, nil
}

// Logs returns the logs matching f. Logs outside [f.From, f.To] or flagged
// removed are dropped; a log that cannot be decoded is an error.
func (c *Client) Logs(ctx context.Context, f Filter) ([]Log, error) {
	var raw []rawLog
	if err := c.call(ctx, "eth_getLogs", []any{f.params()}, &raw); err != nil {
		return nil, err
	}
	out := make([]Log, 0, len(raw))
	for _, r := range raw {
		l, err := r.log()
		if err != nil {
			return nil, fmt.Errorf("eth_getLogs %d-%d: %w", f.From, f.To, err)
		}
		if l.Removed || l.BlockNumber < f.From || l.BlockNumber > f.To {
			continue
		}
		out = append(out, l)
	}
	return out, nil
}
