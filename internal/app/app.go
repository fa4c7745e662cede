// Package app wires the gateway together: configuration, logger, store,
// metrics, the HTTP server with every adapter's routes, and the background
// loops (scanners, callback workers, expirer, rate refresher), all under one
// context with a graceful shutdown.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/guard"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/ops"
	"github.com/epusdt/epusdt/internal/store"
)

// Loop is a background task run until the context ends.
type Loop struct {
	Name string
	Run  func(ctx context.Context) error
}

// App is a running gateway.
type App struct {
	cfg      *config.Config
	log      *zap.Logger
	store    *store.Store
	metrics  *metrics.Metrics
	version  string
	instance string
	now      func() time.Time

	routes  []httpx.Route
	loops   []Loop
	checks  []Check
	wrap    func(group string) []httpx.Middleware
	closers []func() error

	redis   *redis.Client // nil without redis_host
	guard   *guard.Guard
	c       components
	secrets []string

	// GeneratedAdminPassword is the first admin's password when New
	// generated it (print it once); "" otherwise.
	GeneratedAdminPassword string
}

// Options are what main hands to New besides the configuration.
type Options struct {
	Version string
	Secrets []string // secret values to mask in audit details
	Log     *zap.Logger
	Now     func() time.Time
}

// New opens the store (migrating it) and builds every component.
func New(ctx context.Context, cfg *config.Config, o Options) (*App, error) {
	st, applied, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if len(applied) > 0 {
		o.Log.Info("database migrated", zap.Ints("versions", applied))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &App{cfg: cfg, log: o.Log, store: st, metrics: metrics.New(), version: o.Version,
		instance: instanceID(), now: o.Now, secrets: o.Secrets}
	a.metrics.BuildInfo.WithLabelValues(o.Version, "").Set(1)
	a.checks = append(a.checks, Check{Name: "database", Critical: true, Fn: a.dbCheck})
	if err := a.build(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// Store returns the app's store (for tests and CLI helpers).
func (a *App) Store() *store.Store { return a.store }

// Handler returns the full HTTP handler with every route and middleware.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	routes := append(healthRoutes(func() []Check { return a.checks }), a.routes...)
	for _, rt := range routes {
		mws := []httpx.Middleware{ops.Instrument(a.metrics, rt.Pattern), httpx.Recover(a.log)}
		if a.wrap != nil {
			mws = append(mws, a.wrap(rt.Group)...)
		}
		mux.Handle(rt.Pattern, httpx.Chain(rt.Handler, mws...))
	}
	outer := []httpx.Middleware{httpx.RequestIDs(), httpx.Recover(a.log), httpx.BodyLimit(a.cfg.HTTPBodyLimit)}
	if a.cfg.AppDebug {
		outer = append(outer, httpx.AccessLog(a.log))
	}
	return httpx.Chain(mux, outer...)
}

// Run serves HTTP and runs the loops until ctx ends, then shuts down
// gracefully: stop accepting, finish in-flight requests, stop the loops,
// close the database — all within shutdown_timeout.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: a.cfg.HTTPReadTimeout,
		ReadTimeout:       a.cfg.HTTPReadTimeout,
		WriteTimeout:      a.cfg.HTTPWriteTimeout,
		IdleTimeout:       a.cfg.HTTPIdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(a.log.Named("http")),
	}
	loopCtx, stopLoops := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLoops()
	var wg sync.WaitGroup
	for _, l := range a.loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.runLoop(loopCtx, l)
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info("gateway started", zap.String("listen", ln.Addr().String()), zap.String("version", a.version),
		zap.String("db", string(a.store.Dialect())), zap.String("instance", a.instance))

	if a.c.bot != nil {
		a.c.bot.NotifyStarted()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("http server: %w", err)
	}
	a.log.Info("shutting down", zap.Duration("timeout", a.cfg.ShutdownTimeout))
	shutCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if a.c.bot != nil {
		a.c.bot.NotifyStopping(shutCtx)
	}
	if e := srv.Shutdown(shutCtx); e != nil && !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("http shutdown: %w", e))
	}
	stopLoops()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-shutCtx.Done():
		err = errors.Join(err, errors.New("background loops did not stop within shutdown_timeout"))
	}
	for _, c := range a.closers {
		if e := c(); e != nil {
			err = errors.Join(err, e)
		}
	}
	if e := a.store.Close(); e != nil {
		err = errors.Join(err, fmt.Errorf("close database: %w", e))
	}
	a.log.Info("gateway stopped")
	return err
}

// runLoop runs one loop, restarting it after an unexpected error so one
// failing part never stops the others.
func (a *App) runLoop(ctx context.Context, l Loop) {
	backoff := time.Second
	for {
		err := l.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		a.log.Error("background loop stopped; restarting", zap.String("loop", l.Name), zap.Error(err), zap.Duration("after", backoff))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Minute)
	}
}

func instanceID() string {
	return httpx.NewID()[:12]
}
