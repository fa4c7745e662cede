package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func runRPCCost(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rpc-cost", stderr)
	var url, rpc, chainName, token, row string
	var blocks, lag int
	fs.StringVar(&url, "url", "http://127.0.0.1:8000", "gateway base URL (its /metrics is read)")
	fs.StringVar(&token, "metrics-token", "", "metrics_token of the gateway, if set")
	fs.StringVar(&rpc, "rpc", "http://127.0.0.1:8545", "devchain URL")
	fs.StringVar(&chainName, "chain", "ethereum", "gateway chain to count (its RPC points at devchain)")
	fs.IntVar(&blocks, "blocks", 1000, "blocks to mine")
	fs.IntVar(&lag, "finality-lag", 2, "devchain's --finality-lag (blocks the settled head trails)")
	fs.StringVar(&row, "row", "", "print one Markdown table row with this label")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if blocks < 1 || blocks > 10_000 {
		return fmt.Errorf("rpc-cost: -blocks must be 1 to 10000")
	}
	m := &metricsReader{url: strings.TrimRight(url, "/") + "/metrics", token: token, hc: &http.Client{Timeout: 10 * time.Second}}
	calls, elapsed, err := rpcCost(ctx, m, newChainClient(rpc), chainName, blocks, lag)
	if err != nil {
		return err
	}
	per1000 := calls * 1000 / float64(blocks)
	if row != "" {
		fmt.Fprintf(stdout, "| %s | %.0f calls | %d blocks mined at once, scanned in %s |\n", row, per1000, blocks, elapsed.Round(time.Millisecond))
		return nil
	}
	fmt.Fprintf(stdout, "%s: %.0f RPC calls for %d blocks (%.0f per 1,000), caught up in %s\n",
		chainName, calls, blocks, per1000, elapsed.Round(time.Millisecond))
	return nil
}

// rpcCost mines blocks and counts the gateway's RPC calls for chain until
// its cursor has caught up with the new settled head.
func rpcCost(ctx context.Context, m *metricsReader, chain *chainClient, chainName string, blocks, lag int) (float64, time.Duration, error) {
	label := `chain="` + chainName + `"`
	before, err := m.sum(ctx, "epusdt_rpc_calls_total", label)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	head, err := chain.mine(ctx, blocks)
	if err != nil {
		return 0, 0, err
	}
	target := float64(head) - float64(lag)
	for {
		cursor, err := m.sum(ctx, "epusdt_chain_cursor_block", label)
		if err != nil {
			return 0, 0, err
		}
		if cursor >= target {
			break
		}
		if time.Since(start) > 5*time.Minute {
			return 0, 0, fmt.Errorf("the %s cursor is at %.0f after 5 minutes, want %.0f", chainName, cursor, target)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	after, err := m.sum(ctx, "epusdt_rpc_calls_total", label)
	return after - before, elapsed, err
}

// metricsReader reads the gateway's Prometheus text.
type metricsReader struct {
	url, token string
	hc         *http.Client
}

// sum adds up every sample of metric whose labels contain label.
func (m *metricsReader) sum(ctx context.Context, metric, label string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return 0, err
	}
	if m.token != "" {
		req.Header.Set("Authorization", "Bearer "+m.token)
	}
	resp, err := m.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("read metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("read metrics: HTTP %d (set -metrics-token?)", resp.StatusCode)
	}
	return sumSamples(resp.Body, metric, label)
}

// sumSamples parses Prometheus text exposition lines "name{labels} value".
func sumSamples(r io.Reader, metric, label string) (float64, error) {
	var total float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") || !strings.Contains(line, label) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("metric line %q: %w", line, err)
		}
		total += v
	}
	return total, sc.Err()
}
