// Package admin owns the operators' console: admin accounts (bcrypt, TOTP),
// login with JWT access tokens and rotating refresh tokens, login
// throttling and lockout, the JSON API under /admin/api/v1/ and the
// server-rendered web UI under /admin/ (orders, wallets, payments,
// callbacks, audit log, settings). It changes orders only through the
// OrderActions it is given, and records every action in the audit log.
package admin

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/audit"
	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
)

// OrderActions changes orders; the app adapts the payment service.
type OrderActions interface {
	// Cancel moves a waiting order to expired (canceled).
	Cancel(ctx context.Context, tradeID string) error
	// MarkPaid pays the order with t, a settled on-chain transfer admin has
	// verified (right wallet, token, amount; not used by another order).
	// It stores t if it is not stored yet, records its match, marks the
	// order paid and queues the paid callback, in one transaction.
	MarkPaid(ctx context.Context, tradeID string, t store.Transfer) error
}

// CallbackActions resends callbacks; NotifyCallbacks adapts notify.
type CallbackActions interface {
	Resend(ctx context.Context, tradeID string) error
}

// ChainState is one chain watcher's health as the dashboard shows it.
type ChainState struct {
	Chain       string    `json:"chain"`
	Leader      bool      `json:"leader"`
	Idle        bool      `json:"idle"`
	Head        uint64    `json:"head"`
	Settled     uint64    `json:"settled"`
	Cursor      uint64    `json:"cursor"`
	LagBlocks   uint64    `json:"lag_blocks"`
	LagSeconds  float64   `json:"lag_seconds"`
	RPCErrors   uint64    `json:"rpc_errors"`
	LastSuccess time.Time `json:"last_success"`
	LastError   string    `json:"last_error"`
}

// ChainStatus reports the chain watchers' health (the app adapts
// chain.Manager.States).
type ChainStatus interface {
	States() []ChainState
}

// RateStatus gives the current exchange rate of a fiat and when it was
// fetched; rate.Refresher implements it.
type RateStatus interface {
	Rate(fiat string) (decimal.Decimal, time.Time, error)
}

// TxVerifier reads a transaction from the chain's RPC: it returns every
// USDT-contract Transfer log of the transaction as store.Transfer
// (canonical addresses, TxHash in the form the watcher stores, State
// TransferSettled when the block is settled by the chain's settle rule,
// TransferDetected otherwise). An unknown transaction is an error wrapping
// ErrTxNotFound.
type TxVerifier interface {
	Verify(ctx context.Context, chain, txHash string) ([]store.Transfer, error)
}

// ErrTxNotFound is wrapped by a TxVerifier for a transaction the chain does
// not know (or that failed).
var ErrTxNotFound = errors.New("transaction not found on chain")

// LoginLimiter counts login attempts per key ("ip:…", "user:…"): it
// answers whether one more is allowed now and, if not, when to retry.
type LoginLimiter interface {
	Allow(ctx context.Context, key string) (bool, time.Duration, error)
}

// Deps are what the console needs. Orders, Callbacks and Verifier are
// required for the actions that use them; Chains and Rates are optional
// (the dashboard omits what is missing).
type Deps struct {
	Config    *config.Config
	Store     *store.Store
	Audit     *audit.Recorder
	Orders    OrderActions
	Callbacks CallbackActions
	Verifier  TxVerifier
	Chains    ChainStatus
	Rates     RateStatus
	Tokens    *Tokens      // merchant API token (rotation); nil = rotation unavailable
	Limiter   LoginLimiter // nil = in-memory, rate_limit_login per key
	// ClientIP returns the caller's IP (guard.Guard.ClientIP honours
	// trusted proxies); nil = the connection's remote address.
	ClientIP func(r *http.Request) string
	Now      func() time.Time
	Log      *zap.Logger

	bcryptCost int // 0 = bcryptCost; tests lower it
}

// Admin serves the console.
type Admin struct {
	d       Deps
	cfg     *config.Config
	st      *store.Store
	now     func() time.Time
	log     *zap.Logger
	secure  bool // cookies carry Secure (app_uri is https)
	secret  []byte
	pages   map[string]*template.Template
	dummyPw []byte // bcrypt hash compared when a user is unknown
}

// New builds the console.
func New(d Deps) (*Admin, error) {
	if d.Config == nil || d.Store == nil {
		return nil, errors.New("admin: config and store are required")
	}
	if len(d.Config.AdminJWTSecret) < 16 {
		return nil, errors.New("admin: admin_jwt_secret must be at least 16 characters (leave it empty to generate one)")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	if d.Limiter == nil {
		n, w, err := config.ParseLimit(d.Config.Guard.LimitLogin)
		if err != nil {
			return nil, fmt.Errorf("admin: rate_limit_login: %w", err)
		}
		d.Limiter = NewMemoryLimiter(n, w, d.Now)
	}
	a := &Admin{d: d, cfg: d.Config, st: d.Store, now: d.Now, log: d.Log, secret: []byte(d.Config.AdminJWTSecret)}
	if u, err := url.Parse(d.Config.AppURI); err == nil && u.Scheme == "https" {
		a.secure = true
	}
	var err error
	if a.d.bcryptCost == 0 {
		a.d.bcryptCost = bcryptCost
	}
	if a.dummyPw, err = hashPassword("dummy-password-for-timing", a.d.bcryptCost); err != nil {
		return nil, err
	}
	if a.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Admin) clientIP(r *http.Request) string {
	if a.d.ClientIP != nil {
		return a.d.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Run deletes refresh tokens that expired more than a day ago, hourly,
// until ctx ends.
func (a *Admin) Run(ctx context.Context) error {
	for {
		a.runOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Hour):
		}
	}
}

func (a *Admin) runOnce(ctx context.Context) {
	if _, err := a.st.DeleteOldRefreshTokens(ctx, a.now().Add(-24*time.Hour)); err != nil {
		a.log.Warn("refresh token cleanup failed", zap.Error(err))
	}
}
