package guard

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
)

const outageMsg = "redis unavailable: rate limits and nonces follow the fail-open settings"

// TestRedisOutage stops a throwaway redis-server under a running guard:
// the API fails open, login fails closed with 503, nothing crashes, the
// outage is logged once and visible in Health and redis_up, and everything
// recovers by itself when Redis returns.
func TestRedisOutage(t *testing.T) {
	srv := startRedisServer(t)
	appCfg := config.Default()
	appCfg.RedisHost, appCfg.RedisPort = "127.0.0.1", srv.port
	rdb := NewRedisClient(&appCfg)
	defer rdb.Close()

	cfg := guardConfig()
	cfg.LimitAPI, cfg.LimitLogin = "1000/1m", "3/1m"
	cfg.FailOpen, cfg.LoginFailOpen = true, false
	g := newTestGuard(t, cfg, rdb, time.Now, WithKeyPrefix("t:"), WithRetryInterval(100*time.Millisecond),
		WithLogInterval(time.Hour))
	api, login := serve(t, g.Guard, httpx.GroupAPI), serve(t, g.Guard, httpx.GroupLogin)
	ctx := context.Background()

	if a := get(t, api.URL); a.code != 200 || a.h.Get("RateLimit-Limit") != "1000" {
		t.Fatalf("healthy api: HTTP %d limit %q", a.code, a.h.Get("RateLimit-Limit"))
	}
	if err := g.Health(ctx); err != nil {
		t.Fatalf("Health with Redis up: %v", err)
	}

	srv.stop()
	hammer(t, api.URL, 200, 32, 200)
	for range 5 {
		a := get(t, login.URL)
		if a.code != 503 || a.env.StatusCode != 503 || a.h.Get("Retry-After") == "" {
			t.Fatalf("login with Redis down: HTTP %d %+v, want 503 envelope", a.code, a.env)
		}
	}
	if err := g.CheckReplay(ctx, unix(time.Now()), "during-outage"); err != nil {
		t.Errorf("replay check with Redis down and fail-open: %v", err)
	}
	if g.Health(ctx) == nil {
		t.Error("Health is nil while Redis is down")
	}
	if up := metricValue(t, g.m.RedisUp); up != 0 {
		t.Errorf("redis_up = %v while down", up)
	}
	if n := g.logs.FilterMessage(outageMsg).Len(); n != 1 {
		t.Errorf("outage logged %d times, want once", n)
	}

	srv.start()
	deadline := time.Now().Add(10 * time.Second)
	for get(t, login.URL).code != 200 {
		if time.Now().After(deadline) {
			t.Fatal("login still refused 10 s after Redis came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := g.Health(ctx); err != nil {
		t.Errorf("Health after recovery: %v", err)
	}
	if up := metricValue(t, g.m.RedisUp); up != 1 {
		t.Errorf("redis_up = %v after recovery", up)
	}
	if n := g.logs.FilterMessage("redis reachable again").Len(); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
	// Limits are enforced again (the restarted Redis is empty; one login
	// attempt was used by the loop above).
	codes := []int{get(t, login.URL).code, get(t, login.URL).code, get(t, login.URL).code}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 {
		t.Errorf("login after recovery: %v, want [200 200 429]", codes)
	}
}

// hammer sends n requests with c workers and fails unless all get want.
func hammer(t *testing.T, url string, n, c, want int) {
	t.Helper()
	var wg sync.WaitGroup
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	var mu sync.Mutex
	bad := map[int]int{}
	for range c {
		wg.Go(func() {
			for range jobs {
				a, err := fetch(url)
				if err != nil {
					a.code = -1 // transport error
				}
				if a.code != want {
					mu.Lock()
					bad[a.code]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d requests: unexpected HTTP codes %v (want all %d)", n, bad, want)
	}
}
