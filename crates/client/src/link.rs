//! What a link code carries to a new device of the same user: the user key (SECURITY.md
//! "Devices"), and the user's connection keys and connections (MIMIMI §5 keys are per user, so
//! every device of the user needs them for pseudonymous rooms).
//!
//! They are sealed under the code's second half, which never reaches the hub (the hub keeps the
//! sealed keys with the first half until the code is used): opening them is how the new device
//! proves it was given the whole code by one of the user's devices.

use ed25519_dalek::SigningKey;
use mimi::uri::UserUri;
use openmls_rust_crypto::RustCrypto;
use rand::RngCore;
use rusqlite::{Connection, params};

use crate::connections::{CONNECTION_KEY, ESTABLISHMENT, secret32};
use crate::error::{Error, Result};
use crate::keystore::SecretStore;
use crate::store::now_ms;
use crate::user_key;

/// The label under which a link code's secret becomes the key of the sealed device keys.
const DEVICE_KEYS_SALT: &[u8] = b"Conclave device keys v2";

fn mls(e: impl std::fmt::Display) -> Error {
    Error::Mls(e.to_string())
}

fn device_keys_key(secret: &str) -> Result<Vec<u8>> {
    use openmls_traits::crypto::OpenMlsCrypto as _;
    RustCrypto::default()
        .hkdf_extract(
            openmls::prelude::HashType::Sha2_256,
            DEVICE_KEYS_SALT,
            secret.as_bytes(),
        )
        .map(|k| k.as_slice().to_vec())
        .map_err(mls)
}

/// What one device hands a newly linked device of the same user.
#[derive(serde::Serialize, serde::Deserialize)]
struct DeviceKeys {
    /// The user key's seed (hex).
    user_key: String,
    /// The connection establishment seed and connection key (hex), if this device has them.
    establishment: Option<String>,
    connection_key: Option<String>,
    /// The connections this device knows: user, state, their key (hex).
    connections: Vec<(String, String, Option<String>)>,
    /// The user pseudonyms of the pseudonymous rooms this device is in: the new device joins
    /// each as a client pseudonym of the same user pseudonym (`crate::siblings`).
    #[serde(default)]
    user_pseudonyms: Vec<String>,
}

/// What a link code carried, opened.
pub struct Opened {
    /// The user key.
    pub user_key: SigningKey,
    /// The user pseudonyms of the user's pseudonymous rooms (their rooms are the sibling's).
    pub user_pseudonyms: Vec<UserUri>,
}

/// Seals this device's user keys for a new device under `secret` (the part of the link code the
/// hub never sees): AES-256-GCM, a random nonce first. A device without the user key (made
/// before user keys) cannot approve devices.
pub fn seal(conn: &Connection, secrets: &dyn SecretStore, secret: &str) -> Result<Vec<u8>> {
    use openmls_traits::crypto::OpenMlsCrypto as _;
    let user_key = user_key::load(secrets)?.ok_or_else(|| {
        Error::Usage(
            "this device holds no user key (it was set up before user keys), so it cannot approve a new device"
                .into(),
        )
    })?;
    let connections = conn
        .prepare("SELECT user_uri, state, their_key FROM connections WHERE state = 'connected'")?
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?.map(hex::encode),
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut user_pseudonyms: Vec<String> = crate::pseudonymous::all(conn)?
        .into_iter()
        .filter(|p| p.room.is_some())
        .map(|p| p.user.to_string())
        .collect();
    user_pseudonyms.sort();
    user_pseudonyms.dedup();
    let plain = serde_json::to_vec(&DeviceKeys {
        user_key: hex::encode(user_key.to_bytes()),
        establishment: secret32(secrets, ESTABLISHMENT)?.map(hex::encode),
        connection_key: secret32(secrets, CONNECTION_KEY)?.map(hex::encode),
        connections,
        user_pseudonyms,
    })
    .map_err(mls)?;
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = RustCrypto::default()
        .aead_encrypt(
            openmls::prelude::AeadType::Aes256Gcm,
            &device_keys_key(secret)?,
            &plain,
            &nonce,
            DEVICE_KEYS_SALT,
        )
        .map_err(mls)?;
    Ok([nonce.as_slice(), &ct].concat())
}

/// Opens the keys a link code carried and keeps them: the connection keys in the keystore, the
/// connections in the `connections` table. Returns the user key, which the caller keeps once
/// the device is set up, and the user pseudonyms. A wrong secret or damaged keys are an error,
/// and nothing is kept.
pub fn open(
    conn: &Connection,
    secrets: &dyn SecretStore,
    secret: &str,
    sealed: &[u8],
) -> Result<Opened> {
    use openmls_traits::crypto::OpenMlsCrypto as _;
    let bad = || {
        Error::Usage(
            "the keys this link code carried do not open with its secret (was it typed in full?): ask the other device for a new link code"
                .into(),
        )
    };
    if sealed.len() < 12 {
        return Err(bad());
    }
    let (nonce, ct) = sealed.split_at(12);
    let plain = RustCrypto::default()
        .aead_decrypt(
            openmls::prelude::AeadType::Aes256Gcm,
            &device_keys_key(secret)?,
            ct,
            nonce,
            DEVICE_KEYS_SALT,
        )
        .map_err(|_| bad())?;
    let keys: DeviceKeys = serde_json::from_slice(&plain).map_err(|_| bad())?;
    let k32 = |h: &str| -> Result<[u8; 32]> {
        hex::decode(h)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)
    };
    let user_key = SigningKey::from_bytes(&k32(&keys.user_key)?);
    let est = keys.establishment.as_deref().map(k32).transpose()?;
    let ck = keys.connection_key.as_deref().map(k32).transpose()?;
    for (user, state, key) in &keys.connections {
        UserUri::parse(user).map_err(|_| bad())?;
        let key = key.as_deref().map(k32).transpose()?;
        conn.execute(
            "INSERT INTO connections (user_uri, state, their_key, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(user_uri) DO NOTHING",
            params![user, state, key.map(|k| k.to_vec()), now_ms() as i64],
        )?;
    }
    let user_pseudonyms = keys
        .user_pseudonyms
        .iter()
        .map(|u| UserUri::parse(u).map_err(|_| bad()))
        .collect::<Result<Vec<_>>>()?;
    if let (Some(est), Some(ck)) = (est, ck) {
        secrets.set(ESTABLISHMENT, &est)?;
        secrets.set(CONNECTION_KEY, &ck)?;
    }
    Ok(Opened {
        user_key,
        user_pseudonyms,
    })
}
