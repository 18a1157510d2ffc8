-- Conclave client schema, version 8: what the room list shows without loading a room's MLS
-- state: the preset its roles match (NULL: edited roles), whether it is pseudonymous, and the
-- read marker (the hub timestamp of the last message the user has seen).
ALTER TABLE rooms ADD COLUMN preset TEXT;
ALTER TABLE rooms ADD COLUMN pseudonymous INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rooms ADD COLUMN last_read INTEGER NOT NULL DEFAULT 0;
