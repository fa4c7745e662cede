// Package httpx owns what every HTTP handler of the gateway shares: the
// Epusdt JSON envelope, request ids, panic recovery, body limits, security
// headers and access logs. Handlers in api, admin and ops build on it.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

// Envelope is the Epusdt response shape: always HTTP 200 unless the gateway
// refuses the request itself (429, 413), with status_code carrying the
// result.
type Envelope struct {
	StatusCode int    `json:"status_code"`
	Message    string `json:"message"`
	Data       any    `json:"data"`
	RequestID  string `json:"request_id"`
}

// Success is the message of every successful Epusdt answer.
const Success = "success"

// WriteJSON writes v as JSON with the given HTTP status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// OK answers the envelope with status_code 200 and data.
func OK(w http.ResponseWriter, r *http.Request, data any) {
	WriteJSON(w, http.StatusOK, Envelope{StatusCode: 200, Message: Success, Data: data, RequestID: RequestID(r.Context())})
}

// Fail answers the envelope with an error code and message over HTTP 200.
func Fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	FailHTTP(w, r, http.StatusOK, code, msg)
}

// FailHTTP answers the envelope with an error code over a chosen HTTP status.
func FailHTTP(w http.ResponseWriter, r *http.Request, httpStatus, code int, msg string) {
	WriteJSON(w, httpStatus, Envelope{StatusCode: code, Message: msg, Data: nil, RequestID: RequestID(r.Context())})
}

// IsBodyTooLarge reports whether err came from a body over the limit.
func IsBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

type ctxKey int

const requestIDKey ctxKey = 1

// RequestID returns the request id stored by the RequestID middleware.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// WithRequestID stores a request id in ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// Route is one HTTP endpoint an adapter (api, admin, ops) offers. The app
// mounts it on the server's mux and wraps it with the middleware of its
// group (rate limits differ per group).
type Route struct {
	Pattern string // net/http pattern, e.g. "POST /api/v1/order/create-transaction"
	Group   string // one of the Group* names
	Handler http.Handler
}

// Route groups: each gets its own rate limit and body limit.
const (
	GroupAPI    = "api"    // signed merchant API
	GroupStatus = "status" // cashier page, check-status, static assets
	GroupLogin  = "login"  // admin login
	GroupAdmin  = "admin"  // authenticated admin API and UI
	GroupOps    = "ops"    // health, readiness, metrics, greeting: never limited
)
