-- 0006: the last TOTP time step an admin logged in with, so a code, once
-- used, is refused for the rest of its validity window (RFC 6238 §5.2).
ALTER TABLE admins ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
