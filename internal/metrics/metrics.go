// Package metrics owns the gateway's Prometheus series. One *Metrics is made
// at start-up on its own registry and passed to every part that reports;
// names start with epusdt_. A nil *Metrics is not allowed: tests use New().
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds every series.
type Metrics struct {
	Registry *prometheus.Registry

	HTTPRequests *prometheus.CounterVec   // route, code
	HTTPDuration *prometheus.HistogramVec // route

	OrdersCreated *prometheus.CounterVec // chain
	OrdersPaid    *prometheus.CounterVec // chain
	OrdersExpired *prometheus.CounterVec // chain
	SlotsHeld     *prometheus.GaugeVec   // chain

	ChainHead        *prometheus.GaugeVec     // chain
	ChainSettled     *prometheus.GaugeVec     // chain
	ChainCursor      *prometheus.GaugeVec     // chain
	ChainLagBlocks   *prometheus.GaugeVec     // chain
	ChainLagSeconds  *prometheus.GaugeVec     // chain
	ChainLastSuccess *prometheus.GaugeVec     // chain (unix seconds)
	RPCCalls         *prometheus.CounterVec   // chain, endpoint, method
	RPCErrors        *prometheus.CounterVec   // chain, endpoint
	RPCDuration      *prometheus.HistogramVec // chain, endpoint
	Reorgs           *prometheus.CounterVec   // chain
	SettledConflicts *prometheus.CounterVec   // chain: settled payment contradicted by RPC

	Transfers *prometheus.CounterVec // chain, result (matched, late, unmatched…)

	CallbackAttempts  *prometheus.CounterVec // result (ok, fail)
	CallbackFailed    prometheus.Counter     // jobs that exhausted their retries
	CallbackQueue     prometheus.Gauge       // due + pending jobs
	CallbackOldestAge prometheus.Gauge       // seconds
	CallbackDelay     prometheus.Histogram   // event (paid, expired) → first acknowledgement

	RateValue *prometheus.GaugeVec // fiat
	RateAge   *prometheus.GaugeVec // fiat

	RateLimited *prometheus.CounterVec // group
	RedisUp     prometheus.Gauge
	DBUp        prometheus.Gauge
	BuildInfo   *prometheus.GaugeVec // version, commit
}

// New registers every series on a fresh registry (with Go and process collectors).
func New() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{r}
	return &Metrics{
		Registry:     r,
		HTTPRequests: f.counterVec("http_requests_total", "HTTP requests by route and status code.", "route", "code"),
		HTTPDuration: f.histVec("http_request_duration_seconds", "HTTP request latency by route.", "route"),

		OrdersCreated: f.counterVec("orders_created_total", "Orders created.", "chain"),
		OrdersPaid:    f.counterVec("orders_paid_total", "Orders marked paid.", "chain"),
		OrdersExpired: f.counterVec("orders_expired_total", "Orders expired.", "chain"),
		SlotsHeld:     f.gaugeVec("amount_slots_held", "Amount slots currently held.", "chain"),

		ChainHead:        f.gaugeVec("chain_head_block", "Latest block seen.", "chain"),
		ChainSettled:     f.gaugeVec("chain_settled_block", "Latest settled block.", "chain"),
		ChainCursor:      f.gaugeVec("chain_cursor_block", "Last block fully scanned.", "chain"),
		ChainLagBlocks:   f.gaugeVec("chain_lag_blocks", "Settled head minus cursor.", "chain"),
		ChainLagSeconds:  f.gaugeVec("chain_lag_seconds", "Age of the cursor block relative to the settled head.", "chain"),
		ChainLastSuccess: f.gaugeVec("chain_last_success_timestamp_seconds", "Unix time of the last successful scan.", "chain"),
		RPCCalls:         f.counterVec("rpc_calls_total", "JSON-RPC calls.", "chain", "endpoint", "method"),
		RPCErrors:        f.counterVec("rpc_errors_total", "JSON-RPC calls that failed.", "chain", "endpoint"),
		RPCDuration:      f.histVec("rpc_duration_seconds", "JSON-RPC call latency.", "chain", "endpoint"),
		Reorgs:           f.counterVec("chain_reorgs_total", "Reorgs detected.", "chain"),
		SettledConflicts: f.counterVec("chain_settled_conflicts_total", "Settled payments an RPC later disagreed with.", "chain"),

		Transfers: f.counterVec("transfers_total", "Transfers stored, by match result.", "chain", "result"),

		CallbackAttempts:  f.counterVec("callback_attempts_total", "Callback delivery attempts by result.", "result"),
		CallbackFailed:    f.counter("callback_failed_total", "Callbacks that exhausted their retries."),
		CallbackQueue:     f.gauge("callback_queue_depth", "Callback jobs pending delivery."),
		CallbackOldestAge: f.gauge("callback_oldest_due_age_seconds", "Age of the oldest due callback job."),
		CallbackDelay: f.hist("callback_delivery_delay_seconds", "Time from an order event (paid, expired) to the merchant's first acknowledgement of its callback, retries included.",
			[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600}),

		RateValue: f.gaugeVec("rate_value", "Current fiat per USDT rate.", "fiat"),
		RateAge:   f.gaugeVec("rate_age_seconds", "Age of the current rate.", "fiat"),

		RateLimited: f.counterVec("rate_limited_total", "Requests refused by the rate limiter.", "group"),
		RedisUp:     f.gauge("redis_up", "1 when Redis answers (or is not configured)."),
		DBUp:        f.gauge("db_up", "1 when the database answers."),
		BuildInfo:   f.gaugeVec("build_info", "Build information.", "version", "commit"),
	}
}

type factory struct{ r *prometheus.Registry }

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "epusdt", Name: name, Help: help}, labels)
	f.r.MustRegister(c)
	return c
}

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "epusdt", Name: name, Help: help})
	f.r.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "epusdt", Name: name, Help: help}, labels)
	f.r.MustRegister(g)
	return g
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "epusdt", Name: name, Help: help})
	f.r.MustRegister(g)
	return g
}

func (f factory) hist(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "epusdt", Name: name, Help: help, Buckets: buckets})
	f.r.MustRegister(h)
	return h
}

func (f factory) histVec(name, help string, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "epusdt", Name: name, Help: help,
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, labels)
	f.r.MustRegister(h)
	return h
}
