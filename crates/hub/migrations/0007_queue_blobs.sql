-- Conclave hub schema, version 7: a fan-out's payload is stored once, however many queues get it
-- (a commit to every member, a Welcome with the whole ratchet tree to every added client).
CREATE TABLE queue_blobs (
    id   INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
ALTER TABLE queue ADD COLUMN blob_id INTEGER REFERENCES queue_blobs(id);
CREATE INDEX queue_blob ON queue(blob_id) WHERE blob_id IS NOT NULL;
