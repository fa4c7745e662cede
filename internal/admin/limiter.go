package admin

import (
	"context"
	"sync"
	"time"
)

// MemoryLimiter is a LoginLimiter for one process: at most limit attempts
// per key in each fixed window. Instances behind a load balancer should
// use the shared (Redis) limiter of the guard package instead.
type MemoryLimiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]*windowCount
}

type windowCount struct {
	start time.Time
	n     int
}

// maxLimiterKeys bounds the memory an attacker can make the limiter use.
const maxLimiterKeys = 100_000

// NewMemoryLimiter returns a limiter allowing limit attempts per window.
func NewMemoryLimiter(limit int, window time.Duration, now func() time.Time) *MemoryLimiter {
	return &MemoryLimiter{limit: limit, window: window, now: now, keys: map[string]*windowCount{}}
}

// Allow counts one attempt of key.
func (m *MemoryLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.keys[key]
	if c == nil || now.Sub(c.start) >= m.window {
		if c == nil && len(m.keys) >= maxLimiterKeys {
			m.prune(now)
		}
		c = &windowCount{start: now}
		m.keys[key] = c
	}
	if c.n >= m.limit {
		return false, c.start.Add(m.window).Sub(now), nil
	}
	c.n++
	return true, 0, nil
}

func (m *MemoryLimiter) prune(now time.Time) {
	for k, c := range m.keys {
		if now.Sub(c.start) >= m.window {
			delete(m.keys, k)
		}
	}
}
