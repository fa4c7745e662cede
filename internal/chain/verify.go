package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/chain/evm"
	"github.com/epusdt/epusdt/internal/store"
)

// ErrTxNotFound means the chain knows no successful transaction with that hash.
var ErrTxNotFound = errors.New("transaction not found on chain, or it failed")

// VerifyTx reads a transaction's receipt from the chain's RPC and returns
// its USDT Transfer logs to any of the chain's wallets (removed and
// disabled ones included) as transfers, with state settled when its block
// is at or below the settled head and detected otherwise. It is what an
// operator's "mark paid by tx hash" relies on: the chain, not the operator,
// says what was paid.
func (m *Manager) VerifyTx(ctx context.Context, chainName, txHash string) ([]store.Transfer, error) {
	w := m.watchers[chainName]
	if w == nil {
		return nil, fmt.Errorf("chain %q is not enabled on this gateway", chainName)
	}
	return w.verifyTx(ctx, txHash)
}

func (w *Watcher) verifyTx(ctx context.Context, txHash string) ([]store.Transfer, error) {
	h := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(txHash)), "0x")
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("tx hash %q: want 64 hex digits", txHash)
	}
	rc, found, err := w.client.Receipt(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("read receipt of %s: %w", txHash, err)
	}
	if !found || rc.Status != 1 {
		return nil, ErrTxNotFound
	}
	hs, err := w.heads(ctx)
	if err != nil {
		return nil, err
	}
	wallets, err := w.o.Store.ListWallets(ctx, w.o.Chain, true)
	if err != nil {
		return nil, err
	}
	ws := watchSet{set: map[[20]byte]bool{}}
	for _, wl := range wallets {
		if b, err := address.Bytes(w.o.Chain, wl.Address); err == nil {
			ws.set[b] = true
		}
	}
	state := store.TransferDetected
	if rc.BlockNumber <= hs.settled.Number {
		state = store.TransferSettled
	}
	hd, err := w.client.HeaderByNumber(ctx, rc.BlockNumber)
	if err != nil {
		return nil, fmt.Errorf("read block %d: %w", rc.BlockNumber, err)
	}
	var out []store.Transfer
	for _, l := range rc.Logs {
		t, ok := w.decode(evm.Log{Address: l.Address, Topics: l.Topics, Data: l.Data, BlockNumber: rc.BlockNumber,
			BlockHash: rc.BlockHash, TxHash: l.TxHash, LogIndex: l.LogIndex}, ws)
		if !ok {
			continue
		}
		t.BlockTime, t.State = time.Unix(int64(hd.Time), 0).UTC(), state
		out = append(out, t)
	}
	return out, nil
}
