package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"testing"
)

// TestTwoGatewaysShareOneRateLimit runs two real gateway processes on one
// Redis: a client alternating between them is refused once it has used the
// limit, counted across both, and the refusal is a 429 with Retry-After
// and the Epusdt envelope.
func TestTwoGatewaysShareOneRateLimit(t *testing.T) {
	redisAddr := os.Getenv("EPUSDT_TEST_REDIS_ADDR")
	if redisAddr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EPUSDT_TEST_REDIS_ADDR is not set: CI must run the shared rate-limit test")
		}
		t.Skip("NOTICE: EPUSDT_TEST_REDIS_ADDR not set: shared rate-limit test SKIPPED")
	}
	host, port := splitHostPort(t, redisAddr)
	chain := startChain(t, chainOpts{})
	g1 := newGateway(t, chain, gwOpts{Env: map[string]string{"REDIS_HOST": host, "REDIS_PORT": port,
		"RATE_LIMIT_STATUS": "5/1m", "TRUSTED_PROXIES": "127.0.0.1"}})
	g2 := g1.clone(t, "gw2")
	g1.start(t)
	g2.start(t)
	// A client address of its own, so runs never share counters in Redis.
	a, b, c := rand.IntN(250), rand.IntN(250), rand.IntN(250)+1
	client := fmt.Sprintf("10.%d.%d.%d", a, b, c)
	neighbour := fmt.Sprintf("10.%d.%d.%d", a, b, c+1)
	get := func(g *gateway) *http.Response {
		req, _ := http.NewRequest("GET", g.base()+"/pay/check-status/nope", nil)
		req.Header.Set("X-Forwarded-For", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := 0; i < 5; i++ {
		g := []*gateway{g1, g2}[i%2]
		resp := get(g)
		if resp.StatusCode != 200 {
			t.Fatalf("request %d on %s: HTTP %d", i+1, g.name, resp.StatusCode)
		}
		if rem := resp.Header.Get("RateLimit-Remaining"); rem != strconv.Itoa(4-i) {
			t.Errorf("request %d: RateLimit-Remaining %q, want %d (shared across both)", i+1, rem, 4-i)
		}
	}
	for _, g := range []*gateway{g1, g2} {
		resp := get(g)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("6th request on %s: HTTP %d Retry-After %q, want 429 with Retry-After", g.name, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	// Another client is not affected.
	req, _ := http.NewRequest("GET", g2.base()+"/pay/check-status/nope", nil)
	req.Header.Set("X-Forwarded-For", neighbour)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("another client refused: %v %v", err, resp)
	}
	g1.stop(t)
	g2.stop(t)
}

func splitHostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i], addr[i+1:]
		}
	}
	t.Fatalf("bad address %q", addr)
	return "", ""
}
