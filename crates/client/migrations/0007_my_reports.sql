-- Conclave client schema, version 7: the abuse reports this client filed ("My reports"), as the
-- hub accepted them.
CREATE TABLE my_reports (
    hub_id      INTEGER NOT NULL,
    room_uri    TEXT NOT NULL,
    abuser      TEXT NOT NULL,
    message_ids TEXT NOT NULL,
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL,
    filed_at    INTEGER NOT NULL,
    PRIMARY KEY (hub_id, room_uri)
);
