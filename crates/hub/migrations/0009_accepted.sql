-- What the hub accepted in a room's recent epochs, by the SHA-256 of the exact MLSMessage (a
-- commit, the first proposal of a bundle, or an application message): a retry of something
-- already accepted gets the original answer instead of a second acceptance (RELIABILITY.md).
CREATE TABLE accepted (
    room_uri   TEXT NOT NULL REFERENCES rooms(uri),
    hash       BLOB NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('commit', 'proposal', 'message')),
    sender     TEXT NOT NULL,
    epoch      INTEGER NOT NULL,
    timestamp  INTEGER NOT NULL,
    new_epoch  INTEGER NOT NULL,
    frank      BLOB,
    PRIMARY KEY (room_uri, hash)
);
CREATE INDEX accepted_by_epoch ON accepted(room_uri, epoch);
