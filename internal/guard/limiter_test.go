package guard

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/httpx"
)

func limiterFor(t *testing.T, s Store, api string, now func() time.Time) *Limiter {
	t.Helper()
	cfg := guardConfig()
	cfg.LimitAPI = api
	l, err := NewLimiter(cfg, s, now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func allow(t *testing.T, l *Limiter, group, key string) Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), group, key)
	if err != nil {
		t.Fatalf("Allow(%s, %s): %v", group, key, err)
	}
	return d
}

func TestLimiterRefusesTheRequestAfterTheLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store, clk *clock) {
		l := limiterFor(t, s, "5/1m", clk.Now)
		for i := range 5 {
			d := allow(t, l, httpx.GroupAPI, "ip:203.0.113.7")
			if !d.Allowed || !d.Checked || d.Remaining != 4-i || d.Limit != 5 || d.Window != time.Minute {
				t.Fatalf("request %d: %+v, want allowed with %d remaining", i+1, d, 4-i)
			}
			clk.Add(time.Second)
		}
		d := allow(t, l, httpx.GroupAPI, "ip:203.0.113.7")
		if d.Allowed || d.Remaining != 0 {
			t.Fatalf("6th request: %+v, want refused", d)
		}
		// 5 requests in window [0,60s), clock at 5 s: the next fits once
		// they have faded to 4 in the next window: 60 + 12 − 5 = 67 s.
		if d.RetryAfter != 67*time.Second {
			t.Errorf("RetryAfter = %v, want 67s", d.RetryAfter)
		}
		if d.Reset != 115*time.Second {
			t.Errorf("Reset = %v, want 115s", d.Reset)
		}
		if d := allow(t, l, httpx.GroupAPI, "ip:198.51.100.1"); !d.Allowed || d.Remaining != 4 {
			t.Errorf("another client is limited by the first one's requests: %+v", d)
		}
		if d := allow(t, l, httpx.GroupStatus, "ip:203.0.113.7"); !d.Allowed {
			t.Errorf("the status group shares the api group's counter: %+v", d)
		}
		if d := allow(t, l, httpx.GroupOps, "ip:203.0.113.7"); !d.Allowed || d.Checked {
			t.Errorf("ops must never be limited: %+v", d)
		}
	})
}

func TestLimiterWindowSlides(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store, clk *clock) {
		l := limiterFor(t, s, "10/1m", clk.Now)
		hits := func() int { // allowed requests until the first refusal
			for n := 0; ; n++ {
				if !allow(t, l, httpx.GroupAPI, "k").Allowed {
					return n
				}
			}
		}
		if n := hits(); n != 10 {
			t.Fatalf("fresh window allowed %d, want 10", n)
		}
		clk.Add(time.Minute) // a fixed window would forget everything here
		if n := hits(); n != 0 {
			t.Fatalf("right after the boundary %d allowed, want 0 (10 requests a moment ago)", n)
		}
		clk.Add(30 * time.Second) // half of the previous window has faded
		if n := hits(); n != 5 {
			t.Fatalf("half a window later %d allowed, want 5", n)
		}
		clk.Add(2 * time.Minute)
		if n := hits(); n != 10 {
			t.Fatalf("two windows later %d allowed, want 10", n)
		}
	})
}

func TestLimiterRetryAfterIsExact(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store, clk *clock) {
		l := limiterFor(t, s, "4/1m", clk.Now)
		clk.Add(20 * time.Second)
		var d Decision
		for d = allow(t, l, httpx.GroupAPI, "k"); d.Allowed; d = allow(t, l, httpx.GroupAPI, "k") {
			clk.Add(7 * time.Second)
		}
		clk.Add(d.RetryAfter - time.Millisecond)
		if allow(t, l, httpx.GroupAPI, "k").Allowed {
			t.Fatalf("allowed 1 ms before RetryAfter %v", d.RetryAfter)
		}
		clk.Add(time.Millisecond)
		if !allow(t, l, httpx.GroupAPI, "k").Allowed {
			t.Fatalf("refused at RetryAfter %v", d.RetryAfter)
		}
	})
}

// TestStoreMatchesModel drives a store with a random schedule and checks
// every answer against slide(): the Lua script and the Go code agree.
func TestStoreMatchesModel(t *testing.T) {
	eachStore(t, func(t *testing.T, s Store, clk *clock) {
		rng := rand.New(rand.NewPCG(7, 11))
		var model counts
		const limit, window = 7, 10 * time.Second
		for i := range 400 {
			clk.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
			got, err := s.Hit(context.Background(), "model", limit, window)
			if err != nil {
				t.Fatal(err)
			}
			var want Count
			model, want = slide(model, clk.Now().UnixMilli(), limit, window.Milliseconds())
			if got != want {
				t.Fatalf("step %d at %v: store %+v, model %+v", i, clk.Now(), got, want)
			}
		}
	})
}

// TestRedisServerClockSlides uses Redis's own clock (TIME), as production
// does: after the announced RetryAfter the next request fits.
func TestRedisServerClockSlides(t *testing.T) {
	rdb, prefix := testRedis(t)
	l := limiterFor(t, NewRedisStore(rdb, prefix), "3/1s", time.Now)
	var d Decision
	for n := 0; ; n++ {
		if d = allow(t, l, httpx.GroupAPI, "k"); !d.Allowed {
			break
		}
		if n > 3 {
			t.Fatalf("more than 3 requests allowed in a 1 s window")
		}
	}
	if d.RetryAfter <= 0 || d.RetryAfter > 2*time.Second {
		t.Fatalf("RetryAfter %v out of (0, 2s]", d.RetryAfter)
	}
	time.Sleep(d.RetryAfter + 20*time.Millisecond)
	if d := allow(t, l, httpx.GroupAPI, "k"); !d.Allowed {
		t.Fatalf("still refused after RetryAfter: %+v", d)
	}
}

func TestRedisKeysExpire(t *testing.T) {
	rdb, prefix := testRedis(t)
	s := NewRedisStore(rdb, prefix)
	ctx := context.Background()
	if _, err := s.Hit(ctx, "api:ip:1.2.3.4", 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, "n1", 90*time.Second); err != nil {
		t.Fatal(err)
	}
	for key, most := range map[string]time.Duration{prefix + "rl:api:ip:1.2.3.4": 2 * time.Minute, prefix + "nonce:n1": 90 * time.Second} {
		ttl, err := rdb.PTTL(ctx, key).Result()
		if err != nil || ttl <= 0 || ttl > most {
			t.Errorf("PTTL %s = %v, %v; want in (0, %v]", key, ttl, err, most)
		}
	}
}

func TestMemoryStoreStaysBounded(t *testing.T) {
	clk := newClock()
	s := NewMemoryStore(320, 64, clk.Now)
	ctx := context.Background()
	for i := range 20_000 {
		if _, err := s.Hit(ctx, "ip:"+strconv.Itoa(i), 5, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.Len(); n > 320 {
		t.Fatalf("%d counters held, cap 320", n)
	}
	claimed := 0
	for range 1000 {
		ok, err := s.Claim(ctx, randomHex(8), time.Minute)
		if err == errFull {
			break
		}
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		claimed++
	}
	if _, n := s.Len(); n > 64 || claimed > 64 || claimed == 0 {
		t.Fatalf("nonces held %d, claimed %d; cap 64", n, claimed)
	}
	clk.Add(time.Minute + time.Millisecond)
	if ok, err := s.Claim(ctx, "after-expiry", time.Minute); err != nil || !ok {
		t.Fatalf("expired nonces were not swept to make room: %v %v", ok, err)
	}
}

// countingStore counts Hit calls.
type countingStore struct {
	Store
	hits int
}

func (c *countingStore) Hit(ctx context.Context, key string, limit int, window time.Duration) (Count, error) {
	c.hits++
	return c.Store.Hit(ctx, key, limit, window)
}

// TestRefusalsAreRememberedLocally: a flooding client costs one store call
// per RetryAfter, and the remembered refusal ends exactly on time.
func TestRefusalsAreRememberedLocally(t *testing.T) {
	clk := newClock()
	s := &countingStore{Store: NewMemoryStore(0, 0, clk.Now)}
	l := limiterFor(t, s, "3/1m", clk.Now)
	var d Decision
	for range 1000 {
		d = allow(t, l, httpx.GroupAPI, "flood")
	}
	if d.Allowed || s.hits != 4 {
		t.Fatalf("1000 requests: %d store calls (want 4), last %+v", s.hits, d)
	}
	clk.Add(d.RetryAfter - time.Millisecond)
	if d2 := allow(t, l, httpx.GroupAPI, "flood"); d2.Allowed || d2.RetryAfter != time.Millisecond || s.hits != 4 {
		t.Fatalf("1 ms early: %+v after %d store calls", d2, s.hits)
	}
	clk.Add(time.Millisecond)
	if !allow(t, l, httpx.GroupAPI, "flood").Allowed {
		t.Fatal("refused once RetryAfter had passed")
	}
}
