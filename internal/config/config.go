// Package config owns the gateway's configuration: the keys, their defaults,
// reading them from a .env file and EPUSDT_* environment variables, and
// validating them. Nothing here is global: Load returns a value that the
// caller passes down.
package config

import (
	"time"

	"github.com/shopspring/decimal"
)

// Config is the whole effective configuration. Field tags:
//
//	key:"name"     the .env key (lower case); EPUSDT_<NAME> overrides it
//	secret:"true"  masked wherever the value is shown
//	prefix:"p_"    on a nested struct: its keys are prefixed with p_
//	unit:"x"       the unit a bare number means for a duration (s, m, h, ms)
//	help:"…"       one line for the README and `config check`
type Config struct {
	AppName         string `key:"app_name" help:"name shown on pages and in logs"`
	AppURI          string `key:"app_uri" help:"public base URL; payment_url is app_uri + /pay/checkout-counter/<trade_id>"`
	AppDebug        bool   `key:"app_debug" help:"console logs and request logging"`
	HTTPListen      string `key:"http_listen" help:"listen address of the HTTP server"`
	StaticPath      string `key:"static_path" help:"URL path prefix of the embedded static assets"`
	RuntimeRootPath string `key:"runtime_root_path" help:"directory for the SQLite database, logs and generated secrets"`
	LogSavePath     string `key:"log_save_path" help:"log directory, below runtime_root_path"`
	LogMaxSize      int    `key:"log_max_size" help:"megabytes per log file before rotation"`
	LogMaxAge       int    `key:"log_max_age" help:"days to keep rotated logs"`
	MaxBackups      int    `key:"max_backups" help:"rotated log files to keep"`

	ShutdownTimeout  time.Duration `key:"shutdown_timeout" unit:"s" help:"how long a graceful shutdown may take"`
	HTTPBodyLimit    int64         `key:"http_body_limit" help:"largest accepted request body in bytes"`
	HTTPReadTimeout  time.Duration `key:"http_read_timeout" unit:"s" help:"server read timeout (headers and body)"`
	HTTPWriteTimeout time.Duration `key:"http_write_timeout" unit:"s" help:"server write timeout"`
	HTTPIdleTimeout  time.Duration `key:"http_idle_timeout" unit:"s" help:"keep-alive idle timeout"`

	DBType                 string `key:"db_type" help:"sqlite, mysql or postgres"`
	DBDSN                  string `key:"db_dsn" secret:"true" help:"full DSN instead of the split fields (mysql: go-sql-driver form; postgres: URL or key=value)"`
	SqliteDatabaseFilename string `key:"sqlite_database_filename" help:"SQLite file, relative to runtime_root_path unless absolute"`
	MySQL                  DB     `prefix:"mysql_"`
	Postgres               DB     `prefix:"postgres_"`

	RedisHost        string `key:"redis_host" help:"Redis host; empty = no Redis (in-memory limiter and nonces)"`
	RedisPort        int    `key:"redis_port" help:"Redis port"`
	RedisPasswd      string `key:"redis_passwd" secret:"true" help:"Redis password"`
	RedisDB          int    `key:"redis_db" help:"Redis database number"`
	RedisPoolSize    int    `key:"redis_pool_size" help:"Redis connection pool size"`
	RedisMaxRetries  int    `key:"redis_max_retries" help:"Redis command retries"`
	RedisIdleTimeout int    `key:"redis_idle_timeout" help:"seconds an idle Redis connection is kept"`

	QueueConcurrency   int `key:"queue_concurrency" help:"callback delivery workers"`
	QueueLevelCritical int `key:"queue_level_critical" help:"priority weight of paid-order callbacks"`
	QueueLevelDefault  int `key:"queue_level_default" help:"priority weight of resent callbacks"`
	QueueLevelLow      int `key:"queue_level_low" help:"priority weight of other callbacks (expired)"`

	TgBotToken string `key:"tg_bot_token" secret:"true" help:"Telegram bot token; empty = no bot"`
	TgProxy    string `key:"tg_proxy" help:"alternative Telegram Bot API base URL"`
	TgManage   string `key:"tg_manage" help:"comma list of Telegram user ids served by the bot"`
	Telegram   Telegram

	APIAuthToken      string        `key:"api_auth_token" secret:"true" help:"merchant API signing token; empty = generated once into runtime/"`
	AdminJWTSecret    string        `key:"admin_jwt_secret" secret:"true" help:"admin JWT HMAC key; empty = generated once into runtime/"`
	AdminInitUsername string        `key:"admin_init_username" help:"first admin's user name"`
	AdminInitPassword string        `key:"admin_init_password" secret:"true" help:"first admin's password; empty = generated and printed once"`
	AdminAccessTTL    time.Duration `key:"admin_access_ttl" unit:"s" help:"admin access token lifetime"`
	AdminRefreshTTL   time.Duration `key:"admin_refresh_ttl" unit:"s" help:"admin refresh token lifetime"`
	AuditLogEnabled   bool          `key:"audit_log_enabled" help:"record admin and bot actions"`
	AuditRetention    int           `key:"audit_log_retention_days" help:"days audit entries are kept"`

	Orders   Orders
	Rates    Rates
	Callback Callback
	Guard    Guard
	Ops      Ops

	ChainLeaseTTL time.Duration `key:"chain_lease_ttl" unit:"s" help:"how long a chain scanner lease lasts; another instance takes over after it"`
	TronGridKey   string        `key:"trongrid_api_key" secret:"true" help:"sent as TRON-PRO-API-KEY to TRON RPC URLs"`
	Tron          Chain         `prefix:"tron_"`
	Eth           Chain         `prefix:"eth_"`
	BSC           Chain         `prefix:"bsc_"`
	Polygon       Chain         `prefix:"polygon_"`
}

// DB holds the split connection fields of MySQL or PostgreSQL.
type DB struct {
	Host         string        `key:"host" help:"database host"`
	Port         int           `key:"port" help:"database port"`
	User         string        `key:"user" help:"database user"`
	Passwd       string        `key:"passwd" secret:"true" help:"database password"`
	Database     string        `key:"database" help:"database name"`
	MaxIdleConns int           `key:"max_idle_conns" help:"idle connections kept in the pool"`
	MaxOpenConns int           `key:"max_open_conns" help:"open connections at most"`
	MaxLifeTime  time.Duration `key:"max_life_time" unit:"h" help:"connection lifetime (bare number = hours, as upstream)"`
}

// Orders holds the order and amount-slot rules.
type Orders struct {
	ExpirationMinutes int             `key:"order_expiration_time" help:"minutes an order waits for payment"`
	TimeoutMin        time.Duration   `key:"order_timeout_min" unit:"s" help:"smallest per-order timeout a request may ask for"`
	TimeoutMax        time.Duration   `key:"order_timeout_max" unit:"s" help:"largest per-order timeout a request may ask for"`
	LatePaymentGrace  time.Duration   `key:"late_payment_grace" unit:"s" help:"after expiry, how long the amount slot stays held and a payment is still recognised"`
	AcceptLate        bool            `key:"accept_late_payments" help:"a payment within the grace marks the order paid (flagged late); false = only recorded"`
	MatchTimeSkew     time.Duration   `key:"match_time_skew" unit:"s" help:"tolerance between block time and order creation time"`
	AmountStep        decimal.Decimal `key:"amount_step" help:"USDT step between amount slots"`
	AmountMaxTries    int             `key:"amount_max_tries" help:"amount steps tried before answering 10005"`
	DefaultTradeType  string          `key:"default_trade_type" help:"trade_type when a request has none"`
	DefaultFiat       string          `key:"default_fiat" help:"fiat when a request has none"`
	ExpireInterval    time.Duration   `key:"expire_interval" unit:"s" help:"how often the expirer runs"`
}

// Rates holds the exchange-rate settings.
type Rates struct {
	ForcedUSDTRate  decimal.Decimal `key:"forced_usdt_rate" help:"fixed fiat per USDT rate when > 0 (no providers used)"`
	Sources         []string        `key:"rate_sources" help:"rate providers in order of preference (okx, coingecko)"`
	OKXURL          string          `key:"rate_okx_url" help:"OKX C2C/ticker URL"`
	CoinGeckoURL    string          `key:"rate_coingecko_url" help:"CoinGecko simple price URL"`
	RefreshInterval time.Duration   `key:"rate_refresh_interval" unit:"s" help:"how often rates are refreshed"`
	MaxAge          time.Duration   `key:"rate_max_age" unit:"s" help:"older rates are unusable (10006)"`
	AdjustPercent   decimal.Decimal `key:"rate_adjust_percent" help:"percent added to the fetched rate (spread)"`
}

// Callback holds merchant callback delivery settings.
type Callback struct {
	MaxRetry     int           `key:"order_notice_max_retry" help:"callback retries after the first attempt"`
	Timeout      time.Duration `key:"callback_timeout" unit:"s" help:"timeout of one callback attempt"`
	NotifyExpire bool          `key:"notify_expired" help:"also send a status 3 callback for expired orders"`
	BlockPrivate bool          `key:"notify_block_private" help:"refuse notify_url on loopback and private networks"`
	LeaseTTL     time.Duration `key:"callback_lease_ttl" unit:"s" help:"how long a worker holds a claimed callback job"`
}

// Guard holds rate limits, replay protection and proxy trust.
type Guard struct {
	LimitAPI       string        `key:"rate_limit_api" help:"signed API requests per client IP, N/window"`
	LimitStatus    string        `key:"rate_limit_status" help:"cashier and check-status requests per client IP, N/window"`
	LimitLogin     string        `key:"rate_limit_login" help:"admin login attempts per IP and per user, N/window"`
	FailOpen       bool          `key:"rate_limit_fail_open" help:"when Redis is down, let API requests through"`
	LoginFailOpen  bool          `key:"rate_limit_login_fail_open" help:"when Redis is down, let login attempts through"`
	TrustedProxies []string      `key:"trusted_proxies" help:"comma list of proxy IPs/CIDRs whose X-Forwarded-For/X-Real-IP is believed"`
	ReplayWindow   time.Duration `key:"api_replay_window" unit:"s" help:"accepted clock skew of signed timestamps and nonce memory"`
	RequireNonce   bool          `key:"api_require_nonce" help:"signed requests must carry timestamp and nonce"`
}

// Telegram holds the bot's notification switches.
type Telegram struct {
	NotifyPaid           bool          `key:"tg_notify_paid" help:"notify managers of paid orders"`
	NotifyCallbackFailed bool          `key:"tg_notify_callback_failed" help:"notify when a callback fails for good"`
	NotifyTransfer       bool          `key:"tg_notify_transfer" help:"notify of unmatched, partial and late transfers"`
	NotifyChain          bool          `key:"tg_notify_chain" help:"notify when a chain watcher lags or its RPCs fail"`
	NotifyRate           bool          `key:"tg_notify_rate" help:"notify when the exchange rate is stale"`
	NotifyLifecycle      bool          `key:"tg_notify_lifecycle" help:"notify when the gateway starts and stops"`
	ChainLagThreshold    time.Duration `key:"tg_chain_lag_threshold" unit:"s" help:"watcher lag that triggers a notification"`
}

// Ops holds metrics, readiness and backup settings.
type Ops struct {
	MetricsListen   string        `key:"metrics_listen" help:"separate listen address for /metrics; empty = main port"`
	MetricsToken    string        `key:"metrics_token" secret:"true" help:"bearer token required for /metrics on the main port"`
	ReadyMaxLag     time.Duration `key:"ready_max_chain_lag" unit:"s" help:"a chain lagging more than this makes /readyz report not ready"`
	BackupDir       string        `key:"backup_dir" help:"where scripts/backup.sh writes, for epusdt check"`
	BackupKeep      int           `key:"backup_keep" help:"archives kept by scripts/backup.sh"`
	BackupMaxAgeHrs int           `key:"backup_max_age_hours" help:"epusdt check warns when the newest backup is older"`
}

// Chain is one chain's watcher configuration.
type Chain struct {
	Enabled       bool          `key:"enabled" help:"scan this chain"`
	RPCURLs       []string      `key:"rpc_urls" help:"comma list of JSON-RPC URLs, tried in turn on errors"`
	USDTContract  string        `key:"usdt_contract" help:"USDT contract address"`
	USDTDecimals  int           `key:"usdt_decimals" help:"USDT decimals"`
	Settle        string        `key:"settle" help:"finalized, or a number of confirmations"`
	PollInterval  time.Duration `key:"poll_interval" unit:"s" help:"how often the head is polled"`
	MaxBlockRange uint64        `key:"max_block_range" help:"largest eth_getLogs block range (shrinks on provider errors)"`
	AddressChunk  int           `key:"address_chunk" help:"watched addresses per eth_getLogs call (at most 1000)"`
	StartLookback uint64        `key:"start_lookback" help:"blocks before the settled head where a new chain starts"`
	RPCTimeout    time.Duration `key:"rpc_timeout" unit:"s" help:"timeout of one RPC request"`
}

// OrderExpiration is order_expiration_time as a duration.
func (o Orders) OrderExpiration() time.Duration {
	return time.Duration(o.ExpirationMinutes) * time.Minute
}

// Chains returns the four chain configurations keyed by chain name
// (tron, ethereum, bsc, polygon: the names wallets and orders use).
func (c *Config) Chains() map[string]*Chain {
	return map[string]*Chain{"tron": &c.Tron, "ethereum": &c.Eth, "bsc": &c.BSC, "polygon": &c.Polygon}
}
