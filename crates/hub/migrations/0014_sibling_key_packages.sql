-- A user's new device joining the pseudonymous rooms the user is in (crates/hub/src/siblings.rs):
-- one KeyPackage per new client pseudonym, claimed by a client pseudonym of the same user
-- pseudonym that is in the room. Nothing here names an account.
CREATE TABLE sibling_key_packages (
    client_uri     TEXT PRIMARY KEY,
    user_pseudonym TEXT NOT NULL,
    data           BLOB NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX sibling_key_packages_user ON sibling_key_packages(user_pseudonym);
