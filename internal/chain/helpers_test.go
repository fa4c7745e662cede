package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/devchain"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
)

// recSink records what the watcher settles; fail makes the next Settle fail.
type recSink struct {
	mu   sync.Mutex
	got  []store.Transfer
	fail error
}

func (r *recSink) Settle(_ context.Context, tx *store.Tx, ts []store.Transfer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if tx == nil {
		return fmt.Errorf("Settle got no transaction")
	}
	if r.fail != nil {
		err := r.fail
		r.fail = nil
		return err
	}
	r.got = append(r.got, ts...)
	return nil
}

func (r *recSink) all() []store.Transfer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.Transfer(nil), r.got...)
}

// byTx indexes settled transfers by tx hash; it fails on a duplicate identity.
func (r *recSink) byTx(t *testing.T) map[string][]store.Transfer {
	t.Helper()
	out, seen := map[string][]store.Transfer{}, map[logKey]bool{}
	for _, tr := range r.all() {
		if seen[keyOf(tr)] {
			t.Fatalf("transfer %s#%d settled twice", tr.TxHash, tr.LogIndex)
		}
		seen[keyOf(tr)] = true
		out[tr.TxHash] = append(out[tr.TxHash], tr)
	}
	return out
}

// counter is an http.RoundTripper counting JSON-RPC methods.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		Method string `json:"method"`
	}
	_ = json.Unmarshal(body, &req)
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[req.Method]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *counter) get(method string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[method]
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startChain(t testing.TB, lag uint64) *devchain.Chain {
	t.Helper()
	dc, err := devchain.Start(testCtx(t), devchain.Options{Listen: "127.0.0.1:0", FinalityLag: lag})
	if err != nil {
		t.Fatalf("start devchain: %v", err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	return dc
}

// chainConfig is a fast-polling config for a devchain token.
func chainConfig(url string, token common.Address, decimals int) config.Chain {
	return config.Chain{Enabled: true, RPCURLs: []string{url}, USDTContract: token.Hex(), USDTDecimals: decimals,
		Settle: "finalized", PollInterval: 50 * time.Millisecond, MaxBlockRange: 1000, AddressChunk: 1000,
		StartLookback: 5, RPCTimeout: 2 * time.Second}
}

// walletAddr is a deterministic test wallet.
func walletAddr(i int) common.Address {
	return common.BytesToAddress([]byte{0xee, byte(i >> 16), byte(i >> 8), byte(i), 0x01})
}

func addWallet(t testing.TB, st *store.Store, chain string, a common.Address) string {
	t.Helper()
	s := address.FromBytes(chain, [20]byte(a))
	if _, err := st.AddWallet(context.Background(), chain, s, "", time.Now()); err != nil {
		t.Fatalf("add wallet: %v", err)
	}
	return s
}

type watcherSetup struct {
	chain    string
	cfg      config.Chain
	instance string
	now      func() time.Time
	client   *http.Client
	sink     Sink
	key      string
	ttl      time.Duration
}

func newWatcher(t testing.TB, st *store.Store, ws watcherSetup) *Watcher {
	t.Helper()
	if ws.chain == "" {
		ws.chain = address.Ethereum
	}
	if ws.instance == "" {
		ws.instance = "i1"
	}
	if ws.ttl == 0 {
		ws.ttl = 15 * time.Second
	}
	w, err := NewWatcher(Options{Chain: ws.chain, Config: ws.cfg, TronGridKey: ws.key, LeaseTTL: ws.ttl,
		Instance: ws.instance, Store: st, Sink: ws.sink, Metrics: metrics.New(), Now: ws.now, HTTPClient: ws.client})
	if err != nil {
		t.Fatalf("new watcher: %v", err)
	}
	return w
}

func mustRun(t testing.TB, w *Watcher) {
	t.Helper()
	if err := w.runOnce(testCtx(t)); err != nil {
		t.Fatalf("runOnce: %v", err)
	}
}

func pay(t testing.TB, dc *devchain.Chain, token string, to common.Address, amount string) (string, uint64) {
	t.Helper()
	for try := 0; ; try++ {
		h, block, err := dc.Transfer(testCtx(t), token, to, amount)
		if err == nil {
			return h.Hex(), block
		}
		// devchain reads the payer's nonce from the pool, which may not have
		// caught up with the block just sealed: retry the send.
		if try < 20 && (strings.Contains(err.Error(), "already known") || strings.Contains(err.Error(), "nonce too low")) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		t.Fatalf("transfer %s %s: %v", amount, token, err)
	}
}

func mine(t testing.TB, dc *devchain.Chain, n int) {
	t.Helper()
	if err := dc.Mine(testCtx(t), n); err != nil {
		t.Fatalf("mine: %v", err)
	}
}

func cursorOf(t testing.TB, st *store.Store, chain string) uint64 {
	t.Helper()
	c, ok, err := st.ScanCursor(context.Background(), chain)
	if err != nil || !ok {
		t.Fatalf("cursor: %v %v", ok, err)
	}
	return c
}

func transferRow(t testing.TB, st *store.Store, chain, tx string, idx uint) store.Transfer {
	t.Helper()
	tr, err := st.TransferByLog(context.Background(), chain, tx, idx)
	if err != nil {
		t.Fatalf("transfer %s#%d: %v", tx, idx, err)
	}
	return tr
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

func newMetrics() *metrics.Metrics { return metrics.New() }

type configChain = config.Chain
