-- Clients a leave or removal accepted by the hub takes out of a room: from then on they get
-- nothing of the room but the commit that removes them (PROTO §5.5, §7.1). Cleared by the
-- next commit, which must include those proposals (PROTO §3.5).
CREATE TABLE departing (
    room_uri   TEXT NOT NULL REFERENCES rooms(uri),
    client_uri TEXT NOT NULL,
    PRIMARY KEY (room_uri, client_uri)
);
