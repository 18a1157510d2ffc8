//! The user key (SECURITY.md "Devices"; `mimi::credential::endorsement`): the user's first
//! device makes it, every device the user approves holds it (in the keystore), and it signs each
//! device's credential. Members pin each user's key at first contact and refuse — to add, and to
//! accept commits from — a device its user's pinned key did not approve, even when the hub serves
//! it. A user whose key changed is refused until the local user accepts the new key.

use ed25519_dalek::SigningKey;
use mimi::identity::Trust;
use mimi::ids::PROVIDER_CREDENTIAL_TYPE;
use openmls::prelude::{Credential, CredentialType};
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::keystore::SecretStore;
use crate::store::now_ms;

/// The keystore entry of the user key's seed.
const SECRET: &str = "user_key";

/// A new user key.
pub fn generate() -> SigningKey {
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

/// The user key this device holds, if any (devices set up before user keys hold none).
pub fn load(secrets: &dyn SecretStore) -> Result<Option<SigningKey>> {
    match secrets.get(SECRET)? {
        None => Ok(None),
        Some(b) => <[u8; 32]>::try_from(b.as_slice())
            .map(|s| Some(SigningKey::from_bytes(&s)))
            .map_err(|_| Error::Keystore("the user key in the keystore is damaged".into())),
    }
}

/// Keeps the user key in the keystore.
pub fn keep(secrets: &dyn SecretStore, key: &SigningKey) -> Result<()> {
    secrets.set(SECRET, &key.to_bytes())
}

/// Pins `user`'s key (the local user's own, at registration).
pub fn pin(conn: &Connection, user: &str, key: &[u8]) -> Result<()> {
    conn.execute(
        "INSERT INTO user_keys (user_uri, user_key, pinned_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(user_uri) DO UPDATE SET user_key = excluded.user_key,
           changed_key = NULL, changed_at = NULL",
        params![user, key, now_ms() as i64],
    )?;
    Ok(())
}

/// Why a device is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The device's user.
    pub user: String,
    /// The device.
    pub client: String,
    /// The sentence for the user.
    pub reason: String,
    /// The user's key was just seen to change (the first refusal with this new key): the UI
    /// warns ([`crate::ClientEvent::UserKeyChanged`]).
    pub key_changed: bool,
}

/// Checks that the device with `credential` and leaf key `signature_key` was approved by its
/// user's pinned key, pinning the key at first contact. A pseudonymous leaf is not checked here:
/// what it names is a pseudonym, and the real credential behind it is the resolver's.
pub fn check(
    conn: &Connection,
    trust: &Trust,
    credential: &Credential,
    signature_key: &[u8],
) -> Result<std::result::Result<(), Refusal>> {
    if credential.credential_type() != CredentialType::Other(PROVIDER_CREDENTIAL_TYPE) {
        return Ok(Ok(()));
    }
    let id = trust.identify(credential, signature_key)?;
    let (user, client) = (id.user.to_string(), id.client.to_string());
    let refuse = |reason: String, key_changed: bool| {
        Ok(Err(Refusal {
            user: user.clone(),
            client: client.clone(),
            reason,
            key_changed,
        }))
    };
    let key = match mimi::credential::endorsement_of(credential.serialized_content()) {
        Ok(Some(k)) => k,
        Ok(None) => {
            return refuse(
                format!(
                    "{client} is not approved by {user}'s user key: a device joins its user only with a link code from one of the user's devices"
                ),
                false,
            );
        }
        Err(e) => return refuse(format!("{client}: {e}"), false),
    };
    let pinned: Option<(Vec<u8>, Option<Vec<u8>>)> = conn
        .prepare_cached("SELECT user_key, changed_key FROM user_keys WHERE user_uri = ?1")?
        .query_row([&user], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match pinned {
        None => {
            pin(conn, &user, &key)?;
            Ok(Ok(()))
        }
        Some((p, _)) if p == key => Ok(Ok(())),
        Some((_, seen)) => {
            let first = seen.as_deref() != Some(key.as_slice());
            if first {
                conn.execute(
                    "UPDATE user_keys SET changed_key = ?2, changed_at = ?3 WHERE user_uri = ?1",
                    params![user, key, now_ms() as i64],
                )?;
            }
            refuse(
                format!(
                    "{user}'s user key changed since it was first seen, so {client}, which the new key approved, is refused: check with {user} that they reset their devices, then accept the new key"
                ),
                first,
            )
        }
    }
}

/// A user whose key changed since it was pinned.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChangedKey {
    /// The user.
    pub user: String,
    /// When the new key was first seen, ms.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seen_at: u64,
    /// The pinned key's fingerprint and the new one's (hex of their first 8 bytes).
    pub pinned: String,
    /// The new key's fingerprint.
    pub new: String,
}

/// The users whose key changed and who are refused until accepted.
pub fn changed(conn: &Connection) -> Result<Vec<ChangedKey>> {
    let fp = |k: &[u8]| hex::encode(&k[..k.len().min(8)]);
    let mut st = conn.prepare(
        "SELECT user_uri, changed_at, user_key, changed_key FROM user_keys
         WHERE changed_key IS NOT NULL ORDER BY changed_at",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(ChangedKey {
                user: r.get(0)?,
                seen_at: r.get::<_, i64>(1)? as u64,
                pinned: fp(&r.get::<_, Vec<u8>>(2)?),
                new: fp(&r.get::<_, Vec<u8>>(3)?),
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Accepts the new key of `user` in place of the pinned one: the local user checked with them.
/// Devices the new key approved are accepted from then on (those already refused are added by
/// the next commit that adds them).
pub fn accept(conn: &Connection, user: &str) -> Result<()> {
    let n = conn.execute(
        "UPDATE user_keys SET user_key = changed_key, pinned_at = ?2, changed_key = NULL,
           changed_at = NULL WHERE user_uri = ?1 AND changed_key IS NOT NULL",
        params![user, now_ms() as i64],
    )?;
    if n == 0 {
        return Err(Error::Usage(format!("{user}'s user key did not change")));
    }
    Ok(())
}
