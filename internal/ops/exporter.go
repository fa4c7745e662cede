package ops

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/metrics"
)

// MetricsPath is where the Prometheus exposition is served.
const MetricsPath = "/metrics"

// Exporter serves the gateway's metrics registry in the Prometheus text
// format, behind metrics_token when one is configured.
type Exporter struct {
	metrics *metrics.Metrics
	cfg     config.Ops
}

// NewExporter returns the exporter of m configured by the ops keys
// (metrics_listen, metrics_token).
func NewExporter(m *metrics.Metrics, cfg config.Ops) *Exporter {
	return &Exporter{metrics: m, cfg: cfg}
}

// Handler returns the /metrics handler. When metrics_token is set every
// request must carry "Authorization: Bearer <token>", wherever the handler
// is mounted; otherwise it answers 401.
func (e *Exporter) Handler() http.Handler {
	h := promhttp.HandlerFor(e.metrics.Registry, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
	if e.cfg.MetricsToken == "" {
		return h
	}
	return requireBearer(e.cfg.MetricsToken, h)
}

// Routes returns the /metrics route for the main server, or nothing when
// metrics_listen moves the endpoint to its own address (see Server).
func (e *Exporter) Routes() []httpx.Route {
	if e.cfg.MetricsListen != "" {
		return nil
	}
	return []httpx.Route{{Pattern: "GET " + MetricsPath, Group: httpx.GroupOps, Handler: e.Handler()}}
}

// requireBearer lets a request through only with the right bearer token.
// Both sides are hashed first so the comparison takes the same time
// whatever the length of the guess.
func requireBearer(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r.Header.Get("Authorization"))
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="epusdt metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Server is the metrics-only HTTP server of metrics_listen.
type Server struct {
	listen string
	ln     net.Listener
	srv    *http.Server
}

// Server returns a server that exposes only /metrics on listen.
func (e *Exporter) Server(listen string) *Server {
	mux := http.NewServeMux()
	mux.Handle("GET "+MetricsPath, e.Handler())
	return &Server{listen: listen, srv: &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}}
}

// Listen binds the address now, so a bad or busy metrics_listen stops the
// start-up with a clear error instead of failing later in the loop. Run
// calls it when it was not called.
func (s *Server) Listen() error {
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return fmt.Errorf("listen on %s (metrics_listen): %w", s.listen, err)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (useful with port 0), or "" before Listen.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Run serves until ctx ends, then shuts down gracefully (within 5 s).
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics server shutdown: %w", err)
	}
	return nil
}

// Instrument counts requests of one route by status code and observes their
// latency. route should be the mux pattern (bounded cardinality), never
// the raw path.
func Instrument(m *metrics.Metrics, route string) httpx.Middleware {
	dur := m.HTTPDuration.WithLabelValues(route)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &httpx.StatusRecorder{ResponseWriter: w}
			defer func() {
				code := rec.Status
				p := recover()
				switch {
				case p != nil:
					code = http.StatusInternalServerError // the recovery middleware answers 500
				case code == 0:
					code = http.StatusOK
				}
				m.HTTPRequests.WithLabelValues(route, strconv.Itoa(code)).Inc()
				dur.Observe(time.Since(start).Seconds())
				if p != nil {
					panic(p)
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}
