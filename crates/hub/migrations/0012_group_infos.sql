-- The GroupInfo of each of a room's recent epochs (the last 64), as the committer gave it and the
-- hub checked it: a member who joins by a Welcome checks that the room it joined is the room the
-- hub follows at that epoch (SECURITY.md, "Joiners check what they join").
CREATE TABLE group_infos (
    room_uri   TEXT NOT NULL REFERENCES rooms(uri),
    epoch      INTEGER NOT NULL,
    group_info BLOB NOT NULL,
    PRIMARY KEY (room_uri, epoch)
);
