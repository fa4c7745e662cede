package faultproxy

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Kind says how a Fault fails a request.
type Kind int

// The kinds of fault.
const (
	// KindHTTP answers with HTTP status Fault.Status (429, 500, 502, …) and a short text body.
	KindHTTP Kind = iota + 1
	// KindRPCError answers HTTP 200 with a JSON-RPC error object (Fault.Code,
	// Fault.Message) for every call of the request.
	KindRPCError
	// KindDelay waits Fault.Delay, then forwards the request as usual; a delay
	// longer than the client's timeout makes the client time out.
	KindDelay
	// KindHang never answers: the request is held until the client gives up
	// or the proxy closes.
	KindHang
)

// Fault describes one injected failure. Build one with HTTPError, RPCError,
// Delay or Hang, optionally narrowed with For.
type Fault struct {
	Kind    Kind          // how the request fails
	Status  int           // KindHTTP: the HTTP status
	Code    int           // KindRPCError: the JSON-RPC error code
	Message string        // KindRPCError: the JSON-RPC error message
	Delay   time.Duration // KindDelay: how long to wait before forwarding
	// Methods, when not empty, limits the fault to requests that call at
	// least one of these JSON-RPC methods; other requests pass untouched and
	// do not use up a FailNext count.
	Methods []string
}

// HTTPError is a fault answering with the given HTTP status, e.g. 429, 500, 502.
func HTTPError(status int) Fault { return Fault{Kind: KindHTTP, Status: status} }

// RPCError is a fault answering with a JSON-RPC error object.
func RPCError(code int, message string) Fault {
	return Fault{Kind: KindRPCError, Code: code, Message: message}
}

// Delay is a fault that forwards the request only after d.
func Delay(d time.Duration) Fault { return Fault{Kind: KindDelay, Delay: d} }

// Hang is a fault that never answers.
func Hang() Fault { return Fault{Kind: KindHang} }

// For returns a copy of f limited to requests calling one of methods.
func (f Fault) For(methods ...string) Fault {
	f.Methods = slices.Clone(methods)
	return f
}

// matches reports whether f applies to a request calling methods.
func (f Fault) matches(methods []string) bool {
	if len(f.Methods) == 0 {
		return true
	}
	for _, m := range methods {
		if slices.Contains(f.Methods, m) {
			return true
		}
	}
	return false
}

// RangeError selects the error a LimitLogRange refusal looks like.
type RangeError int

// The provider styles of "range too large" refusal.
const (
	// TooManyResults is Infura's: code -32005, "query returned more than 10000 results".
	TooManyResults RangeError = iota + 1
	// BlockRangeTooLarge is code -32600, "block range is too large".
	BlockRangeTooLarge
	// ExceedMaxRange is code -32000, "exceed maximum block range: K".
	ExceedMaxRange
)

// faults is the proxy's fault configuration, guarded by Proxy.mu.
type faults struct {
	next      int
	nextFault Fault
	rate      float64
	rateFault Fault
	rnd       *rand.Rand
}

// pick returns the fault to inject for a request calling methods, if any,
// using up one FailNext count when that rule matches.
func (f *faults) pick(methods []string) (Fault, bool) {
	if f.next > 0 && f.nextFault.matches(methods) {
		f.next--
		return f.nextFault, true
	}
	if f.rate > 0 && f.rnd != nil && f.rateFault.matches(methods) && f.rnd.Float64() < f.rate {
		return f.rateFault, true
	}
	return Fault{}, false
}

// FailNext makes the next n requests that f matches fail with f, replacing
// any earlier FailNext. n <= 0 cancels it.
func (p *Proxy) FailNext(n int, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults.next, p.faults.nextFault = max(n, 0), f
}

// FailFraction makes each request that f matches fail with f with
// probability fraction (0 … 1), drawn from a generator seeded with seed so
// runs repeat. fraction <= 0 cancels it.
func (p *Proxy) FailFraction(fraction float64, seed uint64, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults.rate, p.faults.rateFault = fraction, f
	p.faults.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// ClearFaults cancels FailNext and FailFraction.
func (p *Proxy) ClearFaults() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = faults{}
}

// LimitLogRange refuses eth_getLogs calls whose block range (toBlock −
// fromBlock + 1, tags resolved against the upstream head) exceeds maxBlocks,
// with an error in the given style. maxBlocks 0 lifts the limit.
func (p *Proxy) LimitLogRange(maxBlocks uint64, style RangeError) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rangeLimit, p.rangeStyle = maxBlocks, style
}

// SetHeadLag makes the proxy answer as if the chain head were lag blocks
// lower: eth_blockNumber, and the "latest", "pending", "safe" and
// "finalized" tags of eth_getBlockByNumber and eth_getLogs, move down by lag,
// and blocks above the lagged head are answered as not found (null).
func (p *Proxy) SetHeadLag(lag uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.headLag = lag
}

// StepHeadBackOnce makes the next call that reveals the head
// (eth_blockNumber, or eth_getBlockByNumber with a tag) see it n blocks
// lower than it otherwise would; later calls see the head as before, so a
// client sees the head go backwards once and then recover.
func (p *Proxy) StepHeadBackOnce(n uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stepBack = n
}
