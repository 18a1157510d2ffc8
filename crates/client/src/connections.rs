//! Connections between users (MIMIMI §5, as `mimi::identity` simplifies it for one provider):
//! each user publishes a connection-establishment HPKE key at registration; a requester seals a
//! signed `ConnectionRequest` carrying its connection key to it, the hub relays it to the target's
//! clients, and the target answers with its own key in a `ConnectionResponse` sealed to the
//! request's one-time response key. Connected users can then derive each other's identity-link
//! keys, which pseudonymous rooms need to add each other (issue: pseudonymous rooms).
//!
//! Secrets (the establishment key's seed and the user's connection key) live in the keystore;
//! the per-peer state and keys in the `connections` table. The hub sees who asks whom, never
//! the keys. A user's later devices do not hold the establishment key (written down in the
//! architecture notes): requests are opened by the device that registered the user.

use mimi::identity::{
    ConnectionKey, ConnectionRequest, ConnectionResponse, OpenedConnectionRequest,
    connection_hpke_keypair,
};
use mimi::uri::UserUri;
use openmls_rust_crypto::RustCrypto;
use openmls_traits::signatures::Signer as _;
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::identity::Identity;
use crate::keystore::SecretStore;
use crate::store::now_ms;

pub(crate) const ESTABLISHMENT: &str = "connection_establishment";
pub(crate) const CONNECTION_KEY: &str = "connection_key";

/// A connection as listed to users.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectionInfo {
    /// The peer's user URI.
    pub user: String,
    /// `requested` (we asked), `incoming` (they asked) or `connected`.
    pub state: String,
}

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

pub(crate) fn secret32(secrets: &dyn SecretStore, name: &str) -> Result<Option<[u8; 32]>> {
    match secrets.get(name)? {
        None => Ok(None),
        Some(b) => b
            .try_into()
            .map(Some)
            .map_err(|_| Error::Keystore(format!("the {name} in the keystore is damaged"))),
    }
}

fn mls(e: impl std::fmt::Display) -> Error {
    Error::Mls(e.to_string())
}

/// Creates this user's establishment key and connection key; returns the public key to publish.
pub fn create_keys(secrets: &dyn SecretStore) -> Result<Vec<u8>> {
    let seed = random32();
    secrets.set(ESTABLISHMENT, &seed)?;
    secrets.set(CONNECTION_KEY, &random32())?;
    Ok(connection_hpke_keypair(&RustCrypto::default(), &seed)
        .map_err(mls)?
        .public)
}

pub(crate) fn my_connection_key(secrets: &dyn SecretStore) -> Result<ConnectionKey> {
    secret32(secrets, CONNECTION_KEY)?
        .map(ConnectionKey::from_bytes)
        .ok_or_else(|| {
            Error::Usage(
                "this device holds no connection key: connect from the device that registered the user"
                    .into(),
            )
        })
}

/// Builds a sealed request to `target` (whose establishment key is `their_public`) and records it.
pub fn request(
    conn: &Connection,
    secrets: &dyn SecretStore,
    id: &Identity,
    target: &UserUri,
    their_public: &[u8],
) -> Result<Vec<u8>> {
    if target == &id.user {
        return Err(Error::Usage("you cannot connect to yourself".into()));
    }
    if let Some(state) = state_of(conn, target)? {
        return Err(Error::Usage(format!("{target} is already {state}")));
    }
    let crypto = RustCrypto::default();
    // Every device of the user derives the same response key for `target`, so the answer opens
    // on whichever device reads it first.
    let response_seed = response_seed(secrets, target)?;
    let response = connection_hpke_keypair(&crypto, &response_seed).map_err(mls)?;
    let req = ConnectionRequest::new(
        id.credential_with_key().credential,
        target.clone(),
        my_connection_key(secrets)?,
        response.public.clone(),
        |tbs| id.signer.sign(tbs),
    )
    .map_err(mls)?;
    let sealed = req.seal(&crypto, their_public).map_err(mls)?;
    conn.execute(
        "INSERT INTO connections (user_uri, state, response_secret, updated_at)
         VALUES (?1, 'requested', ?2, ?3)",
        params![target.to_string(), response_seed.to_vec(), now_ms() as i64],
    )?;
    Ok(sealed)
}

/// The seed of the HPKE key a response from `target` is sealed to: derived from the user's
/// establishment secret, which all of the user's devices hold, and `target`.
fn response_seed(secrets: &dyn SecretStore, target: &UserUri) -> Result<[u8; 32]> {
    use sha2::Digest as _;
    let est = secret32(secrets, ESTABLISHMENT)?.ok_or_else(|| {
        Error::Usage("this device holds no connection keys: link it from a device that does".into())
    })?;
    let mut h = sha2::Sha256::new();
    h.update(b"conclave connection response key\0");
    h.update(est);
    h.update(target.to_string().as_bytes());
    Ok(h.finalize().into())
}

fn state_of(conn: &Connection, user: &UserUri) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT state FROM connections WHERE user_uri = ?1",
            [user.to_string()],
            |r| r.get(0),
        )
        .optional()?)
}

/// Processes a relayed request or response (a queue entry of kind `connection`).
pub fn receive(
    conn: &Connection,
    secrets: &dyn SecretStore,
    id: &Identity,
    data: &[u8],
) -> Result<Vec<ClientEvent>> {
    let dropped = |reason: String| {
        tracing::warn!(%reason, "dropped a connection message");
        Ok(vec![ClientEvent::Dropped { room: None, reason }])
    };
    let v: serde_json::Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        Err(e) => return dropped(format!("a connection message that is not JSON: {e}")),
    };
    let (Some(kind), Some(from), Some(sealed)) = (
        v.get("kind").and_then(|k| k.as_str()),
        v.get("from")
            .and_then(|f| f.as_str())
            .and_then(|f| UserUri::parse(f).ok()),
        v.get("sealed")
            .and_then(|s| s.as_str())
            .and_then(|s| crate::transport::unb64(s).ok()),
    ) else {
        return dropped("a connection message without kind, from or sealed".into());
    };
    let crypto = RustCrypto::default();
    // A copy of what one of this user's other devices sent: a request it made, or its answer.
    if v.get("own").and_then(|o| o.as_bool()) == Some(true) {
        let Some(to) = v
            .get("to")
            .and_then(|t| t.as_str())
            .and_then(|t| UserUri::parse(t).ok())
        else {
            return dropped("a copy of an own connection message without `to`".into());
        };
        return Ok(match kind {
            "request" => {
                conn.execute(
                    "INSERT INTO connections (user_uri, state, updated_at) VALUES (?1, 'requested', ?2)
                     ON CONFLICT(user_uri) DO NOTHING",
                    params![to.to_string(), now_ms() as i64],
                )?;
                Vec::new()
            }
            _ => {
                let n = conn.execute(
                    "UPDATE connections SET state = 'connected', response_key = NULL, updated_at = ?2
                     WHERE user_uri = ?1 AND state = 'incoming'",
                    params![to.to_string(), now_ms() as i64],
                )?;
                if n == 0 {
                    Vec::new()
                } else {
                    vec![ClientEvent::Connected {
                        user: to.to_string(),
                    }]
                }
            }
        });
    }
    match kind {
        "request" => {
            let Some(seed) = secret32(secrets, ESTABLISHMENT)? else {
                return dropped(
                    "a connection request reached a device without the establishment key".into(),
                );
            };
            let keypair = connection_hpke_keypair(&crypto, &seed).map_err(mls)?;
            let opened =
                match ConnectionRequest::open(&crypto, &keypair, &id.user, &sealed, &id.trust) {
                    Ok(o) => o,
                    Err(e) => {
                        return dropped(format!("a connection request that does not open: {e}"));
                    }
                };
            if opened.requester.user != from {
                return dropped(format!(
                    "a connection request relayed as from {from} is signed by {}",
                    opened.requester.user
                ));
            }
            if state_of(conn, &from)?.as_deref() == Some("connected") {
                return Ok(Vec::new());
            }
            conn.execute(
                "INSERT INTO connections (user_uri, state, their_key, response_key, updated_at)
                 VALUES (?1, 'incoming', ?2, ?3, ?4)
                 ON CONFLICT(user_uri) DO UPDATE SET state = 'incoming', their_key = excluded.their_key,
                   response_key = excluded.response_key, updated_at = excluded.updated_at",
                params![
                    from.to_string(),
                    opened.requester_connection_key.as_bytes().to_vec(),
                    opened.response_key,
                    now_ms() as i64
                ],
            )?;
            Ok(vec![ClientEvent::ConnectionRequested {
                user: from.to_string(),
            }])
        }
        "response" => {
            // Asked from this device or another of the user's (its copy noted the request).
            let asked = state_of(conn, &from)?.as_deref() == Some("requested");
            if !asked {
                return dropped(format!(
                    "a connection response from {from}, who was not asked"
                ));
            }
            let seed = response_seed(secrets, &from)?;
            let keypair = connection_hpke_keypair(&crypto, &seed).map_err(mls)?;
            let opened = match ConnectionResponse::open(
                &crypto, &keypair, &id.user, &from, &sealed, &id.trust,
            ) {
                Ok(o) => o,
                Err(e) => return dropped(format!("a connection response that does not open: {e}")),
            };
            conn.execute(
                "UPDATE connections SET state = 'connected', their_key = ?2, response_secret = NULL,
                   updated_at = ?3 WHERE user_uri = ?1",
                params![
                    from.to_string(),
                    opened.responder_connection_key.as_bytes().to_vec(),
                    now_ms() as i64
                ],
            )?;
            Ok(vec![ClientEvent::Connected {
                user: from.to_string(),
            }])
        }
        other => dropped(format!("an unknown connection message kind {other:?}")),
    }
}

/// Accepts `requester`'s pending request: returns the sealed response to relay.
pub fn accept(
    conn: &Connection,
    secrets: &dyn SecretStore,
    id: &Identity,
    requester: &UserUri,
) -> Result<Vec<u8>> {
    let row: Option<(Vec<u8>, Vec<u8>)> = conn
        .query_row(
            "SELECT their_key, response_key FROM connections WHERE user_uri = ?1 AND state = 'incoming'",
            [requester.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((their_key, response_key)) = row else {
        return Err(Error::Usage(format!(
            "{requester} has not asked to connect (see `connections`)"
        )));
    };
    let their_key: [u8; 32] = their_key
        .try_into()
        .map_err(|_| Error::Usage("a stored connection key is damaged".into()))?;
    let opened = OpenedConnectionRequest {
        requester: mimi::credential::ClientIdentity {
            // Only the user is used: the response names it and seals to the response key.
            client: id.client.clone(),
            user: requester.clone(),
        },
        requester_connection_key: ConnectionKey::from_bytes(their_key),
        response_key,
    };
    let resp = ConnectionResponse::new(
        id.credential_with_key().credential,
        &opened,
        my_connection_key(secrets)?,
        |tbs| id.signer.sign(tbs),
    )
    .map_err(mls)?;
    let sealed = resp.seal(&RustCrypto::default(), &opened).map_err(mls)?;
    conn.execute(
        "UPDATE connections SET state = 'connected', response_key = NULL, updated_at = ?2 WHERE user_uri = ?1",
        params![requester.to_string(), now_ms() as i64],
    )?;
    Ok(sealed)
}

/// Every connection, by user.
pub fn list(conn: &Connection) -> Result<Vec<ConnectionInfo>> {
    let mut st = conn.prepare("SELECT user_uri, state FROM connections ORDER BY user_uri")?;
    let rows = st
        .query_map([], |r| {
            Ok(ConnectionInfo {
                user: r.get(0)?,
                state: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The connection key of a connected user, if connected.
pub(crate) fn their_key(conn: &Connection, user: &UserUri) -> Result<Option<ConnectionKey>> {
    let key: Option<Option<Vec<u8>>> = conclave_sqlite::rows::optional_value(
        conn,
        "SELECT their_key FROM connections WHERE user_uri = ?1 AND state = 'connected'",
        [user.to_string()],
    )?;
    match key.flatten() {
        None => Ok(None),
        Some(k) => k
            .try_into()
            .map(|k| Some(ConnectionKey::from_bytes(k)))
            .map_err(|_| {
                Error::Keystore(format!("the stored connection key of {user} is damaged"))
            }),
    }
}
