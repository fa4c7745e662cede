package guard

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { httpx.OK(w, r, "pong") })

func serve(t testing.TB, g *Guard, group string, keys ...KeyFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(httpx.Chain(okHandler, httpx.RequestIDs(), g.Middleware(group, keys...)))
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	code int
	h    http.Header
	env  httpx.Envelope
}

func get(t testing.TB, url string, hdr ...string) answer {
	t.Helper()
	a, err := fetch(url, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fetch is get without testing.TB, for worker goroutines.
func fetch(url string, hdr ...string) (answer, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env httpx.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return answer{}, fmt.Errorf("GET %s: body %q is not the envelope: %w", url, body, err)
	}
	return answer{code: resp.StatusCode, h: resp.Header, env: env}, nil
}

// eachGuard runs fn with a memory guard on a test clock (exact figures)
// and a Redis guard on real time.
func eachGuard(t *testing.T, cfg config.Guard, fn func(t *testing.T, g testGuard, exact bool)) {
	t.Run("memory", func(t *testing.T) {
		fn(t, newTestGuard(t, cfg, nil, newClock().Now), true)
	})
	t.Run("redis", func(t *testing.T) {
		rdb, prefix := testRedis(t)
		fn(t, newTestGuard(t, cfg, rdb, time.Now, WithKeyPrefix(prefix)), false)
	})
}

func TestMiddlewareHeadersAndRefusal(t *testing.T) {
	cfg := guardConfig()
	cfg.LimitAPI = "3/1m"
	cfg.TrustedProxies = []string{"127.0.0.1"}
	eachGuard(t, cfg, func(t *testing.T, g testGuard, exact bool) {
		srv := serve(t, g.Guard, httpx.GroupAPI)
		xff := []string{"X-Forwarded-For", "203.0.113.7"}
		for i := range 3 {
			a := get(t, srv.URL, xff...)
			rem := strconv.Itoa(2 - i)
			if a.code != 200 || a.env.StatusCode != 200 {
				t.Fatalf("request %d: HTTP %d %+v", i+1, a.code, a.env)
			}
			wantHeader(t, a.h, "RateLimit-Limit", "3")
			wantHeader(t, a.h, "RateLimit-Remaining", rem)
			wantHeader(t, a.h, "RateLimit-Policy", `"api";q=3;w=60`)
			if exact {
				wantHeader(t, a.h, "RateLimit-Reset", "120")
				wantHeader(t, a.h, "RateLimit", `"api";r=`+rem+`;t=120`)
			} else if !regexp.MustCompile(`^"api";r=` + rem + `;t=\d+$`).MatchString(a.h.Get("RateLimit")) {
				t.Errorf("RateLimit = %q", a.h.Get("RateLimit"))
			}
		}
		a := get(t, srv.URL, xff...)
		if a.code != http.StatusTooManyRequests || a.env.StatusCode != 429 || a.env.Data != nil || a.env.RequestID == "" {
			t.Fatalf("4th request: HTTP %d %+v, want 429 envelope", a.code, a.env)
		}
		retry, err := strconv.Atoi(a.h.Get("Retry-After"))
		if err != nil || retry < 1 || retry > 120 {
			t.Fatalf("Retry-After = %q", a.h.Get("Retry-After"))
		}
		// 3 requests at 0 s of a 1 m window: the 4th fits after 60 + 20 s.
		wantMsg := fmt.Sprintf("too many requests: limit is 3 per 1m, retry in %d s", retry)
		if a.env.Message != wantMsg || (exact && retry != 80) {
			t.Errorf("message %q, Retry-After %d; want %q, 80", a.env.Message, retry, wantMsg)
		}
		wantHeader(t, a.h, "RateLimit-Remaining", "0")
		if n := metricValue(t, g.m.RateLimited.WithLabelValues("api")); n != 1 {
			t.Errorf("rate_limited_total{group=api} = %v, want 1", n)
		}
		// Another client behind the same trusted proxy has its own budget.
		if a := get(t, srv.URL, "X-Forwarded-For", "198.51.100.9"); a.code != 200 || a.h.Get("RateLimit-Remaining") != "2" {
			t.Errorf("other client: HTTP %d remaining %q", a.code, a.h.Get("RateLimit-Remaining"))
		}
	})
}

func TestSpoofedForwardedForDoesNotEscapeTheLimit(t *testing.T) {
	cfg := guardConfig()
	cfg.LimitAPI = "3/1m"
	cfg.TrustedProxies = []string{"10.0.0.0/8"} // not the test client's 127.0.0.1
	g := newTestGuard(t, cfg, nil, newClock().Now)
	srv := serve(t, g.Guard, httpx.GroupAPI)
	for i := range 5 {
		a := get(t, srv.URL, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i), "X-Real-IP", fmt.Sprintf("192.0.2.%d", i))
		if want := map[bool]int{true: 200, false: 429}[i < 3]; a.code != want {
			t.Fatalf("request %d with a fresh spoofed address: HTTP %d, want %d", i+1, a.code, want)
		}
	}
}

func TestOpsIsNeverLimited(t *testing.T) {
	cfg := guardConfig()
	cfg.LimitAPI, cfg.LimitStatus, cfg.LimitLogin = "1/1m", "1/1m", "1/1m"
	g := newTestGuard(t, cfg, nil, newClock().Now)
	srv := serve(t, g.Guard, httpx.GroupOps)
	for range 5 {
		if a := get(t, srv.URL); a.code != 200 || a.h.Get("RateLimit-Limit") != "" {
			t.Fatalf("ops: HTTP %d, RateLimit-Limit %q", a.code, a.h.Get("RateLimit-Limit"))
		}
	}
}

// TestKeyFuncLimitsPerUser: admin login is limited per IP and per user
// name, so one user cannot be brute-forced from many addresses.
func TestKeyFuncLimitsPerUser(t *testing.T) {
	cfg := guardConfig()
	cfg.LimitLogin = "2/15m"
	cfg.TrustedProxies = []string{"127.0.0.1"}
	eachGuard(t, cfg, func(t *testing.T, g testGuard, _ bool) {
		user := func(r *http.Request) string {
			if u := r.Header.Get("X-User"); u != "" {
				return "user:" + u
			}
			return ""
		}
		srv := serve(t, g.Guard, httpx.GroupLogin, user)
		first := get(t, srv.URL, "X-Forwarded-For", "198.51.100.1", "X-User", "alice")
		second := get(t, srv.URL, "X-Forwarded-For", "198.51.100.2", "X-User", "alice")
		third := get(t, srv.URL, "X-Forwarded-For", "198.51.100.3", "X-User", "alice")
		if first.code != 200 || second.code != 200 || third.code != 429 {
			t.Fatalf("alice from three addresses: %d %d %d, want 200 200 429", first.code, second.code, third.code)
		}
		// The tighter key decides the headers: alice has 0 left, the IP 1.
		wantHeader(t, second.h, "RateLimit-Remaining", "0")
		if a := get(t, srv.URL, "X-Forwarded-For", "198.51.100.3", "X-User", "bob"); a.code != 200 {
			t.Errorf("bob from a fresh address: HTTP %d", a.code)
		}
	})
}

// TestTwoGatewaysShareOneRedis: two guards with their own Redis clients
// and HTTP servers (two gateway processes) enforce one limit together.
func TestTwoGatewaysShareOneRedis(t *testing.T) {
	cfg := guardConfig()
	cfg.LimitAPI = "4/1m"
	rdb, prefix := testRedis(t)
	rdb2 := newClient(t, redisAddr(t))
	a := serve(t, newTestGuard(t, cfg, rdb, time.Now, WithKeyPrefix(prefix)).Guard, httpx.GroupAPI)
	b := serve(t, newTestGuard(t, cfg, rdb2, time.Now, WithKeyPrefix(prefix)).Guard, httpx.GroupAPI)
	for i, url := range []string{a.URL, b.URL, a.URL, b.URL} {
		r := get(t, url)
		if r.code != 200 || r.h.Get("RateLimit-Remaining") != strconv.Itoa(3-i) {
			t.Fatalf("request %d: HTTP %d remaining %q, want 200 and %d", i+1, r.code, r.h.Get("RateLimit-Remaining"), 3-i)
		}
	}
	for _, url := range []string{a.URL, b.URL} {
		if r := get(t, url); r.code != 429 {
			t.Fatalf("5th request overall: HTTP %d, want 429 on both gateways", r.code)
		}
	}
}

func wantHeader(t *testing.T, h http.Header, name, want string) {
	t.Helper()
	if got := h.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}
