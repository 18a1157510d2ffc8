-- Conclave client schema, version 6: pseudonymous rooms (PROTO §6.1, MIMIMI -01 §4, §8).
-- One row per client pseudonym of this client: its user pseudonym (shared by the user's clients
-- in one room), its pseudonymous credential, its bearer token at the hub, its leaf signature key
-- (the private half is in the OpenMLS store), the room it is a member of once joined, the
-- cursor of its own queue at the hub, and whether the hub has accepted its token (a pseudonym
-- whose registration never completed is never used, and is forgotten on the next restock).
CREATE TABLE pseudonyms (
    client_uri    TEXT PRIMARY KEY,
    user_uri      TEXT NOT NULL,
    credential    BLOB NOT NULL,
    token         TEXT NOT NULL,
    signature_key BLOB NOT NULL,
    room_uri      TEXT,
    queue_cursor  INTEGER NOT NULL DEFAULT 0,
    registered    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX pseudonyms_room ON pseudonyms(room_uri);
-- The room's identity_link_wrapper_key (MIMIMI §4), from creation or the Welcome.
CREATE TABLE room_wrapper_keys (
    room_uri    TEXT PRIMARY KEY,
    wrapper_key BLOB NOT NULL
);
-- The wrapped identity_link_keys of a room's leaves, from commits' AddAAD and the hub.
CREATE TABLE identity_links (
    room_uri   TEXT NOT NULL,
    client_uri TEXT NOT NULL,
    wrapped    BLOB NOT NULL,
    PRIMARY KEY (room_uri, client_uri)
);
