//! A user's new device joining the pseudonymous rooms the user is in (SECURITY.md "Devices";
//! MIMIMI §4: every device of a user in a pseudonymous room is a client pseudonym of the user's
//! one user pseudonym there).
//!
//! The new device learns each room's user pseudonym from the keys its link code carried (never
//! from the hub), makes a client pseudonym under it with its own identity link, registers it and
//! leaves one KeyPackage here, under the pseudonym's own token. A device of the same user already
//! in the room — a client pseudonym with the same user pseudonym — claims it and adds it with the
//! identity link's wrapped key, as any pseudonymous add. The hub learns only what the leaves
//! show anyway: that two client pseudonyms share a user pseudonym. Whoever claims checks the
//! identity link against its own user's connection key, so a KeyPackage planted under someone
//! else's user pseudonym is never added.

use mimi::identity::PseudonymousCredential;
use mimi::identity::Trust;
use mimi::wire::Inline;
use openmls::prelude::{KeyPackageIn, ProtocolVersion};
use openmls_rust_crypto::RustCrypto;
use rusqlite::{Connection, params};

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::principal::Principal;
use crate::store::now_ms;

/// How long a sibling KeyPackage waits to be claimed.
pub const SIBLING_TTL_MS: u64 = 7 * 24 * 3600 * 1000;

fn require_pseudonym(auth: &Principal) -> Result<()> {
    if auth.is_pseudonym() {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "a sibling KeyPackage is a client pseudonym's: use the pseudonym's token".into(),
        ))
    }
}

/// `POST /v1/pseudonyms/sibling-key-package`: the calling client pseudonym leaves one
/// KeyPackage of its own for a device of its user pseudonym to claim (replacing an earlier one).
pub fn upload(
    conn: &Connection,
    trust: &Trust,
    limits: &Limits,
    auth: &Principal,
    key_package: &[u8],
) -> Result<()> {
    require_pseudonym(auth)?;
    Limits::check_size(
        key_package.len(),
        limits.max_key_package_bytes,
        "a KeyPackage",
    )?;
    let kp = Inline::<KeyPackageIn>::from_bytes(key_package.to_vec(), "KeyPackage")
        .and_then(|i| i.parse("KeyPackage"))
        .map_err(|e| Error::MalformedBody(e.to_string()))?
        .validate(&RustCrypto::default(), ProtocolVersion::Mls10)
        .map_err(|e| Error::MalformedBody(format!("invalid KeyPackage: {e}")))?;
    let leaf = kp.leaf_node();
    let id = trust
        .identify(leaf.credential(), leaf.signature_key().as_slice())
        .map_err(|e| Error::MalformedBody(format!("KeyPackage credential: {e}")))?;
    PseudonymousCredential::from_credential(leaf.credential()).map_err(|e| {
        Error::MalformedBody(format!(
            "a sibling KeyPackage needs a pseudonymous credential: {e}"
        ))
    })?;
    auth.require_client(&id.client, "the KeyPackage's client pseudonym")?;
    auth.require_user(&id.user, "the KeyPackage's user pseudonym")?;
    conn.execute(
        "DELETE FROM sibling_key_packages WHERE created_at < ?1",
        [now_ms().saturating_sub(SIBLING_TTL_MS) as i64],
    )?;
    conn.execute(
        "INSERT INTO sibling_key_packages (client_uri, user_pseudonym, data, created_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(client_uri) DO UPDATE SET data = excluded.data, created_at = excluded.created_at",
        params![
            auth.client.to_string(),
            auth.user.to_string(),
            key_package,
            now_ms() as i64
        ],
    )?;
    Ok(())
}

/// `POST /v1/pseudonyms/sibling-key-packages/claim`: hands out (once) the KeyPackages other
/// client pseudonyms of the caller's user pseudonym left. Only a pseudonym that is in a room
/// claims: a lone one (registered under someone else's user pseudonym) cannot drain them.
pub fn claim(conn: &mut Connection, auth: &Principal) -> Result<Vec<Vec<u8>>> {
    require_pseudonym(auth)?;
    let in_a_room = conn
        .prepare_cached("SELECT 1 FROM room_members WHERE client_uri = ?1 LIMIT 1")?
        .exists([auth.client.to_string()])?;
    if !in_a_room {
        return Err(Error::NotMember(format!(
            "{} is in no room: only a member adds its user's devices",
            auth.client
        )));
    }
    let tx = conn.savepoint()?;
    let packages = tx
        .prepare(
            "DELETE FROM sibling_key_packages
             WHERE user_pseudonym = ?1 AND client_uri != ?2 AND created_at >= ?3
             RETURNING data",
        )?
        .query_map(
            params![
                auth.user.to_string(),
                auth.client.to_string(),
                now_ms().saturating_sub(SIBLING_TTL_MS) as i64
            ],
            |r| r.get(0),
        )?
        .collect::<Result<Vec<Vec<u8>>, _>>()?;
    tx.commit()?;
    Ok(packages)
}
