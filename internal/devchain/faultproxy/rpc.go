package faultproxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// rpcMessage is one JSON-RPC request.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc,omitempty"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// rpcReply is one JSON-RPC response.
type rpcReply struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

type rpcError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// upstreamStatus is a non-200 answer from the upstream, passed on as it is.
type upstreamStatus struct {
	status int
	body   []byte
}

func (e *upstreamStatus) Error() string { return fmt.Sprintf("upstream answered HTTP %d", e.status) }

// parseRequest splits a JSON-RPC body into calls; batch tells whether it was
// an array. parsed is false when the body is not JSON-RPC.
func parseRequest(body []byte) (calls []rpcMessage, batch, parsed bool) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if json.Unmarshal(trimmed, &calls) != nil {
			return nil, true, false
		}
		return calls, true, true
	}
	var one rpcMessage
	if json.Unmarshal(trimmed, &one) != nil {
		return nil, false, false
	}
	return []rpcMessage{one}, false, true
}

// serveCalls answers each call on its own (rewriting for head lag and range
// limits) and writes the answers back, as a batch when the request was one.
func (p *Proxy) serveCalls(w http.ResponseWriter, r *http.Request, calls []rpcMessage, batch bool) {
	out := make([][]byte, 0, len(calls))
	for _, c := range calls {
		resp, err := p.handleCall(r, c)
		var us *upstreamStatus
		switch {
		case errors.As(err, &us):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(us.status)
			_, _ = w.Write(us.body)
			return
		case err != nil:
			http.Error(w, "faultproxy: upstream: "+err.Error(), http.StatusBadGateway)
			return
		}
		out = append(out, resp)
	}
	writeResponses(w, out, batch)
}

// handleCall answers one call, applying the head lag and the log range limit.
func (p *Proxy) handleCall(r *http.Request, c rpcMessage) ([]byte, error) {
	switch c.Method {
	case "eth_blockNumber":
		return p.blockNumber(r, c)
	case "eth_getBlockByNumber":
		return p.blockByNumber(r, c)
	case "eth_getLogs":
		return p.getLogs(r, c)
	}
	return p.forward(r, c)
}

// blockNumber answers eth_blockNumber lowered by the head lag.
func (p *Proxy) blockNumber(r *http.Request, c rpcMessage) ([]byte, error) {
	head, err := p.upstreamHead(r)
	if err != nil {
		return nil, err
	}
	return resultResponse(c.ID, hexNumber(sub(head, p.lag(true))))
}

// blockByNumber resolves a tag against the lagged head, and answers null for
// numbers above the lagged head.
func (p *Proxy) blockByNumber(r *http.Request, c rpcMessage) ([]byte, error) {
	var params []json.RawMessage
	if json.Unmarshal(c.Params, &params) != nil || len(params) == 0 {
		return p.forward(r, c)
	}
	var ref string
	if json.Unmarshal(params[0], &ref) != nil {
		return p.forward(r, c)
	}
	if n, ok := parseHex(ref); ok {
		p.mu.Lock()
		lag := p.headLag
		p.mu.Unlock()
		if lag > 0 {
			head, err := p.upstreamHead(r)
			if err != nil {
				return nil, err
			}
			if n > sub(head, lag) {
				return resultResponse(c.ID, json.RawMessage("null"))
			}
		}
		return p.forward(r, c)
	}
	if ref == "earliest" {
		return p.forward(r, c)
	}
	n, err := p.resolveTag(r, ref, p.lag(true))
	if err != nil {
		return nil, err
	}
	params[0] = hexNumber(n)
	return p.forwardParams(r, c, params)
}

// getLogs refuses a range over the limit, and pins tags to the lagged head.
func (p *Proxy) getLogs(r *http.Request, c rpcMessage) ([]byte, error) {
	var params []map[string]json.RawMessage
	if json.Unmarshal(c.Params, &params) != nil || len(params) != 1 || params[0] == nil {
		return p.forward(r, c)
	}
	filter := params[0]
	if _, byHash := filter["blockHash"]; byHash {
		return p.forward(r, c)
	}
	p.mu.Lock()
	lag, limit, style := p.headLag, p.rangeLimit, p.rangeStyle
	p.mu.Unlock()
	bounds := [2]uint64{}
	for i, key := range []string{"fromBlock", "toBlock"} {
		ref := "latest"
		if raw, ok := filter[key]; ok {
			_ = json.Unmarshal(raw, &ref)
		}
		n, err := p.resolveTag(r, ref, lag)
		if err != nil {
			return nil, err
		}
		bounds[i] = n
		if _, isNumber := parseHex(ref); !isNumber && lag > 0 {
			filter[key] = hexNumber(n)
		}
	}
	if limit > 0 && bounds[1] >= bounds[0] && bounds[1]-bounds[0]+1 > limit {
		code, msg := rangeError(style, limit)
		return errorResponse(c.ID, code, msg), nil
	}
	if lag == 0 {
		return p.forward(r, c)
	}
	return p.forwardParams(r, c, []json.RawMessage{mustJSON(filter)})
}

// rangeError is the refusal of an eth_getLogs range in the given style.
func rangeError(style RangeError, limit uint64) (int, string) {
	switch style {
	case BlockRangeTooLarge:
		return -32600, "block range is too large"
	case ExceedMaxRange:
		return -32000, fmt.Sprintf("exceed maximum block range: %d", limit)
	default:
		return -32005, "query returned more than 10000 results"
	}
}

// lag is the current head lag; with consume it also uses up a pending
// StepHeadBackOnce.
func (p *Proxy) lag(consume bool) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	lag := p.headLag
	if consume && p.stepBack > 0 {
		lag += p.stepBack
		p.stepBack = 0
	}
	return lag
}

// resolveTag turns a block reference into a number lowered by lag (numbers
// pass unchanged, "earliest" is 0).
func (p *Proxy) resolveTag(r *http.Request, ref string, lag uint64) (uint64, error) {
	if n, ok := parseHex(ref); ok {
		return n, nil
	}
	switch ref {
	case "earliest":
		return 0, nil
	case "latest", "pending", "":
		head, err := p.upstreamHead(r)
		return sub(head, lag), err
	case "safe", "finalized":
		raw, err := p.call(r, "eth_getBlockByNumber", ref, false)
		if err != nil {
			return 0, err
		}
		var blk struct {
			Number string `json:"number"`
		}
		if json.Unmarshal(raw, &blk) != nil {
			return 0, fmt.Errorf("upstream has no %s block", ref)
		}
		n, ok := parseHex(blk.Number)
		if !ok {
			return 0, fmt.Errorf("upstream %s block has number %q", ref, blk.Number)
		}
		return sub(n, lag), nil
	}
	return 0, fmt.Errorf("unknown block tag %q", ref)
}

// upstreamHead asks the upstream for eth_blockNumber.
func (p *Proxy) upstreamHead(r *http.Request) (uint64, error) {
	raw, err := p.call(r, "eth_blockNumber")
	if err != nil {
		return 0, err
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return 0, fmt.Errorf("upstream eth_blockNumber returned %s", raw)
	}
	n, ok := parseHex(s)
	if !ok {
		return 0, fmt.Errorf("upstream eth_blockNumber returned %q", s)
	}
	return n, nil
}

// call makes a JSON-RPC call of the proxy's own to the upstream (not counted).
func (p *Proxy) call(r *http.Request, method string, params ...any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	body := mustJSON(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	status, _, resp, err := p.post(r, body)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, &upstreamStatus{status: status, body: resp}
	}
	var reply rpcReply
	if err := json.Unmarshal(resp, &reply); err != nil {
		return nil, fmt.Errorf("decode upstream %s reply: %w", method, err)
	}
	if reply.Error != nil {
		return nil, fmt.Errorf("upstream %s: %d %s", method, reply.Error.Code, reply.Error.Message)
	}
	return reply.Result, nil
}

// forwardParams forwards c with replaced params.
func (p *Proxy) forwardParams(r *http.Request, c rpcMessage, params []json.RawMessage) ([]byte, error) {
	c.Params = mustJSON(params)
	return p.forward(r, c)
}

// forward sends one call upstream and returns its reply body.
func (p *Proxy) forward(r *http.Request, c rpcMessage) ([]byte, error) {
	status, _, resp, err := p.post(r, mustJSON(c))
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, &upstreamStatus{status: status, body: resp}
	}
	return bytes.TrimSpace(resp), nil
}

func resultResponse(id json.RawMessage, result json.RawMessage) ([]byte, error) {
	return json.Marshal(rpcReply{JSONRPC: "2.0", ID: idOrNull(id), Result: result})
}

func errorResponse(id json.RawMessage, code int, message string) []byte {
	return mustJSON(rpcReply{JSONRPC: "2.0", ID: idOrNull(id), Error: &rpcError{Code: code, Message: message}})
}

func idOrNull(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return json.RawMessage("null")
	}
	return id
}

// writeResponses writes replies as a JSON array (batch) or a single object.
func writeResponses(w http.ResponseWriter, replies [][]byte, batch bool) {
	w.Header().Set("Content-Type", "application/json")
	if !batch && len(replies) == 1 {
		_, _ = w.Write(replies[0])
		return
	}
	_, _ = w.Write([]byte("[" + string(bytes.Join(replies, []byte(","))) + "]"))
}

// mustJSON marshals values that cannot fail to marshal (maps and structs of
// raw JSON, strings and numbers).
func mustJSON(v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		return []byte("null")
	}
	return out
}

func hexNumber(n uint64) json.RawMessage {
	return json.RawMessage(`"0x` + strconv.FormatUint(n, 16) + `"`)
}

func parseHex(s string) (uint64, bool) {
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return 0, false
	}
	n, err := strconv.ParseUint(s[2:], 16, 64)
	return n, err == nil
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}
