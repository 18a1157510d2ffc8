-- Conclave client schema, version 5: connections (MIMIMI §5). One row per peer user:
-- requested (we asked), incoming (they asked) or connected; their connection key once known;
-- for our pending request, the one-time HPKE response secret; for theirs, the opened request.
CREATE TABLE connections (
    user_uri        TEXT PRIMARY KEY,
    state           TEXT NOT NULL,
    their_key       BLOB,
    response_secret BLOB,
    response_key    BLOB,
    updated_at      INTEGER NOT NULL
);
