//! The passphrase keystore (`CONCLAVE_KEYSTORE=passphrase`, SECURITY.md "Secrets at rest"): the
//! client's secrets — its signing keys, its hub token and the key of its encrypted database — in
//! `keystore.sealed`, sealed with XChaCha20-Poly1305 under a key that Argon2id derives from the
//! user's passphrase. Nothing on disk opens the database without the passphrase, which is for a
//! machine without an OS keyring that should not keep the key next to the database.
//!
//! The file is JSON: a format name, the Argon2id parameters and salt (bound to the ciphertext as
//! associated data), a nonce and the ciphertext of the same name → base64 map the file keystore
//! keeps. Every write is a new nonce and an atomic rename. A forgotten passphrase cannot be
//! recovered: the device is set up again from another one (SECURITY.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{Passphrase, SecretStore};
use crate::error::{Error, Result};

/// The file's name in the data directory.
pub const FILE_NAME: &str = "keystore.sealed";
const FORMAT: &str = "conclave-sealed-keystore/1";

/// Argon2id's cost for new files: 64 MiB, 3 passes, one lane (RFC 9106 §4's second choice,
/// with one lane for small machines). A file keeps its own parameters, so these can grow.
const DEFAULT_M_COST_KIB: u32 = 64 * 1024;
const DEFAULT_T_COST: u32 = 3;
const DEFAULT_P_COST: u32 = 1;
/// What a file may ask for, at most: a damaged or hostile file cannot make opening take
/// minutes or gigabytes.
const MAX_M_COST_KIB: u32 = 1024 * 1024;
const MAX_T_COST: u32 = 16;
const MAX_P_COST: u32 = 8;
/// A sealed keystore holds a few keys; anything larger is not one.
pub const MAX_FILE_BYTES: usize = 1 << 20;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// How the key is derived from the passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kdf {
    /// Always `argon2id`.
    pub algorithm: String,
    /// Argon2 version (0x13).
    pub version: u32,
    /// Memory in KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
    /// Base64 salt, 16 to 64 bytes.
    pub salt: String,
}

impl Kdf {
    fn new() -> Kdf {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        Kdf {
            algorithm: "argon2id".into(),
            version: 0x13,
            m_cost_kib: DEFAULT_M_COST_KIB,
            t_cost: DEFAULT_T_COST,
            p_cost: DEFAULT_P_COST,
            salt: b64().encode(salt),
        }
    }

    /// The salt, after checking that the parameters are ones this version would use at all
    /// (a damaged or hostile file cannot make deriving take minutes or gigabytes).
    pub fn check(&self) -> Result<Vec<u8>> {
        let damaged = |what: &str| Error::Keystore(format!("{FILE_NAME} is damaged ({what})"));
        if self.algorithm != "argon2id" || self.version != 0x13 {
            return Err(damaged("an unknown key derivation"));
        }
        if self.m_cost_kib > MAX_M_COST_KIB || self.t_cost > MAX_T_COST || self.p_cost > MAX_P_COST
        {
            return Err(damaged("key derivation costs beyond this version's limits"));
        }
        Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(32))
            .map_err(|e| damaged(&e.to_string()))?;
        let salt = b64().decode(&self.salt).map_err(|_| damaged("its salt"))?;
        if !(16..=64).contains(&salt.len()) {
            return Err(damaged("its salt"));
        }
        Ok(salt)
    }

    /// The key for `passphrase` (Argon2id with these parameters, once [`Kdf::check`]ed).
    fn derive(&self, passphrase: &Passphrase) -> Result<Zeroizing<[u8; 32]>> {
        let salt = self.check()?;
        let damaged = |e: argon2::Error| Error::Keystore(format!("{FILE_NAME} is damaged ({e})"));
        let params =
            Params::new(self.m_cost_kib, self.t_cost, self.p_cost, Some(32)).map_err(damaged)?;
        let mut key = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.as_bytes(), &salt, key.as_mut())
            .map_err(damaged)?;
        Ok(key)
    }

    /// The associated data: the format and these parameters, so that neither can be changed
    /// without the passphrase.
    fn aad(&self) -> Vec<u8> {
        let mut aad = FORMAT.as_bytes().to_vec();
        aad.push(0);
        aad.extend_from_slice(
            format!(
                "{}|{}|{}|{}|{}|{}",
                self.algorithm, self.version, self.m_cost_kib, self.t_cost, self.p_cost, self.salt
            )
            .as_bytes(),
        );
        aad
    }
}

/// The file as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedFile {
    /// [`FORMAT`].
    pub format: String,
    /// The key derivation.
    pub kdf: Kdf,
    /// Base64 24-byte nonce.
    pub nonce: String,
    /// Base64 ciphertext of the JSON map.
    pub ciphertext: String,
}

impl SealedFile {
    /// Reads a sealed keystore file's bytes (outside input: checked, never trusted).
    pub fn parse(bytes: &[u8]) -> Result<SealedFile> {
        let damaged = |what: &str| Error::Keystore(format!("{FILE_NAME} is damaged ({what})"));
        if bytes.len() > MAX_FILE_BYTES {
            return Err(damaged("too large"));
        }
        let f: SealedFile = serde_json::from_slice(bytes).map_err(|e| damaged(&e.to_string()))?;
        if f.format != FORMAT {
            return Err(damaged("an unknown format"));
        }
        Ok(f)
    }

    fn open(&self, key: &[u8; 32]) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let nonce = b64()
            .decode(&self.nonce)
            .ok()
            .filter(|n| n.len() == 24)
            .ok_or_else(|| Error::Keystore(format!("{FILE_NAME} is damaged (its nonce)")))?;
        let ciphertext = b64()
            .decode(&self.ciphertext)
            .map_err(|_| Error::Keystore(format!("{FILE_NAME} is damaged (its ciphertext)")))?;
        let aad = self.kdf.aad();
        Ok(XChaCha20Poly1305::new(key.into())
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .ok()
            .map(Zeroizing::new))
    }

    fn seal(kdf: &Kdf, key: &[u8; 32], plaintext: &[u8]) -> Result<SealedFile> {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = kdf.aad();
        let ciphertext = XChaCha20Poly1305::new(key.into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Keystore("sealing the keystore failed".into()))?;
        Ok(SealedFile {
            format: FORMAT.into(),
            kdf: kdf.clone(),
            nonce: b64().encode(nonce),
            ciphertext: b64().encode(ciphertext),
        })
    }
}

struct Sealing {
    kdf: Kdf,
    key: Zeroizing<[u8; 32]>,
}

/// The passphrase keystore of one data directory.
pub struct SealedKeystore {
    path: PathBuf,
    state: Mutex<Sealing>,
}

type Map = BTreeMap<String, String>;

impl SealedKeystore {
    /// Opens `dir`'s sealed keystore with `passphrase`, or prepares a new one (written at the
    /// first secret kept). A wrong passphrase is [`Error::WrongPassphrase`]; nothing is written.
    pub fn open(dir: &Path, passphrase: &Passphrase) -> Result<SealedKeystore> {
        let path = dir.join(FILE_NAME);
        let state = match read_file(&path)? {
            Some(file) => {
                let key = file.kdf.derive(passphrase)?;
                if file.open(&key)?.is_none() {
                    return Err(Error::WrongPassphrase);
                }
                Sealing { kdf: file.kdf, key }
            }
            None => {
                let kdf = Kdf::new();
                let key = kdf.derive(passphrase)?;
                Sealing { kdf, key }
            }
        };
        Ok(SealedKeystore {
            path,
            state: Mutex::new(state),
        })
    }

    /// Whether `dir` keeps its secrets under a passphrase.
    pub fn exists(dir: &Path) -> bool {
        dir.join(FILE_NAME).exists()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Sealing>> {
        self.state
            .lock()
            .map_err(|_| Error::Keystore("the keystore lock is poisoned".into()))
    }

    fn read(&self, s: &Sealing) -> Result<Map> {
        let Some(file) = read_file(&self.path)? else {
            return Ok(Map::new());
        };
        if file.kdf != s.kdf {
            // Another process changed the passphrase since this one opened the file.
            return Err(Error::WrongPassphrase);
        }
        let plain = file.open(&s.key)?.ok_or(Error::WrongPassphrase)?;
        serde_json::from_slice(&plain)
            .map_err(|_| Error::Keystore(format!("{FILE_NAME} is damaged (its contents)")))
    }

    fn write(&self, s: &Sealing, map: &Map) -> Result<()> {
        let plain =
            Zeroizing::new(serde_json::to_vec(map).map_err(|e| Error::Keystore(e.to_string()))?);
        let file = SealedFile::seal(&s.kdf, &s.key, &plain)?;
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| Error::Keystore(e.to_string()))?;
        // A new 0600 file renamed over the old one: a crash leaves one or the other whole.
        crate::private::write(&self.path, &bytes)
            .map_err(|e| Error::Io(format!("{}: {e}", self.path.display())))
    }

    /// Seals everything again under `new` (a new salt): the old passphrase opens nothing any
    /// more, in one atomic rename.
    pub fn reseal(&self, new: &Passphrase) -> Result<()> {
        let mut s = self.lock()?;
        let map = self.read(&s)?;
        let kdf = Kdf::new();
        let key = kdf.derive(new)?;
        let next = Sealing { kdf, key };
        self.write(&next, &map)?;
        *s = next;
        Ok(())
    }
}

fn read_file(path: &Path) -> Result<Option<SealedFile>> {
    match std::fs::read(path) {
        Ok(b) => SealedFile::parse(&b).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io(format!("{}: {e}", path.display()))),
    }
}

impl SecretStore for SealedKeystore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let s = self.lock()?;
        self.read(&s)?
            .get(name)
            .map(|v| {
                b64()
                    .decode(v)
                    .map_err(|_| Error::Keystore(format!("{name} in {FILE_NAME} is damaged")))
            })
            .transpose()
    }

    fn set(&self, name: &str, value: &[u8]) -> Result<()> {
        let s = self.lock()?;
        let mut map = self.read(&s)?;
        map.insert(name.to_owned(), b64().encode(value));
        self.write(&s, &map)
    }

    fn remove(&self, name: &str) -> Result<()> {
        let s = self.lock()?;
        let mut map = self.read(&s)?;
        if map.remove(name).is_some() {
            self.write(&s, &map)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "keys are kept in {} (mode 0600), sealed under your passphrase (Argon2id); a \
             forgotten passphrase cannot be recovered",
            self.path.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned()).unwrap()
    }

    #[test]
    fn secrets_open_only_with_the_passphrase_and_never_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let ks = SealedKeystore::open(dir.path(), &pass("correct horse")).unwrap();
        assert!(!SealedKeystore::exists(dir.path()));
        ks.set("token", b"the-hub-token-1234").unwrap();
        assert!(SealedKeystore::exists(dir.path()));
        let bytes = std::fs::read(dir.path().join(FILE_NAME)).unwrap();
        let b64_token = b64().encode(b"the-hub-token-1234");
        assert!(!bytes.windows(12).any(|w| w == b"the-hub-toke"));
        assert!(
            !bytes
                .windows(b64_token.len())
                .any(|w| w == b64_token.as_bytes())
        );

        let again = SealedKeystore::open(dir.path(), &pass("correct horse")).unwrap();
        assert_eq!(
            again.get("token").unwrap().as_deref(),
            Some(&b"the-hub-token-1234"[..])
        );
        assert!(matches!(
            SealedKeystore::open(dir.path(), &pass("correct horsf")),
            Err(Error::WrongPassphrase)
        ));
        // The file is as it was.
        assert_eq!(std::fs::read(dir.path().join(FILE_NAME)).unwrap(), bytes);
    }

    #[test]
    fn resealing_moves_everything_to_the_new_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let ks = SealedKeystore::open(dir.path(), &pass("first passphrase")).unwrap();
        ks.set("a", b"one").unwrap();
        ks.reseal(&pass("second passphrase")).unwrap();
        ks.set("b", b"two").unwrap();
        assert!(matches!(
            SealedKeystore::open(dir.path(), &pass("first passphrase")),
            Err(Error::WrongPassphrase)
        ));
        let again = SealedKeystore::open(dir.path(), &pass("second passphrase")).unwrap();
        assert_eq!(again.get("a").unwrap().as_deref(), Some(&b"one"[..]));
        again.remove("a").unwrap();
        assert_eq!(ks.get("a").unwrap(), None);
        assert_eq!(ks.get("b").unwrap().as_deref(), Some(&b"two"[..]));
    }

    #[test]
    fn a_tampered_file_is_refused_and_costs_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let ks = SealedKeystore::open(dir.path(), &pass("tamper proof")).unwrap();
        ks.set("a", b"one").unwrap();
        let path = dir.path().join(FILE_NAME);
        let original: SealedFile = SealedFile::parse(&std::fs::read(&path).unwrap()).unwrap();

        // Parameters changed without the passphrase: the seal no longer opens.
        let mut weaker = serde_json::to_value(&original).unwrap();
        weaker["kdf"]["t_cost"] = 2.into();
        std::fs::write(&path, serde_json::to_vec(&weaker).unwrap()).unwrap();
        assert!(matches!(
            SealedKeystore::open(dir.path(), &pass("tamper proof")),
            Err(Error::WrongPassphrase)
        ));
        // Costs no one would choose are refused before any work.
        let mut costly = serde_json::to_value(&original).unwrap();
        costly["kdf"]["m_cost_kib"] = (MAX_M_COST_KIB + 1).into();
        std::fs::write(&path, serde_json::to_vec(&costly).unwrap()).unwrap();
        let e = SealedKeystore::open(dir.path(), &pass("tamper proof"))
            .err()
            .unwrap();
        assert!(e.to_string().contains("limits"), "{e}");
        for junk in [&b"{}"[..], b"not json", b""] {
            std::fs::write(&path, junk).unwrap();
            let e = SealedKeystore::open(dir.path(), &pass("tamper proof"))
                .err()
                .unwrap();
            assert!(e.to_string().contains("damaged"), "{e}");
        }
    }
}
