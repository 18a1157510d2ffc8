//! Where the client keeps its secrets (the MLS signature key, the hub token): the OS keyring by
//! default. On a machine without one the client refuses with an error that says what to do, unless
//! the user chose the documented file fallback (`CONCLAVE_KEYSTORE=file`: a 0600 file in the data
//! directory, with a warning at every start), or the passphrase keystore (`CONCLAVE_KEYSTORE=
//! passphrase`: the same secrets sealed under a key Argon2id derives from a passphrase,
//! [`sealed`]). It never falls back silently (STACK.md "Keyring").

pub mod sealed;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
pub use sealed::SealedKeystore;

/// The environment variable that selects the keystore.
pub const KEYSTORE_ENV: &str = "CONCLAVE_KEYSTORE";
/// The environment variable the CLI reads a passphrase from (else it asks on the terminal).
pub const PASSPHRASE_ENV: &str = "CONCLAVE_PASSPHRASE";
/// The shortest passphrase accepted for a new keystore.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// A passphrase: wiped from memory when dropped, never printed.
#[derive(Clone)]
pub struct Passphrase(zeroize::Zeroizing<String>);

impl Passphrase {
    /// A passphrase as typed (a final line break removed). Empty is refused.
    pub fn new(mut s: String) -> Result<Passphrase> {
        while s.ends_with(['\n', '\r']) {
            s.pop();
        }
        if s.is_empty() {
            return Err(Error::Usage("the passphrase is empty".into()));
        }
        Ok(Passphrase(zeroize::Zeroizing::new(s)))
    }

    /// Checks that a passphrase chosen for a new keystore is long enough.
    pub fn check_new(&self) -> Result<()> {
        if self.0.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(Error::Usage(format!(
                "the passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters"
            )));
        }
        Ok(())
    }

    /// Whether two passphrases are the same (the second typing of a new one).
    pub fn same_as(&self, other: &Passphrase) -> bool {
        *self.0 == *other.0
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}
const SERVICE: &str = "conclave";

/// A small secret store: named byte strings.
pub trait SecretStore: Send + Sync {
    /// Reads a secret.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>>;
    /// Writes a secret.
    fn set(&self, name: &str, value: &[u8]) -> Result<()>;
    /// Forgets a secret (none is fine).
    fn remove(&self, name: &str) -> Result<()>;
    /// A line for the user about where secrets live.
    fn describe(&self) -> String;
}

/// Which keystore to use, as the user chose it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeystoreKind {
    /// The OS keyring (Secret Service on Linux).
    #[default]
    Os,
    /// A 0600 file in the data directory.
    File,
    /// A 0600 file in the data directory sealed under a passphrase ([`sealed`]).
    Passphrase,
}

impl KeystoreKind {
    /// Reads `CONCLAVE_KEYSTORE` (`os`, the default, `file` or `passphrase`).
    pub fn from_env() -> Result<Self> {
        match std::env::var(KEYSTORE_ENV).as_deref() {
            Err(_) | Ok("") | Ok("os") => Ok(KeystoreKind::Os),
            Ok("file") => Ok(KeystoreKind::File),
            Ok("passphrase") => Ok(KeystoreKind::Passphrase),
            Ok(other) => Err(Error::Keystore(format!(
                "{KEYSTORE_ENV}={other:?} is not understood: use \"os\", \"file\" or \"passphrase\""
            ))),
        }
    }

    /// The keystore of the home at `data_dir`: one whose secrets are sealed under a passphrase
    /// keeps them there whatever was chosen (it cannot be opened any other way, and asking for
    /// the passphrase weakens nothing); otherwise `self`.
    pub fn for_home(self, data_dir: &Path) -> KeystoreKind {
        if SealedKeystore::exists(data_dir) {
            KeystoreKind::Passphrase
        } else {
            self
        }
    }
}

/// Opens the chosen keystore for a data directory; the passphrase keystore needs `passphrase`
/// ([`Error::PassphraseNeeded`] without one).
pub fn open(
    kind: KeystoreKind,
    data_dir: &Path,
    passphrase: Option<&Passphrase>,
) -> Result<Box<dyn SecretStore>> {
    match kind.for_home(data_dir) {
        KeystoreKind::Os => Ok(Box::new(OsKeyring::open(data_dir)?)),
        KeystoreKind::File => {
            let f = FileKeystore::open(data_dir.join("keystore.json"))?;
            tracing::warn!("{}", f.describe());
            eprintln!("warning: {}", f.describe());
            Ok(Box::new(f))
        }
        KeystoreKind::Passphrase => {
            let p = passphrase.ok_or(Error::PassphraseNeeded)?;
            Ok(Box::new(SealedKeystore::open(data_dir, p)?))
        }
    }
}

/// The OS keyring. Entries are named per data directory, so several homes can coexist.
pub struct OsKeyring {
    account_prefix: String,
}

impl OsKeyring {
    /// Checks that a keyring is reachable.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let canonical = data_dir
            .canonicalize()
            .unwrap_or_else(|_| data_dir.to_path_buf());
        let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
        let k = OsKeyring {
            account_prefix: hex::encode(&digest[..8]),
        };
        // A probe read tells "no keyring" apart from "no entry".
        match keyring::Entry::new(SERVICE, &k.account("probe")).and_then(|e| e.get_secret()) {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(k),
            Err(e) => Err(Error::NoKeyring {
                detail: e.to_string(),
            }),
        }
    }

    fn account(&self, name: &str) -> String {
        format!("{}/{name}", self.account_prefix)
    }
}

impl SecretStore for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let entry = keyring::Entry::new(SERVICE, &self.account(name))
            .map_err(|e| Error::Keystore(e.to_string()))?;
        match entry.get_secret() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(Error::Keystore(e.to_string())),
        }
    }

    fn set(&self, name: &str, value: &[u8]) -> Result<()> {
        keyring::Entry::new(SERVICE, &self.account(name))
            .and_then(|e| e.set_secret(value))
            .map_err(|e| Error::Keystore(e.to_string()))
    }

    fn remove(&self, name: &str) -> Result<()> {
        let entry = keyring::Entry::new(SERVICE, &self.account(name))
            .map_err(|e| Error::Keystore(e.to_string()))?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(Error::Keystore(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        "keys are in the OS keyring".into()
    }
}

/// The explicit file fallback: a JSON map of base64 secrets, mode 0600.
pub struct FileKeystore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileKeystore {
    /// Opens (or prepares) the file; narrows one that others could read to 0600, with a warning.
    pub fn open(path: PathBuf) -> Result<Self> {
        match crate::private::narrow(&path, crate::private::FILE_MODE) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::Io(format!("{}: {e}", path.display()))),
        }
        Ok(FileKeystore {
            path,
            lock: Mutex::new(()),
        })
    }

    fn read(&self) -> Result<BTreeMap<String, String>> {
        match std::fs::read(&self.path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| Error::Keystore(format!("{} is damaged: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(Error::Io(format!("{}: {e}", self.path.display()))),
        }
    }
}

impl SecretStore for FileKeystore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let _g = self.lock.lock();
        self.read()?
            .get(name)
            .map(|v| {
                base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .map_err(|_| Error::Keystore(format!("{name} in the keystore file is damaged")))
            })
            .transpose()
    }

    fn set(&self, name: &str, value: &[u8]) -> Result<()> {
        let _g = self.lock.lock();
        let mut map = self.read()?;
        map.insert(
            name.to_owned(),
            base64::engine::general_purpose::STANDARD.encode(value),
        );
        self.write(&map)
    }

    fn remove(&self, name: &str) -> Result<()> {
        let _g = self.lock.lock();
        let mut map = self.read()?;
        if map.remove(name).is_some() {
            self.write(&map)?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "{KEYSTORE_ENV}=file: keys are kept in {} (mode 0600), not in the OS keyring",
            self.path.display()
        )
    }
}

impl FileKeystore {
    fn write(&self, map: &BTreeMap<String, String>) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&map).map_err(|e| Error::Keystore(e.to_string()))?;
        // A new 0600 file renamed over the old one: a crash leaves one or the other whole.
        crate::private::write(&self.path, &bytes)
            .map_err(|e| Error::Io(format!("{}: {e}", self.path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keystore_round_trips_and_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ks = FileKeystore::open(dir.path().join("k.json")).unwrap();
        assert_eq!(ks.get("a").unwrap(), None);
        ks.set("a", b"secret").unwrap();
        ks.set("b", b"other").unwrap();
        let again = FileKeystore::open(dir.path().join("k.json")).unwrap();
        assert_eq!(again.get("a").unwrap().as_deref(), Some(&b"secret"[..]));
        let mode = std::fs::metadata(dir.path().join("k.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_readable_keystore_file_is_narrowed_and_a_damaged_one_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k.json");
        std::fs::write(&p, b"{not json").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        let ks = FileKeystore::open(p.clone()).unwrap();
        assert!(ks.get("a").unwrap_err().to_string().contains("damaged"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        FileKeystore::open(p.clone()).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
