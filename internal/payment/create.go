package payment

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/money"
	"github.com/epusdt/epusdt/internal/rate"
	"github.com/epusdt/epusdt/internal/store"
)

// CreateRequest is a validated-by-type merchant request to create an order.
type CreateRequest struct {
	OrderID     string
	Amount      decimal.Decimal // the exact fiat amount
	AmountText  string          // the amount as signed (shortest float text), stored and echoed
	NotifyURL   string
	RedirectURL string
	TradeType   string        // "" = default_trade_type
	Fiat        string        // "" = default_fiat
	Timeout     time.Duration // 0 = order_expiration_time; clamped to order_timeout_min/max
}

// errActiveTaken says another waiting or paid order holds the order_id.
var errActiveTaken = errors.New("order_id is held by another order")

// maxCreateAttempts bounds retries after an order_id race or a database
// deadlock; each retry re-reads the state and so converges quickly.
const maxCreateAttempts = 8

// CreateOrder creates an order or, for a repeated request, returns the
// existing one. Idempotency: the same order_id while its order waits, with
// the same amount, notify_url, trade_type and fiat, returns that order; with
// other values, or when it is paid, ErrOrderExists; an expired order_id gets
// a new trade.
func (s *Service) CreateOrder(ctx context.Context, req CreateRequest) (store.Order, error) {
	req, err := s.normalize(req)
	if err != nil {
		return store.Order{}, err
	}
	// Optimistic first try: the order_id's unique key (active_order_id)
	// detects a waiting or paid order. Only when a try fails are the
	// order_id's trades read: a repeated request then gets its order even
	// when no slot or rate is left for a new one.
	o, err := s.create(ctx, req)
	for attempt := 2; err != nil; attempt++ {
		taken := errors.Is(err, errActiveTaken)
		if attempt == 2 || taken {
			prev, done, xerr := s.existing(ctx, req)
			if done || xerr != nil {
				return prev, xerr
			}
		}
		if !taken && !store.IsTxConflict(err) {
			return store.Order{}, err
		}
		if attempt > maxCreateAttempts {
			if taken {
				err = ErrOrderExists
			}
			return store.Order{}, err
		}
		if !taken {
			s.log.Debug("create order: transaction conflict; retrying", zap.Int("attempt", attempt), zap.Error(err))
			time.Sleep(time.Duration(attempt) * time.Duration(1+rand.IntN(5)) * time.Millisecond)
		}
		o, err = s.create(ctx, req)
	}
	return o, nil
}

// normalize validates the semantics of a request and fills the defaults.
func (s *Service) normalize(req CreateRequest) (CreateRequest, error) {
	if err := checkOrderID(req.OrderID); err != nil {
		return req, err
	}
	if !req.Amount.IsPositive() {
		return req, invalid("amount", "must be a number greater than 0")
	}
	if req.Amount.LessThan(decimal.New(1, -2)) {
		return req, ErrAmountTooSmall
	}
	if err := CheckURL("notify_url", req.NotifyURL, true); err != nil {
		return req, err
	}
	if err := CheckURL("redirect_url", req.RedirectURL, false); err != nil {
		return req, err
	}
	if req.TradeType == "" {
		req.TradeType = s.orders.DefaultTradeType
	}
	if _, ok := ChainOf(req.TradeType); !ok {
		return req, invalid("trade_type", "%q is not one of %s", req.TradeType, strings.Join(TradeTypes(), ", "))
	}
	if req.Fiat == "" {
		req.Fiat = s.orders.DefaultFiat
	}
	if req.Fiat = strings.ToUpper(req.Fiat); !rate.IsFiat(req.Fiat) {
		return req, invalid("fiat", "%q is not one of %s", req.Fiat, strings.Join(rate.Fiats(), ", "))
	}
	if req.Timeout < 0 {
		return req, invalid("timeout", "must be a positive number of seconds")
	}
	if req.Timeout == 0 {
		req.Timeout = s.orders.OrderExpiration()
	}
	req.Timeout = min(max(req.Timeout, s.orders.TimeoutMin), s.orders.TimeoutMax)
	return req, nil
}

// checkOrderID accepts 1–32 characters without control characters.
func checkOrderID(id string) error {
	switch n := utf8.RuneCountInString(id); {
	case n == 0:
		return invalid("order_id", "is required")
	case n > 32 || len(id) > 128:
		return invalid("order_id", "must be at most 32 characters")
	case strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return invalid("order_id", "must not contain control characters")
	}
	return nil
}

// CheckURL accepts an absolute http(s) URL with a host (no user info), at
// most 1024 characters; "" only when not required. The error names field.
func CheckURL(field, raw string, required bool) error {
	if raw == "" {
		if required {
			return invalid(field, "is required")
		}
		return nil
	}
	if len(raw) > 1024 {
		return invalid(field, "must be at most 1024 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return invalid(field, "must be an http(s) URL such as https://shop.example.com/notify")
	}
	return nil
}

// existing applies idempotency from the order_id's recent trades: done is
// true when the answer is decided (the existing order, or ErrOrderExists).
// A waiting order past its expiry is expired here so a new trade can start.
func (s *Service) existing(ctx context.Context, req CreateRequest) (store.Order, bool, error) {
	trades, err := s.store.Read().OrdersByOrderID(ctx, req.OrderID, 5)
	if err != nil {
		return store.Order{}, true, err
	}
	for _, o := range trades {
		if o.Status == store.OrderPaid {
			return store.Order{}, true, fmt.Errorf("order_id %s is paid (trade %s): %w", req.OrderID, o.TradeID, ErrOrderExists)
		}
	}
	now := s.clock()
	for _, o := range trades {
		switch {
		case o.Status != store.OrderWaiting:
			continue
		case !now.Before(o.ExpiresAt):
			if err := s.expireNow(ctx, o); err != nil {
				return store.Order{}, true, err
			}
		case o.Amount == req.AmountText && o.NotifyURL == req.NotifyURL && o.TradeType == req.TradeType && o.Fiat == req.Fiat:
			return o, true, nil
		default:
			return store.Order{}, true, fmt.Errorf("order_id %s waits with other parameters (trade %s): %w",
				req.OrderID, o.TradeID, ErrOrderExists)
		}
	}
	return store.Order{}, false, nil
}

// expireNow expires one waiting order whose time is up (the expirer would
// do it within a second; a create for its order_id cannot wait for that).
func (s *Service) expireNow(ctx context.Context, o store.Order) error {
	done := false
	err := s.store.InTx(ctx, func(tx *store.Tx) (err error) {
		done, err = s.expire(ctx, tx, o, s.clock())
		return err
	})
	if done {
		s.metrics.OrdersExpired.WithLabelValues(o.Chain).Inc()
	}
	return err
}

// create prices the order, claims a slot and inserts the order in one
// transaction.
func (s *Service) create(ctx context.Context, req CreateRequest) (store.Order, error) {
	o, wallets, usdt, err := s.price(ctx, req)
	if err != nil {
		return store.Order{}, err
	}
	if err := s.inTx(ctx, func(tx *store.Tx) error { return s.insert(ctx, tx, &o, wallets, usdt) }); err != nil {
		return store.Order{}, err
	}
	s.metrics.OrdersCreated.WithLabelValues(o.Chain).Inc()
	return o, nil
}

// price builds the new order without wallet and amount: the chain's
// enabled wallets, the rate and the USDT amount to start the slots at.
func (s *Service) price(ctx context.Context, req CreateRequest) (store.Order, []string, decimal.Decimal, error) {
	chain, _ := ChainOf(req.TradeType)
	tok := s.tokens[chain]
	wallets, err := s.store.Read().EnabledWallets(ctx, chain)
	if err != nil {
		return store.Order{}, nil, decimal.Decimal{}, err
	}
	if len(wallets) == 0 || !tok.enabled {
		return store.Order{}, nil, decimal.Decimal{}, fmt.Errorf("%s: %w", chain, ErrNoWallet)
	}
	r, _, err := s.rates.Rate(req.Fiat)
	if err != nil {
		return store.Order{}, nil, decimal.Decimal{}, fmt.Errorf("%w: %w", ErrNoRate, err)
	}
	usdt, err := money.ToUSDT(req.Amount, r, s.orders.AmountStep)
	if err != nil {
		return store.Order{}, nil, decimal.Decimal{}, fmt.Errorf("%w: %w", ErrNoRate, err)
	}
	if usdt.LessThan(decimal.New(1, -2)) || usdt.LessThan(s.orders.AmountStep) {
		return store.Order{}, nil, decimal.Decimal{}, fmt.Errorf("%s %s is %s USDT: %w", req.AmountText, req.Fiat, usdt, ErrAmountTooSmall)
	}
	now := s.clock()
	o := store.Order{TradeID: newTradeID(now), OrderID: req.OrderID, Chain: chain, TradeType: req.TradeType,
		TokenContract: tok.contract, Decimals: tok.decimals, Fiat: req.Fiat, Amount: req.AmountText, Rate: r.String(),
		Status: store.OrderWaiting, NotifyURL: req.NotifyURL, RedirectURL: req.RedirectURL, CallbackConfirm: 2,
		CreatedAt: now, ExpiresAt: now.Add(req.Timeout), UpdatedAt: now}
	addrs := make([]string, len(wallets))
	for i, w := range wallets {
		addrs[i] = w.Address
	}
	return o, addrs, usdt, nil
}

// insert claims a slot for o and inserts it. When its order_id is held by
// another order it undoes the slot (in a group transaction the others'
// work commits) and returns errActiveTaken.
func (s *Service) insert(ctx context.Context, tx *store.Tx, o *store.Order, wallets []string, usdt decimal.Decimal) error {
	got, err := s.claimSlot(ctx, tx, o, wallets, usdt, o.CreatedAt)
	if err != nil {
		return err
	}
	if !got {
		return fmt.Errorf("%s from %s USDT, %d tries on %d wallets: %w", o.Chain, usdt, s.orders.AmountMaxTries,
			len(wallets), ErrNoSlot)
	}
	inserted, err := tx.InsertOrder(ctx, *o)
	if err != nil || inserted {
		return err
	}
	if err := tx.ReleaseSlot(ctx, o.TradeID); err != nil {
		return err
	}
	return errActiveTaken
}

// inTx runs a create's writes: in a group transaction on SQLite (one
// writer), in its own transaction elsewhere (concurrent writers).
func (s *Service) inTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	if s.group != nil {
		return s.group.do(ctx, fn)
	}
	return s.store.InTx(ctx, fn)
}

// isBusinessErr reports whether a create failed by the rules (nothing
// written) rather than by the database.
func isBusinessErr(err error) bool {
	return errors.Is(err, ErrNoSlot) || errors.Is(err, errActiveTaken)
}
