package ops

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/metrics"
)

// mount serves routes on a real test server, the way the app mounts them.
func mount(t *testing.T, routes []httpx.Route) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for _, r := range routes {
		mux.Handle(r.Pattern, r.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url, token string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func parse(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, body)
	}
	return fams
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("metric %s not exposed", name)
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("metric %s has no sample with labels %v", name, want)
	return 0
}

func touch(m *metrics.Metrics) {
	m.OrdersCreated.WithLabelValues("tron").Add(3)
	m.OrdersPaid.WithLabelValues("tron").Inc()
	m.OrdersExpired.WithLabelValues("bsc").Add(2)
	m.ChainLagBlocks.WithLabelValues("ethereum").Set(7)
	m.RPCErrors.WithLabelValues("polygon", "https://rpc.example").Add(4)
	m.CallbackAttempts.WithLabelValues("ok").Inc()
	m.CallbackAttempts.WithLabelValues("fail").Add(2)
	m.CallbackQueue.Set(5)
	m.RateAge.WithLabelValues("CNY").Set(42)
	m.Transfers.WithLabelValues("tron", "matched").Inc()
}

func TestMetricsOnMainPortWithoutToken(t *testing.T) {
	m := metrics.New()
	touch(m)
	srv := mount(t, NewExporter(m, config.Ops{}).Routes())
	code, body, hdr := get(t, srv.URL+MetricsPath, "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	fams := parse(t, body)
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"epusdt_orders_created_total", map[string]string{"chain": "tron"}, 3},
		{"epusdt_orders_paid_total", map[string]string{"chain": "tron"}, 1},
		{"epusdt_orders_expired_total", map[string]string{"chain": "bsc"}, 2},
		{"epusdt_chain_lag_blocks", map[string]string{"chain": "ethereum"}, 7},
		{"epusdt_rpc_errors_total", map[string]string{"chain": "polygon", "endpoint": "https://rpc.example"}, 4},
		{"epusdt_callback_attempts_total", map[string]string{"result": "fail"}, 2},
		{"epusdt_callback_queue_depth", nil, 5},
		{"epusdt_rate_age_seconds", map[string]string{"fiat": "CNY"}, 42},
		{"epusdt_transfers_total", map[string]string{"chain": "tron", "result": "matched"}, 1},
	}
	for _, c := range checks {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("Go runtime collector missing")
	}
}

func TestMetricsTokenOnMainPort(t *testing.T) {
	m := metrics.New()
	touch(m)
	const token = "s3cret-metrics-token-0123456789"
	srv := mount(t, NewExporter(m, config.Ops{MetricsToken: token}).Routes())
	for _, tc := range []struct {
		name, auth string
	}{{"none", ""}, {"wrong", "Bearer nope"}, {"prefix", "Bearer " + token[:10]}, {"basic", "Basic " + token}, {"longer", "Bearer " + token + "x"}} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+MetricsPath, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tc.name, resp.StatusCode)
		}
		if strings.Contains(string(b), "epusdt_") || strings.Contains(string(b), token) {
			t.Errorf("%s: refused answer leaks data: %q", tc.name, b)
		}
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate header", tc.name)
		}
	}
	code, body, _ := get(t, srv.URL+MetricsPath, token)
	if code != http.StatusOK {
		t.Fatalf("with token: status %d", code)
	}
	if got := value(t, parse(t, body), "epusdt_orders_paid_total", map[string]string{"chain": "tron"}); got != 1 {
		t.Errorf("orders paid = %v", got)
	}
}

func TestMetricsOnSeparateListener(t *testing.T) {
	m := metrics.New()
	touch(m)
	const token = "another-metrics-token-abcdef"
	e := NewExporter(m, config.Ops{MetricsListen: "127.0.0.1:0", MetricsToken: token})
	if r := e.Routes(); len(r) != 0 {
		t.Fatalf("metrics_listen set: main port must not serve /metrics, got %v", r)
	}
	s := e.Server("127.0.0.1:0")
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	url := "http://" + s.Addr() + MetricsPath
	if code, _, _ := get(t, url, ""); code != http.StatusUnauthorized {
		t.Errorf("separate listener without token: status %d, want 401", code)
	}
	code, body, _ := get(t, url, token)
	if code != http.StatusOK {
		t.Fatalf("separate listener: status %d", code)
	}
	if got := value(t, parse(t, body), "epusdt_orders_created_total", map[string]string{"chain": "tron"}); got != 3 {
		t.Errorf("orders created = %v", got)
	}
	if code, _, _ := get(t, "http://"+s.Addr()+"/healthz", ""); code != http.StatusNotFound {
		t.Errorf("metrics listener serves other paths: %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("metrics server did not stop")
	}
}

func TestMetricsServerBadAddress(t *testing.T) {
	s := NewExporter(metrics.New(), config.Ops{}).Server("256.0.0.1:http-nope")
	err := s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "metrics_listen") {
		t.Fatalf("want a metrics_listen error, got %v", err)
	}
}

func TestInstrument(t *testing.T) {
	m := metrics.New()
	ok := Instrument(m, "GET /pay/check-status/{trade_id}")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("fine"))
	}))
	notFound := Instrument(m, "GET /pay/check-status/{trade_id}")(http.NotFoundHandler())
	boom := Instrument(m, "POST /boom")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	routes := []httpx.Route{
		{Pattern: "GET /ok/{id}", Handler: ok},
		{Pattern: "GET /missing/{id}", Handler: notFound},
		{Pattern: "POST /boom", Handler: httpx.Recover(zapNop())(boom)},
	}
	routes = append(routes, NewExporter(m, config.Ops{}).Routes()...)
	srv := mount(t, routes)
	for i := 0; i < 3; i++ {
		get(t, srv.URL+"/ok/T"+string(rune('a'+i)), "")
	}
	get(t, srv.URL+"/missing/x", "")
	resp, err := http.Post(srv.URL+"/boom", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, body, _ := get(t, srv.URL+MetricsPath, "")
	fams := parse(t, body)
	route := "GET /pay/check-status/{trade_id}"
	if got := value(t, fams, "epusdt_http_requests_total", map[string]string{"route": route, "code": "200"}); got != 3 {
		t.Errorf("200s = %v, want 3", got)
	}
	if got := value(t, fams, "epusdt_http_requests_total", map[string]string{"route": route, "code": "404"}); got != 1 {
		t.Errorf("404s = %v, want 1", got)
	}
	if got := value(t, fams, "epusdt_http_requests_total", map[string]string{"route": "POST /boom", "code": "500"}); got != 1 {
		t.Errorf("panics counted as 500 = %v, want 1", got)
	}
	if got := value(t, fams, "epusdt_http_request_duration_seconds", map[string]string{"route": route}); got != 4 {
		t.Errorf("latency observations = %v, want 4", got)
	}
}
