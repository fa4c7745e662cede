-- 0001: the initial schema. Times are unix milliseconds (UTC); amounts are
-- exact decimal text (fiat and USDT) or base-unit integer text.
CREATE TABLE wallets (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  chain VARCHAR(16) NOT NULL,
  address VARCHAR(64) NOT NULL,
  label VARCHAR(128) NOT NULL DEFAULT '',
  status SMALLINT NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT NULL,
  UNIQUE (chain, address)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  trade_id VARCHAR(32) NOT NULL UNIQUE,
  order_id VARCHAR(32) NOT NULL,
  active_order_id VARCHAR(32) NULL UNIQUE,
  chain VARCHAR(16) NOT NULL,
  trade_type VARCHAR(32) NOT NULL,
  token_contract VARCHAR(64) NOT NULL,
  decimals INT NOT NULL,
  fiat VARCHAR(8) NOT NULL,
  amount VARCHAR(40) NOT NULL,
  rate VARCHAR(40) NOT NULL,
  actual_amount VARCHAR(40) NOT NULL,
  amount_units VARCHAR(80) NOT NULL,
  token VARCHAR(64) NOT NULL,
  status SMALLINT NOT NULL,
  notify_url VARCHAR(1024) NOT NULL,
  redirect_url VARCHAR(1024) NOT NULL DEFAULT '',
  block_transaction_id VARCHAR(100) NOT NULL DEFAULT '',
  paid_at BIGINT NULL,
  is_late SMALLINT NOT NULL DEFAULT 0,
  canceled SMALLINT NOT NULL DEFAULT 0,
  callback_num INT NOT NULL DEFAULT 0,
  callback_confirm SMALLINT NOT NULL DEFAULT 2,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX orders_order_id ON orders (order_id);
CREATE INDEX orders_status_expires ON orders (status, expires_at);
CREATE INDEX orders_wallet_amount ON orders (chain, token, amount_units);
CREATE INDEX orders_created ON orders (created_at);

CREATE TABLE amount_slots (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  chain VARCHAR(16) NOT NULL,
  token_contract VARCHAR(64) NOT NULL,
  wallet VARCHAR(64) NOT NULL,
  amount_units VARCHAR(80) NOT NULL,
  trade_id VARCHAR(32) NOT NULL,
  held_until BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (chain, token_contract, wallet, amount_units)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX amount_slots_held_until ON amount_slots (held_until);
CREATE INDEX amount_slots_trade_id ON amount_slots (trade_id);

CREATE TABLE transfers (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  chain VARCHAR(16) NOT NULL,
  token_contract VARCHAR(64) NOT NULL,
  tx_hash VARCHAR(100) NOT NULL,
  log_index INT NOT NULL,
  block_number BIGINT NOT NULL,
  block_hash VARCHAR(100) NOT NULL,
  block_time BIGINT NOT NULL,
  from_address VARCHAR(64) NOT NULL,
  to_address VARCHAR(64) NOT NULL,
  amount_units VARCHAR(80) NOT NULL,
  decimals INT NOT NULL,
  state VARCHAR(16) NOT NULL,
  match_status VARCHAR(16) NOT NULL DEFAULT '',
  trade_id VARCHAR(32) NULL,
  note VARCHAR(255) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (chain, tx_hash, log_index)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX transfers_to ON transfers (chain, to_address);
CREATE INDEX transfers_trade ON transfers (trade_id);
CREATE INDEX transfers_state ON transfers (chain, state, block_number);
CREATE INDEX transfers_match ON transfers (match_status, created_at);

CREATE TABLE scan_cursors (
  chain VARCHAR(16) NOT NULL PRIMARY KEY,
  block_number BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE scanned_blocks (
  chain VARCHAR(16) NOT NULL,
  number BIGINT NOT NULL,
  hash VARCHAR(100) NOT NULL,
  parent_hash VARCHAR(100) NOT NULL,
  PRIMARY KEY (chain, number)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE leases (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  holder VARCHAR(128) NOT NULL,
  expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE callback_jobs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id VARCHAR(64) NOT NULL UNIQUE,
  trade_id VARCHAR(32) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  priority SMALLINT NOT NULL,
  status VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  max_attempts INT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  lease_holder VARCHAR(128) NULL,
  lease_until BIGINT NULL,
  last_error VARCHAR(1024) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  delivered_at BIGINT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX callback_jobs_due ON callback_jobs (status, next_attempt_at);
CREATE INDEX callback_jobs_trade ON callback_jobs (trade_id);

CREATE TABLE callback_deliveries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  job_id BIGINT NOT NULL,
  event_id VARCHAR(64) NOT NULL,
  trade_id VARCHAR(32) NOT NULL,
  attempt INT NOT NULL,
  url VARCHAR(1024) NOT NULL,
  http_status INT NOT NULL,
  duration_ms INT NOT NULL,
  response_body TEXT NOT NULL,
  error TEXT NOT NULL,
  created_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX callback_deliveries_job ON callback_deliveries (job_id);
CREATE INDEX callback_deliveries_trade ON callback_deliveries (trade_id);

CREATE TABLE settings (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE admins (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  username VARCHAR(64) NOT NULL UNIQUE,
  password_hash VARCHAR(255) NOT NULL,
  totp_secret VARCHAR(128) NOT NULL DEFAULT '',
  status SMALLINT NOT NULL DEFAULT 1,
  failed_logins INT NOT NULL DEFAULT 0,
  locked_until BIGINT NOT NULL DEFAULT 0,
  password_changed_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE admin_refresh_tokens (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  admin_id BIGINT NOT NULL,
  token_hash VARCHAR(128) NOT NULL UNIQUE,
  family VARCHAR(64) NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT NULL,
  revoked_at BIGINT NULL,
  created_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX admin_refresh_family ON admin_refresh_tokens (family);

CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  actor VARCHAR(128) NOT NULL,
  actor_kind VARCHAR(16) NOT NULL,
  action VARCHAR(64) NOT NULL,
  target VARCHAR(255) NOT NULL DEFAULT '',
  detail TEXT NOT NULL,
  ip VARCHAR(64) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX audit_log_created ON audit_log (created_at);
CREATE INDEX audit_log_action ON audit_log (action, created_at);
