// Package chain owns watching the chains for incoming USDT: one
// log-scanning Watcher per chain (EVM chains and TRON through its
// JSON-RPC) that keeps a cursor in the database, scans settled block ranges
// with eth_getLogs filtered by token contract and watched wallets, records
// unsettled "detected" transfers for the cashier, survives reorgs, holds a
// database lease so exactly one instance scans a chain, and hands newly
// settled transfers to a Sink (payment matching) in the same database
// transaction that moves the cursor. It knows chains, not orders.
package chain

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/chain/evm"
	"github.com/epusdt/epusdt/internal/chain/tron"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
)

// Sink receives transfers that have just settled, inside the transaction
// that stores them and moves the cursor: if Settle fails, nothing of the
// range is kept and the range is scanned again. Each transfer is passed
// exactly once.
type Sink interface {
	Settle(ctx context.Context, tx *store.Tx, ts []store.Transfer) error
}

// Options configures a Watcher.
type Options struct {
	Chain       string       // tron, ethereum, bsc or polygon
	Config      config.Chain // that chain's keys
	TronGridKey string       // sent as TRON-PRO-API-KEY to TRON URLs when set
	LeaseTTL    time.Duration
	Instance    string // this process's lease holder id
	Store       *store.Store
	Sink        Sink
	Metrics     *metrics.Metrics
	Log         *zap.Logger
	Now         func() time.Time
	HTTPClient  *http.Client // nil = a fresh client
}

// Watcher scans one chain.
type Watcher struct {
	o         Options
	cfg       config.Chain
	client    *evm.Client
	contract  [20]byte
	token     string // contract, canonical form
	confirm   uint64 // confirmations; 0 = the finalized tag
	leaseName string
	log       *zap.Logger
	now       func() time.Time
	txID      func(string) string

	// adaptive eth_getLogs limits; touched only by the scanning goroutine
	rangeSize uint64
	chunk     int
	okStreak  int
	leaseAt   time.Time

	mu sync.Mutex
	st State
}

// NewWatcher checks o and builds a watcher; it does no I/O.
func NewWatcher(o Options) (*Watcher, error) {
	if !address.IsChain(o.Chain) {
		return nil, fmt.Errorf("chain watcher: unknown chain %q", o.Chain)
	}
	if o.Store == nil || o.Sink == nil || o.Metrics == nil || o.Instance == "" || o.LeaseTTL <= 0 {
		return nil, fmt.Errorf("%s watcher: store, sink, metrics, instance id and lease TTL are required", o.Chain)
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	w := &Watcher{o: o, cfg: o.Config, leaseName: "scan:" + o.Chain, log: o.Log.With(zap.String("chain", o.Chain)),
		now: o.Now, txID: func(h string) string { return h }}
	if err := w.configure(); err != nil {
		return nil, err
	}
	w.st = State{Chain: o.Chain, Range: w.rangeSize, Chunk: w.chunk}
	return w, nil
}

// configure validates the chain keys and builds the RPC client.
func (w *Watcher) configure() error {
	c, name := w.cfg, w.o.Chain
	var err error
	if w.contract, err = address.Bytes(name, c.USDTContract); err != nil {
		return fmt.Errorf("%s_usdt_contract: %w", name, err)
	}
	w.token = address.FromBytes(name, w.contract)
	header := http.Header{}
	if name == address.Tron {
		if err := tron.CheckSettle(c.Settle); err != nil {
			return err
		}
		header, w.txID = tron.RPCHeader(w.o.TronGridKey), tron.TxID
	}
	if c.Settle != "finalized" {
		n, err := strconv.ParseUint(c.Settle, 10, 32)
		if err != nil || n < 1 {
			return fmt.Errorf("%s_settle: want finalized or a number of confirmations ≥ 1, got %q", name, c.Settle)
		}
		w.confirm = n
	}
	if c.MaxBlockRange < 1 || c.AddressChunk < 1 || c.PollInterval <= 0 {
		return fmt.Errorf("%s watcher: max_block_range, address_chunk and poll_interval must be positive", name)
	}
	w.rangeSize, w.chunk = c.MaxBlockRange, min(c.AddressChunk, 1000)
	w.client, err = evm.New(evm.Options{URLs: c.RPCURLs, Timeout: c.RPCTimeout, Header: header,
		HTTPClient: w.o.HTTPClient, Cooldown: min(time.Second, c.PollInterval), Now: w.now, Observe: w.observe})
	if err != nil {
		return fmt.Errorf("%s_rpc_urls: %w", name, err)
	}
	return nil
}

// Chain is the chain's name.
func (w *Watcher) Chain() string { return w.o.Chain }

// errLeaseLost stops a scan when another instance took the chain over.
var errLeaseLost = errors.New("scan lease lost to another instance")
