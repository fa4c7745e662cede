package rate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
)

// Fiats lists the fiat currencies orders may be priced in.
func Fiats() []string { return []string{"CNY", "USD"} }

// IsFiat reports whether code (upper case) is a supported fiat.
func IsFiat(code string) bool { return code == "CNY" || code == "USD" }

// ErrNoRate is returned when no usable rate exists: none fetched yet, or
// the newest is older than rate_max_age. Orders then fail with 10006.
var ErrNoRate = errors.New("no usable exchange rate")

// Sources builds the configured providers in preference order.
// A nil client gets a 10 s timeout.
func Sources(cfg config.Rates, client *http.Client) ([]Source, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	var out []Source
	for _, name := range cfg.Sources {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "okx":
			out = append(out, NewOKX(client, cfg.OKXURL))
		case "coingecko":
			out = append(out, NewCoinGecko(client, cfg.CoinGeckoURL))
		default:
			return nil, fmt.Errorf("rate source %q is unknown (want okx or coingecko)", name)
		}
	}
	return out, nil
}

// fetchTimeout bounds one provider request.
const fetchTimeout = 15 * time.Second

type quote struct {
	rate   decimal.Decimal
	at     time.Time
	source string
}

// Refresher keeps the latest good rate of every fiat, fetched in the
// background from the sources in order (the first that answers wins).
//
// Rules: forced_usdt_rate > 0 is the rate of default_fiat, exactly, without
// adjustment and without asking any provider; other fiats (USD when the
// default is CNY) still need a provider. USD is never assumed to be 1: it
// comes from a provider like any other fiat. A fetched rate is multiplied
// by (1 + rate_adjust_percent/100) and rounded to 8 decimals; a positive
// adjustment thus means fewer USDT per fiat amount. A rate older than
// rate_max_age is not used (payment answers 10006).
type Refresher struct {
	cfg     config.Rates
	forced  string // the fiat the forced rate applies to
	sources []Source
	metrics *metrics.Metrics
	now     func() time.Time
	log     *zap.Logger

	mu     sync.RWMutex
	quotes map[string]quote
}

// NewRefresher returns a refresher over sources. defaultFiat is the fiat
// forced_usdt_rate applies to (config default_fiat).
func NewRefresher(cfg config.Rates, defaultFiat string, sources []Source, m *metrics.Metrics, now func() time.Time, log *zap.Logger) *Refresher {
	return &Refresher{cfg: cfg, forced: strings.ToUpper(defaultFiat), sources: sources, metrics: m, now: now, log: log,
		quotes: map[string]quote{}}
}

// Rate returns the usable rate of fiat (fiat units per USDT) and when it was
// fetched, or ErrNoRate.
func (r *Refresher) Rate(fiat string) (decimal.Decimal, time.Time, error) {
	if r.cfg.ForcedUSDTRate.IsPositive() && fiat == r.forced {
		return r.cfg.ForcedUSDTRate, r.now(), nil
	}
	r.mu.RLock()
	q, ok := r.quotes[fiat]
	r.mu.RUnlock()
	if !ok {
		return decimal.Decimal{}, time.Time{}, fmt.Errorf("%s: %w (none fetched yet)", fiat, ErrNoRate)
	}
	if age := r.now().Sub(q.at); age > r.cfg.MaxAge {
		return decimal.Decimal{}, time.Time{}, fmt.Errorf("%s: %w (newest is %s old, max %s)", fiat, ErrNoRate,
			age.Truncate(time.Second), r.cfg.MaxAge)
	}
	return q.rate, q.at, nil
}

// Run refreshes at once and then every rate_refresh_interval until ctx ends.
func (r *Refresher) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.RefreshInterval)
	defer t.Stop()
	for {
		r.runOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// runOnce refreshes every fiat that needs a provider and updates the metrics.
func (r *Refresher) runOnce(ctx context.Context) {
	for _, fiat := range Fiats() {
		if r.cfg.ForcedUSDTRate.IsPositive() && fiat == r.forced {
			r.metrics.RateValue.WithLabelValues(fiat).Set(r.cfg.ForcedUSDTRate.InexactFloat64())
			r.metrics.RateAge.WithLabelValues(fiat).Set(0)
			continue
		}
		if err := r.refresh(ctx, fiat); err != nil && len(r.sources) > 0 {
			r.log.Warn("exchange rate refresh failed; keeping the previous rate until it is too old",
				zap.String("fiat", fiat), zap.Error(err))
		}
		r.mu.RLock()
		q, ok := r.quotes[fiat]
		r.mu.RUnlock()
		if ok {
			r.metrics.RateValue.WithLabelValues(fiat).Set(q.rate.InexactFloat64())
			r.metrics.RateAge.WithLabelValues(fiat).Set(r.now().Sub(q.at).Seconds())
		}
	}
}

// refresh asks the sources in order and keeps the first good answer.
func (r *Refresher) refresh(ctx context.Context, fiat string) error {
	var errs []error
	for _, s := range r.sources {
		fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
		d, err := s.Fetch(fctx, fiat)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Rounded to 8 decimals: exact enough, and short enough to store.
		adj := d.Mul(decimal.NewFromInt(1).Add(r.cfg.AdjustPercent.Div(decimal.NewFromInt(100)))).Round(8)
		r.mu.Lock()
		r.quotes[fiat] = quote{rate: adj, at: r.now(), source: s.Name()}
		r.mu.Unlock()
		return nil
	}
	if len(errs) == 0 {
		return fmt.Errorf("%s: no rate source configured", fiat)
	}
	return errors.Join(errs...)
}
