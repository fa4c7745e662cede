// Package faultproxy owns a fault-injecting reverse proxy for JSON-RPC over
// HTTP, placed in front of any JSON-RPC URL (usually a devchain) so tests
// can watch a client cope with a misbehaving provider: HTTP 429/500/502,
// JSON-RPC error objects, slow or hanging answers, eth_getLogs range limits
// in the styles real providers use, and a lagging or backward-stepping head.
// Every knob is safe to change while requests are in flight, and the proxy
// counts calls per JSON-RPC method, batch members included.
package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxBody caps a request or upstream response body.
const maxBody = 32 << 20

// Proxy is a JSON-RPC reverse proxy with injectable faults. Its methods are
// safe for concurrent use. It is an http.Handler, so it can also be mounted
// in an httptest.Server instead of using Start.
type Proxy struct {
	upstream string
	client   *http.Client
	closing  chan struct{}

	mu         sync.Mutex
	faults     faults
	rangeLimit uint64
	rangeStyle RangeError
	headLag    uint64
	stepBack   uint64
	calls      map[string]int
	requests   int

	server    *http.Server
	url       string
	serveDone chan struct{}
	closeOnce sync.Once
}

// New returns a proxy forwarding to the JSON-RPC endpoint upstream (e.g.
// "http://127.0.0.1:8545"). It passes everything through until a knob is set.
func New(upstream string) *Proxy {
	return &Proxy{
		upstream: upstream,
		client:   &http.Client{},
		closing:  make(chan struct{}),
		calls:    make(map[string]int),
	}
}

// Start serves the proxy on listen ("127.0.0.1:0" picks a free port) until Close.
func (p *Proxy) Start(listen string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("faultproxy: listen on %s: %w", listen, err)
	}
	p.mu.Lock()
	if p.server != nil {
		p.mu.Unlock()
		_ = ln.Close()
		return errors.New("faultproxy: already started")
	}
	p.server = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.url = "http://" + ln.Addr().String()
	p.serveDone = make(chan struct{})
	srv, done := p.server, p.serveDone
	p.mu.Unlock()
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return nil
}

// URL is the proxy's base URL once started, e.g. "http://127.0.0.1:40123".
func (p *Proxy) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.url
}

// Close releases hanging requests and stops serving. It is safe to call
// more than once and on a proxy that was never started.
func (p *Proxy) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closing)
		p.mu.Lock()
		srv, done := p.server, p.serveDone
		p.mu.Unlock()
		if srv != nil {
			err = srv.Close()
			<-done
		}
		p.client.CloseIdleConnections()
	})
	return err
}

// Calls returns how many times each JSON-RPC method was called through the
// proxy since the last ResetCounts, counting each member of a batch and
// including calls that a fault failed.
func (p *Proxy) Calls() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.calls)
}

// Requests returns how many HTTP requests reached the proxy since the last
// ResetCounts (a batch is one request).
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// ResetCounts zeroes Calls and Requests.
func (p *Proxy) ResetCounts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = make(map[string]int)
	p.requests = 0
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "faultproxy: request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	calls, batch, parsed := parseRequest(body)
	methods := make([]string, len(calls))
	for i, c := range calls {
		methods[i] = c.Method
	}
	p.mu.Lock()
	p.requests++
	for _, m := range methods {
		p.calls[m]++
	}
	fault, failing := p.faults.pick(methods)
	rewrite := p.headLag > 0 || p.stepBack > 0 || p.rangeLimit > 0
	p.mu.Unlock()

	if failing && !p.inject(w, r, fault, calls, batch) {
		return
	}
	if !parsed || !rewrite || r.Method != http.MethodPost {
		p.passThrough(w, r, body)
		return
	}
	p.serveCalls(w, r, calls, batch)
}

// inject applies fault; it reports whether the request should still be
// forwarded (after a delay).
func (p *Proxy) inject(w http.ResponseWriter, r *http.Request, f Fault, calls []rpcMessage, batch bool) bool {
	switch f.Kind {
	case KindHTTP:
		if f.Status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, fmt.Sprintf("faultproxy: injected HTTP %d", f.Status), f.Status)
	case KindRPCError:
		out := make([][]byte, len(calls))
		for i, c := range calls {
			out[i] = errorResponse(c.ID, f.Code, f.Message)
		}
		if len(calls) == 0 {
			out = append(out, errorResponse(nil, f.Code, f.Message))
		}
		writeResponses(w, out, batch)
	case KindDelay:
		select {
		case <-time.After(f.Delay):
			return true
		case <-r.Context().Done():
		case <-p.closing:
		}
	case KindHang:
		select {
		case <-r.Context().Done():
		case <-p.closing:
		}
	default:
		return true
	}
	return false
}

// passThrough forwards body unchanged and copies the upstream answer back.
func (p *Proxy) passThrough(w http.ResponseWriter, r *http.Request, body []byte) {
	status, header, respBody, err := p.post(r, body)
	if err != nil {
		http.Error(w, "faultproxy: upstream: "+err.Error(), http.StatusBadGateway)
		return
	}
	if ct := header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(status)
	_, _ = w.Write(respBody)
}

// post sends body to the upstream with the client's method and headers.
func (p *Proxy) post(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for k, vs := range r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Te", "Trailer",
			"Proxy-Connection", "Accept-Encoding":
			continue
		}
		req.Header[k] = vs
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, respBody, nil
}
