package config

import (
	"time"

	"github.com/shopspring/decimal"
)

// Default returns the configuration used for every key that is not set.
func Default() Config {
	return Config{
		AppName:         "epusdt",
		AppURI:          "http://127.0.0.1:8000",
		HTTPListen:      ":8000",
		StaticPath:      "/static",
		RuntimeRootPath: "./runtime",
		LogSavePath:     "/logs",
		LogMaxSize:      32,
		LogMaxAge:       7,
		MaxBackups:      3,

		ShutdownTimeout:  15 * time.Second,
		HTTPBodyLimit:    64 << 10,
		HTTPReadTimeout:  10 * time.Second,
		HTTPWriteTimeout: 30 * time.Second,
		HTTPIdleTimeout:  120 * time.Second,

		DBType:                 "sqlite",
		SqliteDatabaseFilename: "epusdt.db",
		MySQL: DB{Host: "127.0.0.1", Port: 3306, User: "root", Database: "epusdt",
			MaxIdleConns: 20, MaxOpenConns: 100, MaxLifeTime: 6 * time.Hour},
		Postgres: DB{Host: "127.0.0.1", Port: 5432, User: "postgres", Database: "epusdt",
			MaxIdleConns: 20, MaxOpenConns: 100, MaxLifeTime: 6 * time.Hour},

		RedisPort:        6379,
		RedisPoolSize:    10,
		RedisMaxRetries:  3,
		RedisIdleTimeout: 300,

		QueueConcurrency:   10,
		QueueLevelCritical: 6,
		QueueLevelDefault:  3,
		QueueLevelLow:      1,

		Telegram: Telegram{NotifyPaid: true, NotifyCallbackFailed: true, NotifyTransfer: true,
			NotifyChain: true, NotifyRate: true, NotifyLifecycle: true, ChainLagThreshold: 5 * time.Minute},

		AdminInitUsername: "admin",
		AdminAccessTTL:    15 * time.Minute,
		AdminRefreshTTL:   7 * 24 * time.Hour,
		AuditLogEnabled:   true,
		AuditRetention:    400,

		Orders: Orders{
			ExpirationMinutes: 10,
			TimeoutMin:        60 * time.Second,
			TimeoutMax:        24 * time.Hour,
			LatePaymentGrace:  10 * time.Minute,
			AcceptLate:        true,
			MatchTimeSkew:     60 * time.Second,
			AmountStep:        decimal.New(1, -2),
			AmountMaxTries:    100,
			DefaultTradeType:  "usdt.trc20",
			DefaultFiat:       "CNY",
			ExpireInterval:    time.Second,
		},
		Rates: Rates{
			Sources:         []string{"okx", "coingecko"},
			OKXURL:          "https://www.okx.com/v3/c2c/tradingOrders/books?quoteCurrency={fiat}&baseCurrency=usdt&side=sell&paymentMethod=all&userType=all",
			CoinGeckoURL:    "https://api.coingecko.com/api/v3/simple/price?ids=tether&vs_currencies={fiat}",
			RefreshInterval: 60 * time.Second,
			MaxAge:          10 * time.Minute,
		},
		Callback: Callback{MaxRetry: 10, Timeout: 10 * time.Second, LeaseTTL: 60 * time.Second},
		Guard: Guard{
			LimitAPI:     "120/1m",
			LimitStatus:  "600/1m",
			LimitLogin:   "10/15m",
			FailOpen:     true,
			ReplayWindow: 300 * time.Second,
		},
		Ops: Ops{ReadyMaxLag: 10 * time.Minute, BackupKeep: 14, BackupMaxAgeHrs: 48},

		ChainLeaseTTL: 15 * time.Second,
		Tron: Chain{Enabled: true, RPCURLs: []string{"https://api.trongrid.io/jsonrpc"},
			USDTContract: "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", USDTDecimals: 6, Settle: "finalized",
			PollInterval: 3 * time.Second, MaxBlockRange: 1000, AddressChunk: 1000, StartLookback: 100,
			RPCTimeout: 10 * time.Second},
		Eth: Chain{USDTContract: "0xdAC17F958D2ee523a2206206994597C13D831ec7", USDTDecimals: 6, Settle: "12",
			PollInterval: 12 * time.Second, MaxBlockRange: 1000, AddressChunk: 1000, StartLookback: 50,
			RPCTimeout: 10 * time.Second},
		BSC: Chain{USDTContract: "0x55d398326f99059fF775485246999027B3197955", USDTDecimals: 18, Settle: "finalized",
			PollInterval: 3 * time.Second, MaxBlockRange: 1000, AddressChunk: 1000, StartLookback: 200,
			RPCTimeout: 10 * time.Second},
		Polygon: Chain{USDTContract: "0xc2132D05D31c914a87C6611C10748AEb04B58e8F", USDTDecimals: 6, Settle: "finalized",
			PollInterval: 3 * time.Second, MaxBlockRange: 1000, AddressChunk: 1000, StartLookback: 200,
			RPCTimeout: 10 * time.Second},
	}
}
