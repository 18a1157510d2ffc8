-- Conclave client schema, version 1. Append-only: never edit once released; add 0002_… instead.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE rooms (
    uri       TEXT PRIMARY KEY,
    group_id  BLOB NOT NULL UNIQUE,
    name      TEXT NOT NULL DEFAULT '',
    joined_at INTEGER NOT NULL,
    left_at   INTEGER
);
CREATE TABLE messages (
    room_uri      TEXT NOT NULL REFERENCES rooms(uri),
    id            BLOB NOT NULL,
    sender_user   TEXT NOT NULL,
    sender_client TEXT NOT NULL,
    timestamp     INTEGER NOT NULL,
    content       BLOB NOT NULL,
    text          TEXT,
    PRIMARY KEY (room_uri, id)
);
CREATE INDEX messages_order ON messages(room_uri, timestamp, id);
-- Own devices announced by the hub that still have to be added to this client's rooms.
CREATE TABLE pending_devices (
    client_uri TEXT PRIMARY KEY
);
