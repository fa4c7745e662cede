package app

import (
	"github.com/epusdt/epusdt/internal/ops"
)

// buildOps wires /metrics (on the main port behind metrics_token, or on
// metrics_listen), the DB-derived gauges and the readiness checks of Redis,
// each enabled chain and the exchange rate.
func (a *App) buildOps() error {
	cfg := a.cfg
	exp := ops.NewExporter(a.metrics, cfg.Ops)
	a.routes = append(a.routes, exp.Routes()...)
	if cfg.Ops.MetricsListen != "" {
		srv := exp.Server(cfg.Ops.MetricsListen)
		if err := srv.Listen(); err != nil {
			return err
		}
		a.loop("metrics", srv.Run)
	}
	chains := a.c.chains.Chains()
	a.loop("ops-collector", ops.NewCollector(ops.CollectorOptions{Store: a.store, Metrics: a.metrics, Chains: chains,
		Now: a.now, Log: a.log.Named("ops")}).Run)
	if a.redis != nil {
		// buildGuard added a plain Redis check; make it critical when the API fails closed.
		for i := range a.checks {
			if a.checks[i].Name == "redis" {
				a.checks[i] = Check{Name: "redis", Critical: !cfg.Guard.FailOpen, Fn: ops.RedisReady(a.guard.Health)}
			}
		}
	}
	status := ops.ChainStatusFunc(func(c string) (ops.ChainProgress, bool) {
		s, ok := a.c.chains.States()[c]
		return ops.ChainProgress{Leader: s.Leader, Idle: s.Idle, LagSeconds: s.LagSeconds, LastSuccess: s.LastSuccess}, ok
	})
	for _, name := range chains {
		a.checks = append(a.checks, Check{Name: "chain:" + name, Critical: true, Fn: ops.ChainReady(ops.ChainCheck{
			Chain: name, MaxLag: cfg.Ops.ReadyMaxLag, CursorAges: a.store.ScanCursorAges, Now: a.now, Status: status})})
	}
	fiat := cfg.Orders.DefaultFiat
	a.checks = append(a.checks, Check{Name: "rate:" + fiat, Critical: false,
		Fn: ops.RateReady(a.c.rates, fiat, cfg.Rates.MaxAge, a.now)})
	return nil
}
