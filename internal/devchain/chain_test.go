package devchain

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// transferTopic is keccak256("Transfer(address,address,uint256)"), as in spec/chains.md.
const transferTopic = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

func startChain(t *testing.T, opts Options) *Chain {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func dial(t *testing.T, c *Chain) *ethclient.Client {
	t.Helper()
	client, err := ethclient.Dial(c.RPCURL())
	if err != nil {
		t.Fatalf("dial %s: %v", c.RPCURL(), err)
	}
	t.Cleanup(client.Close)
	return client
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func addr(n byte) common.Address { return common.BytesToAddress([]byte{0xa0, n}) }

// logsOf returns the Transfer logs of token in [from, to].
func logsOf(t *testing.T, client *ethclient.Client, token common.Address, from, to uint64) []types.Log {
	t.Helper()
	logs, err := client.FilterLogs(testCtx(t), ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(from),
		ToBlock:   new(big.Int).SetUint64(to),
		Addresses: []common.Address{token},
		Topics:    [][]common.Hash{{common.HexToHash(transferTopic)}},
	})
	if err != nil {
		t.Fatalf("eth_getLogs: %v", err)
	}
	return logs
}

func callToken(t *testing.T, client *ethclient.Client, token common.Address, method string, args ...any) []any {
	t.Helper()
	parsed, err := erc20ABI()
	if err != nil {
		t.Fatal(err)
	}
	data, err := parsed.Pack(method, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.CallContract(testCtx(t), ethereum.CallMsg{To: &token, Data: data}, nil)
	if err != nil {
		t.Fatalf("eth_call %s: %v", method, err)
	}
	vals, err := parsed.Unpack(method, out)
	if err != nil {
		t.Fatalf("unpack %s: %v", method, err)
	}
	return vals
}

func TestConstantsMatchKey(t *testing.T) {
	key, err := crypto.HexToECDSA(PayerKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	if got := common.Bytes2Hex(crypto.Keccak256([]byte("epusdt devchain payer"))); got != PayerKeyHex {
		t.Errorf("PayerKeyHex is not keccak256 of its phrase: %s", got)
	}
	payer := crypto.PubkeyToAddress(key.PublicKey)
	if payer.Hex() != PayerAddress {
		t.Errorf("PayerAddress = %s, key gives %s", PayerAddress, payer.Hex())
	}
	if got := crypto.CreateAddress(payer, 0).Hex(); got != USDT6Address {
		t.Errorf("USDT6Address = %s, want %s", USDT6Address, got)
	}
	if got := crypto.CreateAddress(payer, 1).Hex(); got != USDT18Address {
		t.Errorf("USDT18Address = %s, want %s", USDT18Address, got)
	}
}

func TestTokensDeployedAndTransferLogs(t *testing.T) {
	c := startChain(t, Options{})
	client := dial(t, c)
	payer := common.HexToAddress(PayerAddress)
	for _, tc := range []struct {
		token    string
		decimals uint8
		amount   string
		want     string
	}{
		{"usdt6", 6, "7.91", "7910000"},
		{"usdt18", 18, "7.91", "7910000000000000000"},
		{"usdt6", 6, "0.000001", "1"},
		{"usdt18", 18, "123456789.000000000000000001", "123456789000000000000000001"},
	} {
		t.Run(tc.token+"/"+tc.amount, func(t *testing.T) {
			tokenAddr := c.Token(tc.token)
			if got := callToken(t, client, tokenAddr, "decimals")[0].(uint8); got != tc.decimals {
				t.Fatalf("decimals() = %d, want %d", got, tc.decimals)
			}
			to := common.BytesToAddress(crypto.Keccak256([]byte(tc.token + tc.amount))[:20])
			hash, block, err := c.Transfer(testCtx(t), tc.token, to, tc.amount)
			if err != nil {
				t.Fatalf("Transfer: %v", err)
			}
			if block != c.Head() {
				t.Errorf("Transfer returned block %d, head is %d", block, c.Head())
			}
			want, _ := new(big.Int).SetString(tc.want, 10)
			logs := logsOf(t, client, tokenAddr, block, block)
			if len(logs) != 1 {
				t.Fatalf("got %d logs in block %d, want 1", len(logs), block)
			}
			l := logs[0]
			if l.TxHash != hash || l.Address != tokenAddr || l.BlockNumber != block || l.Removed {
				t.Errorf("log = %+v, want tx %s in block %d of %s", l, hash, block, tokenAddr)
			}
			if len(l.Topics) != 3 || l.Topics[0].Hex() != transferTopic ||
				common.BytesToAddress(l.Topics[1].Bytes()) != payer || common.BytesToAddress(l.Topics[2].Bytes()) != to {
				t.Errorf("topics = %v, want Transfer(%s → %s)", l.Topics, payer, to)
			}
			if got := new(big.Int).SetBytes(l.Data); got.Cmp(want) != 0 {
				t.Errorf("log value = %s, want %s", got, want)
			}
			if got := callToken(t, client, tokenAddr, "balanceOf", to)[0].(*big.Int); got.Cmp(want) != 0 {
				t.Errorf("balanceOf(to) = %s, want %s", got, want)
			}
			receipt, err := client.TransactionReceipt(testCtx(t), hash)
			if err != nil || receipt.Status != types.ReceiptStatusSuccessful {
				t.Errorf("receipt = %+v, %v", receipt, err)
			}
		})
	}
}

func TestBatchTransferIsOneTxWithManyLogs(t *testing.T) {
	c := startChain(t, Options{})
	client := dial(t, c)
	to := []common.Address{addr(1), addr(2), addr(1)}
	hash, block, err := c.BatchTransfer(testCtx(t), "usdt18", to, []string{"1", "2.5", "0.000000000000000003"})
	if err != nil {
		t.Fatalf("BatchTransfer: %v", err)
	}
	logs := logsOf(t, client, c.Token("usdt18"), block, block)
	if len(logs) != 3 {
		t.Fatalf("got %d logs, want 3", len(logs))
	}
	want := []string{"1000000000000000000", "2500000000000000000", "3"}
	seen := map[uint]bool{}
	for i, l := range logs {
		if l.TxHash != hash {
			t.Errorf("log %d in tx %s, want %s", i, l.TxHash, hash)
		}
		if seen[l.Index] {
			t.Errorf("log index %d repeated", l.Index)
		}
		seen[l.Index] = true
		if common.BytesToAddress(l.Topics[2].Bytes()) != to[i] || new(big.Int).SetBytes(l.Data).String() != want[i] {
			t.Errorf("log %d = to %x value %s, want to %s value %s", i, l.Topics[2], new(big.Int).SetBytes(l.Data), to[i], want[i])
		}
	}
	if _, _, err := c.BatchTransfer(testCtx(t), "usdt6", to, []string{"1"}); !IsInputError(err) {
		t.Errorf("mismatched lengths: err = %v, want input error", err)
	}
}

func TestTransferRejectsBadInput(t *testing.T) {
	c := startChain(t, Options{})
	for _, tc := range []struct {
		token, amount string
		to            common.Address
		field         string
	}{
		{"usdt7", "1", addr(1), "token"},
		{"0x0000000000000000000000000000000000000001", "1", addr(1), "token"}, // no code there
		{"usdt6", "1.0000001", addr(1), "amount"},
		{"usdt6", "-1", addr(1), "amount"},
		{"usdt6", "1e3", addr(1), "amount"},
		{"usdt6", "", addr(1), "amount"},
		{"usdt6", "1", common.Address{}, "to"},
		{"usdt6", "2000000000000", addr(1), "amount"}, // more than the supply: reverts
	} {
		_, _, err := c.Transfer(testCtx(t), tc.token, tc.to, tc.amount)
		if !IsInputError(err) || !strings.HasPrefix(err.Error(), tc.field+":") {
			t.Errorf("Transfer(%q, %s, %q) err = %v, want an input error on %s", tc.token, tc.to, tc.amount, err, tc.field)
		}
	}
	// A token given by address works like its name.
	if _, _, err := c.Transfer(testCtx(t), strings.ToLower(c.Token("usdt6").Hex()), addr(9), "1"); err != nil {
		t.Errorf("Transfer by token address: %v", err)
	}
}

func TestFinalizedTrailsHead(t *testing.T) {
	c := startChain(t, Options{FinalityLag: 3})
	client := dial(t, c)
	raw, err := rpc.Dial(c.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	blockNumber := func(tag string) uint64 {
		t.Helper()
		var blk struct {
			Number string `json:"number"`
		}
		if err := raw.CallContext(testCtx(t), &blk, "eth_getBlockByNumber", tag, false); err != nil {
			t.Fatalf("eth_getBlockByNumber(%s): %v", tag, err)
		}
		n, err := hexToUint(blk.Number)
		if err != nil {
			t.Fatalf("block number %q: %v", blk.Number, err)
		}
		return n
	}
	if got := blockNumber("finalized"); got != 0 {
		t.Errorf("finalized with head %d and lag 3 = %d, want 0", c.Head(), got)
	}
	if err := c.Mine(testCtx(t), 6); err != nil {
		t.Fatal(err)
	}
	head := c.Head()
	if head != 7 || blockNumber("latest") != head {
		t.Fatalf("head = %d, latest = %d, want 7", head, blockNumber("latest"))
	}
	for _, tag := range []string{"finalized", "safe"} {
		if got := blockNumber(tag); got != head-3 {
			t.Errorf("%s = %d, want head-3 = %d", tag, got, head-3)
		}
	}
	// Tags in batch requests and in eth_getLogs filters are rewritten too.
	var fin, safe map[string]any
	batch := []rpc.BatchElem{
		{Method: "eth_getBlockByNumber", Args: []any{"finalized", false}, Result: &fin},
		{Method: "eth_getBlockByNumber", Args: []any{"safe", false}, Result: &safe},
	}
	if err := raw.BatchCallContext(testCtx(t), batch); err != nil || batch[0].Error != nil || batch[1].Error != nil {
		t.Fatalf("batch: %v %v %v", err, batch[0].Error, batch[1].Error)
	}
	if fin["number"] != "0x4" || safe["number"] != "0x4" {
		t.Errorf("batch finalized/safe = %v/%v, want 0x4", fin["number"], safe["number"])
	}
	_, block, err := c.Transfer(testCtx(t), "usdt6", addr(3), "5")
	if err != nil {
		t.Fatal(err)
	}
	finalLogs := func() int {
		var logs []types.Log
		filter := map[string]any{"fromBlock": "0x2", "toBlock": "finalized", "address": c.Token("usdt6")}
		if err := raw.CallContext(testCtx(t), &logs, "eth_getLogs", filter); err != nil {
			t.Fatalf("eth_getLogs to finalized: %v", err)
		}
		return len(logs)
	}
	if n := finalLogs(); n != 0 {
		t.Errorf("logs up to finalized before block %d is final: %d, want 0", block, n)
	}
	if err := c.Mine(testCtx(t), 3); err != nil {
		t.Fatal(err)
	}
	if n := finalLogs(); n != 1 {
		t.Errorf("logs up to finalized once block %d is final: %d, want 1", block, n)
	}
	if c.Finalized() != c.Head()-3 {
		t.Errorf("Finalized() = %d, head %d", c.Finalized(), c.Head())
	}
	hdr, err := client.HeaderByNumber(testCtx(t), big.NewInt(int64(rpc.FinalizedBlockNumber)))
	if err != nil || hdr.Number.Uint64() != c.Head()-3 {
		t.Errorf("ethclient finalized header = %v, %v", hdr, err)
	}
}

func TestReorgDropsOneTransferAndKeepsTheRest(t *testing.T) {
	c := startChain(t, Options{})
	client := dial(t, c)
	ctx := testCtx(t)
	keepA, blockA, err := c.Transfer(ctx, "usdt6", addr(1), "1.5")
	if err != nil {
		t.Fatal(err)
	}
	drop, blockDrop, err := c.Transfer(ctx, "usdt6", addr(2), "2.5")
	if err != nil {
		t.Fatal(err)
	}
	keepC, blockC, err := c.BatchTransfer(ctx, "usdt18", []common.Address{addr(3), addr(4)}, []string{"3", "4"})
	if err != nil {
		t.Fatal(err)
	}
	oldHead := c.Head()
	oldHash, err := client.HeaderByNumber(ctx, new(big.Int).SetUint64(blockDrop))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(logsOf(t, client, c.Token("usdt6"), blockDrop, blockDrop)); got != 1 {
		t.Fatalf("before reorg: %d logs at block %d, want 1", got, blockDrop)
	}

	if err := c.Reorg(ctx, int(oldHead-blockA+1), &drop); err != nil {
		t.Fatalf("Reorg: %v", err)
	}
	if c.Head() != oldHead+1 {
		t.Errorf("head after reorg = %d, want %d", c.Head(), oldHead+1)
	}
	newHash, err := client.HeaderByNumber(ctx, new(big.Int).SetUint64(blockDrop))
	if err != nil {
		t.Fatal(err)
	}
	if newHash.Hash() == oldHash.Hash() {
		t.Errorf("block %d kept its hash %s through the reorg", blockDrop, oldHash.Hash())
	}
	if _, err := client.TransactionReceipt(ctx, drop); !errors.Is(err, ethereum.NotFound) {
		t.Errorf("dropped tx receipt: err = %v, want not found", err)
	}
	for _, l := range logsOf(t, client, c.Token("usdt6"), 0, c.Head()) {
		if l.TxHash == drop {
			t.Errorf("dropped tx still has a log: %+v", l)
		}
	}
	for hash, block := range map[common.Hash]uint64{keepA: blockA, keepC: blockC} {
		r, err := client.TransactionReceipt(ctx, hash)
		if err != nil || r.BlockNumber.Uint64() != block || r.Status != types.ReceiptStatusSuccessful {
			t.Errorf("kept tx %s: receipt %+v, %v; want success in block %d", hash, r, err, block)
		}
	}
	if got := logsOf(t, client, c.Token("usdt18"), blockC, blockC); len(got) != 2 || got[0].TxHash != keepC {
		t.Errorf("kept batch logs = %+v", got)
	}
	if bal := callToken(t, client, c.Token("usdt6"), "balanceOf", addr(2))[0].(*big.Int); bal.Sign() != 0 {
		t.Errorf("balance of the dropped payment's recipient = %s, want 0", bal)
	}
	// The payer's nonce sequence survived: new transfers still work.
	if _, _, err := c.Transfer(ctx, "usdt6", addr(5), "1"); err != nil {
		t.Errorf("Transfer after reorg: %v", err)
	}
}

func TestReorgWithoutDropChangesHashesOnly(t *testing.T) {
	c := startChain(t, Options{})
	client := dial(t, c)
	ctx := testCtx(t)
	hash, block, err := c.Transfer(ctx, "usdt6", addr(1), "1")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Mine(ctx, 2); err != nil {
		t.Fatal(err)
	}
	before, _ := client.HeaderByNumber(ctx, new(big.Int).SetUint64(block))
	if err := c.Reorg(ctx, 3, nil); err != nil {
		t.Fatal(err)
	}
	after, _ := client.HeaderByNumber(ctx, new(big.Int).SetUint64(block))
	if before.Hash() == after.Hash() {
		t.Error("block hash did not change")
	}
	if logs := logsOf(t, client, c.Token("usdt6"), block, block); len(logs) != 1 || logs[0].TxHash != hash || logs[0].BlockHash != after.Hash() {
		t.Errorf("logs after reorg = %+v, want tx %s in the new block %s", logs, hash, after.Hash())
	}
	for _, tc := range []struct {
		depth int
		drop  *common.Hash
		field string
	}{
		{0, nil, "depth"},
		{int(c.Head()) + 1, nil, "depth"},
		{1, &hash, "drop_tx"}, // not in the last block
	} {
		if err := c.Reorg(ctx, tc.depth, tc.drop); !IsInputError(err) || !strings.HasPrefix(err.Error(), tc.field) {
			t.Errorf("Reorg(%d) err = %v, want input error on %s", tc.depth, err, tc.field)
		}
	}
}

func TestAutoMining(t *testing.T) {
	c := startChain(t, Options{BlockTime: 100 * time.Millisecond, ChainID: 56})
	client := dial(t, c)
	ctx := testCtx(t)
	id, err := client.ChainID(ctx)
	if err != nil || id.Uint64() != 56 {
		t.Fatalf("eth_chainId = %v, %v; want 56", id, err)
	}
	start := c.Head()
	deadline := time.Now().Add(5 * time.Second)
	for c.Head() < start+3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if c.Head() < start+3 {
		t.Fatalf("head stayed at %d for 5s with BlockTime 100ms", c.Head())
	}
	hash, block, err := c.Transfer(ctx, "usdt6", addr(1), "1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := client.TransactionReceipt(ctx, hash)
	if err != nil || r.BlockNumber.Uint64() != block {
		t.Errorf("receipt = %+v, %v; want block %d", r, err, block)
	}
}

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		dec  uint8
		want string
	}{
		{"7.91", 6, "7910000"}, {"0", 6, "0"}, {"0.0", 6, "0"}, {"100", 0, "100"},
		{"001.5", 6, "1500000"}, {"1.000000000000000001", 18, "1000000000000000001"},
	} {
		got, err := parseAmount(tc.in, tc.dec)
		if err != nil || got.String() != tc.want {
			t.Errorf("parseAmount(%q, %d) = %v, %v; want %s", tc.in, tc.dec, got, err, tc.want)
		}
	}
	for _, in := range []string{"", ".5", "5.", "1.2.3", "-1", "+1", "1e6", " 1", "1,5", "0x10", "1.1234567",
		strings.Repeat("9", 80)} {
		if got, err := parseAmount(in, 6); err == nil {
			t.Errorf("parseAmount(%q) = %v, want error", in, got)
		}
	}
}

func hexToUint(s string) (uint64, error) {
	v, ok := new(big.Int).SetString(strings.TrimPrefix(s, "0x"), 16)
	if !ok || !v.IsUint64() {
		return 0, errors.New("not a hex number")
	}
	return v.Uint64(), nil
}

func TestApproveAndTransferFrom(t *testing.T) {
	c := startChain(t, Options{})
	client := dial(t, c)
	ctx := testCtx(t)
	parsed, err := erc20ABI()
	if err != nil {
		t.Fatal(err)
	}
	token, payer := c.Token("usdt6"), c.Payer()
	data, _ := parsed.Pack("approve", payer, big.NewInt(5_000_000))
	_, block, err := c.send(ctx, token, data, 0)
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	logs, err := client.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(block), ToBlock: new(big.Int).SetUint64(block), Addresses: []common.Address{token},
	})
	approvalTopic := common.HexToHash("0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925")
	if err != nil || len(logs) != 1 || logs[0].Topics[0] != approvalTopic || new(big.Int).SetBytes(logs[0].Data).Int64() != 5_000_000 {
		t.Fatalf("approval logs = %+v, %v", logs, err)
	}
	if got := callToken(t, client, token, "allowance", payer, payer)[0].(*big.Int); got.Int64() != 5_000_000 {
		t.Errorf("allowance = %s", got)
	}
	data, _ = parsed.Pack("transferFrom", payer, addr(8), big.NewInt(2_000_000))
	if _, _, err := c.send(ctx, token, data, 0); err != nil {
		t.Fatalf("transferFrom: %v", err)
	}
	if got := callToken(t, client, token, "allowance", payer, payer)[0].(*big.Int); got.Int64() != 3_000_000 {
		t.Errorf("allowance after transferFrom = %s, want 3000000", got)
	}
	if got := callToken(t, client, token, "balanceOf", addr(8))[0].(*big.Int); got.Int64() != 2_000_000 {
		t.Errorf("balance after transferFrom = %s", got)
	}
	data, _ = parsed.Pack("transferFrom", payer, addr(8), big.NewInt(4_000_000)) // over the allowance
	if _, _, err := c.send(ctx, token, data, 0); err == nil {
		t.Error("transferFrom over the allowance succeeded")
	}
}
