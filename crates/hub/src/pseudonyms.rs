//! Pseudonymous rooms at the hub (PROTO §6.1, MIMIMI -01 §4 and §8): the hub keeps what a
//! minimal-metadata room needs and nothing that names a real client or user.
//!
//! - **Pseudonyms** are reached by their own bearer token: a client registers each of its client
//!   pseudonyms with a fresh token and then talks to a pseudonymous room, and reads that
//!   pseudonym's queue, as the pseudonym. The row holds the pseudonyms and the token's hash only.
//! - **Pseudonymous KeyPackages** come in *sets*, one per user pseudonym, one KeyPackage per
//!   client of the user (MIMIMI §8): they are indexed by the owner's connection token, which only
//!   the owner's clients and connected users can derive. A set is handed out only when complete,
//!   and once (then deleted).
//! - **Identity links**: the wrapped identity_link_keys of a room's leaves, taken from the
//!   commits' `AddAAD` (and the creator's from the room creation), served to members. They are
//!   wrapped under the room's wrapper key, which the hub never sees.
//!
//! What the hub still sees while serving these requests (an account's token on the KeyPackage
//! upload and claim calls, timing, sizes, network addresses) is written down in ARCHITECTURE.md.

use mimi::identity::Trust;
use mimi::identity::{PseudonymousCredential, Sealed};
use mimi::wire::Inline;
use openmls::prelude::{KeyPackageIn, ProtocolVersion};
use openmls_rust_crypto::RustCrypto;
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::accounts::secret_hash;
use crate::error::{Error, Result};
use crate::store::now_ms;

/// The most clients one user may have in a KeyPackage set.
pub const MAX_SET_SIZE: u32 = 32;
/// The most open sets one connection token may have (each holds KeyPackages that wait).
pub const MAX_OPEN_SETS: i64 = 16;

fn check_token(token: &str) -> Result<()> {
    if token.len() < 32 || token.len() > 128 || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::MalformedBody(
            "a pseudonym's token is 32 to 128 printable ASCII characters".into(),
        ));
    }
    Ok(())
}

/// Registers one pseudonym (its pseudonyms taken from its credential) with its token.
fn insert(
    conn: &Connection,
    trust: &Trust,
    pc: &PseudonymousCredential,
    token: &str,
) -> Result<()> {
    check_token(token)?;
    let (client, user) = (
        pc.client_pseudonym.to_string(),
        pc.user_pseudonym.to_string(),
    );
    // PROTO §6.1: "random UUIDs qualified with the domain of the user's provider".
    for (uri, domain, local) in [
        (
            &client,
            pc.client_pseudonym.domain(),
            pc.client_pseudonym.local(),
        ),
        (&user, pc.user_pseudonym.domain(), pc.user_pseudonym.local()),
    ] {
        if domain != trust.domain {
            return Err(Error::MalformedBody(format!(
                "a pseudonym of {domain}: this provider registers pseudonyms of {} only",
                trust.domain
            )));
        }
        // Refused as not the caller's identity, whether or not the name is an account's: the
        // answer says nothing about which names exist.
        if !mimi::uri::is_pseudonym_local(local) {
            return Err(Error::NotYourIdentity(format!(
                "{uri} is not a pseudonym: its id must be a random UUID (PROTO §6.1)"
            )));
        }
    }
    // One identity per token: a pseudonym never names an account's client or user.
    if crate::store::names_account(conn, &client, &user)? {
        return Err(Error::NotYourIdentity(format!(
            "{client} or {user} names a registered client or user, not a pseudonym"
        )));
    }
    let hash = secret_hash(token);
    if crate::store::client_by_token(conn, &hash)?.is_some() {
        return Err(Error::Conflict(
            "pseudonym_exists",
            "that token is already in use; pick a fresh one".into(),
        ));
    }
    let n = conn.execute(
        "INSERT INTO pseudonyms (client_uri, user_uri, token_hash, created_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        params![client, user, hash, now_ms() as i64],
    )?;
    if n == 0 {
        return Err(Error::Conflict(
            "pseudonym_exists",
            format!(
                "the pseudonym {} (or its token) is already registered; pick a fresh one",
                pc.client_pseudonym
            ),
        ));
    }
    Ok(())
}

/// Registers a lone pseudonym, e.g. the creator's leaf of a new pseudonymous room: `credential`
/// is the TLS `PseudonymousCredential`.
pub fn register(conn: &Connection, trust: &Trust, credential: &[u8], token: &str) -> Result<()> {
    let pc = PseudonymousCredential::from_bytes(credential)
        .map_err(|e| Error::MalformedBody(format!("credential: {e}")))?;
    insert(conn, trust, &pc, token)
}

/// One pseudonymous KeyPackage for a set, as a client uploads it.
pub struct Upload {
    /// The owner's connection token (MIMIMI §8).
    pub connection_token: Vec<u8>,
    /// How many KeyPackages complete the set (the user's clients).
    pub set_size: u32,
    /// The KeyPackage's TLS bytes.
    pub key_package: Vec<u8>,
    /// The token of the KeyPackage's client pseudonym.
    pub token: String,
}

/// Stores a pseudonymous KeyPackage in the set of its user pseudonym and registers its client
/// pseudonym. The set must not be complete yet.
pub fn upload(conn: &mut Connection, trust: &Trust, u: &Upload) -> Result<()> {
    if u.connection_token.len() != mimi::identity::NH {
        return Err(Error::MalformedBody(format!(
            "connection_token: {} bytes, not {}",
            u.connection_token.len(),
            mimi::identity::NH
        )));
    }
    if u.set_size == 0 || u.set_size > MAX_SET_SIZE {
        return Err(Error::MalformedBody(format!(
            "set_size must be 1 to {MAX_SET_SIZE}"
        )));
    }
    let kp = Inline::<KeyPackageIn>::from_bytes(u.key_package.clone(), "KeyPackage")
        .and_then(|i| i.parse("KeyPackage"))
        .map_err(|e| Error::MalformedBody(e.to_string()))?
        .validate(&RustCrypto::default(), ProtocolVersion::Mls10)
        .map_err(|e| Error::MalformedBody(format!("invalid KeyPackage: {e}")))?;
    let leaf = kp.leaf_node();
    trust
        .identify(leaf.credential(), leaf.signature_key().as_slice())
        .map_err(|e| Error::MalformedBody(format!("KeyPackage credential: {e}")))?;
    let pc = PseudonymousCredential::from_credential(leaf.credential()).map_err(|e| {
        Error::MalformedBody(format!(
            "a pseudonymous KeyPackage needs a pseudonymous credential: {e}"
        ))
    })?;
    let user_pseudonym = pc.user_pseudonym.to_string();
    let tx = conn.savepoint()?;
    let (count, size): (i64, Option<i64>) = tx.query_row(
        "SELECT COUNT(*), MAX(set_size) FROM pseudonymous_key_packages
         WHERE connection_token = ?1 AND user_pseudonym = ?2",
        params![u.connection_token, user_pseudonym],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    match size {
        Some(size) if size != i64::from(u.set_size) => {
            return Err(Error::Conflict(
                "set_size_mismatch",
                format!(
                    "the set of {user_pseudonym} holds {size} KeyPackages, not {}",
                    u.set_size
                ),
            ));
        }
        Some(size) if count >= size => {
            return Err(Error::Conflict(
                "set_complete",
                format!("the set of {user_pseudonym} is already complete"),
            ));
        }
        None => {
            let open: i64 = tx.query_row(
                "SELECT COUNT(DISTINCT user_pseudonym) FROM pseudonymous_key_packages
                 WHERE connection_token = ?1",
                [&u.connection_token],
                |r| r.get(0),
            )?;
            if open >= MAX_OPEN_SETS {
                return Err(Error::Conflict(
                    "too_many_sets",
                    format!("at most {MAX_OPEN_SETS} KeyPackage sets wait per connection token"),
                ));
            }
        }
        _ => {}
    }
    insert(&tx, trust, &pc, &u.token)?;
    tx.execute(
        "INSERT INTO pseudonymous_key_packages
           (connection_token, user_pseudonym, set_size, client_uri, data, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            u.connection_token,
            user_pseudonym,
            u.set_size,
            pc.client_pseudonym.to_string(),
            u.key_package,
            now_ms() as i64
        ],
    )?;
    tx.commit()?;
    Ok(())
}

/// A KeyPackage set waiting under a connection token.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SetInfo {
    /// The set's user pseudonym.
    pub user_pseudonym: String,
    /// How many KeyPackages complete it.
    pub set_size: u32,
    /// How many it holds.
    pub count: u32,
    /// The client pseudonyms in it.
    pub clients: Vec<String>,
}

/// The sets waiting under a connection token, oldest first.
pub fn sets(conn: &Connection, connection_token: &[u8]) -> Result<Vec<SetInfo>> {
    let mut out: Vec<SetInfo> = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT user_pseudonym, set_size, client_uri FROM pseudonymous_key_packages
         WHERE connection_token = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([connection_token], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, u32>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (p, size, client) = row?;
        match out.iter_mut().find(|s| s.user_pseudonym == p) {
            Some(s) => {
                s.count += 1;
                s.clients.push(client);
            }
            None => out.push(SetInfo {
                user_pseudonym: p,
                set_size: size,
                count: 1,
                clients: vec![client],
            }),
        }
    }
    Ok(out)
}

/// Hands out the oldest complete set under a connection token and deletes it: its user
/// pseudonym and KeyPackages.
pub fn claim(conn: &mut Connection, connection_token: &[u8]) -> Result<(String, Vec<Vec<u8>>)> {
    let tx = conn.savepoint()?;
    let complete = sets(&tx, connection_token)?
        .into_iter()
        .find(|s| s.count >= s.set_size)
        .ok_or_else(|| {
            Error::NotFound(
                "no complete set of pseudonymous KeyPackages waits for this user: their clients upload them when they sync"
                    .into(),
            )
        })?;
    let packages: Vec<Vec<u8>> = tx
        .prepare(
            "SELECT data FROM pseudonymous_key_packages
             WHERE connection_token = ?1 AND user_pseudonym = ?2 ORDER BY id",
        )?
        .query_map(params![connection_token, complete.user_pseudonym], |r| {
            r.get(0)
        })?
        .collect::<Result<_, _>>()?;
    tx.execute(
        "DELETE FROM pseudonymous_key_packages WHERE connection_token = ?1 AND user_pseudonym = ?2",
        params![connection_token, complete.user_pseudonym],
    )?;
    tx.commit()?;
    Ok((complete.user_pseudonym, packages))
}

/// Stores the wrapped identity_link_keys of leaves joining a room (MIMIMI §4.1 step 3). Each is
/// checked to be a well-formed [`Sealed`]; the hub cannot open them.
pub fn store_links(tx: &Connection, room: &str, links: &[(String, Vec<u8>)]) -> Result<()> {
    for (_, wrapped) in links {
        Sealed::from_bytes(wrapped)
            .map_err(|e| Error::InvalidHandshake(format!("a wrapped identity_link_key: {e}")))?;
    }
    Ok(conclave_sqlite::rows::store_identity_links(
        tx, room, links,
    )?)
}

/// Drops the wrapped keys of leaves that left a room.
pub fn forget_links(tx: &Connection, room: &str, clients: &[String]) -> Result<()> {
    for c in clients {
        tx.execute(
            "DELETE FROM identity_links WHERE room_uri = ?1 AND client_uri = ?2",
            params![room, c],
        )?;
    }
    Ok(())
}

/// The wrapped identity_link_keys of a room's leaves (MIMIMI §4.1 step 4).
pub fn links(conn: &Connection, room: &str) -> Result<Vec<(String, Vec<u8>)>> {
    Ok(conn
        .prepare("SELECT client_uri, wrapped FROM identity_links WHERE room_uri = ?1 ORDER BY client_uri")?
        .query_map([room], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Withdraws a set that was never claimed (its owner's clients changed): its KeyPackages and
/// their pseudonyms go. Returns how many KeyPackages it held.
pub fn drop_set(
    conn: &mut Connection,
    connection_token: &[u8],
    user_pseudonym: &str,
) -> Result<usize> {
    let tx = conn.savepoint()?;
    let clients: Vec<String> = tx
        .prepare(
            "SELECT client_uri FROM pseudonymous_key_packages
             WHERE connection_token = ?1 AND user_pseudonym = ?2",
        )?
        .query_map(params![connection_token, user_pseudonym], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if clients.is_empty() {
        return Err(Error::NotFound(format!(
            "no KeyPackage set of {user_pseudonym} waits under this connection token"
        )));
    }
    for c in &clients {
        tx.execute("DELETE FROM pseudonyms WHERE client_uri = ?1", [c])?;
    }
    tx.execute(
        "DELETE FROM pseudonymous_key_packages WHERE connection_token = ?1 AND user_pseudonym = ?2",
        params![connection_token, user_pseudonym],
    )?;
    tx.commit()?;
    Ok(clients.len())
}
