package check

import (
	"net"
	"net/url"
	"strings"
)

// isLoopback reports whether host (a name or an address, without port) can
// only be reached from this machine. A Unix socket path counts as local.
func isLoopback(host string) bool {
	h := strings.Trim(lower(host), "[]")
	if h == "localhost" || strings.HasPrefix(h, "/") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (r *run) checkAppURI() {
	u, err := url.Parse(r.cfg.AppURI)
	if err != nil {
		r.add(AppURI, Error, "app_uri", "not a URL")
		return
	}
	if u.Scheme != "https" {
		r.add(AppURI, Error, "app_uri", "%s uses plain http: payment pages and the admin console must be served over https (TLS at nginx, then app_uri=https://…)", r.cfg.AppURI)
		return
	}
	if isLoopback(u.Hostname()) {
		r.add(AppURI, Warn, "app_uri", "%s points at this machine: payers cannot open payment_url", r.cfg.AppURI)
		return
	}
	r.add(AppURI, OK, "app_uri", "https")
}

func (r *run) checkRedis() {
	c := r.cfg
	switch {
	case c.RedisHost == "":
		r.add(Redis, OK, "redis_host", "not used")
	case c.RedisPasswd == "" && !isLoopback(c.RedisHost):
		r.add(Redis, Error, "redis_passwd", "Redis on %s (not loopback) without a password: anyone on the network can read nonces and reset rate limits; set requirepass and redis_passwd", c.RedisHost)
	case c.RedisPasswd == "":
		r.add(Redis, OK, "redis_host", "loopback Redis without password")
	default:
		r.add(Redis, OK, "redis_passwd", "set")
	}
}

func (r *run) checkMetrics() {
	o := r.cfg.Ops
	switch {
	case o.MetricsListen == "" && o.MetricsToken == "":
		r.add(Metrics, Error, "metrics_token", "/metrics is served on the main port without a token: set metrics_token, or metrics_listen=127.0.0.1:9100")
	case o.MetricsListen == "":
		r.add(Metrics, OK, "metrics_token", "/metrics on the main port requires the bearer token")
	case o.MetricsToken != "":
		r.add(Metrics, OK, "metrics_listen", "/metrics on %s requires the bearer token", o.MetricsListen)
	default:
		host, _, err := net.SplitHostPort(o.MetricsListen)
		if err != nil || !isLoopback(host) {
			r.add(Metrics, Error, "metrics_listen", "/metrics on %s is reachable from other machines without a token: bind it to 127.0.0.1 or set metrics_token", o.MetricsListen)
			return
		}
		r.add(Metrics, OK, "metrics_listen", "/metrics only on loopback (%s)", o.MetricsListen)
	}
}

// checkProxies warns when the gateway listens on loopback only (so a
// reverse proxy must be in front) but trusts no proxy: every client would
// then share the proxy's address in rate limits and logs.
func (r *run) checkProxies() {
	host, _, err := net.SplitHostPort(r.cfg.HTTPListen)
	if err != nil || !isLoopback(host) {
		r.add(Proxies, OK, "http_listen", "listens on %s", r.cfg.HTTPListen)
		return
	}
	if len(r.cfg.Guard.TrustedProxies) == 0 {
		r.add(Proxies, Warn, "trusted_proxies", "http_listen is loopback-only, so a reverse proxy is in front, but trusted_proxies is empty: every payer is rate-limited as the proxy's address; set trusted_proxies=127.0.0.1")
		return
	}
	r.add(Proxies, OK, "trusted_proxies", "%s", strings.Join(r.cfg.Guard.TrustedProxies, ","))
}
