-- Conclave hub schema, version 4: connections (MIMIMI §5). Each user's connection-establishment
-- public key (HPKE, X25519), served without authentication so that requesters stay unknown to
-- this provider when they fetch it.
ALTER TABLE users ADD COLUMN connection_key BLOB;
