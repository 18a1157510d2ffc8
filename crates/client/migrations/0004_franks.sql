-- Conclave client schema, version 4: franking (PROTO §5.4.1). Each message keeps the hub's Frank
-- beside its exact content bytes, and whether the receiver's checks passed: only verified
-- messages can be reported.
ALTER TABLE messages ADD COLUMN frank BLOB;
ALTER TABLE messages ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
