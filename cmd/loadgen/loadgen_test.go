package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/api"
)

func TestPHPSignVector(t *testing.T) {
	got := phpSign(map[string]string{"amount": "42", "notify_url": "http://example.com/notify",
		"order_id": "20220201030210321", "redirect_url": "http://example.com/redirect", "empty": ""}, "epusdt_password_xasddawqe")
	if got != "1cd4b52df5587cfb1968b0c0c6e156cd" {
		t.Fatalf("signature %s", got)
	}
}

func TestBodySendsAmountAsNumber(t *testing.T) {
	b := body(map[string]string{"amount": "7.5", "order_id": "a\"b", "timeout": "60"})
	if string(b) != `{"amount":7.5,"order_id":"a\"b","timeout":60}` {
		t.Fatalf("body %s", b)
	}
}

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := summarize(ds)
	if s.n != 100 || s.p50 != 50*time.Millisecond || s.p95 != 95*time.Millisecond || s.p99 != 99*time.Millisecond ||
		s.max != 100*time.Millisecond {
		t.Fatalf("summary %+v", s)
	}
	if (summarize(nil) != summary{}) {
		t.Fatal("empty input must give a zero summary")
	}
}

// fakeGateway verifies signatures with the gateway's own verifier
// (internal/api.Sign) and answers like create-transaction.
type fakeGateway struct {
	mu       sync.Mutex
	orderIDs map[string]bool
	bad      int
}

func (f *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	var fields map[string]any
	_ = dec.Decode(&fields)
	want, err := api.Sign(fields, "tok")
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || fields["signature"] != want || r.URL.Path != "/api/v1/order/create-transaction" {
		f.bad++
		_, _ = w.Write([]byte(`{"status_code":401,"message":"签名认证错误","data":null}`))
		return
	}
	id, _ := fields["order_id"].(string)
	f.orderIDs[id] = true
	_, _ = w.Write([]byte(`{"status_code":200,"message":"success","data":{"trade_id":"T` + id + `","actual_amount":1.5,"token":"TX"}}`))
}

func TestCreateSignsEveryOrderLikeTheGatewayExpects(t *testing.T) {
	f := &fakeGateway{orderIDs: map[string]bool{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	r := create(context.Background(), createOpts{url: srv.URL, token: "tok", tradeType: "usdt.trc20",
		notify: "http://127.0.0.1:9/n", prefix: "t", concurrency: 4, n: 200, minCents: 701, maxCents: 70000})
	if r.ok != 200 || r.failed != 0 || f.bad != 0 || len(f.orderIDs) != 200 {
		t.Fatalf("ok %d failed %d (first %v); server saw %d bad signatures and %d distinct order ids",
			r.ok, r.failed, r.firstErr, f.bad, len(f.orderIDs))
	}
	if r.latency.n != 200 || r.latency.p99 <= 0 || r.rate() <= 0 {
		t.Fatalf("latency %+v rate %f", r.latency, r.rate())
	}
}

func TestCreateCountsRefusals(t *testing.T) {
	srv := httptest.NewServer(&fakeGateway{orderIDs: map[string]bool{}})
	defer srv.Close()
	r := create(context.Background(), createOpts{url: srv.URL, token: "wrong", prefix: "t", concurrency: 2, n: 10,
		minCents: 700, maxCents: 800})
	if r.ok != 0 || r.failed != 10 || r.firstErr == nil || !strings.Contains(r.firstErr.Error(), "401") {
		t.Fatalf("ok %d failed %d first %v", r.ok, r.failed, r.firstErr)
	}
}

func TestSumSamples(t *testing.T) {
	text := `# HELP epusdt_rpc_calls_total JSON-RPC calls.
epusdt_rpc_calls_total{chain="ethereum",endpoint="0",method="eth_getLogs"} 12
epusdt_rpc_calls_total{chain="ethereum",endpoint="0",method="eth_blockNumber"} 30
epusdt_rpc_calls_total{chain="tron",endpoint="0",method="eth_getLogs"} 99
epusdt_rpc_calls_totalx{chain="ethereum"} 1000
`
	got, err := sumSamples(strings.NewReader(text), "epusdt_rpc_calls_total", `chain="ethereum"`)
	if err != nil || got != 42 {
		t.Fatalf("sum %v, %v; want 42", got, err)
	}
}

func TestRunRejectsBadUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 2 {
		t.Fatalf("no subcommand: exit %d", code)
	}
	if code := run([]string{"nope"}, &out, &errOut); code != 2 {
		t.Fatalf("unknown subcommand: exit %d", code)
	}
	if code := run([]string{"create", "-n", "5"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "-token") {
		t.Fatalf("missing token: exit %d, stderr %q", code, errOut.String())
	}
}
