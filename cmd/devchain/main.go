// Command devchain runs EPUSDT's local test chain for developers and
// integrators: go-ethereum's simulated backend over HTTP JSON-RPC with two
// USDT stand-in tokens (6 and 18 decimals) and a funded payer, plus a control
// API under /control/ (transfer, batch-transfer, mine, reorg, info).
//
// Once it serves, it prints exactly one JSON line to stdout:
//
//	{"rpc_url":"http://127.0.0.1:8545","chain_id":1337,"usdt6":"0x…","usdt18":"0x…","payer":"0x…"}
//
// Logs go to stderr. SIGINT or SIGTERM stops it cleanly (exit status 0).
//
// Usage:
//
//	devchain [--listen 127.0.0.1:8545] [--block-time 1s] [--finality-lag 3] [--chain-id 1337]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/epusdt/epusdt/internal/devchain"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devchain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8545", "address to serve JSON-RPC and /control/ on (port 0 picks a free one)")
	blockTime := fs.Duration("block-time", time.Second, "mine a block this often; 0 mines only on demand")
	finalityLag := fs.Uint64("finality-lag", 3, "blocks between the head and the finalized/safe block")
	chainID := fs.Uint64("chain-id", devchain.DefaultChainID, "EIP-155 chain ID")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "devchain: unexpected arguments %q\n", fs.Args())
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	chain, err := devchain.Start(ctx, devchain.Options{
		Listen:      *listen,
		BlockTime:   *blockTime,
		FinalityLag: *finalityLag,
		ChainID:     *chainID,
		Logger:      logger,
	})
	if err != nil {
		logger.Error("devchain failed to start", "err", err)
		return 1
	}
	line, err := json.Marshal(chain.Info())
	if err == nil {
		_, err = fmt.Fprintln(stdout, string(line))
	}
	if err != nil {
		logger.Error("devchain could not print its info line", "err", err)
		_ = chain.Close()
		return 1
	}
	<-ctx.Done()
	logger.Info("devchain shutting down")
	if err := chain.Close(); err != nil {
		logger.Error("devchain shutdown", "err", err)
		return 1
	}
	return 0
}
