package guard

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Store keeps the guard's shared state: sliding-window counters and seen
// nonces. MemoryStore serves one process; RedisStore is shared by every
// gateway instance using the same Redis.
type Store interface {
	// Hit counts one request for key if it fits limit requests per window,
	// atomically, and reports the counters it saw.
	Hit(ctx context.Context, key string, limit int, window time.Duration) (Count, error)
	// Claim records key for ttl; it reports false when key was already
	// recorded and has not expired.
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
}

// errUnavailable is returned without asking the store while a recent
// failure is cooling down.
var errUnavailable = errors.New("store unavailable (cooling down after a failure)")

// errFull is a MemoryStore refusal that is not an outage.
var errFull = errors.New("store full")

// watchedStore wraps a Store with a per-call timeout, a short circuit
// breaker (after a failure, calls fail fast until retryEvery has passed,
// then one call probes), the redis_up metric, and outage logs written once
// per logEvery rather than once per request. It never latches: the first
// successful probe or Ping closes it again.
type watchedStore struct {
	inner      Store
	name       string
	timeout    time.Duration
	retryEvery time.Duration
	logEvery   time.Duration
	log        *zap.Logger
	up         prometheus.Gauge
	now        func() time.Time

	mu        sync.Mutex
	down      bool
	probing   bool
	retryAt   time.Time
	downSince time.Time
	lastLog   time.Time
	failures  int
}

func (s *watchedStore) Hit(ctx context.Context, key string, limit int, window time.Duration) (Count, error) {
	var c Count
	err := s.call(ctx, func(ctx context.Context) (err error) {
		c, err = s.inner.Hit(ctx, key, limit, window)
		return err
	})
	return c, err
}

func (s *watchedStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	var fresh bool
	err := s.call(ctx, func(ctx context.Context) (err error) {
		fresh, err = s.inner.Claim(ctx, key, ttl)
		return err
	})
	return fresh, err
}

// Ping asks the store even while the breaker is open, so readiness checks
// see the truth and a success closes the breaker at once.
func (s *watchedStore) Ping(ctx context.Context) error {
	err := s.inner.Ping(ctx)
	if ctx.Err() == nil {
		s.record(err)
	}
	return err
}

func (s *watchedStore) call(ctx context.Context, fn func(context.Context) error) error {
	if err := s.admit(); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	err := fn(cctx)
	cancel()
	if ctx.Err() != nil {
		// The caller went away; that says nothing about the store.
		s.release()
		return err
	}
	s.record(err)
	return err
}

// admit lets a call through unless the breaker is open; after retryEvery
// one caller at a time probes.
func (s *watchedStore) admit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down {
		return nil
	}
	if s.probing || s.now().Before(s.retryAt) {
		return errUnavailable
	}
	s.probing = true
	return nil
}

func (s *watchedStore) release() {
	s.mu.Lock()
	s.probing = false
	s.mu.Unlock()
}

func (s *watchedStore) record(err error) {
	if errors.Is(err, errFull) {
		err = nil
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.probing = false
	if err == nil {
		if s.down {
			s.log.Info(s.name+" reachable again", zap.Duration("outage", now.Sub(s.downSince)),
				zap.Int("failed_checks", s.failures))
		}
		s.down, s.failures = false, 0
		s.up.Set(1)
		return
	}
	s.failures++
	s.retryAt = now.Add(s.retryEvery)
	s.up.Set(0)
	switch {
	case !s.down:
		s.down, s.downSince, s.lastLog, s.failures = true, now, now, 1
		s.log.Warn(s.name+" unavailable: rate limits and nonces follow the fail-open settings", zap.Error(err))
	case now.Sub(s.lastLog) >= s.logEvery:
		s.lastLog = now
		s.log.Warn(s.name+" still unavailable", zap.Duration("outage", now.Sub(s.downSince)),
			zap.Int("failed_checks", s.failures), zap.Error(err))
	}
}
