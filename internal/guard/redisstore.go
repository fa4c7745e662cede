package guard

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/epusdt/epusdt/internal/config"
)

// DefaultKeyPrefix starts every Redis key the guard writes.
const DefaultKeyPrefix = "epusdt:guard:"

// slideScript is slide() from window.go in Lua, run atomically by Redis on
// one hash per key (fields i = fixed window index, c = current count,
// p = previous count). The clock is Redis's own (TIME), so every gateway
// instance agrees on window boundaries; ARGV[3] > 0 overrides it (tests).
// The key expires when its counts stop mattering, so Redis memory stays
// bounded by the number of clients seen within two windows.
var slideScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local limit = tonumber(ARGV[1])
local w = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now <= 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local idx = math.floor(now / w)
local elapsed = now - idx * w
local h = redis.call('HMGET', KEYS[1], 'i', 'c', 'p')
local si = tonumber(h[1])
local cur = tonumber(h[2]) or 0
local prev = tonumber(h[3]) or 0
if si ~= idx then
  if si == idx - 1 then prev = cur else prev = 0 end
  cur = 0
end
local ok = 0
if prev * (w - elapsed) + (cur + 1) * w <= limit * w then
  ok = 1
  cur = cur + 1
  redis.call('HSET', KEYS[1], 'i', idx, 'c', cur, 'p', prev)
  redis.call('PEXPIRE', KEYS[1], 2 * w - elapsed)
end
return {ok, prev, cur, elapsed}
`)

// RedisStore is the Store shared by every gateway instance using one Redis:
// one Lua script per rate-limit check, SET NX PX per nonce.
type RedisStore struct {
	rdb    *redis.Client
	prefix string
	clock  func() time.Time // nil: Redis server time (tests set it)
}

// NewRedisStore returns a store writing keys under prefix (DefaultKeyPrefix
// when empty).
func NewRedisStore(rdb *redis.Client, prefix string) *RedisStore {
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	return &RedisStore{rdb: rdb, prefix: prefix}
}

// Hit implements Store.
func (s *RedisStore) Hit(ctx context.Context, key string, limit int, window time.Duration) (Count, error) {
	var now int64
	if s.clock != nil {
		now = s.clock().UnixMilli()
	}
	res, err := slideScript.Run(ctx, s.rdb, []string{s.prefix + "rl:" + key}, limit, window.Milliseconds(), now).Int64Slice()
	if err != nil {
		return Count{}, fmt.Errorf("redis rate-limit script: %w", err)
	}
	if len(res) != 4 {
		return Count{}, fmt.Errorf("redis rate-limit script: %d results, want 4", len(res))
	}
	return Count{Allowed: res[0] == 1, Prev: res[1], Cur: res[2], Elapsed: time.Duration(res[3]) * time.Millisecond}, nil
}

// Claim implements Store.
func (s *RedisStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ttl = max(ttl.Round(time.Millisecond), time.Millisecond)
	ok, err := s.rdb.SetNX(ctx, s.prefix+"nonce:"+key, 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("redis set nonce: %w", err)
	}
	return ok, nil
}

// Ping implements Store.
func (s *RedisStore) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// NewRedisClient builds the process's Redis client from the redis_* keys,
// or returns nil when redis_host is empty. The app shares it with every part
// that needs Redis and closes it at shutdown. Calls honour context
// deadlines, so a Redis that stops answering costs a bounded wait.
func NewRedisClient(cfg *config.Config) *redis.Client {
	if cfg.RedisHost == "" {
		return nil
	}
	return redis.NewClient(&redis.Options{
		Addr:                  net.JoinHostPort(cfg.RedisHost, strconv.Itoa(cfg.RedisPort)),
		Password:              cfg.RedisPasswd,
		DB:                    cfg.RedisDB,
		PoolSize:              cfg.RedisPoolSize,
		MaxRetries:            cfg.RedisMaxRetries,
		ConnMaxIdleTime:       time.Duration(cfg.RedisIdleTimeout) * time.Second,
		DialTimeout:           2 * time.Second,
		ReadTimeout:           2 * time.Second,
		WriteTimeout:          2 * time.Second,
		ContextTimeoutEnabled: true,
		// Cluster maintenance push notifications are for managed Redis
		// Enterprise; off keeps the handshake plain.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
}
