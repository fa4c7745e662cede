package devchain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/epusdt/epusdt/contracts"
)

// tokenSupplyWhole is each token's supply in whole tokens, all minted to the payer.
const tokenSupplyWhole = 1_000_000_000_000

// Limits for the transactions this package signs.
const (
	deployGas = 5_000_000
	maxBatch  = 500
)

// inputError is a caller mistake; its message starts with the offending field.
type inputError struct{ field, reason string }

func (e *inputError) Error() string { return e.field + ": " + e.reason }

func badInput(field, format string, args ...any) error {
	return &inputError{field: field, reason: fmt.Sprintf(format, args...)}
}

// IsInputError reports whether err was caused by bad arguments (unknown
// token, malformed amount, depth out of range, …) rather than by the chain.
func IsInputError(err error) bool {
	var ie *inputError
	return errors.As(err, &ie)
}

// erc20ABI parses TestToken's ABI.
func erc20ABI() (abi.ABI, error) {
	parsed, err := abi.JSON(strings.NewReader(contracts.TestTokenABI()))
	if err != nil {
		return abi.ABI{}, fmt.Errorf("parse TestToken ABI: %w", err)
	}
	return parsed, nil
}

// deployTokens deploys usdt6 and usdt18 as the payer's first two
// transactions, both in block 1.
func (c *Chain) deployTokens(ctx context.Context) error {
	parsed, err := erc20ABI()
	if err != nil {
		return err
	}
	code, err := contracts.TestTokenBytecode()
	if err != nil {
		return err
	}
	specs := []struct {
		name     string
		decimals uint8
		want     string
	}{{"usdt6", 6, USDT6Address}, {"usdt18", 18, USDT18Address}}
	c.tokens = make(map[string]token, len(specs))
	var txs []*types.Transaction
	for i, s := range specs {
		supply := new(big.Int).Mul(big.NewInt(tokenSupplyWhole), pow10(s.decimals))
		args, err := parsed.Pack("", fmt.Sprintf("Tether USD (devchain, %d decimals)", s.decimals), "USDT", s.decimals, supply)
		if err != nil {
			return fmt.Errorf("pack %s constructor: %w", s.name, err)
		}
		tx, err := c.signTx(uint64(i), nil, append(append([]byte{}, code...), args...), deployGas)
		if err != nil {
			return err
		}
		txs = append(txs, tx)
		c.tokens[s.name] = token{address: common.HexToAddress(s.want), decimals: s.decimals}
	}
	c.node.mu.Lock()
	err = c.node.addLocked(txs...)
	if err == nil {
		err = c.node.sealLocked()
	}
	c.node.mu.Unlock()
	if err != nil {
		return fmt.Errorf("deploy tokens: %w", err)
	}
	for i, tx := range txs {
		r, err := c.waitReceipt(ctx, tx.Hash())
		if err != nil {
			return fmt.Errorf("deploy %s: %w", specs[i].name, err)
		}
		if r.Status != types.ReceiptStatusSuccessful || r.ContractAddress != c.tokens[specs[i].name].address {
			return fmt.Errorf("deploy %s: status %d at %s", specs[i].name, r.Status, r.ContractAddress.Hex())
		}
	}
	return nil
}

// signTx signs an EIP-1559 transaction from the payer; to == nil creates a contract.
func (c *Chain) signTx(nonce uint64, to *common.Address, data []byte, gas uint64) (*types.Transaction, error) {
	tip := big.NewInt(1_000_000_000) // 1 gwei
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(big.NewInt(2), c.node.eth.BlockChain().CurrentBlock().BaseFee))
	tx, err := types.SignNewTx(c.payer, c.node.signer, &types.DynamicFeeTx{
		ChainID:   new(big.Int).SetUint64(c.opts.ChainID),
		Nonce:     nonce,
		GasTipCap: tip,
		GasFeeCap: feeCap,
		Gas:       gas,
		To:        to,
		Data:      data,
	})
	if err != nil {
		return nil, fmt.Errorf("sign transaction: %w", err)
	}
	return tx, nil
}

// Transfer sends amount (a decimal string such as "7.91", exact to the
// token's decimals) of token ("usdt6", "usdt18" or a 0x contract address)
// from the payer to to, with the token's transfer(). It returns once the
// transaction is in a block: with BlockTime == 0 it mines that block itself,
// otherwise it waits for the next automatic one.
func (c *Chain) Transfer(ctx context.Context, tokenSpec string, to common.Address, amount string) (common.Hash, uint64, error) {
	return c.transfer(ctx, tokenSpec, []common.Address{to}, []string{amount}, false)
}

// BatchTransfer sends amounts[i] of token to to[i] for every i in ONE
// transaction (TestToken.batchTransfer), so the receipt holds one Transfer
// log per entry. It returns like Transfer.
func (c *Chain) BatchTransfer(ctx context.Context, tokenSpec string, to []common.Address, amounts []string) (common.Hash, uint64, error) {
	return c.transfer(ctx, tokenSpec, to, amounts, true)
}

func (c *Chain) transfer(ctx context.Context, tokenSpec string, to []common.Address, amounts []string, batch bool) (common.Hash, uint64, error) {
	if len(to) == 0 || len(to) > maxBatch {
		return common.Hash{}, 0, badInput("transfers", "want 1 to %d entries, got %d", maxBatch, len(to))
	}
	if len(to) != len(amounts) {
		return common.Hash{}, 0, badInput("amounts", "%d amounts for %d recipients", len(amounts), len(to))
	}
	tok, err := c.resolveToken(ctx, tokenSpec)
	if err != nil {
		return common.Hash{}, 0, err
	}
	values := make([]*big.Int, len(amounts))
	for i, a := range amounts {
		prefix := ""
		if batch {
			prefix = fmt.Sprintf("transfers[%d].", i)
		}
		if to[i] == (common.Address{}) {
			return common.Hash{}, 0, badInput(prefix+"to", "is the zero address")
		}
		if values[i], err = parseAmount(a, tok.decimals); err != nil {
			return common.Hash{}, 0, badInput(prefix+"amount", "%v", err)
		}
	}
	data, err := packTransfer(to, values, batch)
	if err != nil {
		return common.Hash{}, 0, err
	}
	gas, err := c.node.client.EstimateGas(ctx, ethereum.CallMsg{From: c.payerAd, To: &tok.address, Data: data})
	if err != nil {
		return common.Hash{}, 0, badInput(amountField(batch), "the transfer would fail: %v", err)
	}
	return c.send(ctx, tok.address, data, gas+gas/5)
}

// amountField names the amount field in errors about a whole transfer.
func amountField(batch bool) string {
	if batch {
		return "transfers"
	}
	return "amount"
}

// packTransfer encodes transfer(to, value), or batchTransfer(to[], values[]).
func packTransfer(to []common.Address, values []*big.Int, batch bool) ([]byte, error) {
	parsed, err := erc20ABI()
	if err != nil {
		return nil, err
	}
	if !batch {
		return parsed.Pack("transfer", to[0], values[0])
	}
	return parsed.Pack("batchTransfer", to, values)
}

// send signs a call from the payer to contract, gets it mined and waits for
// its receipt. gas 0 means estimate it (plus a margin).
func (c *Chain) send(ctx context.Context, contract common.Address, data []byte, gas uint64) (common.Hash, uint64, error) {
	if gas == 0 {
		estimate, err := c.node.client.EstimateGas(ctx, ethereum.CallMsg{From: c.payerAd, To: &contract, Data: data})
		if err != nil {
			return common.Hash{}, 0, fmt.Errorf("estimate gas: %w", err)
		}
		gas = estimate + estimate/5
	}
	c.node.mu.Lock()
	tx, err := c.signTx(c.node.eth.TxPool().Nonce(c.payerAd), &contract, data, gas)
	if err == nil {
		err = c.node.addLocked(tx)
	}
	if err == nil && c.opts.BlockTime == 0 {
		err = c.node.sealLocked()
	}
	c.node.mu.Unlock()
	if err != nil {
		return common.Hash{}, 0, err
	}
	r, err := c.waitReceipt(ctx, tx.Hash())
	if err != nil {
		return tx.Hash(), 0, err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return tx.Hash(), r.BlockNumber.Uint64(), fmt.Errorf("transaction %s reverted", tx.Hash().Hex())
	}
	return tx.Hash(), r.BlockNumber.Uint64(), nil
}

// waitReceipt polls until hash has a receipt or ctx ends.
func (c *Chain) waitReceipt(ctx context.Context, hash common.Hash) (*types.Receipt, error) {
	for {
		r, err := c.node.client.TransactionReceipt(ctx, hash)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ethereum.NotFound) {
			return nil, fmt.Errorf("receipt of %s: %w", hash.Hex(), err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for %s to be mined: %w", hash.Hex(), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// resolveToken maps "usdt6", "usdt18" or a 0x contract address to a token,
// reading decimals() from an unknown contract.
func (c *Chain) resolveToken(ctx context.Context, spec string) (token, error) {
	if t, ok := c.tokens[spec]; ok {
		return t, nil
	}
	if !common.IsHexAddress(spec) || !strings.HasPrefix(spec, "0x") {
		return token{}, badInput("token", `want "usdt6", "usdt18" or a 0x contract address, got %q`, spec)
	}
	addr := common.HexToAddress(spec)
	for _, t := range c.tokens {
		if t.address == addr {
			return t, nil
		}
	}
	code, err := c.node.client.CodeAt(ctx, addr, nil)
	if err != nil {
		return token{}, fmt.Errorf("read code at %s: %w", addr.Hex(), err)
	}
	if len(code) == 0 {
		return token{}, badInput("token", "no contract at %s", addr.Hex())
	}
	parsed, err := erc20ABI()
	if err != nil {
		return token{}, err
	}
	out, err := c.node.client.CallContract(ctx, ethereum.CallMsg{To: &addr, Data: crypto.Keccak256([]byte("decimals()"))[:4]}, nil)
	if err != nil {
		return token{}, badInput("token", "decimals() on %s failed: %v", addr.Hex(), err)
	}
	vals, err := parsed.Unpack("decimals", out)
	if err != nil || len(vals) != 1 {
		return token{}, badInput("token", "decimals() on %s returned %x", addr.Hex(), out)
	}
	dec, _ := vals[0].(uint8)
	return token{address: addr, decimals: dec}, nil
}

// parseAmount converts a plain decimal string ("7.91", "100", "0.000001")
// to base units with exactly decimals places, without floating point.
func parseAmount(s string, decimals uint8) (*big.Int, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return nil, fmt.Errorf("%q is not a plain decimal number like 7.91", s)
	}
	if len(frac) > int(decimals) {
		return nil, fmt.Errorf("%q has more than %d decimal places", s, decimals)
	}
	digits := whole + frac + strings.Repeat("0", int(decimals)-len(frac))
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok || v.BitLen() > 256 {
		return nil, fmt.Errorf("%q is out of range", s)
	}
	return v, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func pow10(n uint8) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
