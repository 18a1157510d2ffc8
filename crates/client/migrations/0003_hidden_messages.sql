-- Conclave client schema, version 3: receive-revocation and mute (POLICY §8.3).
-- Messages that arrive while the local user's role lacks canReceiveMessage (or whose sender's
-- role lacked canSendMessage) are never stored: only counted here.
ALTER TABLE rooms ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
-- The role a user had before this client muted or suspended them, for unmute/unsuspend.
CREATE TABLE previous_roles (
    room_uri   TEXT NOT NULL,
    user_uri   TEXT NOT NULL,
    role_index INTEGER NOT NULL,
    PRIMARY KEY (room_uri, user_uri)
);
