//! A new device joining the pseudonymous rooms its user is in (MIMIMI §4: in a pseudonymous room
//! every device of a user is a client pseudonym of the user's one user pseudonym there; hub side
//! in `conclave_hub::siblings`).
//!
//! The link code carries the user pseudonyms of the rooms (sealed: the hub never learns which
//! account they are); the new device makes a client pseudonym under each, with its own identity
//! link, and leaves a KeyPackage for it at the hub under the pseudonym's token — before its first
//! ordinary KeyPackages, whose upload tells the user's other devices. A device already in such a
//! room claims it and adds it as any pseudonymous add ([`crate::Room`]'s membership), after
//! checking that the identity link resolves to its own user.

use mimi::uri::UserUri;
use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::store;

/// The setting holding the user pseudonyms this device still has to prepare (JSON list).
const PENDING: &str = "sibling_user_pseudonyms";

/// Remembers the user pseudonyms a link code carried, for `Client::prepare_siblings`.
pub fn remember(conn: &Connection, user_pseudonyms: &[UserUri]) -> Result<()> {
    if user_pseudonyms.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = user_pseudonyms.iter().map(ToString::to_string).collect();
    store::set_meta(
        conn,
        PENDING,
        &serde_json::to_string(&list).map_err(|e| Error::Mls(e.to_string()))?,
    )
}

/// What this device still has to prepare (`Client::prepare_siblings` in `account/keys.rs`).
pub fn pending(conn: &Connection) -> Result<Vec<String>> {
    Ok(store::meta(conn, PENDING)?
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// `user_pseudonym` is prepared: its KeyPackage waits at the hub.
pub fn done(conn: &Connection, user_pseudonym: &str) -> Result<()> {
    let left: Vec<String> = pending(conn)?
        .into_iter()
        .filter(|x| x != user_pseudonym)
        .collect();
    store::set_meta(
        conn,
        PENDING,
        &serde_json::to_string(&left).map_err(|e| Error::Mls(e.to_string()))?,
    )
}
