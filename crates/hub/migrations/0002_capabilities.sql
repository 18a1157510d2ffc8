-- Conclave hub schema, version 2: what each member client's role lets it do with messages
-- (POLICY §8.3), kept beside the membership so that submit and fan-out need no MLS state, and
-- the count of application messages withheld from clients whose role lacks canReceiveMessage.
ALTER TABLE room_members ADD COLUMN can_send INTEGER NOT NULL DEFAULT 1;
ALTER TABLE room_members ADD COLUMN can_receive INTEGER NOT NULL DEFAULT 1;
CREATE TABLE withheld (
    room_uri   TEXT NOT NULL,
    client_uri TEXT NOT NULL,
    count      INTEGER NOT NULL,
    PRIMARY KEY (room_uri, client_uri)
);
