// Package api owns the merchant-facing HTTP surface: the Epusdt-compatible
// signed order API (create, query, cancel), the public check-status JSON,
// the server-rendered cashier page with its embedded assets, and the
// greeting at /. Handlers are thin: they parse and authenticate requests,
// call payment, and map errors to Epusdt codes in one place (classify).
//
// Request handling, in order: a body over http_body_limit → HTTP 413 with
// the envelope; a body that is not exactly one JSON object → 10009; a bad or
// missing signature, or a boolean/array/object value anywhere at the top
// level (it cannot be signed) → 401; the optional replay guard → 401; a
// field of the wrong JSON type → 10009 naming it; a bad value → 400 naming
// the field. Types are as strict as upstream's struct binding was: amount
// and timeout must be JSON numbers (amount "42" as a string is 10009), the
// other known fields strings (order_id 123 as a number is 10009); null
// counts as absent. amount must also be exactly representable as the
// float64 the signature text comes from (7.910000000000000001 → 400), and
// timeout must be whole seconds.
package api

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/payment"
	"github.com/epusdt/epusdt/web"
)

// ReplayGuard rejects replayed signed requests. timestamp and nonce are the
// request's fields as text, "" when absent; a non-nil error refuses the
// request with 401 and the error's message.
type ReplayGuard interface {
	CheckReplay(ctx context.Context, timestamp, nonce string) error
}

// URLCheck vets a notify_url beyond its syntax (e.g. refuse private
// networks after DNS); a non-nil error refuses it with 400 naming the field.
type URLCheck func(ctx context.Context, rawURL string) error

// Deps are what the API needs. Progress, Replay, URLCheck and Token are
// optional.
type Deps struct {
	Config   *config.Config
	Payment  *payment.Service
	Progress payment.Progress
	Replay   ReplayGuard
	URLCheck URLCheck
	// Token returns the current api_auth_token (it can be rotated at run
	// time); nil means Config.APIAuthToken, fixed.
	Token func() string
	Log   *zap.Logger
	Now   func() time.Time
}

// API serves the merchant API, check-status and the cashier page.
type API struct {
	pay       *payment.Service
	progress  payment.Progress
	replay    ReplayGuard
	urlCheck  URLCheck
	log       *zap.Logger
	now       func() time.Time
	token     func() string
	appURI    string
	appName   string
	static    string
	bodyLimit int64
	tmpl      *template.Template
	assetVer  string
	msgs      map[string]map[string]string
}

// New builds the API; it parses the embedded templates.
func New(d Deps) (*API, error) {
	if d.Config == nil || d.Payment == nil {
		return nil, errors.New("api: config and payment are required")
	}
	if d.Token == nil {
		if d.Config.APIAuthToken == "" {
			return nil, errors.New("api: api_auth_token is empty")
		}
		fixed := d.Config.APIAuthToken
		d.Token = func() string { return fixed }
	}
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	tmpl, err := template.ParseFS(web.Templates(), "cashier/*.html")
	if err != nil {
		return nil, err
	}
	ver, err := assetVersion()
	if err != nil {
		return nil, err
	}
	limit := d.Config.HTTPBodyLimit
	if limit <= 0 {
		limit = 64 << 10
	}
	return &API{pay: d.Payment, progress: d.Progress, replay: d.Replay, urlCheck: d.URLCheck, log: d.Log, now: d.Now,
		token: d.Token, appURI: strings.TrimRight(d.Config.AppURI, "/"), appName: d.Config.AppName,
		static: strings.TrimRight(d.Config.StaticPath, "/"), bodyLimit: limit, tmpl: tmpl, assetVer: ver,
		msgs: messages()}, nil
}

// Routes lists the endpoints for the app to mount: the merchant API
// (GroupAPI), check-status, the cashier page and its assets (GroupStatus).
func (a *API) Routes() []httpx.Route {
	html := httpx.HTMLSecurityHeaders
	return []httpx.Route{
		{Pattern: "POST /api/v1/order/create-transaction", Group: httpx.GroupAPI, Handler: http.HandlerFunc(a.create)},
		{Pattern: "POST /api/v1/order/query-transaction", Group: httpx.GroupAPI, Handler: http.HandlerFunc(a.query)},
		{Pattern: "POST /api/v1/order/cancel-transaction", Group: httpx.GroupAPI, Handler: http.HandlerFunc(a.cancel)},
		{Pattern: "GET /pay/check-status/{trade_id}", Group: httpx.GroupStatus, Handler: http.HandlerFunc(a.checkStatus)},
		{Pattern: "GET /pay/checkout-counter/{trade_id}", Group: httpx.GroupStatus, Handler: html(http.HandlerFunc(a.cashier))},
		{Pattern: "GET " + a.static + "/", Group: httpx.GroupStatus, Handler: html(a.staticHandler())},
	}
}

// GreetingRoute is "ANY /" with the upstream plain-text greeting (GroupOps).
// It is not part of Routes because the app serves / itself; mount it
// instead of that when the API should own it.
func (a *API) GreetingRoute() httpx.Route {
	return httpx.Route{Pattern: "/{$}", Group: httpx.GroupOps, Handler: http.HandlerFunc(greeting)}
}

// greeting answers / with a short plain-text line, as upstream did.
func greeting(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("hello epusdt, https://github.com/epusdt/epusdt\n"))
}
