package evm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeNode is a JSON-RPC server answering from a function; it counts calls
// and remembers the last request's headers.
type fakeNode struct {
	srv    *httptest.Server
	calls  atomic.Int64
	header atomic.Value
}

func newFake(t *testing.T, answer func(method string, params []json.RawMessage) (status int, body string)) *fakeNode {
	t.Helper()
	f := &fakeNode{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		f.header.Store(r.Header.Clone())
		raw, _ := io.ReadAll(r.Body)
		var req struct {
			ID     json.RawMessage   `json:"id"`
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(raw, &req); err != nil {
			http.Error(w, "bad json", 400)
			return
		}
		status, body := answer(req.Method, req.Params)
		w.WriteHeader(status)
		if status == 200 {
			body = `{"jsonrpc":"2.0","id":` + string(req.ID) + `,` + body + `}`
		}
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func result(v string) (int, string) { return 200, `"result":` + v }

func rpcErr(code int, msg string) (int, string) {
	b, _ := json.Marshal(msg)
	return 200, `"error":{"code":` + itoa(code) + `,"message":` + string(b) + `}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestFailoverAndRoundRobin(t *testing.T) {
	bad := newFake(t, func(string, []json.RawMessage) (int, string) { return 502, "bad gateway" })
	good := newFake(t, func(string, []json.RawMessage) (int, string) { return result(`"0x2a"`) })
	c, err := New(Options{URLs: []string{bad.srv.URL, good.srv.URL}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		n, err := c.BlockNumber(ctx(t))
		if err != nil || n != 42 {
			t.Fatalf("call %d: %d, %v", i, n, err)
		}
	}
	// The failing endpoint was tried once; later calls start at the good one.
	if bad.calls.Load() != 1 || good.calls.Load() != 3 {
		t.Fatalf("calls bad=%d good=%d, want 1 and 3", bad.calls.Load(), good.calls.Load())
	}
}

func TestRateLimitedEndpointCoolsDown(t *testing.T) {
	limited := newFake(t, func(string, []json.RawMessage) (int, string) { return 429, "slow down" })
	good := newFake(t, func(string, []json.RawMessage) (int, string) { return result(`"0x1"`) })
	now := time.Unix(1000, 0)
	c, _ := New(Options{URLs: []string{limited.srv.URL, good.srv.URL}, Cooldown: 10 * time.Second, Now: func() time.Time { return now }})
	if _, err := c.BlockNumber(ctx(t)); err != nil {
		t.Fatal(err)
	}
	c.cur.Store(0) // point back at the limited endpoint: it must be skipped while cooling down
	if _, err := c.BlockNumber(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if limited.calls.Load() != 1 {
		t.Fatalf("cooling endpoint was called %d times", limited.calls.Load())
	}
	now = now.Add(11 * time.Second)
	c.cur.Store(0)
	_, _ = c.BlockNumber(ctx(t))
	if limited.calls.Load() != 2 {
		t.Fatalf("endpoint not retried after its cooldown (calls %d)", limited.calls.Load())
	}
	// Only a rate-limited endpoint: the error says so.
	solo, _ := New(Options{URLs: []string{limited.srv.URL}})
	if _, err := solo.BlockNumber(ctx(t)); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("want ErrRateLimited, got %v", err)
	}
}

func TestTimeoutFailsOver(t *testing.T) {
	slow := newFake(t, func(string, []json.RawMessage) (int, string) {
		time.Sleep(300 * time.Millisecond)
		return result(`"0x1"`)
	})
	good := newFake(t, func(string, []json.RawMessage) (int, string) { return result(`"0x2"`) })
	c, _ := New(Options{URLs: []string{slow.srv.URL, good.srv.URL}, Timeout: 50 * time.Millisecond})
	n, err := c.BlockNumber(ctx(t))
	if err != nil || n != 2 {
		t.Fatalf("got %d, %v", n, err)
	}
}

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		code   int
		msg    string
		want   error
		isAddr bool
	}{
		{-32005, "query returned more than 10000 results", ErrLimit, false},
		{-32600, "block range is too large", ErrLimit, false},
		{-32000, "exceed maximum block range: 5000", ErrLimit, false},
		{-32000, "exceed max addresses or topics per search position", ErrLimit, true},
		{-32602, "block range extends beyond current head block", ErrUnavailable, false},
		{-32000, "execution reverted", nil, false},
	}
	for _, tc := range cases {
		f := newFake(t, func(string, []json.RawMessage) (int, string) { return rpcErr(tc.code, tc.msg) })
		c, _ := New(Options{URLs: []string{f.srv.URL}})
		_, err := c.Logs(ctx(t), Filter{From: 1, To: 2})
		if err == nil {
			t.Fatalf("%q: no error", tc.msg)
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Fatalf("%q: got %v, want %v", tc.msg, err, tc.want)
		}
		var le *LimitError
		if errors.As(err, &le) != (tc.want == ErrLimit) || (le != nil && le.Addresses != tc.isAddr) {
			t.Fatalf("%q: limit error %+v", tc.msg, le)
		}
		if tc.want == nil && (errors.Is(err, ErrLimit) || errors.Is(err, ErrUnavailable)) {
			t.Fatalf("%q misclassified: %v", tc.msg, err)
		}
	}
}

func TestSecretsStayOutOfErrorsAndHeadersAreSent(t *testing.T) {
	f := newFake(t, func(string, []json.RawMessage) (int, string) { return 500, "boom" })
	c, _ := New(Options{URLs: []string{f.srv.URL + "/v3/SECRETKEY123?apikey=SECRET2"},
		Header: http.Header{"Tron-Pro-Api-Key": {"k-1"}}})
	_, err := c.BlockNumber(ctx(t))
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error leaks the URL's secret: %v", err)
	}
	if got := f.header.Load().(http.Header).Get("TRON-PRO-API-KEY"); got != "k-1" {
		t.Fatalf("API key header = %q", got)
	}
	// A refused connection names the host only, too.
	dead := httptest.NewServer(http.NotFoundHandler())
	u := dead.URL
	dead.Close()
	c2, _ := New(Options{URLs: []string{u + "/SECRETPATH"}})
	if _, err := c2.BlockNumber(ctx(t)); err == nil || strings.Contains(err.Error(), "SECRETPATH") {
		t.Fatalf("transport error leaks the URL: %v", err)
	}
	if c2.Endpoints()[0] != u {
		t.Fatalf("endpoint label %q", c2.Endpoints()[0])
	}
}

// TRON's /jsonrpc block objects carry far fewer fields than an Ethereum
// header; its logs carry no blockTimestamp. Both must decode.
func TestDecodesTronShapedAnswers(t *testing.T) {
	f := newFake(t, func(method string, params []json.RawMessage) (int, string) {
		switch method {
		case "eth_getBlockByNumber":
			return result(`{"number":"0x3e8","hash":"0xAB","parentHash":"0xcd","timestamp":"0x6553f100","transactions":[]}`)
		case "eth_getLogs":
			return result(`[{"address":"0xa614f803b6fd780986a42c78ec9c7f77e6ded13c","topics":[
 "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
 "0x0000000000000000000000001111111111111111111111111111111111111111",
 "0x0000000000000000000000002222222222222222222222222222222222222222"],
 "data":"0x00000000000000000000000000000000000000000000000000000000004c4b40","blockNumber":"0x3e8",
 "blockHash":"0xab","transactionHash":"0xFF01","logIndex":"0x1","removed":false},
 {"address":"0xa614f803b6fd780986a42c78ec9c7f77e6ded13c","topics":[],"data":"0x","blockNumber":"0x3e9",
 "blockHash":"0xab","transactionHash":"0x01","logIndex":"0x0","removed":false}]`)
		}
		return rpcErr(-32601, "method not found")
	})
	c, _ := New(Options{URLs: []string{f.srv.URL}})
	h, err := c.HeaderByNumber(ctx(t), 1000)
	if err != nil || h.Number != 1000 || h.Hash != "0xab" || h.Time != 0x6553f100 {
		t.Fatalf("header %+v, %v", h, err)
	}
	logs, err := c.Logs(ctx(t), Filter{From: 1000, To: 1000})
	if err != nil || len(logs) != 1 { // the second log is outside the asked range
		t.Fatalf("logs %+v, %v", logs, err)
	}
	l := logs[0]
	if l.BlockTime != 0 || l.LogIndex != 1 || l.TxHash != "0xff01" || WordAddress(l.Topics[2])[0] != 0x22 || len(l.Data) != 32 {
		t.Fatalf("log decoded wrong: %+v", l)
	}
	if _, err := c.HeaderByNumber(ctx(t), 7); err == nil {
		t.Fatal("a block with another number was accepted")
	}
}

func TestMissingBlockIsUnavailable(t *testing.T) {
	f := newFake(t, func(string, []json.RawMessage) (int, string) { return result(`null`) })
	c, _ := New(Options{URLs: []string{f.srv.URL}})
	if _, err := c.HeaderByNumber(ctx(t), 5); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("want ErrUnavailable, got %v", err)
	}
}

func TestFilterParams(t *testing.T) {
	var got map[string]any
	f := newFake(t, func(_ string, params []json.RawMessage) (int, string) {
		_ = json.Unmarshal(params[0], &got)
		return result(`[]`)
	})
	c, _ := New(Options{URLs: []string{f.srv.URL}})
	var a [20]byte
	a[19] = 7
	_, err := c.Logs(ctx(t), Filter{From: 16, To: 31, Addresses: [][20]byte{a}, Topics: [][]Word{{{1}}, nil, {AddressWord(a)}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	want := `{"address":["0x0000000000000000000000000000000000000007"],"fromBlock":"0x10","toBlock":"0x1f","topics":[["0x0100000000000000000000000000000000000000000000000000000000000000"],null,["0x0000000000000000000000000000000000000000000000000000000000000007"]]}`
	if string(b) != want {
		t.Fatalf("filter\n got %s\nwant %s", b, want)
	}
}
