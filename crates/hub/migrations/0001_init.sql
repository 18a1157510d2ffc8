-- Conclave hub schema, version 1. Append-only: never edit once released; add 0002_… instead.
CREATE TABLE users (
    uri        TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE clients (
    uri           TEXT PRIMARY KEY,
    user_uri      TEXT NOT NULL REFERENCES users(uri),
    token_hash    BLOB NOT NULL UNIQUE,
    signature_key BLOB NOT NULL,
    credential    BLOB NOT NULL,
    announced     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE TABLE link_codes (
    code_hash  BLOB PRIMARY KEY,
    user_uri   TEXT NOT NULL REFERENCES users(uri),
    expires_at INTEGER NOT NULL
);
CREATE TABLE key_packages (
    id          INTEGER PRIMARY KEY,
    client_uri  TEXT NOT NULL REFERENCES clients(uri),
    data        BLOB NOT NULL,
    last_resort INTEGER NOT NULL
);
CREATE INDEX key_packages_client ON key_packages(client_uri, last_resort, id);
CREATE TABLE rooms (
    uri            TEXT PRIMARY KEY,
    group_id       BLOB NOT NULL UNIQUE,
    creator        TEXT NOT NULL,
    epoch          INTEGER NOT NULL,
    group_info     BLOB NOT NULL,
    last_timestamp INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE TABLE room_members (
    room_uri   TEXT NOT NULL REFERENCES rooms(uri),
    client_uri TEXT NOT NULL,
    user_uri   TEXT NOT NULL,
    leaf_index INTEGER NOT NULL,
    PRIMARY KEY (room_uri, client_uri)
);
CREATE INDEX room_members_client ON room_members(client_uri);
CREATE TABLE queue_heads (
    client_uri TEXT PRIMARY KEY,
    next_seq   INTEGER NOT NULL
);
CREATE TABLE queue (
    client_uri TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    room_uri   TEXT,
    data       BLOB NOT NULL,
    PRIMARY KEY (client_uri, seq)
);
