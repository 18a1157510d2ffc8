-- Each user's key, pinned at first contact (SECURITY.md "Devices"): devices it did not approve
-- are refused. A different key seen since is kept in changed_key until the local user accepts it.
CREATE TABLE user_keys (
    user_uri    TEXT PRIMARY KEY,
    user_key    BLOB NOT NULL,
    pinned_at   INTEGER NOT NULL,
    changed_key BLOB,
    changed_at  INTEGER
);
