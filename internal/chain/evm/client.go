// Package evm is a small JSON-RPC client for the calls the chain watcher
// makes on EVM chains and on TRON's /jsonrpc: eth_blockNumber,
// eth_getBlockByNumber and eth_getLogs. It decodes only the fields the
// watcher needs (TRON's block objects lack fields go-ethereum's Header
// requires), spreads calls over several URLs with failover, applies a
// per-request timeout, cools an endpoint down after 429/403, and classifies
// provider refusals so the caller can shrink its query.
package evm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// maxResponse caps one response body (a getLogs answer can be large).
const maxResponse = 64 << 20

// Call describes one finished request, for metrics.
type Call struct {
	Endpoint string // scheme://host of the URL: never the path or query, which may hold a key
	Method   string
	Duration time.Duration
	Err      error
}

// Options configures New.
type Options struct {
	URLs       []string      // tried in turn; at least one
	Timeout    time.Duration // per request; 0 = 10 s
	Header     http.Header   // sent with every request (e.g. TRON-PRO-API-KEY)
	HTTPClient *http.Client  // nil = a fresh client
	Cooldown   time.Duration // first pause of an endpoint after 429/403; doubles up to 60 s; 0 = 1 s
	Now        func() time.Time
	Observe    func(Call) // called after every request; may be nil
}

// Client calls JSON-RPC methods on a list of endpoints.
type Client struct {
	eps     []*endpoint
	o       Options
	cur     atomic.Uint64
	nextID  atomic.Uint64
	maxCool time.Duration
}

type endpoint struct {
	url   string
	label string

	mu        sync.Mutex
	coolUntil time.Time
	cool      time.Duration
}

// New checks the URLs and returns a client.
func New(o Options) (*Client, error) {
	if len(o.URLs) == 0 {
		return nil, errors.New("evm client: no RPC URL")
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Cooldown <= 0 {
		o.Cooldown = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &Client{o: o, maxCool: 60 * time.Second}
	for i, raw := range o.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("evm client: RPC URL #%d is not an http(s) URL", i+1)
		}
		c.eps = append(c.eps, &endpoint{url: raw, label: u.Scheme + "://" + u.Host})
	}
	return c, nil
}

// Endpoints returns the labels (scheme://host) of the configured URLs.
func (c *Client) Endpoints() []string {
	out := make([]string, len(c.eps))
	for i, e := range c.eps {
		out[i] = e.label
	}
	return out
}

// call runs method on the current endpoint, failing over to the next ones
// on transport errors, 5xx, rate limits and "not there yet" answers. A
// provider's "too much" refusal (ErrLimit) and a context end return at once.
// An endpoint that failed makes the next call start at the one after it.
func (c *Client) call(ctx context.Context, method string, params []any, out any) error {
	start := int(c.cur.Load() % uint64(len(c.eps)))
	var errs []error
	for i := range c.eps {
		idx := (start + i) % len(c.eps)
		ep := c.eps[idx]
		if ep.cooling(c.o.Now()) {
			errs = append(errs, fmt.Errorf("%s: %w (cooling down)", ep.label, ErrRateLimited))
			continue
		}
		err := c.callOne(ctx, ep, method, params, out)
		if err == nil {
			ep.succeeded()
			return nil
		}
		if ctx.Err() != nil || errors.Is(err, ErrLimit) {
			return err
		}
		if errors.Is(err, ErrRateLimited) {
			ep.rateLimited(c.o.Now(), c.o.Cooldown, c.maxCool)
		}
		c.cur.Store(uint64(idx + 1))
		errs = append(errs, err)
	}
	return fmt.Errorf("%s failed on every RPC endpoint: %w", method, errors.Join(errs...))
}

type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type response struct {
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
}

// callOne sends one request to one endpoint within the per-request timeout.
func (c *Client) callOne(ctx context.Context, ep *endpoint, method string, params []any, out any) (err error) {
	began := time.Now()
	defer func() {
		if c.o.Observe != nil {
			c.o.Observe(Call{Endpoint: ep.label, Method: method, Duration: time.Since(began), Err: err})
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	body, err := json.Marshal(request{JSONRPC: "2.0", ID: c.nextID.Add(1), Method: method, Params: params})
	if err != nil {
		return fmt.Errorf("encode %s: %w", method, err)
	}
	raw, err := c.post(ctx, ep, body)
	if err != nil {
		return err
	}
	var resp response
	if err := json.Unmarshal(raw, &resp); err != nil {
		return fmt.Errorf("%s: %s answered with invalid JSON-RPC: %w", method, ep.label, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("%s at %s: %w", method, ep.label, classify(resp.Error))
	}
	if err := decodeResult(resp.Result, out); err != nil {
		return fmt.Errorf("%s at %s: %w", method, ep.label, err)
	}
	return nil
}

// post sends body and returns the response body of a 200 answer. Errors
// name the endpoint by its label only: a URL may carry an API key.
func (c *Client) post(ctx context.Context, ep *endpoint, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: build request failed", ep.label)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range c.o.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.o.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s: %w", ep.label, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("%s: read response: %w", ep.label, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%s: HTTP %d: %w", ep.label, resp.StatusCode, ErrRateLimited)
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		return nil, &LimitError{Msg: ep.label + ": HTTP 413"}
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: HTTP %d", ep.label, resp.StatusCode)
	}
	return raw, nil
}

// decodeResult decodes a result; a JSON null (no such block) is ErrUnavailable.
func decodeResult(raw json.RawMessage, out any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return ErrUnavailable
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode result: %w", err)
	}
	return nil
}

func (e *endpoint) cooling(now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return now.Before(e.coolUntil)
}

func (e *endpoint) rateLimited(now time.Time, base, ceiling time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cool = min(ceiling, max(base, 2*e.cool))
	e.coolUntil = now.Add(e.cool)
}

func (e *endpoint) succeeded() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cool = 0
}
