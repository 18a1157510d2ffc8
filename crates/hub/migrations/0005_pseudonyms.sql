-- Conclave hub schema, version 5: pseudonymous rooms (PROTO §6.1, MIMIMI -01 §4, §8).
-- Nothing here names a real client or user: a pseudonym is reached by its own token, pseudonymous
-- KeyPackages are indexed by the owner's connection token (which only connected users can
-- derive), and the identity-link keys are wrapped under a room key the hub never sees.
CREATE TABLE pseudonyms (
    client_uri TEXT PRIMARY KEY,
    user_uri   TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE pseudonymous_key_packages (
    id               INTEGER PRIMARY KEY,
    connection_token BLOB NOT NULL,
    user_pseudonym   TEXT NOT NULL,
    set_size         INTEGER NOT NULL,
    client_uri       TEXT NOT NULL UNIQUE,
    data             BLOB NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX pseudonymous_key_packages_set
    ON pseudonymous_key_packages(connection_token, user_pseudonym);
CREATE TABLE identity_links (
    room_uri   TEXT NOT NULL REFERENCES rooms(uri),
    client_uri TEXT NOT NULL,
    wrapped    BLOB NOT NULL,
    PRIMARY KEY (room_uri, client_uri)
);
