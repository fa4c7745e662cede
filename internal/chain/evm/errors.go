package evm

import (
	"errors"
	"fmt"
	"strings"
)

// ErrLimit marks a refusal because a query asked for too much: too many
// blocks, results or addresses. The caller shrinks the query and retries.
var ErrLimit = errors.New("query too large for the provider")

// ErrRateLimited marks an HTTP 429 or 403 answer; the endpoint cools down.
var ErrRateLimited = errors.New("rate limited by the RPC provider")

// ErrUnavailable marks an answer that says the node does not have the data
// yet (unknown block, range beyond its head): another endpoint may have it.
var ErrUnavailable = errors.New("the RPC node does not have the block yet")

// LimitError is a provider's "too much" refusal. Addresses is true when the
// provider complained about the number of addresses or topics rather than
// about the block range or the result count.
type LimitError struct {
	Addresses bool
	Msg       string
}

func (e *LimitError) Error() string { return "query too large for the provider: " + e.Msg }

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// RPCError is a JSON-RPC error object.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("json-rpc error %d: %s", e.Code, e.Message) }

// classify maps a JSON-RPC error to ErrUnavailable, a *LimitError, or
// itself. Providers word the same refusal differently, so this looks at
// the code (-32005 is the common "limit exceeded") and at key words.
func classify(e *RPCError) error {
	m := strings.ToLower(e.Message)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(m, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("beyond current head", "into future", "header not found", "unknown block", "block not found", "not synced"):
		return fmt.Errorf("%w: %s", ErrUnavailable, e.Message)
	case has("address", "topic") && has("exceed", "too many", "limit", "max"):
		return &LimitError{Addresses: true, Msg: e.Message}
	case e.Code == -32005 || has("range", "too many", "more than", "limit", "exceed", "too large", "too big", "size", "timeout", "timed out"):
		return &LimitError{Msg: e.Message}
	}
	return e
}
