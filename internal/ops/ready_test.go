package ops

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shopspring/decimal"

	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestRedisReady(t *testing.T) {
	addr := os.Getenv("EPUSDT_TEST_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EPUSDT_TEST_REDIS_ADDR is not set: CI must run the Redis tests")
		}
		t.Skip("NOTICE: EPUSDT_TEST_REDIS_ADDR not set: Redis readiness test SKIPPED")
	}
	up := redis.NewClient(&redis.Options{Addr: addr})
	defer up.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := RedisReady(func(ctx context.Context) error { return up.Ping(ctx).Err() })(ctx); err != nil {
		t.Fatalf("live Redis reported down: %v", err)
	}
	down := redis.NewClient(&redis.Options{Addr: closedPort(t), MaxRetries: -1, DialTimeout: time.Second})
	defer down.Close()
	err := RedisReady(func(ctx context.Context) error { return down.Ping(ctx).Err() })(ctx)
	if err == nil || !strings.Contains(err.Error(), "redis does not answer") {
		t.Fatalf("closed port: want a redis error, got %v", err)
	}
}

func TestChainReadyLeader(t *testing.T) {
	clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	var p ChainProgress
	watched := true
	status := ChainStatusFunc(func(chain string) (ChainProgress, bool) {
		if chain != "tron" {
			t.Errorf("asked for chain %q", chain)
		}
		return p, watched
	})
	probe := ChainReady(ChainCheck{Chain: "tron", Status: status, MaxLag: 10 * time.Minute, Now: clk.now})
	ctx := context.Background()
	step := func(name string, wantErr string) {
		t.Helper()
		err := probe(ctx)
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("%s: want ready, got %v", name, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: want error containing %q, got %v", name, wantErr, err)
		}
	}
	p = ChainProgress{Leader: true}
	step("just started, no scan yet", "")
	clk.t = clk.t.Add(11 * time.Minute)
	step("no scan 11 min after start", "no complete scan")
	p.LastSuccess = clk.t.Add(-3 * time.Second)
	p.LagSeconds = 30
	step("scanning, 30 s behind", "")
	p.LagSeconds = 601
	step("601 s behind", "behind the settled head")
	p.LagSeconds = 0
	clk.t = clk.t.Add(15 * time.Minute)
	step("stuck for 15 min", "last complete scan")
	p.Idle = true
	step("idle chain", "")
	watched = false
	step("not watched", "no watcher")
}

func TestChainReadyFollowerUsesSharedCursor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		status := ChainStatusFunc(func(string) (ChainProgress, bool) { return ChainProgress{Leader: false}, true })
		probe := ChainReady(ChainCheck{Chain: "bsc", Status: status, MaxLag: 5 * time.Minute,
			CursorAges: s.ScanCursorAges, Now: clk.now})
		ctx := context.Background()
		if err := probe(ctx); err != nil {
			t.Fatalf("fresh start: %v", err)
		}
		clk.t = clk.t.Add(6 * time.Minute)
		if err := probe(ctx); err == nil || !strings.Contains(err.Error(), "no instance has scanned") {
			t.Fatalf("never scanned after the grace: got %v", err)
		}
		mustExec(t, s, "INSERT INTO scan_cursors (chain, block_number, updated_at) VALUES ('bsc', 100, ?)", store.MS(clk.t.Add(-time.Minute)))
		if err := probe(ctx); err != nil {
			t.Fatalf("cursor moved a minute ago: %v", err)
		}
		clk.t = clk.t.Add(5 * time.Minute)
		if err := probe(ctx); err == nil || !strings.Contains(err.Error(), "has not moved") {
			t.Fatalf("cursor stale for 6 min: got %v", err)
		}
	})
}

type fakeRate struct {
	at  time.Time
	err error
}

func (f fakeRate) Rate(string) (decimal.Decimal, time.Time, error) {
	return decimal.RequireFromString("7.2"), f.at, f.err
}

func TestRateReady(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	ctx := context.Background()
	if err := RateReady(fakeRate{at: now.Add(-time.Minute)}, "CNY", 10*time.Minute, clk)(ctx); err != nil {
		t.Errorf("fresh rate: %v", err)
	}
	err := RateReady(fakeRate{at: now.Add(-11 * time.Minute)}, "CNY", 10*time.Minute, clk)(ctx)
	if err == nil || !strings.Contains(err.Error(), "CNY rate is 11m0s old") {
		t.Errorf("stale rate: got %v", err)
	}
	err = RateReady(fakeRate{err: errors.New("no rate fetched yet")}, "USD", 10*time.Minute, clk)(ctx)
	if err == nil || !strings.Contains(err.Error(), "no usable USD rate") {
		t.Errorf("missing rate: got %v", err)
	}
}
