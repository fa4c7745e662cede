// Package devchain owns EPUSDT's local test chain: go-ethereum's simulated
// backend served over real HTTP JSON-RPC, with two ERC-20 USDT stand-ins
// deployed ("usdt6" with 6 decimals, "usdt18" with 18 decimals), a funded
// payer account, a configurable finality lag for the "finalized" and "safe"
// block tags, and a control API under /control/ on the same port to pay, mine
// and make reorgs. Tests in other packages start one with Start;
// cmd/devchain packages it for humans and integrators.
//
// Everything is deterministic except block timestamps and hashes: the payer
// key is PayerKeyHex (address PayerAddress), and because the payer deploys
// the tokens as its first two transactions, they always live at
// USDT6Address and USDT18Address, whatever the chain ID.
package devchain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

const (
	// PayerKeyHex is the payer's private key, keccak256("epusdt devchain
	// payer"). It holds ETH for gas and the whole supply of both tokens.
	// Never use it on a real network.
	PayerKeyHex = "1847a519db8b350b0e92a7120bdabf77c1072d00d484cd03dd0bb1f183436cff"
	// PayerAddress is the address of PayerKeyHex.
	PayerAddress = "0xB5d7d45d659025c4F553b48708d275D5FD8Db516"
	// USDT6Address is where the 6-decimal token ("usdt6") is deployed: the
	// payer's CREATE address for nonce 0.
	USDT6Address = "0xD35e0929E91a6F03C8Bfa7E33347c7552d44bce9"
	// USDT18Address is where the 18-decimal token ("usdt18") is deployed: the
	// payer's CREATE address for nonce 1.
	USDT18Address = "0x0DcbB9D5267056d5E0b3D15c55312A8c8C3c2cDc"
	// DefaultChainID is the chain ID used when Options.ChainID is 0.
	DefaultChainID = 1337
)

// Options configures Start.
type Options struct {
	// Listen is the TCP address to serve on; "127.0.0.1:0" picks a free port.
	// Empty means "127.0.0.1:0".
	Listen string
	// BlockTime is the interval of automatic mining; 0 mines only on demand:
	// each Transfer mines its own block, and transactions sent over JSON-RPC
	// wait in the pool for the next Mine.
	BlockTime time.Duration
	// FinalityLag is how many blocks the "finalized" and "safe" tags trail the
	// head: finalized = max(0, head − FinalityLag).
	FinalityLag uint64
	// ChainID is the EIP-155 chain ID; 0 means DefaultChainID.
	ChainID uint64
	// Logger receives the chain's own logs (mined blocks, reorgs); nil discards.
	Logger *slog.Logger
}

// Info describes a running chain; it is the JSON that cmd/devchain prints at
// start and that GET /control/info returns.
type Info struct {
	RPCURL  string `json:"rpc_url"`  // JSON-RPC endpoint; the control API is under RPCURL + "/control/"
	ChainID uint64 `json:"chain_id"` // EIP-155 chain ID
	USDT6   string `json:"usdt6"`    // 6-decimal token, EIP-55 hex
	USDT18  string `json:"usdt18"`   // 18-decimal token, EIP-55 hex
	Payer   string `json:"payer"`    // the funded account (PayerAddress)
}

// Chain is a running development chain. Its methods are safe for concurrent use.
type Chain struct {
	opts    Options
	log     *slog.Logger
	payer   *ecdsa.PrivateKey
	payerAd common.Address
	tokens  map[string]token

	node *simNode

	listener net.Listener
	server   *http.Server
	rpcURL   string

	stopMining context.CancelFunc
	cancelReqs context.CancelFunc
	wg         sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
}

// token is a deployed ERC-20 the chain knows by name.
type token struct {
	address  common.Address
	decimals uint8
}

// Start creates the chain, deploys both tokens in block 1, starts serving
// JSON-RPC and the control API on opts.Listen and, when opts.BlockTime > 0,
// mines a block every BlockTime. Close releases everything.
func Start(ctx context.Context, opts Options) (*Chain, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.ChainID == 0 {
		opts.ChainID = DefaultChainID
	}
	if opts.BlockTime < 0 {
		return nil, errors.New("devchain: BlockTime must not be negative")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	key, err := crypto.HexToECDSA(PayerKeyHex)
	if err != nil {
		return nil, fmt.Errorf("devchain: payer key: %w", err)
	}
	c := &Chain{opts: opts, log: logger, payer: key, payerAd: crypto.PubkeyToAddress(key.PublicKey)}
	if c.node, err = newSimNode(opts.ChainID, c.payerAd); err != nil {
		return nil, fmt.Errorf("devchain: start node: %w", err)
	}
	if err := c.deployTokens(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("devchain: %w", err), c.node.close())
	}
	if err := c.serve(); err != nil {
		return nil, errors.Join(fmt.Errorf("devchain: %w", err), c.node.close())
	}
	if opts.BlockTime > 0 {
		mineCtx, cancel := context.WithCancel(context.Background())
		c.stopMining = cancel
		c.wg.Add(1)
		go c.autoMine(mineCtx)
	}
	c.log.Info("devchain started", "rpc_url", c.rpcURL, "chain_id", opts.ChainID,
		"block_time", opts.BlockTime, "finality_lag", opts.FinalityLag)
	return c, nil
}

// serve binds the listener and starts the HTTP server for RPC and control.
func (c *Chain) serve() error {
	ln, err := net.Listen("tcp", c.opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.opts.Listen, err)
	}
	c.listener = ln
	c.rpcURL = "http://" + dialableAddr(ln.Addr())
	mux := http.NewServeMux()
	mux.Handle("/control/", c.controlHandler())
	mux.Handle("/", c.rpcHandler())
	reqCtx, cancel := context.WithCancel(context.Background())
	c.cancelReqs = cancel
	c.server = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := c.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("devchain http server stopped", "err", err)
		}
	}()
	return nil
}

// dialableAddr turns a listener address into one a client can dial: an
// unspecified host (0.0.0.0 or ::) becomes 127.0.0.1.
func dialableAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		_, port, err := net.SplitHostPort(a.String())
		if err != nil {
			return a.String()
		}
		return net.JoinHostPort("127.0.0.1", port)
	}
	return net.JoinHostPort(tcp.IP.String(), fmt.Sprint(tcp.Port))
}

// autoMine seals a block every BlockTime until ctx ends.
func (c *Chain) autoMine(ctx context.Context) {
	defer c.wg.Done()
	ticker := time.NewTicker(c.opts.BlockTime)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if err := c.Mine(ctx, 1); err != nil && ctx.Err() == nil {
				c.log.Warn("devchain auto-mine failed", "err", err)
			}
		}
	}
}

// RPCURL is the HTTP JSON-RPC endpoint, e.g. "http://127.0.0.1:8545".
func (c *Chain) RPCURL() string { return c.rpcURL }

// ChainID is the chain's EIP-155 chain ID.
func (c *Chain) ChainID() uint64 { return c.opts.ChainID }

// Payer is the funded account that Transfer and BatchTransfer send from.
func (c *Chain) Payer() common.Address { return c.payerAd }

// Token returns the address of the token named "usdt6" or "usdt18"; the zero
// address for any other name.
func (c *Chain) Token(name string) common.Address { return c.tokens[name].address }

// Head returns the number of the current head block.
func (c *Chain) Head() uint64 { return c.node.head() }

// Finalized returns the number that the "finalized" and "safe" tags resolve
// to: max(0, head − FinalityLag).
func (c *Chain) Finalized() uint64 { return c.finalizedFor(c.Head()) }

func (c *Chain) finalizedFor(head uint64) uint64 {
	if head < c.opts.FinalityLag {
		return 0
	}
	return head - c.opts.FinalityLag
}

// Info describes the running chain: RPC URL, chain ID, token and payer addresses.
func (c *Chain) Info() Info {
	return Info{
		RPCURL:  c.rpcURL,
		ChainID: c.opts.ChainID,
		USDT6:   c.Token("usdt6").Hex(),
		USDT18:  c.Token("usdt18").Hex(),
		Payer:   c.payerAd.Hex(),
	}
}

// Close stops mining and serving and shuts the node down. It is safe to call
// more than once.
func (c *Chain) Close() error {
	c.closeOnce.Do(func() {
		if c.stopMining != nil {
			c.stopMining()
		}
		c.cancelReqs()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var errs []error
		if err := c.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down http server: %w", err), c.server.Close())
		}
		c.wg.Wait()
		errs = append(errs, c.node.close())
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}
