package devchain

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// fillerGas is the gas of the plain ETH self-transfer that takes a dropped
// payer transaction's nonce in a reorg.
const fillerGas = 21_000

// Mine seals n blocks now, whatever BlockTime is, including any pending
// transactions, and returns once they are on the chain. Block timestamps are
// wall-clock seconds but strictly increasing, so mining many blocks at once
// runs ahead of the wall clock by up to one second per block.
func (c *Chain) Mine(ctx context.Context, n int) error {
	if n < 0 {
		return badInput("blocks", "must not be negative, got %d", n)
	}
	c.node.mu.Lock()
	defer c.node.mu.Unlock()
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("mine block %d of %d: %w", i+1, n, err)
		}
		if err := c.node.sealLocked(); err != nil {
			return fmt.Errorf("mine block %d of %d: %w", i+1, n, err)
		}
	}
	return nil
}

// Reorg replaces the last depth blocks: it forks at head−depth and mines
// depth+1 new blocks, so the new branch is one block longer and becomes
// canonical. New block i holds the transactions of dropped block i, except
// dropTx (when not nil), so every other transaction stays at its height
// with its hash, while every replaced block gets a new hash.
//
// When dropTx was sent by the payer, a 0-value ETH self-transfer with the
// same nonce takes its place so the payer's later transactions stay valid.
// When it was sent by another account, that account's later transactions
// in the replaced blocks are dropped too (they could not be mined without
// it). Transactions waiting in the pool are kept and mined later as usual.
// While Reorg runs, the head briefly steps back to the fork point. Reorg
// ignores FinalityLag on purpose: a depth above it replaces blocks that the
// "finalized" tag already covered, for tests of that misbehaviour.
func (c *Chain) Reorg(ctx context.Context, depth int, dropTx *common.Hash) error {
	if depth < 1 {
		return badInput("depth", "must be at least 1, got %d", depth)
	}
	n := c.node
	n.mu.Lock()
	defer n.mu.Unlock()
	bc := n.eth.BlockChain()
	head := bc.CurrentBlock().Number.Uint64()
	if uint64(depth) > head {
		return badInput("depth", "%d reaches below genesis (head is %d)", depth, head)
	}
	forkAt := head - uint64(depth)
	old := make([]types.Transactions, depth)
	for i := range old {
		old[i] = bc.GetBlockByNumber(forkAt + 1 + uint64(i)).Transactions()
	}
	plan, err := c.replan(old, dropTx)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reorg: %w", err)
	}
	waiting := n.takePoolLocked()
	if err := n.beacon.Fork(bc.GetBlockByNumber(forkAt).Hash()); err != nil {
		return fmt.Errorf("reorg: fork at block %d: %w", forkAt, err)
	}
	n.eth.TxPool().Clear() // drop what the pool re-injected from the abandoned blocks
	want := 0
	for _, txs := range append(plan, nil) {
		want += len(txs)
		if err := n.addLocked(txs...); err != nil {
			return fmt.Errorf("reorg: %w", err)
		}
		if err := n.sealLocked(); err != nil {
			return fmt.Errorf("reorg: %w", err)
		}
	}
	got := 0
	for num := forkAt + 1; num <= head+1; num++ {
		got += len(bc.GetBlockByNumber(num).Transactions())
	}
	n.eth.TxPool().Add(waiting, true) // best effort: some may have become invalid
	c.log.Info("devchain reorg", "fork_at", forkAt, "old_head", head, "new_head", head+1, "dropped", dropTx)
	if got != want {
		return fmt.Errorf("reorg: the new branch holds %d of the %d transactions meant for it", got, want)
	}
	return nil
}

// replan lists, per replaced block, the transactions to mine again.
func (c *Chain) replan(old []types.Transactions, dropTx *common.Hash) ([]types.Transactions, error) {
	plan := make([]types.Transactions, len(old))
	if dropTx == nil {
		copy(plan, old)
		return plan, nil
	}
	var dropped *types.Transaction
	for _, txs := range old {
		for _, tx := range txs {
			if tx.Hash() == *dropTx {
				dropped = tx
			}
		}
	}
	if dropped == nil {
		return nil, badInput("drop_tx", "%s is not in the last %d blocks", dropTx.Hex(), len(old))
	}
	sender, err := types.Sender(c.node.signer, dropped)
	if err != nil {
		return nil, fmt.Errorf("reorg: sender of %s: %w", dropTx.Hex(), err)
	}
	var filler *types.Transaction
	if sender == c.payerAd {
		if filler, err = c.signTx(dropped.Nonce(), &c.payerAd, nil, fillerGas); err != nil {
			return nil, err
		}
	}
	for i, txs := range old {
		for _, tx := range txs {
			switch {
			case tx.Hash() == *dropTx && filler != nil:
				plan[i] = append(plan[i], filler)
			case tx.Hash() == *dropTx:
			case filler == nil && tx.Nonce() > dropped.Nonce() && c.sentBy(tx, sender):
			default:
				plan[i] = append(plan[i], tx)
			}
		}
	}
	return plan, nil
}

func (c *Chain) sentBy(tx *types.Transaction, who common.Address) bool {
	from, err := types.Sender(c.node.signer, tx)
	return err == nil && from == who
}

// takePoolLocked empties the pool and returns what it held. The caller holds mu.
func (n *simNode) takePoolLocked() []*types.Transaction {
	pool := n.eth.TxPool()
	_ = pool.Sync()
	pending, queued := pool.Content()
	var all []*types.Transaction
	for _, m := range []map[common.Address][]*types.Transaction{pending, queued} {
		for _, txs := range m {
			all = append(all, txs...)
		}
	}
	pool.Clear()
	return all
}
