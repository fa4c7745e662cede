package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Validate checks every value and returns the first problem as one line
// naming the key and the bad value.
func (c *Config) Validate() error {
	checks := []func() error{
		c.validateHTTP, c.validateDB, c.validateLogs, c.validateOrders, c.validateMisc, c.validateChains,
	}
	for _, ch := range checks {
		if err := ch(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	return nil
}

func bad(key string, val any, why string) error {
	return fmt.Errorf("%s: invalid value %q: %s", key, fmt.Sprint(val), why)
}

func checkListen(key, addr string, optional bool) error {
	if addr == "" && optional {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad(key, addr, "want host:port or :port")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return bad(key, addr, "port must be a number 0-65535")
	}
	_ = host
	return nil
}

func (c *Config) validateHTTP() error {
	if err := checkListen("http_listen", c.HTTPListen, false); err != nil {
		return err
	}
	if err := checkListen("metrics_listen", c.Ops.MetricsListen, true); err != nil {
		return err
	}
	u, err := url.Parse(c.AppURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("app_uri", c.AppURI, "want an http(s) URL such as https://pay.example.com")
	}
	if c.HTTPBodyLimit < 1024 {
		return bad("http_body_limit", c.HTTPBodyLimit, "must be at least 1024 bytes")
	}
	if c.ShutdownTimeout <= 0 {
		return bad("shutdown_timeout", c.ShutdownTimeout, "must be positive")
	}
	if !strings.HasPrefix(c.StaticPath, "/") {
		return bad("static_path", c.StaticPath, "must start with /")
	}
	return nil
}

func (c *Config) validateDB() error {
	switch c.DBType {
	case "sqlite":
		if c.SqliteDatabaseFilename == "" {
			return bad("sqlite_database_filename", "", "must not be empty")
		}
	case "mysql", "postgres":
		db := c.MySQL
		if c.DBType == "postgres" {
			db = c.Postgres
		}
		p := c.DBType + "_"
		if c.DBDSN == "" && (db.Host == "" || db.Database == "") {
			return bad(p+"host", db.Host, "host and database (or db_dsn) are required")
		}
		if db.Port <= 0 || db.Port > 65535 {
			return bad(p+"port", db.Port, "must be 1-65535")
		}
		if db.MaxIdleConns < 0 {
			return bad(p+"max_idle_conns", db.MaxIdleConns, "must not be negative")
		}
		if db.MaxOpenConns < 1 {
			return bad(p+"max_open_conns", db.MaxOpenConns, "must be at least 1")
		}
	default:
		return bad("db_type", c.DBType, "want sqlite, mysql or postgres")
	}
	if c.RedisHost != "" && (c.RedisPort <= 0 || c.RedisPort > 65535) {
		return bad("redis_port", c.RedisPort, "must be 1-65535")
	}
	if c.RedisDB < 0 || c.RedisPoolSize < 1 || c.RedisMaxRetries < 0 || c.RedisIdleTimeout < 0 {
		return bad("redis_db/redis_pool_size/redis_max_retries/redis_idle_timeout",
			fmt.Sprint(c.RedisDB, c.RedisPoolSize, c.RedisMaxRetries, c.RedisIdleTimeout), "must not be negative (pool size ≥ 1)")
	}
	return nil
}

func (c *Config) validateLogs() error {
	for k, v := range map[string]int{"log_max_size": c.LogMaxSize, "log_max_age": c.LogMaxAge, "max_backups": c.MaxBackups} {
		if v < 0 {
			return bad(k, v, "must not be negative")
		}
	}
	if c.RuntimeRootPath == "" {
		return bad("runtime_root_path", "", "must not be empty")
	}
	return nil
}

func (c *Config) validateOrders() error {
	o := c.Orders
	if o.ExpirationMinutes < 1 {
		return bad("order_expiration_time", o.ExpirationMinutes, "must be at least 1 (minutes)")
	}
	if o.TimeoutMin <= 0 || o.TimeoutMax < o.TimeoutMin {
		return bad("order_timeout_max", o.TimeoutMax, "must be ≥ order_timeout_min > 0")
	}
	if !o.AmountStep.IsPositive() || o.AmountStep.Exponent() < -6 {
		return bad("amount_step", o.AmountStep, "must be positive with at most 6 decimals")
	}
	if o.AmountMaxTries < 1 {
		return bad("amount_max_tries", o.AmountMaxTries, "must be at least 1")
	}
	if o.ExpireInterval <= 0 {
		return bad("expire_interval", o.ExpireInterval, "must be positive")
	}
	if c.Rates.ForcedUSDTRate.IsNegative() {
		return bad("forced_usdt_rate", c.Rates.ForcedUSDTRate, "must not be negative")
	}
	if c.Rates.RefreshInterval <= 0 || c.Rates.MaxAge <= 0 {
		return bad("rate_refresh_interval", c.Rates.RefreshInterval, "rate_refresh_interval and rate_max_age must be positive")
	}
	for _, s := range c.Rates.Sources {
		if s != "okx" && s != "coingecko" {
			return bad("rate_sources", s, "known sources are okx and coingecko")
		}
	}
	return nil
}

func (c *Config) validateMisc() error {
	if c.QueueConcurrency < 1 {
		return bad("queue_concurrency", c.QueueConcurrency, "must be at least 1")
	}
	if c.Callback.MaxRetry < 0 {
		return bad("order_notice_max_retry", c.Callback.MaxRetry, "must not be negative")
	}
	if c.Callback.Timeout <= 0 {
		return bad("callback_timeout", c.Callback.Timeout, "must be positive")
	}
	for _, id := range splitList(c.TgManage) {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			return bad("tg_manage", id, "want comma-separated numeric Telegram user ids")
		}
	}
	if c.TgProxy != "" {
		if u, err := url.Parse(c.TgProxy); err != nil || u.Host == "" {
			return bad("tg_proxy", c.TgProxy, "want a URL")
		}
	}
	for k, v := range map[string]string{"rate_limit_api": c.Guard.LimitAPI, "rate_limit_status": c.Guard.LimitStatus, "rate_limit_login": c.Guard.LimitLogin} {
		if _, _, err := ParseLimit(v); err != nil {
			return bad(k, v, err.Error())
		}
	}
	for _, p := range c.Guard.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return bad("trusted_proxies", p, "want an IP or CIDR")
			}
		}
	}
	if c.AuditRetention < 1 {
		return bad("audit_log_retention_days", c.AuditRetention, "must be at least 1")
	}
	return nil
}

func (c *Config) validateChains() error {
	for name, ch := range map[string]*Chain{"tron": &c.Tron, "eth": &c.Eth, "bsc": &c.BSC, "polygon": &c.Polygon} {
		p := name + "_"
		if name == "tron" && ch.Settle != "finalized" {
			return bad(p+"settle", ch.Settle, "TRON settles only on finalized (solidified) blocks")
		}
		if ch.Settle != "finalized" {
			if n, err := strconv.Atoi(ch.Settle); err != nil || n < 1 {
				return bad(p+"settle", ch.Settle, "want finalized or a number of confirmations ≥ 1")
			}
		}
		if ch.USDTDecimals < 0 || ch.USDTDecimals > 36 {
			return bad(p+"usdt_decimals", ch.USDTDecimals, "must be 0-36")
		}
		if ch.MaxBlockRange < 1 {
			return bad(p+"max_block_range", ch.MaxBlockRange, "must be at least 1")
		}
		if ch.AddressChunk < 1 || ch.AddressChunk > 1000 {
			return bad(p+"address_chunk", ch.AddressChunk, "must be 1-1000")
		}
		if ch.PollInterval <= 0 || ch.RPCTimeout <= 0 {
			return bad(p+"poll_interval", ch.PollInterval, "poll_interval and rpc_timeout must be positive")
		}
		for _, u := range ch.RPCURLs {
			if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				return bad(p+"rpc_urls", u, "want http(s) URLs")
			}
		}
		if ch.Enabled && len(ch.RPCURLs) == 0 {
			return bad(p+"rpc_urls", "", "an enabled chain needs at least one RPC URL")
		}
	}
	if c.ChainLeaseTTL < time.Second {
		return bad("chain_lease_ttl", c.ChainLeaseTTL, "must be at least 1s")
	}
	return nil
}

// ParseLimit parses a rate limit written N/window, e.g. "120/1m".
func ParseLimit(s string) (int, time.Duration, error) {
	n, w, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("want N/window such as 120/1m")
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 1 {
		return 0, 0, fmt.Errorf("count must be a whole number ≥ 1")
	}
	w = strings.TrimSpace(w)
	if w != "" && (w[0] < '0' || w[0] > '9') {
		w = "1" + w
	}
	d, err := time.ParseDuration(w)
	if err != nil || d < time.Second {
		return 0, 0, fmt.Errorf("window must be a duration ≥ 1s such as 1m")
	}
	return count, d, nil
}
