package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/epusdt/epusdt/internal/devchain/devclient"
)

// chainClient talks to devchain: its JSON-RPC for block numbers and its
// control API for payments and mining.
type chainClient struct {
	rpc string
	hc  *http.Client
}

func newChainClient(rpc string) *chainClient {
	return &chainClient{rpc: strings.TrimRight(rpc, "/"), hc: &http.Client{Timeout: 60 * time.Second}}
}

// control POSTs body to /control/<path> and decodes the answer into out.
func (c *chainClient) control(ctx context.Context, path string, in, out any) error {
	return devclient.Post(ctx, c.hc, c.rpc, path, in, out)
}

// transfer is one payment of a batch.
type transfer struct {
	To     string `json:"to"`
	Amount string `json:"amount"`
}

// batch pays every transfer of token in one transaction; it returns the
// block it was mined in.
func (c *chainClient) batch(ctx context.Context, token string, ts []transfer) (uint64, error) {
	var r struct {
		Block uint64 `json:"block"`
	}
	err := c.control(ctx, "batch-transfer", map[string]any{"token": token, "transfers": ts}, &r)
	return r.Block, err
}

// mine seals n blocks and returns the new head.
func (c *chainClient) mine(ctx context.Context, n int) (uint64, error) {
	var r struct {
		Head uint64 `json:"head"`
	}
	err := c.control(ctx, "mine", map[string]int{"blocks": n}, &r)
	return r.Head, err
}

// blockNumber reads the number of a block tag ("latest", "finalized").
func (c *chainClient) blockNumber(ctx context.Context, tag string) (uint64, error) {
	q := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":[%q,false]}`, tag)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.rpc, strings.NewReader(q))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Result *struct {
			Number string `json:"number"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Result == nil {
		return 0, fmt.Errorf("eth_getBlockByNumber(%s): no block (%v)", tag, err)
	}
	return strconv.ParseUint(strings.TrimPrefix(r.Result.Number, "0x"), 16, 64)
}
