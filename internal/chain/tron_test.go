package chain

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

// tronShim stands in front of devchain and answers like TRON's /jsonrpc:
// block objects carry only a few fields, logs carry no blockTimestamp, and
// every request must bring the TronGrid API key (else HTTP 403).
func tronShim(t *testing.T, upstream, key string, noKey *atomic.Int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("TRON-PRO-API-KEY") != key {
			noKey.Add(1)
			http.Error(w, "missing api key", http.StatusForbidden)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Method string `json:"method"`
		}
		_ = json.Unmarshal(body, &req)
		resp, err := http.Post(upstream, "application/json", bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var msg map[string]json.RawMessage
		if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		msg["result"] = tronShape(req.Method, msg["result"])
		_ = json.NewEncoder(w).Encode(msg)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func tronShape(method string, result json.RawMessage) json.RawMessage {
	switch method {
	case "eth_getBlockByNumber":
		var b map[string]json.RawMessage
		if json.Unmarshal(result, &b) != nil || b == nil {
			return result
		}
		out := map[string]json.RawMessage{"transactions": json.RawMessage("[]")}
		for _, k := range []string{"number", "hash", "parentHash", "timestamp"} {
			out[k] = b[k]
		}
		raw, _ := json.Marshal(out)
		return raw
	case "eth_getLogs":
		var logs []map[string]json.RawMessage
		if json.Unmarshal(result, &logs) != nil {
			return result
		}
		for _, l := range logs {
			delete(l, "blockTimestamp")
		}
		raw, _ := json.Marshal(logs)
		return raw
	}
	return result
}

// TRON through its JSON-RPC: base58 contract and wallets in config and
// database, 20-byte hex on the wire, the API key header on every call,
// block times from the block (logs lack them), tx ids without 0x.
func TestTronThroughJSONRPC(t *testing.T) {
	t.Parallel()
	{
		st := storetest.Open(t, store.SQLite)
		dc := startChain(t, 2)
		var noKey atomic.Int64
		shim := tronShim(t, dc.RPCURL(), "grid-key", &noKey)
		contract := address.EncodeTron([20]byte(dc.Token("usdt6")))
		cfg := chainConfig(shim.URL+"/jsonrpc", dc.Token("usdt6"), 6)
		cfg.USDTContract = contract
		sink := &recSink{}
		w := newWatcher(t, st, watcherSetup{chain: address.Tron, cfg: cfg, sink: sink, key: "grid-key"})
		wallet := walletAddr(5)
		base58 := addWallet(t, st, address.Tron, wallet)
		if !strings.HasPrefix(base58, "T") {
			t.Fatalf("wallet %s", base58)
		}
		mustRun(t, w)
		tx, block := pay(t, dc, "usdt6", wallet, "12.5")
		mine(t, dc, 2)
		mustRun(t, w)
		got := sink.all()
		if len(got) != 1 {
			t.Fatalf("settled %+v", got)
		}
		tr := got[0]
		if tr.To != base58 || tr.TokenContract != contract || tr.TxHash != strings.TrimPrefix(tx, "0x") ||
			tr.BlockNumber != block || tr.BlockTime.IsZero() || tr.AmountUnits.Int64() != 12_500_000 ||
			!strings.HasPrefix(tr.From, "T") {
			t.Fatalf("TRON transfer %+v", tr)
		}
		if noKey.Load() != 0 {
			t.Fatalf("%d requests without the API key", noKey.Load())
		}
	}
	// Without the key the shim refuses (403): the watcher reports it.
	dc := startChain(t, 2)
	var noKey atomic.Int64
	shim := tronShim(t, dc.RPCURL(), "grid-key", &noKey)
	st := storetest.Open(t, store.SQLite)
	cfg := chainConfig(shim.URL, dc.Token("usdt6"), 6)
	cfg.USDTContract = address.EncodeTron([20]byte(dc.Token("usdt6")))
	w := newWatcher(t, st, watcherSetup{chain: address.Tron, cfg: cfg, sink: &recSink{}})
	addWallet(t, st, address.Tron, walletAddr(5))
	if err := w.runOnce(testCtx(t)); err == nil || noKey.Load() == 0 {
		t.Fatalf("a keyless request went through: %v", err)
	}
}

func TestTronRefusesConfirmationCount(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, store.SQLite)
	cfg := chainConfig("http://127.0.0.1:1", [20]byte{1}, 6)
	cfg.USDTContract, cfg.Settle = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "19"
	_, err := NewWatcher(Options{Chain: address.Tron, Config: cfg, LeaseTTL: 1, Instance: "i", Store: st, Sink: &recSink{}, Metrics: newMetrics()})
	if err == nil || !strings.Contains(err.Error(), "tron_settle") {
		t.Fatalf("want a tron_settle error, got %v", err)
	}
}
