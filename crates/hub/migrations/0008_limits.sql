-- Conclave hub schema, version 8: one identity per token, and the hub's quotas (SECURITY.md).
-- Pseudonyms are looked up by user pseudonym when an account registers (no name of one kind may
-- name the other), and clients by user.
CREATE INDEX pseudonyms_user ON pseudonyms(user_uri);
CREATE INDEX clients_user ON clients(user_uri);
-- A link code dies after too many wrong tries at its user's name.
ALTER TABLE link_codes ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
-- Connection requests relayed and not yet answered (MIMIMI §5): one per pair, a quota per sender
-- and per recipient. A response from the recipient, or age, ends one.
CREATE TABLE connection_requests (
    from_user  TEXT NOT NULL,
    to_user    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (from_user, to_user)
);
CREATE INDEX connection_requests_to ON connection_requests(to_user);
-- Users a user blocked: their connection requests and invitations no longer reach the blocker.
CREATE TABLE blocks (
    user_uri    TEXT NOT NULL,
    blocked_uri TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_uri, blocked_uri)
);
-- Reports per reporter per hour.
CREATE INDEX reports_reporter ON reports(reporter, created_at);
