-- 0005: amount slots looked up by amount across all wallets (payment's
-- free-slot search); the unique key leads with wallet and cannot serve it.
CREATE INDEX amount_slots_amount ON amount_slots (chain, token_contract, amount_units);
