-- A handshake this client sent whose answer it has not seen (RELIABILITY.md): the exact bundle,
-- sent again as it is until the hub answers; the hub answers a retry of what it accepted with
-- its original answer. At most one per room: a commit, or the proposals of a leave.
CREATE TABLE pending_handshakes (
    room_uri   TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('commit', 'leave')),
    hash       BLOB NOT NULL,
    bundle     BLOB NOT NULL,
    epoch      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- Messages encrypted and sent, not yet acknowledged: sent again with the same bytes (the hub
-- answers with the original frank), or encrypted anew if the room moved on before the hub took
-- them. Removed in the transaction that stores the acknowledged message.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    room_uri   TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sender     TEXT NOT NULL,
    salt       BLOB NOT NULL,
    content    BLOB NOT NULL,
    tagged     BLOB NOT NULL,
    request    BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_by_room ON outbox(room_uri, seq);

-- Queue entries this client could never use (undecodable, refused, for an epoch that will not
-- come): recorded with their bytes (at most 64 KiB) for diagnosis and acknowledged, so that one
-- such entry never stops a sync (RELIABILITY.md). The room's timeline shows an event for each.
CREATE TABLE unreadable_entries (
    queue_client TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    room_uri     TEXT,
    reason       TEXT NOT NULL,
    data         BLOB NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (queue_client, seq)
);
