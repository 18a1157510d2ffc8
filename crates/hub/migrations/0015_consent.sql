-- Consent to be added (PROTO §5.7; crates/hub/src/consent.rs): a claim of a user's KeyPackages
-- needs the user's consent to the claimer, for any room ('') or one room. A connection records it
-- both ways. Requests wait for an answer like connection requests.
CREATE TABLE consents (
    granter    TEXT NOT NULL,
    grantee    TEXT NOT NULL,
    room_uri   TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (granter, grantee, room_uri)
);
CREATE INDEX consents_grantee ON consents(grantee);
CREATE TABLE consent_requests (
    requester  TEXT NOT NULL,
    target     TEXT NOT NULL,
    room_uri   TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (requester, target, room_uri)
);
CREATE INDEX consent_requests_target ON consent_requests(target);
