package chain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/chain/evm"
	"github.com/epusdt/epusdt/internal/store"
)

// TransferTopic is topic0 of ERC-20/TRC-20 Transfer(address,address,uint256).
var TransferTopic = evm.Word{0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0, 0x68, 0xfc, 0x37, 0x8d, 0xaa,
	0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4, 0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d, 0xf5, 0x23, 0xb3, 0xef}

// growAfter is how many clean eth_getLogs calls double a shrunk range or chunk.
const growAfter = 4

// tailLogs are eth_getLogs results for the unsettled tail [from, to],
// fetched together with the last settled range.
type tailLogs struct {
	from, to uint64
	logs     []evm.Log
}

// scanSettled scans [cursor+1, settled head] range by range, committing
// each range (transfers, block hash, cursor, Sink) in one transaction. When
// the rest of the chain up to the latest block fits in one range, the same
// eth_getLogs answer also serves the unsettled tail, returned for scanTail.
func (w *Watcher) scanSettled(ctx context.Context, h heads, cursor uint64, ws watchSet) (uint64, *tailLogs, error) {
	var tail *tailLogs
	for cursor < h.settled.Number {
		if held, err := w.renew(ctx, false); err != nil || !held {
			return cursor, nil, errors.Join(err, errLeaseLost)
		}
		to := min(h.settled.Number, cursor+w.rangeSize)
		toHeader, fetchTo := h.settled, to
		if to != h.settled.Number {
			var err error
			if toHeader, err = w.client.HeaderByNumber(ctx, to); err != nil {
				return cursor, nil, fmt.Errorf("read block %d: %w", to, err)
			}
		} else if h.latest.Number > to && h.latest.Number-cursor <= w.rangeSize {
			fetchTo = h.latest.Number
		}
		logs, err := w.fetch(ctx, cursor+1, fetchTo, ws)
		if err != nil {
			return cursor, nil, err
		}
		settledLogs, rest := splitLogs(logs, to)
		if fetchTo > to {
			tail = &tailLogs{from: to + 1, to: fetchTo, logs: rest}
		}
		ts, err := w.transfers(ctx, settledLogs, ws, store.TransferSettled)
		if err != nil {
			return cursor, nil, err
		}
		if err := w.commitSettled(ctx, cursor, toHeader, ts); err != nil {
			return cursor, nil, err
		}
		cursor = to
		w.progress(h, cursor, toHeader.Time)
	}
	return cursor, tail, nil
}

// splitLogs splits logs into those in blocks up to last and the rest.
func splitLogs(logs []evm.Log, last uint64) (upTo, after []evm.Log) {
	for _, l := range logs {
		if l.BlockNumber <= last {
			upTo = append(upTo, l)
		} else {
			after = append(after, l)
		}
	}
	return upTo, after
}

// fetch returns the Transfer logs to watched wallets in [from, to], split
// into ranges and address chunks, shrinking either when the provider
// refuses a query as too large and growing them back after successes.
func (w *Watcher) fetch(ctx context.Context, from, to uint64, ws watchSet) ([]evm.Log, error) {
	var out []evm.Log
	for start := from; start <= to; {
		end := min(to, start+w.rangeSize-1)
		logs, err := w.fetchChunks(ctx, start, end, ws)
		var le *evm.LimitError
		if errors.As(err, &le) {
			if !w.shrink(le) {
				return nil, fmt.Errorf("eth_getLogs %d-%d refused even for one block and one address: %w", start, end, err)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("eth_getLogs %d-%d: %w", start, end, err)
		}
		out = append(out, logs...)
		start = end + 1
	}
	return out, nil
}

func (w *Watcher) fetchChunks(ctx context.Context, from, to uint64, ws watchSet) ([]evm.Log, error) {
	var out []evm.Log
	for i := 0; i < len(ws.words); i += w.chunk {
		f := evm.Filter{From: from, To: to, Addresses: [][20]byte{w.contract},
			Topics: [][]evm.Word{{TransferTopic}, nil, ws.words[i:min(len(ws.words), i+w.chunk)]}}
		logs, err := w.client.Logs(ctx, f)
		if err != nil {
			return nil, err
		}
		w.grow()
		out = append(out, logs...)
	}
	return out, nil
}

// shrink halves the address chunk when the provider complained about
// addresses, else the block range (the chunk once the range is one block).
// It reports false when nothing can shrink further.
func (w *Watcher) shrink(le *evm.LimitError) bool {
	w.okStreak = 0
	switch {
	case le.Addresses && w.chunk > 1:
		w.chunk /= 2
	case w.rangeSize > 1:
		w.rangeSize /= 2
	case w.chunk > 1:
		w.chunk /= 2
	default:
		return false
	}
	w.log.Info("provider refused a large query; shrinking", zap.Uint64("range", w.rangeSize), zap.Int("chunk", w.chunk),
		zap.String("reason", le.Msg))
	return true
}

func (w *Watcher) grow() {
	w.okStreak++
	if w.okStreak < growAfter {
		return
	}
	w.okStreak = 0
	w.rangeSize = min(w.cfg.MaxBlockRange, 2*w.rangeSize)
	w.chunk = min(w.cfg.AddressChunk, 1000, 2*w.chunk)
}

// transfers decodes Transfer logs of the configured contract to watched
// wallets, filling block times from the log or, when the node does not send
// them, from the block header (whose hash must match the log's).
func (w *Watcher) transfers(ctx context.Context, logs []evm.Log, ws watchSet, state string) ([]store.Transfer, error) {
	times := map[uint64]evm.Header{}
	out := make([]store.Transfer, 0, len(logs))
	for _, l := range logs {
		t, ok := w.decode(l, ws)
		if !ok {
			continue
		}
		if l.BlockTime == 0 {
			hd, err := w.blockHeader(ctx, times, l.BlockNumber)
			if err != nil {
				return nil, err
			}
			if hd.Hash != l.BlockHash {
				return nil, fmt.Errorf("block %d changed while scanning (log in %s, block now %s)", l.BlockNumber, l.BlockHash, hd.Hash)
			}
			l.BlockTime = hd.Time
		}
		t.BlockTime, t.State = time.Unix(int64(l.BlockTime), 0).UTC(), state
		out = append(out, t)
	}
	return out, nil
}

func (w *Watcher) blockHeader(ctx context.Context, cache map[uint64]evm.Header, n uint64) (evm.Header, error) {
	if hd, ok := cache[n]; ok {
		return hd, nil
	}
	hd, err := w.client.HeaderByNumber(ctx, n)
	if err != nil {
		return hd, fmt.Errorf("read block %d for its time: %w", n, err)
	}
	cache[n] = hd
	return hd, nil
}

// decode turns a log into a transfer when it is a Transfer of the
// configured contract to a watched wallet. Zero values are kept: payment
// records them as unmatched.
func (w *Watcher) decode(l evm.Log, ws watchSet) (store.Transfer, bool) {
	if l.Address != w.contract || len(l.Topics) != 3 || l.Topics[0] != TransferTopic || len(l.Data) < 32 {
		return store.Transfer{}, false
	}
	to := evm.WordAddress(l.Topics[2])
	if !ws.set[to] {
		return store.Transfer{}, false
	}
	return store.Transfer{
		Chain: w.o.Chain, TokenContract: w.token, TxHash: w.txID(l.TxHash), LogIndex: l.LogIndex,
		BlockNumber: l.BlockNumber, BlockHash: l.BlockHash,
		From: address.FromBytes(w.o.Chain, evm.WordAddress(l.Topics[1])), To: address.FromBytes(w.o.Chain, to),
		AmountUnits: new(big.Int).SetBytes(l.Data[:32]), Decimals: w.cfg.USDTDecimals,
	}, true
}
