//! The provider side: users, their clients (devices) and credentials, device-link codes,
//! KeyPackages and the claiming of key material (PROTO §5.2).

use ed25519_dalek::SigningKey;
use mimi::credential::ProviderCredential;
use mimi::identity::Trust;
use mimi::uri::{ClientUri, RoomUri, UserUri};
use mimi::wire::{
    ClientKeyMaterial, ClientMaterial, IdentifierUri, Inline, KEY_MATERIAL_REQUEST_LABEL,
    KeyMaterialRequest, KeyMaterialResponse, KeyMaterialUserCode, Protocol,
};
use openmls::prelude::{KeyPackageIn, ProtocolVersion};
use openmls_rust_crypto::RustCrypto;
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::principal::{Principal, PrincipalKind};
use crate::store::{self, now_ms};

/// How long a device-link code stays valid.
pub const LINK_CODE_TTL_MS: u64 = 10 * 60 * 1000;
/// At most this many KeyPackages per upload.
pub const MAX_KEY_PACKAGES_PER_UPLOAD: usize = 100;

/// The trust anchor for this hub's own credentials.
pub fn trust(domain: &str, key: &SigningKey) -> Trust {
    Trust {
        domain: domain.to_owned(),
        provider_key: key.verifying_key().to_bytes().to_vec(),
    }
}

/// What registration hands the new client.
#[derive(Debug, Serialize)]
pub struct Registered {
    /// The user URI.
    pub user: String,
    /// The new client's URI.
    pub client: String,
    /// The bearer token (shown once).
    pub token: String,
    /// When the token expires, ms since the epoch (renewed while in use, SECURITY.md).
    pub token_expires_at: u64,
    /// The ProviderCredential bytes (base64).
    pub credential: String,
    /// A linked device: the sealed keys its link code carried (base64), opaque to the hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_keys: Option<String>,
}

/// The most bytes of sealed device keys a link code may carry.
pub const MAX_DEVICE_KEYS: usize = 64 * 1024;

fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// What a client registers with.
#[derive(Debug, Clone, Copy)]
pub struct Registration<'a> {
    /// The user's name.
    pub name: &'a str,
    /// The new client's Ed25519 (MLS leaf) public key.
    pub signature_key: &'a [u8],
    /// A new user: the public half of the user key its first device made (SECURITY.md
    /// "Devices"). A linked device brings none: it holds the user's key and proves it with the
    /// approval in its KeyPackages' credential.
    pub user_key: Option<&'a [u8]>,
    /// A new device of an existing user: the hub's half of the link code.
    pub link_code: Option<&'a str>,
}

/// Registers a client: a new user, or (with a valid link code) a new device of an existing one.
pub fn register(
    conn: &mut Connection,
    domain: &str,
    provider_key: &SigningKey,
    limits: &Limits,
    r: Registration<'_>,
) -> Result<Registered> {
    let Registration {
        name,
        signature_key,
        user_key,
        link_code,
    } = r;
    let user = UserUri::new(domain, name)
        .map_err(|e| Error::MalformedBody(format!("invalid user name: {e}")))?;
    // Names of the form of a random UUID are the pseudonyms' (PROTO §6.1): no user may take one.
    if mimi::uri::is_pseudonym_local(name) {
        return Err(Error::MalformedBody(
            "invalid user name: a name in the form of a UUID is reserved for pseudonyms".into(),
        ));
    }
    if signature_key.len() != 32 {
        return Err(Error::MalformedBody(
            "signature_key must be a 32-byte Ed25519 public key".into(),
        ));
    }
    match (user_key, link_code) {
        (Some(k), None) if ed25519_key(k) => {}
        (None, Some(_)) => {}
        (Some(_), None) => {
            return Err(Error::MalformedBody(
                "user_key must be a 32-byte Ed25519 public key".into(),
            ));
        }
        (None, None) => {
            return Err(Error::MalformedBody(
                "a new user registers the public half of its user key (user_key)".into(),
            ));
        }
        (Some(_), Some(_)) => {
            return Err(Error::MalformedBody(
                "a linked device brings no user_key: it proves the user's key with its KeyPackages"
                    .into(),
            ));
        }
    }
    let tx = conn.savepoint()?;
    let mut device_keys = None;
    let exists = tx
        .query_row(
            "SELECT 1 FROM users WHERE uri = ?1",
            [user.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    match link_code {
        None if exists => {
            return Err(Error::Conflict(
                "user_exists",
                format!("{user} is already registered; to add a device use a link code"),
            ));
        }
        None => {
            tx.execute(
                "INSERT INTO users (uri, name, created_at, user_key) VALUES (?1, ?2, ?3, ?4)",
                params![user.to_string(), name, now_ms() as i64, user_key],
            )?;
        }
        Some(code) => {
            let hash = secret_hash(&normalize_code(code));
            let keys: Option<Option<Vec<u8>>> = tx
                .query_row(
                    "DELETE FROM link_codes WHERE code_hash = ?1 AND user_uri = ?2 AND expires_at > ?3
                     AND attempts < ?4 RETURNING device_keys",
                    params![
                        hash,
                        user.to_string(),
                        now_ms() as i64,
                        limits.link_code_attempts
                    ],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(keys) = keys else {
                // A wrong try counts against every open code of the user: after
                // `link_code_attempts` of them the codes die (and the user issues a new one).
                tx.execute(
                    "UPDATE link_codes SET attempts = attempts + 1 WHERE user_uri = ?1",
                    [user.to_string()],
                )?;
                tx.execute(
                    "DELETE FROM link_codes WHERE user_uri = ?1 AND attempts >= ?2",
                    params![user.to_string(), limits.link_code_attempts],
                )?;
                tx.commit()?;
                return Err(Error::BadLinkCode);
            };
            device_keys = keys;
        }
    }
    let client = ClientUri::new(domain, &random_hex(8)).map_err(Error::internal)?;
    // One identity per token, both ways: a new client or user never names a pseudonym.
    if store::names_pseudonym(&tx, &client.to_string(), &user.to_string())? {
        return Err(Error::Conflict(
            "identity_taken",
            format!("{client} or {user} already names a pseudonym; try again"),
        ));
    }
    let token = random_hex(32);
    let token_expires_at = now_ms() + limits.token_lifetime_secs * 1000;
    let credential = ProviderCredential::issue(provider_key, &client, &user, signature_key);
    tx.execute(
        "INSERT INTO clients (uri, user_uri, token_hash, signature_key, credential, created_at,
           token_expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            client.to_string(),
            user.to_string(),
            secret_hash(&token),
            signature_key,
            credential.to_bytes(),
            now_ms() as i64,
            token_expires_at as i64
        ],
    )?;
    tx.commit()?;
    Ok(Registered {
        user: user.to_string(),
        client: client.to_string(),
        token,
        token_expires_at,
        credential: b64(&credential.to_bytes()),
        device_keys: device_keys.map(|k| b64(&k)),
    })
}

/// Whether `k` is a valid Ed25519 public key.
fn ed25519_key(k: &[u8]) -> bool {
    <[u8; 32]>::try_from(k)
        .ok()
        .is_some_and(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).is_ok())
}

/// The user key `user` registered with its first device, if it has one (users registered before
/// user keys have none).
pub fn user_key(conn: &Connection, user: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT user_key FROM users WHERE uri = ?1")?
        .query_row([user], |r| r.get::<_, Option<Vec<u8>>>(0))
        .optional()?
        .flatten())
}

/// Refuses a credential (content bytes) of one of `user`'s devices that its user key did not
/// approve. A user without a user key (registered before them) is not checked here.
fn check_approved(conn: &Connection, user: &str, credential: &[u8]) -> Result<()> {
    let Some(key) = user_key(conn, user)? else {
        return Ok(());
    };
    match mimi::credential::endorsement_of(credential) {
        Ok(Some(k)) if k == key => Ok(()),
        Ok(Some(_)) => Err(Error::NotApproved(format!(
            "the credential is approved by another key than {user}'s user key"
        ))),
        Ok(None) => Err(Error::NotApproved(format!(
            "the credential carries no approval by {user}'s user key: a device joins its user with a link code from one of the user's devices"
        ))),
        Err(e) => Err(Error::MalformedBody(format!("credential: {e}"))),
    }
}

/// Link codes are typed by people: case and dashes do not matter.
fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Issues a one-time code with which a new device registers as the same user.
/// `device_keys` (sealed by the issuing device, opaque here) go to the device that uses the code.
pub fn issue_link_code(
    conn: &Connection,
    limits: &Limits,
    auth: &Principal,
    device_keys: Option<&[u8]>,
) -> Result<(String, u64)> {
    if device_keys.is_some_and(|k| k.is_empty() || k.len() > MAX_DEVICE_KEYS) {
        return Err(Error::MalformedBody(format!(
            "device_keys: 1 to {MAX_DEVICE_KEYS} bytes"
        )));
    }
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut raw = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let code: String = raw
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    let now = now_ms();
    conn.execute(
        "DELETE FROM link_codes WHERE user_uri = ?1 AND expires_at <= ?2",
        params![auth.user.to_string(), now as i64],
    )?;
    let (open, soonest): (i64, Option<i64>) = conn.query_row(
        "SELECT COUNT(*), MIN(expires_at) FROM link_codes WHERE user_uri = ?1",
        [auth.user.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if open >= i64::from(limits.link_codes_per_user) {
        return Err(crate::limits::quota(
            "link_code_quota",
            soonest.unwrap_or(now as i64),
            now as i64,
            format!(
                "{} link codes are open already; use one or wait until one expires",
                limits.link_codes_per_user
            ),
        ));
    }
    let expires = now + LINK_CODE_TTL_MS;
    conn.execute(
        "INSERT INTO link_codes (code_hash, user_uri, expires_at, device_keys) VALUES (?1, ?2, ?3, ?4)",
        params![secret_hash(&code), auth.user.to_string(), expires as i64, device_keys],
    )?;
    Ok((format!("{}-{}", &code[..5], &code[5..]), expires))
}

/// A device of a user.
#[derive(Debug, Serialize)]
pub struct Device {
    /// The client URI.
    pub client: String,
    /// When it registered, ms.
    pub created_at: u64,
    /// Its last request, ms (noted at most once a minute), if any.
    pub last_active: Option<u64>,
    /// Whether it removed itself.
    pub removed: bool,
}

/// The devices of the authenticated user.
pub fn devices(conn: &Connection, auth: &Principal) -> Result<Vec<Device>> {
    let mut st = conn.prepare(
        "SELECT uri, created_at, last_active, revoked_at IS NOT NULL FROM clients
         WHERE user_uri = ?1 ORDER BY created_at, uri",
    )?;
    let rows = st
        .query_map([auth.user.to_string()], |r| {
            Ok(Device {
                client: r.get(0)?,
                created_at: r.get::<_, i64>(1)? as u64,
                last_active: r.get::<_, Option<i64>>(2)?.map(|t| t as u64),
                removed: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Stores KeyPackages of the authenticated client after validating each one. The first upload of a
/// user's additional device tells the user's other devices, so they add it to their rooms.
/// Returns the clients to wake.
pub fn upload_key_packages(
    conn: &mut Connection,
    trust: &Trust,
    limits: &Limits,
    auth: &Principal,
    packages: &[Vec<u8>],
    last_resort: Option<&[u8]>,
) -> Result<Vec<String>> {
    if packages.len() > MAX_KEY_PACKAGES_PER_UPLOAD {
        return Err(Error::MalformedBody(format!(
            "at most {MAX_KEY_PACKAGES_PER_UPLOAD} KeyPackages per upload"
        )));
    }
    let crypto = RustCrypto::default();
    let check = |bytes: &[u8]| -> Result<()> {
        Limits::check_size(bytes.len(), limits.max_key_package_bytes, "a KeyPackage")?;
        let kp = Inline::<KeyPackageIn>::from_bytes(bytes.to_vec(), "KeyPackage")
            .and_then(|i| i.parse("KeyPackage"))
            .map_err(|e| Error::MalformedBody(e.to_string()))?
            .validate(&crypto, ProtocolVersion::Mls10)
            .map_err(|e| Error::MalformedBody(format!("invalid KeyPackage: {e}")))?;
        let leaf = kp.leaf_node();
        let id = trust
            .identify(leaf.credential(), leaf.signature_key().as_slice())
            .map_err(|e| Error::MalformedBody(format!("KeyPackage credential: {e}")))?;
        auth.require_client(&id.client, "a KeyPackage's credential")?;
        auth.require_user(&id.user, "a KeyPackage's credential")?;
        check_approved(
            conn,
            &id.user.to_string(),
            leaf.credential().serialized_content(),
        )
    };
    for p in packages {
        check(p)?;
    }
    if let Some(p) = last_resort {
        check(p)?;
    }
    let me = auth.client.to_string();
    let tx = conn.savepoint()?;
    let stored: i64 = tx.query_row(
        "SELECT COUNT(*) FROM key_packages WHERE client_uri = ?1 AND last_resort = 0",
        [&me],
        |r| r.get(0),
    )?;
    if stored.saturating_add(packages.len() as i64) > i64::from(limits.key_packages_per_client) {
        return Err(Error::Quota {
            code: "key_package_quota",
            retry_after: 3600,
            message: format!(
                "the hub keeps at most {} KeyPackages per client and holds {stored} of yours",
                limits.key_packages_per_client
            ),
        });
    }
    for p in packages {
        tx.execute(
            "INSERT INTO key_packages (client_uri, data, last_resort) VALUES (?1, ?2, 0)",
            params![me, p],
        )?;
    }
    if let Some(p) = last_resort {
        tx.execute(
            "DELETE FROM key_packages WHERE client_uri = ?1 AND last_resort = 1",
            [&me],
        )?;
        tx.execute(
            "INSERT INTO key_packages (client_uri, data, last_resort) VALUES (?1, ?2, 1)",
            params![me, p],
        )?;
    }
    // Every KeyPackage passed `check_approved`: the device holds its user's key.
    tx.execute("UPDATE clients SET approved = 1 WHERE uri = ?1", [&me])?;
    let mut wake = Vec::new();
    let announced: bool =
        tx.query_row("SELECT announced FROM clients WHERE uri = ?1", [&me], |r| {
            r.get::<_, i64>(0).map(|v| v != 0)
        })?;
    if !announced {
        tx.execute("UPDATE clients SET announced = 1 WHERE uri = ?1", [&me])?;
        let others: Vec<String> = tx
            .prepare("SELECT uri FROM clients WHERE user_uri = ?1 AND uri != ?2")?
            .query_map([auth.user.to_string(), me.clone()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let notice = serde_json::to_vec(&serde_json::json!({ "new_client": me }))
            .map_err(Error::internal)?;
        for o in &others {
            store::queue::enqueue(&tx, o, "device", None, &notice)?;
        }
        wake = others;
    }
    tx.commit()?;
    Ok(wake)
}

/// PROTO §5.2: hands out one KeyPackage per client of the target user that is not yet in the room
/// (each at most once; a last-resort one is kept).
pub fn claim_key_material(
    conn: &mut Connection,
    trust: &Trust,
    auth: &Principal,
    req: &KeyMaterialRequest,
) -> Result<KeyMaterialResponse> {
    let bad = |m: String| Error::MalformedBody(m);
    if req.protocol != Protocol::Mls10 {
        return Err(bad("protocol must be mls10".into()));
    }
    let requesting = UserUri::from_bytes(req.requesting_user.uri.as_slice())
        .map_err(|e| bad(format!("requestingUser: {e}")))?;
    let target = UserUri::from_bytes(req.target_user.uri.as_slice())
        .map_err(|e| bad(format!("targetUser: {e}")))?;
    let room =
        RoomUri::from_bytes(req.room_id.uri.as_slice()).map_err(|e| bad(format!("roomId: {e}")))?;
    auth.require_user(&requesting, "requestingUser")?;
    let cred = req
        .requester_credential
        .parse("Credential")
        .map_err(|e| bad(e.to_string()))?;
    let id = trust
        .identify(&cred, req.requester_signature_key.as_slice())
        .map_err(|e| Error::Forbidden(format!("requesterCredential: {e}")))?;
    auth.require_client(&id.client, "requesterCredential")?;
    mimi::credential::verify_with_label(
        req.requester_signature_key.as_slice(),
        KEY_MATERIAL_REQUEST_LABEL,
        &req.tbs(),
        req.signature.as_slice(),
        "KeyMaterialRequest",
    )
    .map_err(|e| Error::Forbidden(e.to_string()))?;
    if store::room(conn, &room.to_string())?.is_none() {
        return Err(Error::UnknownRoom(format!("no room {room} on this hub")));
    }
    if !store::is_member(conn, &room.to_string(), &auth.client.to_string())? {
        return Err(Error::NotMember(format!(
            "{} is not a member of {room}",
            auth.client
        )));
    }
    let tx = conn.savepoint()?;
    let user_known = tx
        .query_row(
            "SELECT 1 FROM users WHERE uri = ?1",
            [target.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !user_known {
        return Err(Error::UnknownUser(format!("no user {target} on this hub")));
    }
    // SECURITY.md "KeyPackages": a claim needs the target's consent (given, or by a
    // connection), unless it is for the claimer's own devices. Without it nothing is handed out
    // and no client is listed, so the answer says nothing of the target's devices.
    if target != auth.user && !crate::consent::allows(&tx, &target, &auth.user, &room)? {
        let code = if crate::consent::allows_elsewhere(&tx, &target, &auth.user)? {
            KeyMaterialUserCode::NoConsentForThisRoom
        } else {
            KeyMaterialUserCode::NoConsent
        };
        return Ok(KeyMaterialResponse {
            protocol: Protocol::Mls10,
            user_status: code,
            user_uri: IdentifierUri::new(&target),
            clients: Vec::new(),
        });
    }
    // A user who blocked the requester is not invited by them: no KeyPackage is handed out,
    // as if their clients had none (the block is not announced).
    let blocked = crate::blocks::is_blocked(&tx, &target, &auth.user)?;
    let clients: Vec<String> = tx
        .prepare(
            "SELECT uri FROM clients WHERE user_uri = ?1 AND uri NOT IN
               (SELECT client_uri FROM room_members WHERE room_uri = ?2) ORDER BY created_at, uri",
        )?
        .query_map([target.to_string(), room.to_string()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for c in clients {
        if blocked {
            out.push(ClientKeyMaterial {
                client_uri: IdentifierUri::new(&c),
                status: ClientMaterial::Exhausted,
            });
            continue;
        }
        let kp: Option<(i64, Vec<u8>, bool)> = tx
            .query_row(
                "SELECT id, data, last_resort FROM key_packages WHERE client_uri = ?1
                 ORDER BY last_resort, id LIMIT 1",
                [&c],
                |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0)),
            )
            .optional()?;
        let status = match kp {
            Some((id, data, last_resort)) => {
                if !last_resort {
                    tx.execute("DELETE FROM key_packages WHERE id = ?1", [id])?;
                }
                ClientMaterial::Success(
                    Inline::from_bytes(data, "KeyPackage").map_err(Error::internal)?,
                )
            }
            None => ClientMaterial::Exhausted,
        };
        out.push(ClientKeyMaterial {
            client_uri: IdentifierUri::new(&c),
            status,
        });
    }
    tx.commit()?;
    let ok = out
        .iter()
        .filter(|c| matches!(c.status, ClientMaterial::Success(_)))
        .count();
    let user_status = if ok == out.len() {
        KeyMaterialUserCode::Success
    } else if ok > 0 {
        KeyMaterialUserCode::PartialSuccess
    } else {
        KeyMaterialUserCode::NoCompatibleMaterial
    };
    Ok(KeyMaterialResponse {
        protocol: Protocol::Mls10,
        user_status,
        user_uri: IdentifierUri::new(&target),
        clients: out,
    })
}

/// SHA-256 of a secret, as stored (tokens and link codes are never stored in clear).
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Resolves a hashed bearer token to its one principal. The two kinds never share a name:
/// pseudonyms have the form of a random UUID ([`mimi::uri::is_pseudonym_local`]) and
/// registration refuses any name of the other kind, both ways. This checks it again on every
/// request, so that a row that slipped in some other way (an older hub, a restored backup, an
/// operator's mistake) is refused instead of letting a pseudonym's token act as an account's
/// client.
pub fn authenticate(conn: &Connection, token_hash: &[u8]) -> Result<Principal> {
    let client = store::client_by_token(conn, token_hash)?;
    let pseudonym = store::pseudonym_by_token(conn, token_hash)?;
    let (row, kind) = match (client, pseudonym) {
        (Some(row), None) => {
            // An expired or revoked token acts as no one (SECURITY.md).
            check_token(conn, &row.uri)?;
            (row, PrincipalKind::Client)
        }
        (None, Some(row)) => {
            let form = |uri: &str| {
                uri.rsplit_once('/')
                    .is_some_and(|(_, local)| mimi::uri::is_pseudonym_local(local))
            };
            if !form(&row.uri)
                || !form(&row.user_uri)
                || store::names_account(conn, &row.uri, &row.user_uri)?
            {
                return Err(collision(&row.uri));
            }
            (row, PrincipalKind::Pseudonym)
        }
        (Some(row), Some(_)) => return Err(collision(&row.uri)),
        (None, None) => return Err(Error::Unauthenticated("unknown token".into())),
    };
    Ok(Principal {
        client: ClientUri::parse(&row.uri).map_err(Error::internal)?,
        user: UserUri::parse(&row.user_uri).map_err(Error::internal)?,
        kind,
    })
}

fn collision(uri: &str) -> Error {
    tracing::warn!(%uri, "a token names both an account's client and a pseudonym: refused");
    Error::NotYourIdentity(
        "this token's pseudonym names a registered client or user; it acts as neither".into(),
    )
}

/// How often a device's last activity is written, at most.
const ACTIVITY_GRANULARITY_MS: u64 = 60 * 1000;

/// Refuses a client's token that expired or was revoked (SECURITY.md); notes the device's
/// activity for `device list`, at most once a minute.
fn check_token(conn: &Connection, client: &str) -> Result<()> {
    let (expires_at, revoked, last_active): (i64, Option<i64>, Option<i64>) = conn
        .prepare_cached(
            "SELECT token_expires_at, revoked_at, last_active FROM clients WHERE uri = ?1",
        )?
        .query_row([client], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let now = now_ms() as i64;
    if revoked.is_some() {
        return Err(Error::TokenRevoked(
            "this device was removed from its account; its token no longer works".into(),
        ));
    }
    if expires_at <= now {
        return Err(Error::TokenExpired(
            "this token expired: renew it with a signature of the device key (POST /v1/token/signed)"
                .into(),
        ));
    }
    if last_active.is_none_or(|t| now - t >= ACTIVITY_GRANULARITY_MS as i64) {
        conn.prepare_cached("UPDATE clients SET last_active = ?2 WHERE uri = ?1")?
            .execute(params![client, now])?;
    }
    Ok(())
}
