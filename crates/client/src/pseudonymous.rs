//! This client's side of pseudonymous rooms (PROTO §6.1, MIMIMI -01 §3–§8; `specs/mimi.md`
//! §4.3–§4.8): the client pseudonyms it holds, the KeyPackage sets it keeps at the hub, the
//! identity it takes in each pseudonymous room, and the resolution of every member's pseudonym
//! to the real user behind it.
//!
//! - A **pseudonym** is a fresh client pseudonym and leaf signature key, a user pseudonym (shared
//!   by the user's clients in one room), the [`PseudonymousCredential`] binding them to this
//!   client's real credential through an identity link, and a bearer token of its own at the hub.
//!   In its room the client *is* the pseudonym: it signs with the leaf key, talks to the hub
//!   with the pseudonym's token and reads the pseudonym's queue.
//! - **KeyPackage sets** (MIMIMI §8): one pseudonymous KeyPackage per client of the user, all
//!   with one user pseudonym, uploaded under the user's connection token. This client completes
//!   the sets its other devices started and keeps [`OPEN_SETS`] of its own started.
//! - **Resolution** (§4.7): with the room's wrapper key and the hub-stored wrapped keys.

use mimi::credential::ClientIdentity;
use mimi::identity::{
    ConnectionKey, IdentityLinkKey, IdentityLinkWrapperKey, LinkKeySource, PseudonymousCredential,
    PseudonymousCredentialTbs, Resolution, RoomView, enforce_consistency, resolve,
};
use mimi::ids::PSEUDONYMOUS_CREDENTIAL_TYPE;
use mimi::uri::{ClientUri, UserUri};
use openmls::prelude::{KeyPackage, SignatureScheme};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::RustCrypto;
use openmls_traits::OpenMlsProvider as _;
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use tls_codec::Serialize as _;

use crate::error::{Error, Result};
use crate::identity::{self, CIPHERSUITE, Identity};
use crate::store::{Provider, now_ms};

/// How many KeyPackage sets this client keeps started and waiting at the hub. Each is claimed
/// once; more sets mean more rooms can be joined before this client syncs again.
pub const OPEN_SETS: usize = 2;

fn mls(e: impl std::fmt::Display) -> Error {
    Error::Mls(e.to_string())
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// A random UUID (version 4), the local part of a pseudonym (PROTO §6.1: "random UUIDs
/// qualified with the domain of the user's provider").
fn uuid() -> String {
    mimi::uri::pseudonym_local(random())
}

/// A fresh user pseudonym of this provider.
pub fn new_user_pseudonym(domain: &str) -> Result<UserUri> {
    Ok(UserUri::new(domain, &uuid())?)
}

/// One of this client's pseudonyms.
#[derive(Debug, Clone)]
pub struct Pseudonym {
    /// The client pseudonym.
    pub client: ClientUri,
    /// The user pseudonym.
    pub user: UserUri,
    /// The TLS `PseudonymousCredential`.
    pub credential: Vec<u8>,
    /// Its bearer token at the hub.
    pub token: String,
    /// The leaf's signature public key.
    pub signature_key: Vec<u8>,
    /// The room it is a member of, once joined.
    pub room: Option<String>,
    /// Its queue cursor.
    pub cursor: u64,
}

/// A `pseudonyms` row as read.
type Row = (
    String,
    String,
    Vec<u8>,
    String,
    Vec<u8>,
    Option<String>,
    i64,
);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

const COLUMNS: &str =
    "client_uri, user_uri, credential, token, signature_key, room_uri, queue_cursor";

fn from_row(
    (client, user, credential, token, signature_key, room, cursor): Row,
) -> Result<Pseudonym> {
    Ok(Pseudonym {
        client: ClientUri::parse(&client)?,
        user: UserUri::parse(&user)?,
        credential,
        token,
        signature_key,
        room,
        cursor: cursor.max(0) as u64,
    })
}

/// Every pseudonym of this client the hub knows: those in rooms, and those whose KeyPackage
/// waits for a room.
pub fn all(conn: &Connection) -> Result<Vec<Pseudonym>> {
    select(conn, "registered = 1")
}

fn select(conn: &Connection, condition: &str) -> Result<Vec<Pseudonym>> {
    let rows: Vec<_> = conn
        .prepare(&format!(
            "SELECT {COLUMNS} FROM pseudonyms WHERE {condition} ORDER BY created_at, client_uri"
        ))?
        .query_map([], row)?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(from_row).collect()
}

/// The pseudonym this client is in `room`, if the room is pseudonymous.
pub fn in_room(conn: &Connection, room: &str) -> Result<Option<Pseudonym>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM pseudonyms WHERE room_uri = ?1"),
        [room],
        row,
    )
    .optional()?
    .map(from_row)
    .transpose()
}

/// The pseudonym with this client pseudonym.
pub fn by_client(conn: &Connection, client: &str) -> Result<Option<Pseudonym>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM pseudonyms WHERE client_uri = ?1"),
        [client],
        row,
    )
    .optional()?
    .map(from_row)
    .transpose()
}

/// Records that a pseudonym is now a member of `room`.
pub fn joined(conn: &Connection, client: &str, room: &str) -> Result<()> {
    conn.execute(
        "UPDATE pseudonyms SET room_uri = ?2 WHERE client_uri = ?1",
        params![client, room],
    )?;
    Ok(())
}

/// Records a pseudonym queue's cursor.
pub fn set_cursor(conn: &Connection, client: &str, cursor: u64) -> Result<()> {
    conn.execute(
        "UPDATE pseudonyms SET queue_cursor = ?2 WHERE client_uri = ?1",
        params![client, cursor as i64],
    )?;
    Ok(())
}

/// The identity this client has as `p`: the pseudonyms, the leaf signer (from the OpenMLS
/// store) and the pseudonymous credential.
pub fn identity(conn: &Connection, real: &Identity, p: &Pseudonym) -> Result<Identity> {
    let signer = SignatureKeyPair::read(
        Provider::new(conn).storage(),
        &p.signature_key,
        SignatureScheme::ED25519,
    )
    .ok_or_else(|| Error::Mls(format!("the signature key of {} is missing", p.client)))?;
    Ok(Identity {
        user: p.user.clone(),
        client: p.client.clone(),
        signer,
        credential: p.credential.clone(),
        credential_type: PSEUDONYMOUS_CREDENTIAL_TYPE,
        trust: real.trust.clone(),
    })
}

/// Creates a pseudonym for this client (MIMIMI §3): a fresh client pseudonym and leaf key,
/// `user` (or a fresh user pseudonym), and the credential whose identity link the real client
/// signs and seals under `ExpandWithLabel(connection_key, "IdentityLinkKey", TBS, Nh)`. Stores
/// it (the leaf key in the OpenMLS store) and returns it with its identity_link_key.
pub fn create(
    conn: &Connection,
    real: &Identity,
    connection_key: &ConnectionKey,
    user: Option<UserUri>,
) -> Result<(Pseudonym, IdentityLinkKey)> {
    let crypto = RustCrypto::default();
    let domain = &real.trust.domain;
    let user = match user {
        Some(u) => u,
        None => new_user_pseudonym(domain)?,
    };
    let leaf = SignatureKeyPair::new(SignatureScheme::ED25519).map_err(mls)?;
    leaf.store(Provider::new(conn).storage()).map_err(mls)?;
    let tbs = PseudonymousCredentialTbs {
        client_pseudonym: ClientUri::new(domain, &uuid())?,
        user_pseudonym: user,
        signature_public_key: leaf.public().to_vec(),
    };
    let link_key = IdentityLinkKey::derive(&crypto, connection_key, &tbs).map_err(mls)?;
    let pc = PseudonymousCredential::create(
        &crypto,
        tbs,
        &real.credential_with_key().credential,
        |content| {
            use openmls_traits::signatures::Signer as _;
            real.signer.sign(content)
        },
        &link_key,
        random(),
    )
    .map_err(mls)?;
    let p = Pseudonym {
        client: pc.client_pseudonym.clone(),
        user: pc.user_pseudonym.clone(),
        credential: pc.to_bytes(),
        token: hex::encode(random::<32>()),
        signature_key: leaf.public().to_vec(),
        room: None,
        cursor: 0,
    };
    conn.execute(
        "INSERT INTO pseudonyms (client_uri, user_uri, credential, token, signature_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            p.client.to_string(),
            p.user.to_string(),
            p.credential,
            p.token,
            p.signature_key,
            now_ms() as i64
        ],
    )?;
    Ok((p, link_key))
}

/// Records that the hub accepted a pseudonym's token (its registration or KeyPackage upload).
pub fn registered(conn: &Connection, p: &Pseudonym) -> Result<()> {
    conn.execute(
        "UPDATE pseudonyms SET registered = 1 WHERE client_uri = ?1",
        [p.client.to_string()],
    )?;
    Ok(())
}

/// Pseudonyms whose registration never completed (the hub refused it, or the call was dropped).
pub fn unregistered(conn: &Connection) -> Result<Vec<Pseudonym>> {
    select(conn, "registered = 0")
}

/// Forgets a pseudonym the hub refused (its leaf key too).
pub fn forget(conn: &Connection, p: &Pseudonym) -> Result<()> {
    SignatureKeyPair::delete(
        Provider::new(conn).storage(),
        &p.signature_key,
        SignatureScheme::ED25519,
    )
    .map_err(mls)?;
    conn.execute(
        "DELETE FROM pseudonyms WHERE client_uri = ?1",
        [p.client.to_string()],
    )?;
    Ok(())
}

/// A KeyPackage for pseudonym `p` (its leaf, its credential), stored for the Welcome.
pub fn key_package(conn: &Connection, real: &Identity, p: &Pseudonym) -> Result<Vec<u8>> {
    let id = identity(conn, real, p)?;
    let provider = Provider::new(conn);
    KeyPackage::builder()
        .leaf_node_capabilities(identity::capabilities())
        .build(CIPHERSUITE, &provider, &id.signer, id.credential_with_key())
        .map_err(mls)?
        .key_package()
        .tls_serialize_detached()
        .map_err(mls)
}

/// The room's wrapper key, if this client holds it.
pub fn wrapper_key(conn: &Connection, room: &str) -> Result<Option<IdentityLinkWrapperKey>> {
    let k: Option<Vec<u8>> = conn
        .query_row(
            "SELECT wrapper_key FROM room_wrapper_keys WHERE room_uri = ?1",
            [room],
            |r| r.get(0),
        )
        .optional()?;
    k.map(|k| {
        k.try_into()
            .map(IdentityLinkWrapperKey::from_bytes)
            .map_err(|_| Error::Mls(format!("the wrapper key of {room} is damaged")))
    })
    .transpose()
}

/// Keeps a room's wrapper key (from creation or the Welcome).
pub fn set_wrapper_key(conn: &Connection, room: &str, key: &IdentityLinkWrapperKey) -> Result<()> {
    conn.execute(
        "INSERT INTO room_wrapper_keys (room_uri, wrapper_key) VALUES (?1, ?2)
         ON CONFLICT(room_uri) DO UPDATE SET wrapper_key = excluded.wrapper_key",
        params![room, key.as_bytes().to_vec()],
    )?;
    Ok(())
}

/// A fresh wrapper key for a new pseudonymous room.
pub fn new_wrapper_key() -> IdentityLinkWrapperKey {
    IdentityLinkWrapperKey::from_bytes(random())
}

/// Wraps a leaf's identity_link_key under the room's wrapper key, for the hub (MIMIMI §4.1).
pub fn wrap(
    wrapper: &IdentityLinkWrapperKey,
    client: &ClientUri,
    link_key: &IdentityLinkKey,
) -> Result<Vec<u8>> {
    Ok(wrapper
        .wrap(&RustCrypto::default(), client, link_key, random())
        .map_err(mls)?
        .to_bytes())
}

/// Stores wrapped identity_link_keys of a room's leaves.
pub fn store_links(conn: &Connection, room: &str, links: &[(String, Vec<u8>)]) -> Result<()> {
    Ok(conclave_sqlite::rows::store_identity_links(
        conn, room, links,
    )?)
}

fn link_of(conn: &Connection, room: &str, client: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT wrapped FROM identity_links WHERE room_uri = ?1 AND client_uri = ?2",
            params![room, client],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether every leaf of the room has a wrapped key stored here.
pub fn has_all_links(conn: &Connection, room: &str, leaves: &[ClientUri]) -> Result<bool> {
    for l in leaves {
        if link_of(conn, room, &l.to_string())?.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// One leaf of a room, as resolution needs it.
pub struct Leaf {
    /// Its MLS credential.
    pub credential: openmls::prelude::Credential,
    /// Its signature key.
    pub signature_key: Vec<u8>,
}

/// Resolves every leaf of a pseudonymous room (`specs/mimi.md` §4.7 steps 1–6), then marks
/// unverified every leaf that breaks "one real user, one user pseudonym" across the room.
/// Leaves that are not pseudonymous credentials are skipped.
pub fn resolve_room(
    conn: &Connection,
    real: &Identity,
    room: &str,
    leaves: &[Leaf],
    participants: &[UserUri],
) -> Result<Vec<Resolution>> {
    let crypto = RustCrypto::default();
    let wrapper = wrapper_key(conn, room)?;
    let mut out: Vec<Resolution> = Vec::new();
    for leaf in leaves {
        let Ok(pc) = PseudonymousCredential::from_credential(&leaf.credential) else {
            continue;
        };
        let wrapped = link_of(conn, room, &pc.client_pseudonym.to_string())?.unwrap_or_default();
        let view = RoomView {
            trust: &real.trust,
            participants,
            resolved: &out,
        };
        let source = match &wrapper {
            Some(w) => LinkKeySource::Wrapped {
                wrapper_key: w,
                wrapped: &wrapped,
            },
            None => LinkKeySource::Wrapped {
                wrapper_key: &IdentityLinkWrapperKey::from_bytes([0; 32]),
                wrapped: &[],
            },
        };
        let r = resolve(
            &crypto,
            &leaf.credential,
            &leaf.signature_key,
            source,
            &view,
        )
        .map_err(mls)?;
        out.push(r);
    }
    enforce_consistency(&mut out);
    Ok(out)
}

/// Checks a KeyPackage set claimed for `target` (MIMIMI §4.1 and §5): each KeyPackage verifies,
/// carries a pseudonymous credential with the set's user pseudonym, and resolves (through
/// `target`'s connection key) to a client of `target`. Returns each client's pseudonyms, its
/// KeyPackage and its identity_link_key.
pub fn check_set(
    real: &Identity,
    target: &UserUri,
    connection_key: &ConnectionKey,
    user_pseudonym: &UserUri,
    packages: &[Vec<u8>],
) -> Result<Vec<(ClientIdentity, KeyPackage, IdentityLinkKey)>> {
    let crypto = RustCrypto::default();
    let mut out = Vec::new();
    let mut resolved = Vec::new();
    for bytes in packages {
        let kp: openmls::prelude::KeyPackageIn =
            mimi::wire::Inline::from_bytes(bytes.clone(), "KeyPackage")?.parse("KeyPackage")?;
        let kp = kp
            .validate(&crypto, openmls::prelude::ProtocolVersion::Mls10)
            .map_err(|e| Error::Mls(format!("the hub handed out an invalid KeyPackage: {e}")))?;
        let leaf = kp.leaf_node();
        let who = real
            .trust
            .identify(leaf.credential(), leaf.signature_key().as_slice())?;
        let pc = PseudonymousCredential::from_credential(leaf.credential()).map_err(mls)?;
        let view = RoomView {
            trust: &real.trust,
            participants: std::slice::from_ref(user_pseudonym),
            resolved: &resolved,
        };
        let r = resolve(
            &crypto,
            leaf.credential(),
            leaf.signature_key().as_slice(),
            LinkKeySource::Connection(connection_key),
            &view,
        )
        .map_err(mls)?;
        match r.real() {
            Some(real_id) if &real_id.user == target => {}
            Some(other) => {
                return Err(Error::Mls(format!(
                    "a KeyPackage claimed for {target} resolves to {}",
                    other.user
                )));
            }
            None => {
                return Err(Error::Mls(format!(
                    "a KeyPackage claimed for {target} does not resolve: {}",
                    r.reason().map(|u| u.to_string()).unwrap_or_default()
                )));
            }
        }
        let link_key = IdentityLinkKey::derive(&crypto, connection_key, &pc.tbs()).map_err(mls)?;
        resolved.push(r);
        out.push((who, kp, link_key));
    }
    Ok(out)
}
