-- Bearer tokens expire (limits.token_lifetime_secs) and are renewed while in use, or with a
-- signature of the device key once expired; a device that removed itself has its token revoked
-- (SECURITY.md). Tokens issued before this migration expire 30 days after it.
ALTER TABLE clients ADD COLUMN token_expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN revoked_at INTEGER;
ALTER TABLE clients ADD COLUMN last_active INTEGER;
ALTER TABLE clients ADD COLUMN last_signed_renewal INTEGER NOT NULL DEFAULT 0;
UPDATE clients SET token_expires_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 2592000000;
