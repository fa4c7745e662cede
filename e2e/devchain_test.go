package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/proctest"

	"github.com/epusdt/epusdt/internal/devchain/devclient"
)

// chainOpts configures startChain.
type chainOpts struct {
	// Heartbeat mines one block this often (default 1 s; negative = never).
	// devchain itself runs with --block-time 0, so every transfer is mined
	// at once in its own block: concurrent payers are safe that way.
	Heartbeat   time.Duration
	FinalityLag int // blocks between head and finalized; default 2
}

// devchainProc is a running devchain process.
type devchainProc struct {
	proc   *proctest.Proc
	RPC    string `json:"rpc_url"`
	USDT6  string `json:"usdt6"`
	USDT18 string `json:"usdt18"`
	Payer  string `json:"payer"`
	hc     *http.Client
}

// startChain runs devchain on a free port, reads its info line and starts
// the heartbeat miner (stopped when the test ends).
func startChain(t *testing.T, o chainOpts) *devchainProc {
	t.Helper()
	lag := 2
	if o.FinalityLag > 0 {
		lag = o.FinalityLag
	}
	p := proctest.Start(t, bins.devchain, t.TempDir(), nil, "--listen", "127.0.0.1:0",
		"--block-time", "0", "--finality-lag", strconv.Itoa(lag))
	c := &devchainProc{proc: p, hc: &http.Client{Timeout: 60 * time.Second}}
	deadline := time.After(60 * time.Second)
	for c.RPC == "" {
		select {
		case line := <-p.Lines:
			if strings.HasPrefix(line, "{") {
				if err := json.Unmarshal([]byte(line), c); err != nil {
					t.Fatalf("devchain info line %q: %v", line, err)
				}
			}
		case <-p.Exited():
			t.Fatalf("devchain exited: %v\n%s", p.Err(), p.Output())
		case <-deadline:
			t.Fatalf("devchain printed no info line within 60s:\n%s", p.Output())
		}
	}
	beat := o.Heartbeat
	if beat == 0 {
		beat = time.Second
	}
	if beat > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			c.heartbeat(ctx, beat)
		}()
		t.Cleanup(func() { cancel(); <-stopped })
	}
	return c
}

// heartbeat mines one block every d until ctx ends, like a live chain.
func (c *devchainProc) heartbeat(ctx context.Context, d time.Duration) {
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_ = c.mine(ctx, 1) // a failed beat is just a slower chain
		}
	}
}

// payment is one transfer of a batch.
type payment struct {
	To     string `json:"to"`
	Amount string `json:"amount"`
}

// txResult is the control API's answer to a transfer.
type txResult struct {
	TxHash string `json:"tx_hash"`
	Block  uint64 `json:"block"`
}

// control POSTs body to /control/<path> and decodes the answer into out.
func (c *devchainProc) control(ctx context.Context, path string, body, out any) error {
	return devclient.Post(ctx, c.hc, c.RPC, path, body, out)
}

// pay sends one transfer of token ("usdt6" or "usdt18") and fails the test on error.
func (c *devchainProc) pay(t testing.TB, token, to, amount string) txResult {
	t.Helper()
	var r txResult
	if err := c.control(context.Background(), "transfer", map[string]string{"token": token, "to": to, "amount": amount}, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// batch sends every payment in one transaction (one Transfer log each).
func (c *devchainProc) batch(ctx context.Context, token string, ps []payment) (txResult, error) {
	var r txResult
	err := c.control(ctx, "batch-transfer", map[string]any{"token": token, "transfers": ps}, &r)
	return r, err
}

// mine seals n blocks now.
func (c *devchainProc) mine(ctx context.Context, n int) error {
	return c.control(ctx, "mine", map[string]int{"blocks": n}, nil)
}

// reorg replaces the last depth blocks, leaving dropTx (when not "") out.
func (c *devchainProc) reorg(ctx context.Context, depth int, dropTx string) error {
	body := map[string]any{"depth": depth}
	if dropTx != "" {
		body["drop_tx"] = dropTx
	}
	return c.control(ctx, "reorg", body, nil)
}

// head is the chain's latest block number (eth_blockNumber).
func (c *devchainProc) head(t testing.TB) uint64 {
	t.Helper()
	resp, err := c.hc.Post(c.RPC, "application/json",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`))
	if err != nil {
		t.Fatalf("eth_blockNumber: %v", err)
	}
	defer resp.Body.Close()
	var r struct {
		Result string `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("eth_blockNumber: %v", err)
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(r.Result, "0x"), 16, 64)
	if err != nil {
		t.Fatalf("eth_blockNumber result %q: %v", r.Result, err)
	}
	return n
}
