//! The client's database encrypted at rest (SECURITY.md "Secrets at rest"): SQLCipher under a
//! 32-byte random key kept in the keystore beside the client's other secrets, read before the
//! database is opened.
//!
//! A home made before encryption holds a plain file. Its first open encrypts it in place
//! (RELIABILITY.md "The client's database"): exported into `conclave.sqlite3.encrypting`,
//! verified (integrity, every table's row count, `user_version`), then renamed over the plain
//! file. A crash at any point leaves the plain file or the encrypted one whole, and the next open
//! finishes the job. A wrong or missing key, or a damaged file, is an error that changes nothing.
//!
//! Re-keying ([`rekey`], after a passphrase change) is the same copy under a new key. The old key
//! stays in the keystore as [`PREVIOUS_KEY_SECRET`] until the new file is in place, so a crash
//! at any point leaves a file that one of the two keys opens, and the next open finishes.

use std::path::{Path, PathBuf};

use conclave_sqlite::cipher;
use rand::RngCore;
use rusqlite::Connection;

use super::Key;
use crate::error::{Error, Result};
use crate::keystore::SecretStore;
use crate::switches::failpoint;

/// The keystore entry of the database key.
pub const KEY_SECRET: &str = "database_key";
/// The keystore entry of the key being replaced while [`rekey`] runs.
pub const PREVIOUS_KEY_SECRET: &str = "database_key_previous";

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn io(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io(format!("{}: {e}", path.display()))
}

/// Removes a database file and its `-wal`, `-shm` and `-journal` companions, if there are any.
fn remove_database(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = with_suffix(path, suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&p, e)),
        }
    }
    Ok(())
}

fn sqlite(path: &Path, e: conclave_sqlite::Error) -> Error {
    match e {
        conclave_sqlite::Error::Unreadable => Error::Unreadable {
            path: path.display().to_string(),
            why: "the file is damaged".into(),
        },
        conclave_sqlite::Error::Sqlite(e) => Error::Store(e),
        other => Error::Io(other.to_string()),
    }
}

/// The database key in `secrets`, made and kept there if there is none and the database at
/// `path` does not exist yet or is plain. An encrypted database without its key is an error.
fn database_key(path: &Path, secrets: &dyn SecretStore, plain: bool) -> Result<Key> {
    match secrets.get(KEY_SECRET)? {
        Some(k) => Key::try_from(k.as_slice()).map_err(|_| {
            Error::Keystore(format!(
                "the database key in the keystore ({}) is damaged",
                secrets.describe()
            ))
        }),
        None if path.exists() && !plain && std::fs::metadata(path).map_or(0, |m| m.len()) > 0 => {
            Err(Error::Unreadable {
                path: path.display().to_string(),
                why: format!(
                    "its key is missing from the keystore ({})",
                    secrets.describe()
                ),
            })
        }
        None => {
            let mut k = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut k);
            // Kept before the database is made or encrypted with it.
            secrets.set(KEY_SECRET, &k)?;
            Ok(k)
        }
    }
}

/// Opens (creating) the client's database at `path` with its key from `secrets`, encrypting a
/// plain one in place first, and finishing a re-keying a crash cut short.
pub fn open_home(path: &Path, secrets: &dyn SecretStore) -> Result<Connection> {
    let plain = cipher::is_plain(path).map_err(|e| io(path, e))?;
    let key = database_key(path, secrets, plain)?;
    let unfinished = with_suffix(path, ".encrypting");
    if plain {
        copy_in_place(path, &unfinished, None, &key, "encrypt")?;
        return super::open(path, Some(&key));
    }
    // An export a crash cut short, while the database itself is whole.
    remove_database(&unfinished)?;
    let previous = secrets
        .get(PREVIOUS_KEY_SECRET)?
        .and_then(|k| Key::try_from(k.as_slice()).ok());
    match (super::open(path, Some(&key)), previous) {
        (Ok(conn), None) => Ok(conn),
        (Ok(conn), Some(_)) => {
            // The re-keyed file is in place; only forgetting the old key was left.
            secrets.remove(PREVIOUS_KEY_SECRET)?;
            Ok(conn)
        }
        (Err(Error::Unreadable { .. }), Some(old)) => {
            tracing::info!(path = %path.display(), "finishing a re-keying that was cut short");
            copy_in_place(path, &unfinished, Some(&old), &key, "rekey")?;
            secrets.remove(PREVIOUS_KEY_SECRET)?;
            super::open(path, Some(&key))
        }
        (Err(e), _) => Err(e),
    }
}

/// Encrypts the database at `path` under a new random key (after a passphrase change: an old
/// copy of the keystore then opens nothing newer). Nothing else may have it open.
pub fn rekey(path: &Path, secrets: &dyn SecretStore) -> Result<()> {
    let conn = open_home(path, secrets)?;
    drop(conn);
    let old = database_key(path, secrets, false)?;
    let mut new = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut new);
    // Both keys are kept before the file changes (see the module doc).
    secrets.set(PREVIOUS_KEY_SECRET, &old)?;
    secrets.set(KEY_SECRET, &new)?;
    failpoint("rekey:after-keys");
    copy_in_place(
        path,
        &with_suffix(path, ".encrypting"),
        Some(&old),
        &new,
        "rekey",
    )?;
    secrets.remove(PREVIOUS_KEY_SECRET)?;
    Ok(())
}

/// Copies the database at `path` (plain, or under `from`) into a new file encrypted under `to`
/// through the file `tmp`, verifies the copy and renames it over `path`. `stage` names the
/// crash-test failpoints (`encrypt:…` for a plain database, `rekey:…`).
fn copy_in_place(path: &Path, tmp: &Path, from: Option<&Key>, to: &Key, stage: &str) -> Result<()> {
    tracing::info!(path = %path.display(), stage, "encrypting the database at rest");
    remove_database(tmp)?;
    {
        let source = Connection::open(path)?;
        match from {
            Some(k) => cipher::apply_key(&source, k),
            None => cipher::readable(&source),
        }
        .map_err(|e| sqlite(path, e))?;
        conclave_sqlite::private::prepare_database(tmp).map_err(|e| io(tmp, e))?;
        cipher::export_encrypted(&source, tmp, to).map_err(|e| sqlite(path, e))?;
        failpoint(&format!("{stage}:after-export"));
        let enc = Connection::open(tmp)?;
        cipher::apply_key(&enc, to).map_err(|e| sqlite(tmp, e))?;
        let same = cipher::verify_copy(&source, &enc).map_err(|e| sqlite(tmp, e))?;
        drop(enc);
        if !same {
            remove_database(tmp)?;
            return Err(Error::Io(format!(
                "the encrypted copy of {} differs from it; the database is kept as it was",
                path.display()
            )));
        }
        source.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    failpoint(&format!("{stage}:after-verify"));
    // The plain file's write-ahead log is empty now (checkpointed, and its last connection
    // closed); one left beside the encrypted file would be read as that file's own.
    for suffix in ["-wal", "-shm"] {
        let p = with_suffix(path, suffix);
        match std::fs::metadata(&p) {
            Ok(m) if suffix == "-wal" && m.len() > 0 => {
                return Err(io(&p, "the write-ahead log still holds changes; try again"));
            }
            Ok(_) => std::fs::remove_file(&p).map_err(|e| io(&p, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&p, e)),
        }
    }
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io(tmp, e))?;
    std::fs::rename(tmp, path).map_err(|e| io(path, e))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(dir, e))?;
    }
    failpoint(&format!("{stage}:after-swap"));
    Ok(())
}
