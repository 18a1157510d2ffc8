-- A user key anchors each user's devices (SECURITY.md "Devices"): the first device registers
-- its public half; a device is approved once it uploads KeyPackages whose credential carries
-- that key's approval. Users registered before this migration have none (their devices are
-- taken as before; members, which pin user keys, refuse them).
ALTER TABLE users ADD COLUMN user_key BLOB;
ALTER TABLE clients ADD COLUMN approved INTEGER NOT NULL DEFAULT 0;
