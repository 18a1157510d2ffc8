-- Conclave hub schema, version 3: franking and abuse reports (PROTO §5.4.1, §5.9).
-- The franking signature key each room names in its franking_agent component.
ALTER TABLE rooms ADD COLUMN franking_key BLOB;
-- Filed abuse reports. A message's text is stored only once it is reported.
CREATE TABLE reports (
    id             INTEGER PRIMARY KEY,
    room_uri       TEXT NOT NULL,
    reporter       TEXT NOT NULL,
    alleged_abuser TEXT NOT NULL,
    reason         TEXT NOT NULL,
    note           TEXT NOT NULL,
    verified       INTEGER NOT NULL,
    messages       TEXT NOT NULL,  -- JSON: [{text, sender, timestamp, verified, problem}]
    status         TEXT NOT NULL,  -- open | dismissed | upheld
    created_at     INTEGER NOT NULL,
    resolved_at    INTEGER
);
