// Package ops owns what an operator watches the gateway through: the
// Prometheus /metrics endpoint (on the main port behind an optional bearer
// token, or on its own metrics_listen address), request instrumentation,
// the collector loop that turns database state into gauges (callback
// backlog, amount slots held), ready-made /readyz checks (Redis, chain lag,
// exchange-rate age) and the online SQLite backup used by scripts/backup.sh.
package ops
