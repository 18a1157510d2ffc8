//! The hub's franking keys (PROTO §5.4.1): a symmetric `hub_key` for `server_frank` and an
//! Ed25519 key for the franking integrity signature, in generations. They live in
//! `franking.keys` in the data directory (mode 0600, narrowed to it if others could read it). Rotation
//! appends a generation: new rooms name the newest signature key in their `franking_agent`;
//! `hub_key` is chosen by the message's `accepted_timestamp` (Frank carries no key id), so old
//! franks stay verifiable. The file is re-read when it changes, so `conclave-hub keys rotate`
//! takes effect on a running hub.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use ed25519_dalek::SigningKey;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One generation of franking keys.
#[derive(Clone)]
pub struct Generation {
    /// 1, 2, …
    pub number: u32,
    /// From when (ms) this generation's `hub_key` franks.
    pub valid_from: u64,
    /// The symmetric key of `server_frank`.
    pub hub_key: [u8; 32],
    /// The franking signature key.
    pub signing_key: SigningKey,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    number: u32,
    valid_from: u64,
    hub_key: String,
    signing_key: String,
}

/// The key file, re-read when it changes.
pub struct FrankingKeys {
    path: PathBuf,
    /// The file's stamp when last read, and what it held.
    cache: Mutex<(Option<FileStamp>, Vec<Generation>)>,
}

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

fn read(path: &Path) -> Result<Vec<Generation>> {
    crate::keys::require_private(path)?;
    let bytes = std::fs::read(path).map_err(Error::internal)?;
    let stored: Vec<Stored> = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Internal(format!("{} is damaged: {e}", path.display())))?;
    let key = |s: &str| -> Result<[u8; 32]> {
        hex::decode(s)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::Internal(format!("{} holds a damaged key", path.display())))
    };
    let mut out = stored
        .iter()
        .map(|s| {
            Ok(Generation {
                number: s.number,
                valid_from: s.valid_from,
                hub_key: key(&s.hub_key)?,
                signing_key: SigningKey::from_bytes(&key(&s.signing_key)?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|g| g.number);
    if out.is_empty() {
        return Err(Error::Internal(format!("{} holds no keys", path.display())));
    }
    Ok(out)
}

fn write(path: &Path, gens: &[Generation]) -> Result<()> {
    let stored: Vec<Stored> = gens
        .iter()
        .map(|g| Stored {
            number: g.number,
            valid_from: g.valid_from,
            hub_key: hex::encode(g.hub_key),
            signing_key: hex::encode(g.signing_key.to_bytes()),
        })
        .collect();
    let bytes = serde_json::to_vec_pretty(&stored).map_err(Error::internal)?;
    let tmp = path.with_extension("keys.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| Error::Internal(format!("cannot write {}: {e}", tmp.display())))?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| Error::Internal(format!("cannot write {}: {e}", path.display())))
}

/// A key file's (mtime, inode, length): it changed if any of them did.
type FileStamp = (SystemTime, u64, u64);

impl FrankingKeys {
    /// Opens the key file in `dir`, creating the first generation if there is none.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join("franking.keys");
        if !path.exists() {
            write(
                &path,
                &[Generation {
                    number: 1,
                    valid_from: 0,
                    hub_key: random32(),
                    signing_key: SigningKey::from_bytes(&random32()),
                }],
            )?;
        }
        let keys = FrankingKeys {
            path,
            cache: Mutex::new((None, Vec::new())),
        };
        keys.all()?;
        Ok(keys)
    }

    /// Every generation, oldest first (re-read if the file changed).
    pub fn all(&self) -> Result<Vec<Generation>> {
        // The file is replaced by rename on rotation: a new inode, whatever the clock's
        // granularity (two writes within one mtime tick kept a stale cache).
        let mtime = std::fs::metadata(&self.path)
            .and_then(|m| {
                use std::os::unix::fs::MetadataExt as _;
                Ok((m.modified()?, m.ino(), m.len()))
            })
            .map_err(Error::internal)?;
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| Error::Internal("franking key cache poisoned".into()))?;
        if cache.0 != Some(mtime) {
            *cache = (Some(mtime), read(&self.path)?);
        }
        Ok(cache.1.clone())
    }

    /// The newest generation: its signature key goes into new rooms.
    pub fn newest(&self) -> Result<Generation> {
        self.all()?
            .pop()
            .ok_or_else(|| Error::Internal("no franking keys".into()))
    }

    /// The generation whose `hub_key` was in force at `timestamp` (ms).
    pub fn at(&self, timestamp: u64) -> Result<Generation> {
        let all = self.all()?;
        all.iter()
            .rev()
            .find(|g| g.valid_from <= timestamp)
            .or(all.first())
            .cloned()
            .ok_or_else(|| Error::Internal("no franking keys".into()))
    }

    /// The generation whose signature key is `public`.
    pub fn by_public_key(&self, public: &[u8]) -> Result<Option<Generation>> {
        Ok(self
            .all()?
            .into_iter()
            .find(|g| g.signing_key.verifying_key().as_bytes() == public))
    }
}

/// Appends a new generation valid from `now_ms`; returns its number.
pub fn rotate(dir: &Path, now_ms: u64) -> Result<u32> {
    let path = dir.join("franking.keys");
    if !path.exists() {
        return Err(Error::Internal(format!(
            "{} holds no franking keys: start the hub once first",
            dir.display()
        )));
    }
    let mut gens = read(&path)?;
    let number = gens.last().map(|g| g.number + 1).unwrap_or(1);
    gens.push(Generation {
        number,
        valid_from: now_ms,
        hub_key: random32(),
        signing_key: SigningKey::from_bytes(&random32()),
    });
    write(&path, &gens)?;
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn rotation_keeps_old_generations_and_selects_hub_keys_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let keys = FrankingKeys::open(dir.path()).unwrap();
        let first = keys.newest().unwrap();
        let mode = std::fs::metadata(dir.path().join("franking.keys"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(rotate(dir.path(), 1_000).unwrap(), 2);
        // The running instance sees the rotation (the file changed).
        let second = keys.newest().unwrap();
        assert_eq!(second.number, 2);
        assert_ne!(second.hub_key, first.hub_key);
        assert_eq!(keys.at(999).unwrap().number, 1);
        assert_eq!(keys.at(1_000).unwrap().number, 2);
        let pk = first.signing_key.verifying_key();
        assert_eq!(
            keys.by_public_key(pk.as_bytes()).unwrap().unwrap().number,
            1
        );
        // Reopening finds both.
        assert_eq!(
            FrankingKeys::open(dir.path()).unwrap().all().unwrap().len(),
            2
        );
    }

    #[test]
    fn a_readable_key_file_is_narrowed_and_a_damaged_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        FrankingKeys::open(dir.path()).unwrap();
        let p = dir.path().join("franking.keys");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        FrankingKeys::open(dir.path()).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&p, b"[{}]").unwrap();
        let e = FrankingKeys::open(dir.path()).err().unwrap();
        assert!(e.to_string().contains("damaged"), "{e}");
    }
}
