package guard

import (
	"context"
	"fmt"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
)

// Decision is the limiter's answer for one request and key.
type Decision struct {
	Allowed bool
	// Checked is true when the answer came from the counters; false when
	// the group is not limited or the store failed and the group's
	// fail-open setting decided.
	Checked    bool
	Policy     string        // the route group, used as the policy name in headers
	Limit      int           // requests per Window
	Window     time.Duration // the sliding window of Limit
	Remaining  int           // requests that still fit now
	Reset      time.Duration // until this key's counters are empty again
	RetryAfter time.Duration // until one more request fits (0 when one fits now)
}

// rule is the limit of one route group.
type rule struct {
	limit    int
	window   time.Duration
	failOpen bool
}

// Limiter applies the per-group limits of config.Guard over a Store:
//
//   - api:    rate_limit_api per client (fails open with rate_limit_fail_open)
//   - status: rate_limit_status per client (same fail mode)
//   - login:  rate_limit_login per client IP and, through Allow or a
//     KeyFunc, per admin user name (rate_limit_login_fail_open)
//   - admin:  rate_limit_api per client IP; an authenticated admin API
//     caller may add a per-user key with a KeyFunc (rate_limit_fail_open)
//   - ops and unknown groups are never limited.
//
// Each (group, key) pair has its own counters.
//
// A refusal is also remembered locally until its RetryAfter: refused
// requests are not counted and other instances can only add to the
// counters, so no request of that key can fit earlier, and a flood from
// one client costs one store round trip per RetryAfter instead of one per
// request.
type Limiter struct {
	store  Store
	rules  map[string]rule
	denied *table[denial]
	now    func() time.Time
}

// denial is a remembered refusal (unix ms of the local clock).
type denial struct{ retryAt, resetAt int64 }

// maxDenied bounds the remembered refusals; forgetting one only costs a
// store call.
const maxDenied = 16_384

// NewLimiter reads the limits from cfg; now is the local clock of
// remembered refusals.
func NewLimiter(cfg config.Guard, store Store, now func() time.Time) (*Limiter, error) {
	l := &Limiter{store: store, rules: map[string]rule{}, denied: newTable[denial](maxDenied), now: now}
	for _, g := range []struct {
		group, limit string
		failOpen     bool
	}{
		{httpx.GroupAPI, cfg.LimitAPI, cfg.FailOpen},
		{httpx.GroupStatus, cfg.LimitStatus, cfg.FailOpen},
		{httpx.GroupLogin, cfg.LimitLogin, cfg.LoginFailOpen},
		{httpx.GroupAdmin, cfg.LimitAPI, cfg.FailOpen},
	} {
		n, w, err := config.ParseLimit(g.limit)
		if err != nil {
			return nil, fmt.Errorf("rate limit of group %s %q: %w", g.group, g.limit, err)
		}
		l.rules[g.group] = rule{limit: n, window: w, failOpen: g.failOpen}
	}
	return l, nil
}

// Limits reports whether group has a limit.
func (l *Limiter) Limits(group string) bool {
	_, ok := l.rules[group]
	return ok
}

// Allow counts one request of key (e.g. "ip:203.0.113.7" or
// "user:alice") in group. When the store fails, err says so and
// d.Allowed is what the group's fail-open setting decided; the caller
// never has to choose.
func (l *Limiter) Allow(ctx context.Context, group, key string) (Decision, error) {
	r, ok := l.rules[group]
	if !ok {
		return Decision{Allowed: true, Policy: group}, nil
	}
	d := Decision{Policy: group, Limit: r.limit, Window: r.window}
	k := group + ":" + key
	if l.stillDenied(k, &d) {
		return d, nil
	}
	c, err := l.store.Hit(ctx, k, r.limit, r.window)
	if err != nil {
		d.Allowed = r.failOpen
		return d, fmt.Errorf("rate limit %s: %w", group, err)
	}
	lim, w := int64(r.limit), r.window.Milliseconds()
	d.Allowed, d.Checked = c.Allowed, true
	d.Remaining = int(remaining(c, lim, w))
	d.Reset = resetAfter(c, w)
	d.RetryAfter = retryAfter(c, lim, w)
	if !d.Allowed {
		now := l.now().UnixMilli()
		l.denied.update(k, now, true, func(e *entry[denial]) {
			e.val = denial{retryAt: now + d.RetryAfter.Milliseconds(), resetAt: now + d.Reset.Milliseconds()}
			e.expires = e.val.retryAt
		})
	}
	return d, nil
}

// stillDenied fills d from a remembered refusal of key, if one holds.
func (l *Limiter) stillDenied(key string, d *Decision) bool {
	now := l.now().UnixMilli()
	var hit denial
	l.denied.peek(key, now, &hit)
	if hit.retryAt <= now {
		return false
	}
	d.Checked = true
	d.RetryAfter = time.Duration(hit.retryAt-now) * time.Millisecond
	d.Reset = time.Duration(hit.resetAt-now) * time.Millisecond
	return true
}
