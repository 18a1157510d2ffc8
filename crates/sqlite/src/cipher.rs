//! SQLCipher: a database encrypted at rest with a 32-byte raw key (the client's; the hub's
//! database stays unkeyed, ARCHITECTURE.md). The key is set first on a connection, before
//! anything else reads the file; a plain database is copied into an encrypted one with
//! `sqlcipher_export` (STACK.md "SQLCipher").

use std::io::Read as _;
use std::path::Path;

use rusqlite::{Connection, ErrorCode, OptionalExtension};

use crate::Error;

/// A raw SQLCipher key.
pub type Key = [u8; 32];

/// The first 16 bytes of every plain SQLite database file.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

fn key_literal(key: &Key) -> String {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    format!("x'{hex}'")
}

/// Sets `key` on a connection just opened, and checks that the file opens with it: a wrong key,
/// a plain database or a damaged file is [`Error::Unreadable`]; nothing is written.
pub fn apply_key(conn: &Connection, key: &Key) -> Result<(), Error> {
    // A wrong key is our caller's to explain (Error::Unreadable); SQLCipher would also print
    // "hmac check failed" on stderr, which to a user reads like damage.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    // The key is ours (hex), never outside text: no injection.
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key_literal(key)))?;
    readable(conn)
}

/// Whether the file opens: a first read of its schema, which SQLCipher answers `SQLITE_NOTADB`
/// when the key is wrong or the file is damaged.
pub fn readable(conn: &Connection) -> Result<(), Error> {
    match conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::NotADatabase => {
            Err(Error::Unreadable)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether `path` is a plain (unencrypted) SQLite database: its header says so. A missing or
/// empty file is not.
pub fn is_plain(path: &Path) -> std::io::Result<bool> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let mut head = [0u8; 16];
    match f.read_exact(&mut head) {
        Ok(()) => Ok(&head == PLAIN_HEADER),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Copies the plain database open on `plain` (its WAL checkpointed into it first) into a new
/// encrypted file `to` under `key`: every table, index and row, and `user_version`, which
/// `sqlcipher_export` does not copy. `to` must not exist.
pub fn export_encrypted(plain: &Connection, to: &Path, key: &Key) -> Result<(), Error> {
    plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let to_str = to.to_str().ok_or(Error::Unreadable)?;
    plain.execute(
        "ATTACH DATABASE ?1 AS encrypted KEY ?2",
        [to_str, &key_literal(key)],
    )?;
    let exported = plain
        .query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))
        .optional()
        .map(|_| ())
        .and_then(|()| plain.execute_batch(&format!("PRAGMA encrypted.user_version = {version};")));
    let detached = plain.execute_batch("DETACH DATABASE encrypted");
    exported?;
    detached?;
    Ok(())
}

/// The name and row count of every table in the database open on `conn`, sorted.
pub fn table_counts(conn: &Connection) -> Result<Vec<(String, i64)>, Error> {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let quoted = n.replace('"', "\"\"");
        let count: i64 =
            conn.query_row(&format!("SELECT COUNT(*) FROM \"{quoted}\""), [], |r| {
                r.get(0)
            })?;
        out.push((n, count));
    }
    Ok(out)
}

/// Checks that the encrypted copy `enc` holds what `plain` holds: it passes SQLite's integrity
/// check, every table with as many rows, and the same `user_version`.
pub fn verify_copy(plain: &Connection, enc: &Connection) -> Result<bool, Error> {
    let ok: String = enc.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ok != "ok" {
        return Ok(false);
    }
    let version = |c: &Connection| c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0));
    Ok(table_counts(plain)? == table_counts(enc)? && version(plain)? == version(enc)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_database_exports_into_one_that_opens_only_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let plain_path = dir.path().join("plain.sqlite3");
        let enc_path = dir.path().join("enc.sqlite3");
        let plain = Connection::open(&plain_path).unwrap();
        plain
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (x TEXT); PRAGMA user_version = 7;
                 INSERT INTO t VALUES ('secret words');",
            )
            .unwrap();
        assert!(is_plain(&plain_path).unwrap());
        let key = [9u8; 32];
        export_encrypted(&plain, &enc_path, &key).unwrap();
        assert!(!is_plain(&enc_path).unwrap());
        let bytes = std::fs::read(&enc_path).unwrap();
        assert!(!bytes.windows(12).any(|w| w == b"secret words"));
        let enc = Connection::open(&enc_path).unwrap();
        apply_key(&enc, &key).unwrap();
        assert!(verify_copy(&plain, &enc).unwrap());
        let x: String = enc.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, "secret words");
        // Another key, or none, does not open it, and says so.
        let wrong = Connection::open(&enc_path).unwrap();
        assert!(matches!(
            apply_key(&wrong, &[8u8; 32]),
            Err(Error::Unreadable)
        ));
        let none = Connection::open(&enc_path).unwrap();
        assert!(matches!(readable(&none), Err(Error::Unreadable)));
        // A copy that lost a row is not the same.
        enc.execute("DELETE FROM t", []).unwrap();
        assert!(!verify_copy(&plain, &enc).unwrap());
    }
}
