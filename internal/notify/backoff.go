package notify

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// schedule is the wait after each failed attempt: after attempt 1 wait
// schedule[0], and so on; attempts past its end wait its last entry.
var schedule = [...]time.Duration{15 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour}

// Schedule returns the base retry waits: entry i is the wait after failed
// attempt i+1, and attempts past the end wait the last entry.
func Schedule() []time.Duration { s := schedule; return s[:] }

// Jitter is the largest fraction by which a wait is moved either way, so a
// burst of failures does not retry in lockstep.
const Jitter = 0.1

// MaxRetryAfter caps how long a merchant's Retry-After can postpone a retry.
const MaxRetryAfter = 24 * time.Hour

// Backoff returns the wait after the given number of failed attempts
// (1-based), jittered by up to ±Jitter, and never shorter than retryAfter
// (already capped).
func Backoff(attempts int, retryAfter time.Duration) time.Duration {
	i := min(max(attempts, 1), len(schedule)) - 1
	base := schedule[i]
	spread := int64(float64(base) * Jitter)
	d := base + time.Duration(rand.Int64N(2*spread+1)-spread)
	return max(d, retryAfter)
}

// RetryAfter reads a Retry-After header: delay seconds or an HTTP date,
// relative to now. It returns 0 when absent, unparsable or in the past, and
// at most MaxRetryAfter.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(min(max(secs, 0), int64(MaxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}
