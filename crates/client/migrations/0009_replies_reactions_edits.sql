-- Conclave client schema, version 9: replies, reactions, edits and deletes (CONTENT §3, §4.3;
-- POLICY §8.3). Every accepted content document keeps its own row with its exact bytes and frank
-- (so any version can be reported); `kind` says what the row is: 'message' (a timeline message,
-- plain or a reply), 'reaction', 'edit' (a document that replaces another: an edit, a delete or
-- an unlike) or 'event' (history). The columns below are derived when the row is stored.
-- The first version of the message this one answers or reacts to.
ALTER TABLE messages ADD COLUMN reply_to BLOB;
-- For 'edit' rows: the first version of the message or reaction they replace.
ALTER TABLE messages ADD COLUMN replaces BLOB;
-- For first versions: the newest applied edit (its ID), the hub time it was made, and whether
-- the message was deleted (its text is then gone from this row; the bytes stay for reports).
ALTER TABLE messages ADD COLUMN latest BLOB;
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_kind_order ON messages(room_uri, kind, timestamp);
