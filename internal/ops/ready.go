package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Probe is one readiness check: nil means healthy. The app wraps probes
// in its /readyz check list with a name and a criticality.
type Probe func(ctx context.Context) error

// RedisReady fails when Redis does not answer. ping is the guard's Health
// (or a client's Ping(ctx).Err()).
func RedisReady(ping func(ctx context.Context) error) Probe {
	return func(ctx context.Context) error {
		if err := ping(ctx); err != nil {
			return fmt.Errorf("redis does not answer: %w", err)
		}
		return nil
	}
}

// ChainProgress is what a chain readiness check needs from a watcher.
type ChainProgress struct {
	Leader      bool      // this instance holds the chain's scan lease
	Idle        bool      // no enabled wallet: nothing to scan, never lagging
	LagSeconds  float64   // block time of the settled head minus that of the cursor
	LastSuccess time.Time // end of the last complete scan; zero before the first
}

// ChainStatus reports one chain's progress on this instance; ok is false
// when this instance runs no watcher for the chain.
type ChainStatus interface {
	ChainProgress(chain string) (p ChainProgress, ok bool)
}

// ChainStatusFunc adapts a function to ChainStatus.
type ChainStatusFunc func(chain string) (ChainProgress, bool)

// ChainProgress calls f.
func (f ChainStatusFunc) ChainProgress(chain string) (ChainProgress, bool) { return f(chain) }

// ChainCheck configures ChainReady.
type ChainCheck struct {
	Chain  string
	Status ChainStatus
	MaxLag time.Duration // ready_max_chain_lag
	// CursorAges (store.ScanCursorAges) tells when each chain's shared
	// cursor last moved; used while this instance does not hold the
	// chain's lease, to know that some instance is scanning it. Nil: a
	// non-leader is always ready for this chain.
	CursorAges func(ctx context.Context) (map[string]time.Time, error)
	Now        func() time.Time
}

// ChainReady fails when the chain's scanner is more than MaxLag behind:
// its cursor block is older than the settled head by more than MaxLag, or
// its last complete scan (or, seen from a non-leader, the last move of the
// shared cursor) is older than MaxLag. A chain not scanned yet is given
// MaxLag from the construction of the probe to start.
func ChainReady(c ChainCheck) Probe {
	if c.Now == nil {
		c.Now = time.Now
	}
	started := c.Now()
	return func(ctx context.Context) error {
		p, ok := c.Status.ChainProgress(c.Chain)
		if !ok {
			return fmt.Errorf("%s: no watcher runs for this chain", c.Chain)
		}
		now := c.Now()
		if p.Idle {
			return nil
		}
		if !p.Leader {
			return c.followerReady(ctx, now, started)
		}
		if p.LastSuccess.IsZero() {
			return c.grace(now, started, "no complete scan")
		}
		if since := now.Sub(p.LastSuccess); since > c.MaxLag {
			return fmt.Errorf("%s: last complete scan %s ago (max %s)", c.Chain, since.Truncate(time.Second), c.MaxLag)
		}
		if lag := time.Duration(p.LagSeconds * float64(time.Second)); lag > c.MaxLag {
			return fmt.Errorf("%s: scanner is %s behind the settled head (max %s)", c.Chain, lag.Truncate(time.Second), c.MaxLag)
		}
		return nil
	}
}

func (c ChainCheck) followerReady(ctx context.Context, now, started time.Time) error {
	if c.CursorAges == nil {
		return nil
	}
	ages, err := c.CursorAges(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Chain, err)
	}
	moved, ok := ages[c.Chain]
	if !ok {
		return c.grace(now, started, "no instance has scanned it")
	}
	if since := now.Sub(moved); since > c.MaxLag {
		return fmt.Errorf("%s: scan cursor has not moved for %s (max %s); is any instance scanning it?",
			c.Chain, since.Truncate(time.Second), c.MaxLag)
	}
	return nil
}

func (c ChainCheck) grace(now, started time.Time, what string) error {
	if up := now.Sub(started); up > c.MaxLag {
		return fmt.Errorf("%s: %s within %s of start", c.Chain, what, up.Truncate(time.Second))
	}
	return nil
}

// RateSource gives the current exchange rate of a fiat and when it was
// fetched (rate.Refresher has it).
type RateSource interface {
	Rate(fiat string) (decimal.Decimal, time.Time, error)
}

// RateReady fails when fiat has no usable rate or its rate is older than
// maxAge (rate_max_age): orders in that fiat would be refused with 10006.
func RateReady(src RateSource, fiat string, maxAge time.Duration, now func() time.Time) Probe {
	if now == nil {
		now = time.Now
	}
	return func(context.Context) error {
		_, at, err := src.Rate(fiat)
		if err != nil {
			return fmt.Errorf("no usable %s rate: %w", fiat, err)
		}
		if age := now().Sub(at); age > maxAge {
			return fmt.Errorf("%s rate is %s old (max %s)", fiat, age.Truncate(time.Second), maxAge)
		}
		return nil
	}
}
