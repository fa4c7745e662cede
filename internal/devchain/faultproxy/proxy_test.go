package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/epusdt/epusdt/internal/devchain"
)

// setup starts a devchain with head 20 (finality lag 2) and a proxy in
// front of it, and returns a go-ethereum RPC client that talks to the proxy
// with the given timeout.
func setup(t *testing.T, timeout time.Duration) (*devchain.Chain, *Proxy, *rpc.Client) {
	t.Helper()
	ctx := testCtx(t)
	chain, err := devchain.Start(ctx, devchain.Options{FinalityLag: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = chain.Close() })
	if err := chain.Mine(ctx, 19); err != nil {
		t.Fatal(err)
	}
	p := New(chain.RPCURL())
	if err := p.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("proxy Close: %v", err)
		}
	})
	client, err := rpc.DialOptions(ctx, p.URL(), rpc.WithHTTPClient(&http.Client{Timeout: timeout}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return chain, p, client
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func blockNumber(t *testing.T, client *rpc.Client) (uint64, error) {
	t.Helper()
	var n hexutil.Uint64
	err := client.CallContext(testCtx(t), &n, "eth_blockNumber")
	return uint64(n), err
}

func blockByTag(t *testing.T, client *rpc.Client, tag string) (map[string]any, error) {
	t.Helper()
	var blk map[string]any
	err := client.CallContext(testCtx(t), &blk, "eth_getBlockByNumber", tag, false)
	return blk, err
}

func TestPassThroughAndCountsWithBatch(t *testing.T) {
	_, p, client := setup(t, 5*time.Second)
	if n, err := blockNumber(t, client); err != nil || n != 20 {
		t.Fatalf("eth_blockNumber = %d, %v; want 20", n, err)
	}
	var a, b hexutil.Uint64
	var id hexutil.Big
	batch := []rpc.BatchElem{
		{Method: "eth_blockNumber", Result: &a},
		{Method: "eth_chainId", Result: &id},
		{Method: "eth_blockNumber", Result: &b},
	}
	if err := client.BatchCallContext(testCtx(t), batch); err != nil {
		t.Fatal(err)
	}
	if a != 20 || b != 20 || id.ToInt().Int64() != 1337 || batch[0].Error != nil {
		t.Errorf("batch = %d %d %v %v", a, b, id.ToInt(), batch[0].Error)
	}
	want := map[string]int{"eth_blockNumber": 3, "eth_chainId": 1}
	if got := p.Calls(); fmt.Sprint(got) != fmt.Sprint(want) || p.Requests() != 2 {
		t.Errorf("Calls = %v, Requests = %d; want %v and 2", got, p.Requests(), want)
	}
	p.ResetCounts()
	if len(p.Calls()) != 0 || p.Requests() != 0 {
		t.Errorf("after ResetCounts: %v %d", p.Calls(), p.Requests())
	}
}

func TestFailNextHTTPStatuses(t *testing.T) {
	_, p, client := setup(t, 5*time.Second)
	for _, status := range []int{429, 500, 502} {
		p.FailNext(2, HTTPError(status))
		for i := 0; i < 2; i++ {
			_, err := blockNumber(t, client)
			var httpErr rpc.HTTPError
			if !errors.As(err, &httpErr) || httpErr.StatusCode != status {
				t.Errorf("call %d with FailNext(2, %d): err = %v", i+1, status, err)
			}
		}
		if _, err := blockNumber(t, client); err != nil {
			t.Errorf("third call after FailNext(2, %d): %v", status, err)
		}
	}
	if got := p.Calls()["eth_blockNumber"]; got != 9 {
		t.Errorf("counted %d eth_blockNumber calls, want 9 (failed ones included)", got)
	}
}

func TestFailNextRPCErrorAndMethodFilter(t *testing.T) {
	_, p, client := setup(t, 5*time.Second)
	p.FailNext(1, RPCError(-32603, "injected internal error").For("eth_getBlockByNumber"))
	if _, err := blockNumber(t, client); err != nil {
		t.Fatalf("eth_blockNumber should not match the filter: %v", err)
	}
	_, err := blockByTag(t, client, "latest")
	var rpcErr rpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.ErrorCode() != -32603 || rpcErr.Error() != "injected internal error" {
		t.Errorf("eth_getBlockByNumber err = %v, want JSON-RPC error -32603", err)
	}
	if _, err := blockByTag(t, client, "latest"); err != nil {
		t.Errorf("second eth_getBlockByNumber: %v", err)
	}
	// In a batch, every member gets the error object.
	p.FailNext(1, RPCError(-32000, "header not found"))
	batch := []rpc.BatchElem{{Method: "eth_blockNumber", Result: new(hexutil.Uint64)}, {Method: "eth_chainId", Result: new(hexutil.Big)}}
	if err := client.BatchCallContext(testCtx(t), batch); err != nil {
		t.Fatal(err)
	}
	for i, el := range batch {
		if !errors.As(el.Error, &rpcErr) || rpcErr.ErrorCode() != -32000 {
			t.Errorf("batch member %d error = %v", i, el.Error)
		}
	}
}

func TestFailFractionIsSeededAndRoughlyRight(t *testing.T) {
	_, p, client := setup(t, 5*time.Second)
	pattern := func() string {
		p.FailFraction(0.3, 42, HTTPError(429))
		out := make([]byte, 100)
		for i := range out {
			out[i] = '.'
			if _, err := blockNumber(t, client); err != nil {
				out[i] = 'x'
			}
		}
		return string(out)
	}
	first, second := pattern(), pattern()
	if first != second {
		t.Errorf("same seed, different failures:\n%s\n%s", first, second)
	}
	fails := 0
	for _, ch := range first {
		if ch == 'x' {
			fails++
		}
	}
	if fails < 15 || fails > 45 {
		t.Errorf("%d of 100 calls failed at fraction 0.3", fails)
	}
	p.ClearFaults()
	for i := 0; i < 20; i++ {
		if _, err := blockNumber(t, client); err != nil {
			t.Fatalf("after ClearFaults: %v", err)
		}
	}
}

func TestDelayAndHang(t *testing.T) {
	_, p, client := setup(t, 1500*time.Millisecond)
	p.FailNext(1, Delay(150*time.Millisecond))
	start := time.Now()
	if n, err := blockNumber(t, client); err != nil || n != 20 {
		t.Errorf("delayed call = %d, %v", n, err)
	}
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Errorf("delayed call took only %v", elapsed)
	}
	p.FailNext(1, Delay(5*time.Second))
	if _, err := blockNumber(t, client); err == nil {
		t.Error("a delay longer than the client timeout did not time out")
	}
	p.FailNext(1, Hang())
	start = time.Now()
	_, err := blockNumber(t, client)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("hanging call: err = %v after %v, want a client timeout", err, time.Since(start))
	}
	if _, err := blockNumber(t, client); err != nil {
		t.Errorf("call after the hang: %v", err)
	}
}

func TestLogRangeLimitStyles(t *testing.T) {
	chain, p, client := setup(t, 5*time.Second)
	eth := ethclient.NewClient(client)
	if _, _, err := chain.Transfer(testCtx(t), "usdt6", common.HexToAddress("0x00000000000000000000000000000000000000aa"), "1"); err != nil {
		t.Fatal(err)
	}
	query := func(from, to int64) error {
		_, err := eth.FilterLogs(testCtx(t), ethereum.FilterQuery{FromBlock: big.NewInt(from), ToBlock: big.NewInt(to)})
		return err
	}
	for _, tc := range []struct {
		style RangeError
		code  int
		msg   string
	}{
		{TooManyResults, -32005, "query returned more than 10000 results"},
		{BlockRangeTooLarge, -32600, "block range is too large"},
		{ExceedMaxRange, -32000, "exceed maximum block range: 10"},
	} {
		p.LimitLogRange(10, tc.style)
		var rpcErr rpc.Error
		if err := query(0, 10); !errors.As(err, &rpcErr) || rpcErr.ErrorCode() != tc.code || rpcErr.Error() != tc.msg {
			t.Errorf("style %d, 11 blocks: err = %v, want %d %q", tc.style, err, tc.code, tc.msg)
		}
		if err := query(1, 10); err != nil {
			t.Errorf("style %d, 10 blocks: %v", tc.style, err)
		}
		// Tags count too: 0 … latest (21) is 22 blocks.
		if _, err := eth.FilterLogs(testCtx(t), ethereum.FilterQuery{FromBlock: big.NewInt(0)}); !errors.As(err, &rpcErr) {
			t.Errorf("style %d, 0…latest: err = %v, want refusal", tc.style, err)
		}
	}
	logs, err := eth.FilterLogs(testCtx(t), ethereum.FilterQuery{FromBlock: big.NewInt(12), ToBlock: big.NewInt(21)})
	if err != nil || len(logs) != 1 {
		t.Errorf("allowed range: %d logs, %v; want the 1 transfer", len(logs), err)
	}
	p.LimitLogRange(0, TooManyResults)
	if err := query(0, 21); err != nil {
		t.Errorf("limit lifted: %v", err)
	}
}

func TestHeadLag(t *testing.T) {
	_, p, client := setup(t, 5*time.Second)
	p.SetHeadLag(5)
	if n, err := blockNumber(t, client); err != nil || n != 15 {
		t.Errorf("lagged eth_blockNumber = %d, %v; want 15", n, err)
	}
	for tag, want := range map[string]string{"latest": "0xf", "finalized": "0xd", "safe": "0xd"} {
		blk, err := blockByTag(t, client, tag)
		if err != nil || blk["number"] != want {
			t.Errorf("lagged %s block = %v, %v; want number %s", tag, blk["number"], err, want)
		}
	}
	if blk, err := blockByTag(t, client, "0x14"); err != nil || blk != nil {
		t.Errorf("block 20 above the lagged head 15 = %v, %v; want null", blk["number"], err)
	}
	if blk, err := blockByTag(t, client, "0xa"); err != nil || blk["number"] != "0xa" {
		t.Errorf("block 10 below the lagged head = %v, %v", blk["number"], err)
	}
	p.SetHeadLag(0)
	if n, err := blockNumber(t, client); err != nil || n != 20 {
		t.Errorf("eth_blockNumber without lag = %d, %v; want 20", n, err)
	}
}

func TestHeadStepsBackOnce(t *testing.T) {
	_, p, client := setup(t, 5*time.Second)
	p.StepHeadBackOnce(3)
	var seen []uint64
	for i := 0; i < 3; i++ {
		n, err := blockNumber(t, client)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, n)
	}
	if fmt.Sprint(seen) != "[17 20 20]" {
		t.Errorf("heads seen = %v, want [17 20 20]", seen)
	}
	p.StepHeadBackOnce(2)
	if blk, err := blockByTag(t, client, "latest"); err != nil || blk["number"] != "0x12" {
		t.Errorf("latest after StepHeadBackOnce(2) = %v, %v; want 0x12", blk["number"], err)
	}
	if n, _ := blockNumber(t, client); n != 20 {
		t.Errorf("head after the step back = %d, want 20", n)
	}
}

func TestCloseReleasesHangingRequestAndUnstartedProxy(t *testing.T) {
	if err := New("http://127.0.0.1:1").Close(); err != nil {
		t.Errorf("Close of an unstarted proxy: %v", err)
	}
	_, p, client := setup(t, 30*time.Second)
	p.FailNext(1, Hang())
	done := make(chan error, 1)
	go func() {
		var n hexutil.Uint64
		done <- client.CallContext(context.Background(), &n, "eth_blockNumber")
	}()
	deadline := time.Now().Add(5 * time.Second)
	for p.Requests() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("hanging call succeeded after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("hanging call still blocked 5s after Close")
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("Close took %v", time.Since(start))
	}
}
