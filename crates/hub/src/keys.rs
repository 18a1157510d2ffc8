//! The provider's Ed25519 signing key: created on first start, kept in the data directory with
//! mode 0600, and narrowed back to 0600 (with a warning) if anyone else could read it.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use ed25519_dalek::SigningKey;
use rand::RngCore;

use crate::error::{Error, Result};

/// Narrows a secret file that others could read to 0600, with a warning.
pub fn require_private(path: &Path) -> Result<()> {
    conclave_sqlite::private::narrow(path, conclave_sqlite::private::FILE_MODE)
        .map(|_| ())
        .map_err(|e| Error::Internal(format!("cannot make {} private: {e}", path.display())))
}

/// Loads the key at `path`, or creates it (0600) if there is none.
pub fn load_or_create(path: &Path) -> Result<SigningKey> {
    match std::fs::read(path) {
        Ok(bytes) => {
            require_private(path)?;
            let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                Error::Internal(format!(
                    "{} is not a provider key (expected 32 bytes, found {})",
                    path.display(),
                    bytes.len()
                ))
            })?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| Error::Internal(format!("cannot create {}: {e}", path.display())))?;
            f.write_all(&seed)
                .and_then(|_| f.sync_all())
                .map_err(|e| Error::Internal(format!("cannot write {}: {e}", path.display())))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(e) => Err(Error::Internal(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn key_is_created_0600_and_reloaded_identically() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("provider.key");
        let a = load_or_create(&p).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = load_or_create(&p).unwrap();
        assert_eq!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn a_world_readable_key_is_narrowed_and_a_truncated_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("provider.key");
        let a = load_or_create(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(load_or_create(&p).unwrap().to_bytes(), a.to_bytes());
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(&p, b"short").unwrap();
        assert!(
            load_or_create(&p)
                .unwrap_err()
                .to_string()
                .contains("32 bytes")
        );
    }
}
