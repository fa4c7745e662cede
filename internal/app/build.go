package app

import (
	"context"
	"net/http"

	"github.com/epusdt/epusdt/internal/httpx"
)

// build constructs the components and collects their routes, loops and
// readiness checks.
func (a *App) build(ctx context.Context) error {
	a.routes = append(a.routes, httpx.Route{Pattern: "/{$}", Group: httpx.GroupOps, Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("hello epusdt, https://github.com/epusdt/epusdt\n"))
		})})
	_ = ctx
	return nil
}
