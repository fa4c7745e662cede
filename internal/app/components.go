package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/epusdt/epusdt/internal/admin"
	"github.com/epusdt/epusdt/internal/api"
	"github.com/epusdt/epusdt/internal/audit"
	"github.com/epusdt/epusdt/internal/chain"
	"github.com/epusdt/epusdt/internal/guard"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/notify"
	"github.com/epusdt/epusdt/internal/payment"
	"github.com/epusdt/epusdt/internal/rate"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/telegram"
)

// components are the parts New builds, kept for wiring between them.
type components struct {
	tokens  *admin.Tokens
	rates   *rate.Refresher
	payment *payment.Service
	chains  *chain.Manager
	worker  *notify.Worker
	audit   *audit.Recorder
	bot     *telegram.Bot
}

func (a *App) loop(name string, run func(ctx context.Context) error) {
	a.loops = append(a.loops, Loop{Name: name, Run: run})
}

// buildCore wires the payment path: token, rates, callback
// worker, payment rules, chain watchers and the merchant API.
func (a *App) buildCore(ctx context.Context) error {
	c, cfg := &a.c, a.cfg
	c.tokens = admin.NewTokens(a.store, cfg.APIAuthToken, a.now)
	if err := c.tokens.Load(ctx); err != nil {
		return fmt.Errorf("load api token: %w", err)
	}
	a.loop("api-token", c.tokens.Run)

	sources, err := rate.Sources(cfg.Rates, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("rate sources: %w", err)
	}
	c.rates = rate.NewRefresher(cfg.Rates, cfg.Orders.DefaultFiat, sources, a.metrics, a.now, a.log.Named("rate"))
	a.loop("rates", c.rates.Run)

	c.worker = notify.NewWorker(notify.Options{Store: a.store, TokenFunc: c.tokens.Current, Callback: cfg.Callback,
		Concurrency: cfg.QueueConcurrency, Levels: []int{cfg.QueueLevelCritical, cfg.QueueLevelDefault, cfg.QueueLevelLow},
		Metrics: a.metrics, Log: a.log.Named("notify"), Now: a.now, Instance: a.instance})
	a.loop("callbacks", c.worker.Run)

	c.payment, err = payment.New(payment.Deps{Store: a.store, Config: cfg, Rates: c.rates, Metrics: a.metrics, Now: a.now,
		Log: a.log.Named("payment"), Wake: c.worker.Wake})
	if err != nil {
		return err
	}
	a.loop("expirer", c.payment.Run)

	c.chains, err = chain.NewManager(chain.ManagerOptions{Config: cfg, Store: a.store, Sink: c.payment, Metrics: a.metrics,
		Log: a.log.Named("chain"), Instance: a.instance, Now: a.now})
	if err != nil {
		return err
	}
	a.loop("chains", c.chains.Run)

	merchant, err := api.New(api.Deps{Config: cfg, Payment: c.payment, Progress: c.chains, Replay: a.guard, Token: c.tokens.Current,
		URLCheck: func(ctx context.Context, raw string) error {
			return notify.CheckURL(ctx, raw, cfg.Callback.BlockPrivate)
		},
		Log: a.log.Named("api"), Now: a.now})
	if err != nil {
		return err
	}
	a.routes = append(a.routes, merchant.Routes()...)
	a.routes = append(a.routes, merchant.GreetingRoute())
	return nil
}

// buildOperators wires the admin console, the audit log and the Telegram bot.
func (a *App) buildOperators(ctx context.Context) error {
	c, cfg := &a.c, a.cfg
	c.audit = audit.New(audit.Options{Store: a.store, Enabled: cfg.AuditLogEnabled, RetentionDays: cfg.AuditRetention,
		Now: a.now, Log: a.log.Named("audit"), Secrets: a.secrets})
	a.loop("audit-retention", c.audit.Run)
	pw, err := admin.EnsureInitialAdmin(ctx, a.store, cfg.AdminInitUsername, cfg.AdminInitPassword, a.now())
	if err != nil {
		return err
	}
	a.GeneratedAdminPassword = pw
	g := a.guard
	console, err := admin.New(admin.Deps{Config: cfg, Store: a.store, Audit: c.audit, Orders: orderActions{c.payment},
		Callbacks: resender{a.store, c.worker, a.now}, Verifier: chainVerifier{c.chains}, Chains: chainStates{c.chains},
		Rates: c.rates, Tokens: c.tokens, ClientIP: g.ClientIP, Now: a.now, Log: a.log.Named("admin"),
		Limiter: loginLimiter{g}})
	if err != nil {
		return err
	}
	a.routes = append(a.routes, console.Routes()...)
	a.loop("admin", console.Run)

	c.bot = telegram.New(cfg, a.store, telegram.Deps{Chains: telegram.ChainStatusFunc(a.telegramChains), Rate: c.rates,
		Resender: resender{a.store, c.worker, a.now}, Instance: a.instance, Version: a.version,
		Checks: a.telegramChecks()}, a.log.Named("telegram"), a.now)
	a.loop("telegram", c.bot.Run)
	return nil
}

// resender resends a callback and wakes the local worker.
type resender struct {
	st  *store.Store
	w   *notify.Worker
	now func() time.Time
}

func (r resender) Resend(ctx context.Context, tradeID string) error {
	if _, err := notify.Resend(ctx, r.st, tradeID, r.now()); err != nil {
		return err
	}
	r.w.Wake()
	return nil
}

// orderActions adapts payment to the admin console.
type orderActions struct{ p *payment.Service }

func (o orderActions) Cancel(ctx context.Context, tradeID string) error {
	_, err := o.p.CancelOrder(ctx, tradeID)
	return err
}

func (o orderActions) MarkPaid(ctx context.Context, tradeID string, t store.Transfer) error {
	return o.p.PayWithTransfer(ctx, tradeID, t)
}

// chainVerifier adapts the chain manager's receipt lookup to the console.
type chainVerifier struct{ m *chain.Manager }

func (v chainVerifier) Verify(ctx context.Context, chainName, txHash string) ([]store.Transfer, error) {
	ts, err := v.m.VerifyTx(ctx, chainName, txHash)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", admin.ErrTxNotFound, err)
	}
	return ts, nil
}

type chainStates struct{ m *chain.Manager }

func (c chainStates) States() []admin.ChainState {
	var out []admin.ChainState
	for _, name := range c.m.Chains() {
		s := c.m.States()[name]
		out = append(out, admin.ChainState{Chain: name, Leader: s.Leader, Idle: s.Idle, Head: s.Head, Settled: s.Settled,
			Cursor: s.Cursor, LagBlocks: s.LagBlocks, LagSeconds: s.LagSeconds, RPCErrors: s.RPCErrors,
			LastSuccess: s.LastSuccess, LastError: s.LastError})
	}
	return out
}

func (a *App) telegramChains() []telegram.ChainState {
	var out []telegram.ChainState
	states := a.c.chains.States()
	for _, name := range a.c.chains.Chains() {
		s := states[name]
		out = append(out, telegram.ChainState{Chain: name, Leader: s.Leader, Idle: s.Idle,
			Lag: time.Duration(s.LagSeconds * float64(time.Second)), LagBlocks: s.LagBlocks,
			RPCFailing: s.LastError != "", LastError: s.LastError, LastSuccess: s.LastSuccess})
	}
	return out
}

func (a *App) telegramChecks() []telegram.Check {
	var out []telegram.Check
	for _, c := range a.checks {
		out = append(out, telegram.Check{Name: c.Name, Fn: c.Fn})
	}
	return out
}

// loginLimiter adapts the guard to the console's per-user login limit.
type loginLimiter struct{ g *guard.Guard }

func (l loginLimiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	d, err := l.g.Limiter().Allow(ctx, httpx.GroupLogin, key)
	return d.Allowed, d.RetryAfter, err
}
