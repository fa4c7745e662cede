package guard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts at a whole hour so fixed windows begin exactly at it.
func newClock() *clock {
	return &clock{t: time.Date(2030, 1, 2, 3, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// redisAddr returns EPUSDT_TEST_REDIS_ADDR or skips (fails under CI).
func redisAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("EPUSDT_TEST_REDIS_ADDR")
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("EPUSDT_TEST_REDIS_ADDR is not set but CI=true: Redis tests must run in CI")
		}
		t.Log("NOTICE: EPUSDT_TEST_REDIS_ADDR is not set; SKIPPING the Redis variant of this test")
		t.SkipNow()
	}
	return addr
}

func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, DialTimeout: time.Second,
		ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// testRedis connects to the shared test Redis and returns a client and a
// random key prefix whose keys are deleted after the test.
func testRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	rdb := newClient(t, redisAddr(t))
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping test redis: %v", err)
	}
	prefix := "epusdt:test:" + randomHex(6) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return rdb, prefix
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// eachStore runs fn on a MemoryStore and on a RedisStore (both on clk).
func eachStore(t *testing.T, fn func(t *testing.T, s Store, clk *clock)) {
	t.Run("memory", func(t *testing.T) {
		clk := newClock()
		fn(t, NewMemoryStore(0, 0, clk.Now), clk)
	})
	t.Run("redis", func(t *testing.T) {
		rdb, prefix := testRedis(t)
		clk := newClock()
		s := NewRedisStore(rdb, prefix)
		s.clock = clk.Now
		fn(t, s, clk)
	})
}

func guardConfig() config.Guard {
	return config.Default().Guard
}

type testGuard struct {
	*Guard
	m    *metrics.Metrics
	logs *observer.ObservedLogs
}

func newTestGuard(t testing.TB, cfg config.Guard, rdb *redis.Client, now func() time.Time, opts ...Option) testGuard {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	m := metrics.New()
	g, err := New(cfg, rdb, m, zap.New(core), now, opts...)
	if err != nil {
		t.Fatalf("guard.New: %v", err)
	}
	return testGuard{Guard: g, m: m, logs: logs}
}

// redisServer is a throwaway redis-server the test may kill and restart.
type redisServer struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
}

func startRedisServer(t testing.TB) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed but CI=true")
		}
		t.Log("NOTICE: redis-server is not installed; SKIPPING the Redis outage test")
		t.SkipNow()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &redisServer{t: t, port: port}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.t.TempDir())
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr(), 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s did not come up: %v", s.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *redisServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func (s *redisServer) String() string { return fmt.Sprintf("redis-server :%d", s.port) }

// metricValue reads a counter or gauge.
func metricValue(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}
