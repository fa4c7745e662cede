// Package payment owns the payment rules: turning a merchant request into an
// order (exchange rate, USDT amount, a unique amount slot on one of the
// chain's wallets, idempotency by order_id), cancelling and querying orders,
// expiring them, and matching settled on-chain transfers to orders (paid,
// late, or unmatched with a reason). It is the only package that changes an
// order's state; it writes through store, in one transaction with the slot or
// the callback job that goes with each change.
package payment

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/metrics"
	"github.com/epusdt/epusdt/internal/store"
)

// Errors the API maps to Epusdt codes.
var (
	ErrOrderExists    = errors.New("order_id already used")                 // 10002
	ErrNoWallet       = errors.New("no enabled wallet for the chain")       // 10003
	ErrAmountTooSmall = errors.New("amount below the smallest unit (0.01)") // 10004
	ErrNoSlot         = errors.New("every amount slot is taken")            // 10005
	ErrNoRate         = errors.New("no usable exchange rate")               // 10006
	ErrNotFound       = errors.New("order not found")                       // 10008
	ErrOrderPaid      = errors.New("the order is paid and cannot be canceled")
)

// ValidationError is a request field with a bad value; the API answers 400
// naming the field.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// RateSource gives the usable exchange rate (fiat units per USDT) of a fiat
// and when it was fetched; rate.Refresher implements it.
type RateSource interface {
	Rate(fiat string) (decimal.Decimal, time.Time, error)
}

// TradeTypes returns the accepted trade_type values.
func TradeTypes() []string {
	return []string{"usdt.trc20", "usdt.erc20", "usdt.bep20", "usdt.polygon"}
}

// ChainOf returns the chain of a BEpusdt-style trade_type.
func ChainOf(tradeType string) (string, bool) {
	switch tradeType {
	case "usdt.trc20":
		return address.Tron, true
	case "usdt.erc20":
		return address.Ethereum, true
	case "usdt.bep20":
		return address.BSC, true
	case "usdt.polygon":
		return address.Polygon, true
	}
	return "", false
}

// chainToken is one chain's USDT as orders and transfers record it.
type chainToken struct {
	enabled  bool
	contract string // canonical form, as transfers store it
	decimals int
}

// Deps are what a Service needs.
type Deps struct {
	Store   *store.Store
	Config  *config.Config
	Rates   RateSource
	Metrics *metrics.Metrics
	Now     func() time.Time
	Log     *zap.Logger
	// Wake, when set, is called after a transaction that queued a callback
	// job has committed, so the callback worker delivers it now instead of
	// at its next poll.
	Wake func()
}

// Service applies the payment rules. It is safe for concurrent use.
type Service struct {
	store   *store.Store
	orders  config.Orders
	cb      config.Callback
	prioPay int
	prioExp int
	tokens  map[string]chainToken
	rates   RateSource
	metrics *metrics.Metrics
	now     func() time.Time
	log     *zap.Logger
	group   *group // non-nil on SQLite: creates share transactions
	wake    func() // never nil
}

// New checks the configuration it depends on and returns a Service.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.Config == nil || d.Rates == nil || d.Metrics == nil {
		return nil, errors.New("payment: store, config, rates and metrics are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	s := &Service{store: d.Store, orders: d.Config.Orders, cb: d.Config.Callback, prioPay: d.Config.QueueLevelCritical,
		prioExp: d.Config.QueueLevelLow, tokens: map[string]chainToken{}, rates: d.Rates, metrics: d.Metrics,
		now: d.Now, log: d.Log, wake: d.Wake}
	if s.wake == nil {
		s.wake = func() {}
	}
	if d.Store.Dialect() == store.SQLite {
		s.group = &group{st: d.Store}
	}
	for name, ch := range d.Config.Chains() {
		contract, err := address.Normalize(name, ch.USDTContract)
		if err != nil {
			return nil, fmt.Errorf("payment: %s USDT contract %q: %w", name, ch.USDTContract, err)
		}
		s.tokens[name] = chainToken{enabled: ch.Enabled, contract: contract, decimals: ch.USDTDecimals}
	}
	if _, ok := ChainOf(s.orders.DefaultTradeType); !ok {
		return nil, fmt.Errorf("payment: default_trade_type %q is unknown", s.orders.DefaultTradeType)
	}
	return s, nil
}

// clock returns now in UTC at the millisecond precision the store keeps.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// EffectiveStatus is the status to show for o at now: a waiting order past
// its expiry is expired even before the expirer has written it.
func EffectiveStatus(o store.Order, now time.Time) int {
	if o.Status == store.OrderWaiting && !now.Before(o.ExpiresAt) {
		return store.OrderExpired
	}
	return o.Status
}
