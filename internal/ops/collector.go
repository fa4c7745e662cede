package ops

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
)

// GaugeSource is the store query the collector runs (store.Store has it).
type GaugeSource interface {
	OpsGauges(ctx context.Context, now time.Time) (store.OpsGauges, error)
}

// CollectorOptions configure NewCollector.
type CollectorOptions struct {
	Store    GaugeSource
	Metrics  *metrics.Metrics
	Chains   []string      // chains whose slot gauge is reset to 0 when none is held
	Interval time.Duration // default 15 s
	Now      func() time.Time
	Log      *zap.Logger
}

// Collector refreshes the gauges that come from the database: callback
// queue depth, age of the oldest due callback, amount slots held per chain,
// and db_up. Every instance runs it; the numbers are the same everywhere
// because they come from the shared database.
type Collector struct {
	o        CollectorOptions
	failures int
}

// NewCollector returns a collector; Run starts it.
func NewCollector(o CollectorOptions) *Collector {
	if o.Interval <= 0 {
		o.Interval = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return &Collector{o: o}
}

// Run refreshes at once and then every interval until ctx ends.
func (c *Collector) Run(ctx context.Context) error {
	t := time.NewTicker(c.o.Interval)
	defer t.Stop()
	for {
		c.runOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// runOnce reads the numbers and sets the gauges. A failed read sets db_up
// to 0 and keeps the previous values of the other gauges; the failure is
// logged on the first occurrence and then every 20th, so an outage does
// not flood the log.
func (c *Collector) runOnce(ctx context.Context) {
	m := c.o.Metrics
	now := c.o.Now()
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	g, err := c.o.Store.OpsGauges(qctx, now)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		m.DBUp.Set(0)
		if c.failures%20 == 0 {
			c.o.Log.Warn("metrics collector: database query failed", zap.Error(err), zap.Int("failures", c.failures+1))
		}
		c.failures++
		return
	}
	c.failures = 0
	m.DBUp.Set(1)
	m.CallbackQueue.Set(float64(g.CallbackPending))
	age := 0.0
	if g.OldestDue != nil {
		age = max(now.Sub(*g.OldestDue).Seconds(), 0)
	}
	m.CallbackOldestAge.Set(age)
	for _, chain := range c.o.Chains {
		if _, ok := g.SlotsHeld[chain]; !ok {
			m.SlotsHeld.WithLabelValues(chain).Set(0)
		}
	}
	for chain, n := range g.SlotsHeld {
		m.SlotsHeld.WithLabelValues(chain).Set(float64(n))
	}
}
