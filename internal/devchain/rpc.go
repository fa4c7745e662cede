package devchain

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// maxRPCBody caps one JSON-RPC HTTP request body.
const maxRPCBody = 5 << 20

// rpcMessage is one JSON-RPC request; fields are kept raw so that re-encoding
// changes nothing but the rewritten block tags.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc,omitempty"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// rpcHandler serves JSON-RPC (single and batch) from the node's eth/net/web3
// APIs, answering the "finalized" and "safe" tags as head − FinalityLag.
func (c *Chain) rpcHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			c.node.rpc.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRPCBody))
		if err != nil {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		body = c.rewriteFinality(body)
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		c.node.rpc.ServeHTTP(w, r2)
	})
}

// rewriteFinality replaces every "finalized" or "safe" block tag in the
// request with the number head − FinalityLag. Bodies it cannot parse are
// returned unchanged for the RPC server to reject.
func (c *Chain) rewriteFinality(body []byte) []byte {
	if !bytes.Contains(body, []byte(`"finalized"`)) && !bytes.Contains(body, []byte(`"safe"`)) {
		return body
	}
	number, err := json.Marshal(hexutil.Uint64(c.Finalized()))
	if err != nil {
		return body
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var batch []rpcMessage
		if json.Unmarshal(trimmed, &batch) != nil {
			return body
		}
		for i := range batch {
			batch[i].Params = rewriteParams(batch[i].Params, number)
		}
		return marshalOr(batch, body)
	}
	var msg rpcMessage
	if json.Unmarshal(trimmed, &msg) != nil {
		return body
	}
	msg.Params = rewriteParams(msg.Params, number)
	return marshalOr(msg, body)
}

// rewriteParams rewrites tags that are positional parameters, or the
// fromBlock/toBlock/blockNumber fields of an object parameter (eth_getLogs
// filters, EIP-1898 block references).
func rewriteParams(params json.RawMessage, number json.RawMessage) json.RawMessage {
	var list []json.RawMessage
	if json.Unmarshal(params, &list) != nil {
		return params
	}
	for i, p := range list {
		if isFinalityTag(p) {
			list[i] = number
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(p, &obj) != nil || obj == nil {
			continue
		}
		changed := false
		for _, key := range []string{"fromBlock", "toBlock", "blockNumber"} {
			if v, ok := obj[key]; ok && isFinalityTag(v) {
				obj[key] = number
				changed = true
			}
		}
		if changed {
			list[i] = marshalOr(obj, p)
		}
	}
	return marshalOr(list, params)
}

func isFinalityTag(v json.RawMessage) bool {
	var s string
	return json.Unmarshal(v, &s) == nil && (s == "finalized" || s == "safe")
}

func marshalOr(v any, fallback []byte) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		return fallback
	}
	return out
}
