package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/epusdt/epusdt/internal/httpx"
)

// Check is one readiness probe: nil means healthy.
type Check struct {
	Name     string
	Critical bool // a failing critical check makes /readyz answer 503
	Fn       func(ctx context.Context) error
}

type checkResult struct {
	OK       bool   `json:"ok"`
	Critical bool   `json:"critical"`
	Error    string `json:"error,omitempty"`
}

// healthRoutes serves /healthz (process up) and /readyz (every check).
func healthRoutes(checks func() []Check) []httpx.Route {
	healthz := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	readyz := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status, code := "ready", http.StatusOK
		details := map[string]checkResult{}
		for _, c := range checks() {
			res := checkResult{OK: true, Critical: c.Critical}
			if err := c.Fn(ctx); err != nil {
				res.OK, res.Error = false, err.Error()
				if c.Critical {
					status, code = "not ready", http.StatusServiceUnavailable
				}
			}
			details[c.Name] = res
		}
		httpx.WriteJSON(w, code, map[string]any{"status": status, "checks": details})
	})
	return []httpx.Route{
		{Pattern: "GET /healthz", Group: httpx.GroupOps, Handler: healthz},
		{Pattern: "GET /readyz", Group: httpx.GroupOps, Handler: readyz},
	}
}

func (a *App) dbCheck(ctx context.Context) error {
	if err := a.store.Ping(ctx); err != nil {
		a.metrics.DBUp.Set(0)
		return fmt.Errorf("database does not answer: %w", err)
	}
	a.metrics.DBUp.Set(1)
	cur, latest, err := a.store.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	if cur != latest {
		return fmt.Errorf("schema at version %d, binary expects %d: run epusdt migrate", cur, latest)
	}
	return nil
}
