// Package guard owns what protects the public endpoints from abuse: the
// sliding-window rate limiter (in memory for one instance, in Redis when
// instances share it), the client address behind trusted proxies, the HTTP
// middleware that answers 429 with rate-limit headers, replay protection
// for signed requests (timestamp window + single-use nonces) and the health
// of the Redis it depends on.
package guard

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
)

// Guard bundles the limiter, client address lookup and replay protection
// over one Store.
type Guard struct {
	cfg     config.Guard
	store   Store
	remote  bool
	limiter *Limiter
	ips     *ClientIPs
	metrics *metrics.Metrics
	log     *zap.Logger
	now     func() time.Time
}

// Option tunes New.
type Option func(*settings)

type settings struct {
	prefix     string
	maxKeys    int
	maxNonces  int
	timeout    time.Duration
	retryEvery time.Duration
	logEvery   time.Duration
}

// WithKeyPrefix sets the Redis key prefix (default DefaultKeyPrefix); tests
// use a random one.
func WithKeyPrefix(p string) Option { return func(s *settings) { s.prefix = p } }

// WithMemoryCaps bounds the in-memory store (defaults DefaultMaxKeys,
// DefaultMaxNonces).
func WithMemoryCaps(keys, nonces int) Option {
	return func(s *settings) { s.maxKeys, s.maxNonces = keys, nonces }
}

// WithStoreTimeout bounds each Redis call (default 300 ms).
func WithStoreTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithRetryInterval sets how long after a Redis failure calls fail fast
// before one probes again (default 1 s).
func WithRetryInterval(d time.Duration) Option { return func(s *settings) { s.retryEvery = d } }

// WithLogInterval sets how often a continuing Redis outage is logged
// again (default 1 min).
func WithLogInterval(d time.Duration) Option { return func(s *settings) { s.logEvery = d } }

// New builds the guard. rdb is the shared Redis client (NewRedisClient);
// nil keeps counters and nonces in memory. now is the clock of replay
// checks and of the in-memory store.
func New(cfg config.Guard, rdb *redis.Client, m *metrics.Metrics, log *zap.Logger, now func() time.Time, opts ...Option) (*Guard, error) {
	s := settings{timeout: 300 * time.Millisecond, retryEvery: time.Second, logEvery: time.Minute}
	for _, o := range opts {
		o(&s)
	}
	g := &Guard{cfg: cfg, metrics: m, log: log, now: now}
	m.RedisUp.Set(1)
	if rdb == nil {
		g.store = NewMemoryStore(s.maxKeys, s.maxNonces, now)
	} else {
		g.remote = true
		g.store = &watchedStore{inner: NewRedisStore(rdb, s.prefix), name: "redis", timeout: s.timeout,
			retryEvery: s.retryEvery, logEvery: s.logEvery, log: log, up: m.RedisUp, now: now}
	}
	var err error
	if g.limiter, err = NewLimiter(cfg, g.store, now); err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	if g.ips, err = NewClientIPs(cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	return g, nil
}

// Limiter returns the rate limiter, for callers that limit by their own
// key (e.g. admin login per user name).
func (g *Guard) Limiter() *Limiter { return g.limiter }

// ClientIP returns the client address of r, honouring trusted proxies.
func (g *Guard) ClientIP(r *http.Request) string { return g.ips.ClientIP(r) }

// Health reports whether the guard's store answers: nil without Redis, the
// Redis error otherwise (for /readyz details). A success also ends a
// recorded outage at once.
func (g *Guard) Health(ctx context.Context) error {
	if !g.remote {
		return nil
	}
	return g.store.Ping(ctx)
}
