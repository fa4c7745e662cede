package app

import (
	"context"
	"fmt"

	"github.com/epusdt/epusdt/internal/guard"
	"github.com/epusdt/epusdt/internal/httpx"
)

// build constructs the components and collects their routes, loops and
// readiness checks.
func (a *App) build(ctx context.Context) error {
	if err := a.buildGuard(); err != nil {
		return err
	}
	if err := a.buildCore(ctx); err != nil {
		return err
	}
	if err := a.buildOperators(ctx); err != nil {
		return err
	}
	return a.buildOps()
}

// buildGuard sets up rate limiting and replay protection, shared through
// Redis when redis_host is set.
func (a *App) buildGuard() error {
	rdb := guard.NewRedisClient(a.cfg)
	if rdb != nil {
		a.closers = append(a.closers, func() error { return rdb.Close() })
	}
	a.redis = rdb
	g, err := guard.New(a.cfg.Guard, rdb, a.metrics, a.log.Named("guard"), a.now)
	if err != nil {
		return fmt.Errorf("rate limiter: %w", err)
	}
	a.guard = g
	a.wrap = func(group string) []httpx.Middleware { return []httpx.Middleware{g.Middleware(group)} }
	if rdb != nil {
		a.checks = append(a.checks, Check{Name: "redis", Critical: false, Fn: g.Health})
	} else {
		a.metrics.RedisUp.Set(1)
	}
	return nil
}
