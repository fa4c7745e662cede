package guard

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/metrics"
)

// Environment of the flood server process.
const (
	floodServerEnv = "EPUSDT_GUARD_FLOOD_SERVER" // set: run as the server
	floodRedisEnv  = "EPUSDT_GUARD_FLOOD_REDIS"  // Redis address; empty = memory
	floodPrefixEnv = "EPUSDT_GUARD_FLOOD_PREFIX" // Redis key prefix
)

// runFloodServer serves a check-status-like route behind the guard (default
// limits, 127.0.0.1 trusted as a proxy) on a free port, prints
// "LISTEN host:port" and serves until stdin closes.
func runFloodServer() int {
	cfg := config.Default()
	cfg.Guard.TrustedProxies = []string{"127.0.0.1"}
	if addr := os.Getenv(floodRedisEnv); addr != "" {
		cfg.RedisHost, cfg.RedisPort = splitHostPort(addr)
		cfg.RedisPoolSize = 64
	}
	rdb := NewRedisClient(&cfg)
	g, err := New(cfg.Guard, rdb, metrics.New(), zap.NewNop(), time.Now, WithKeyPrefix(os.Getenv(floodPrefixEnv)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mux := http.NewServeMux()
	status := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.OK(w, r, map[string]any{"trade_id": r.PathValue("trade_id"), "status": 1})
	})
	mux.Handle("GET /pay/check-status/{trade_id}", httpx.Chain(status, httpx.RequestIDs(), g.Middleware(httpx.GroupStatus)))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: mux, ReadTimeout: cfg.HTTPReadTimeout, WriteTimeout: cfg.HTTPWriteTimeout,
		IdleTimeout: cfg.HTTPIdleTimeout}
	go func() { _ = srv.Serve(l) }()
	fmt.Printf("LISTEN %s\n", l.Addr())
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	return 0
}

func splitHostPort(addr string) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 6379
	}
	var p int
	_, _ = fmt.Sscanf(port, "%d", &p)
	return host, p
}
