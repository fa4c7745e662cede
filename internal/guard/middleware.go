package guard

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/epusdt/epusdt/internal/httpx"
)

// KeyFunc returns an extra rate-limit key for a request (e.g.
// "token:"+apiToken or "user:"+adminName), or "" for none. Each key is
// limited separately, on top of the client address.
type KeyFunc func(r *http.Request) string

// Middleware limits a route group per client address and per every extra
// key. Allowed requests carry RateLimit-Limit, RateLimit-Remaining,
// RateLimit-Reset, RateLimit-Policy and RateLimit headers; refused ones get
// HTTP 429, Retry-After and the Epusdt envelope with status_code 429. When
// the store is down, the group's fail-open setting lets the request through
// or answers 503. Groups without a limit (ops) pass untouched.
func (g *Guard) Middleware(group string, keys ...KeyFunc) httpx.Middleware {
	if !g.limiter.Limits(group) {
		return func(next http.Handler) http.Handler { return next }
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !g.Enforce(w, r, group, limitKey(g.ips.ClientIP(r))) {
				return
			}
			for _, k := range keys {
				if key := k(r); key != "" && !g.Enforce(w, r, group, key) {
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Enforce counts one request of key in group and reports whether it may
// proceed. When it may not, Enforce has already answered (429 or 503); when
// it may, the rate-limit headers are set (the tighter of several keys
// wins). Handlers that learn a key from the body (admin login user names)
// call it directly.
func (g *Guard) Enforce(w http.ResponseWriter, r *http.Request, group, key string) bool {
	d, err := g.limiter.Allow(r.Context(), group, key)
	if err != nil {
		if d.Allowed {
			return true
		}
		g.metrics.RateLimited.WithLabelValues(group).Inc()
		w.Header().Set("Retry-After", "5")
		httpx.FailHTTP(w, r, http.StatusServiceUnavailable, http.StatusServiceUnavailable,
			"rate limiter temporarily unavailable, please retry shortly")
		return false
	}
	if !d.Checked {
		return true
	}
	if !d.Allowed {
		setHeaders(w.Header(), d)
		retry := max(ceilSeconds(d.RetryAfter), 1)
		w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
		g.metrics.RateLimited.WithLabelValues(group).Inc()
		httpx.FailHTTP(w, r, http.StatusTooManyRequests, http.StatusTooManyRequests,
			fmt.Sprintf("too many requests: limit is %d per %s, retry in %d s", d.Limit, formatWindow(d.Window), retry))
		return false
	}
	if prev, err := strconv.Atoi(w.Header().Get("RateLimit-Remaining")); err != nil || d.Remaining < prev {
		setHeaders(w.Header(), d)
	}
	return true
}

// setHeaders writes the classic RateLimit-* trio and the IETF draft's
// structured RateLimit-Policy / RateLimit fields.
func setHeaders(h http.Header, d Decision) {
	reset := ceilSeconds(d.Reset)
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.FormatInt(reset, 10))
	h.Set("RateLimit-Policy", fmt.Sprintf("%q;q=%d;w=%d", d.Policy, d.Limit, ceilSeconds(d.Window)))
	h.Set("RateLimit", fmt.Sprintf("%q;r=%d;t=%d", d.Policy, d.Remaining, reset))
}

// formatWindow writes 1m, 15m, 1h, 90s rather than 1m0s.
func formatWindow(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", ceilSeconds(d))
}
