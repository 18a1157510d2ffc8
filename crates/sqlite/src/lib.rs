//! # conclave-sqlite: the SQLite glue shared by the hub and the client
//!
//! Both keep their state in one SQLite file: their own tables, migrated by numbered append-only
//! SQL files, and OpenMLS's state (`openmls_sqlite_storage`) on the same connection, so that one
//! transaction covers an MLS merge and the rows that go with it (DESIGN "Storage"). This crate
//! opens such a file ([`open`]) and gives OpenMLS a provider over a connection or a transaction
//! ([`Provider`]). It knows nothing of MIMI. Both keep their data directories private the same
//! way ([`private`]: directories 0700, files 0600, narrowed at every start). [`rows`] holds the
//! row helpers both use and the one table both keep alike (`identity_links`, opaque bytes).

pub mod cipher;
pub mod private;
pub mod rows;

use std::path::Path;

use openmls_rust_crypto::RustCrypto;
use openmls_sqlite_storage::{Codec, SqliteStorageProvider};
use openmls_traits::OpenMlsProvider;
use rusqlite::{Connection, params};

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQLite failed.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// OpenMLS's own storage migrations failed.
    #[error("OpenMLS storage migrations: {0}")]
    Migrations(String),
    /// The file does not open: a wrong key, a missing one, or a damaged file. Nothing was
    /// written to it.
    #[error("the database does not open: its key is wrong or missing, or the file is damaged")]
    Unreadable,
    /// The database file could not be created private, or its mode narrowed.
    #[error("cannot make {path} private: {source}")]
    Permissions {
        /// The file.
        path: std::path::PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
}

/// Milliseconds since the UNIX epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Opens (creating) the database at `path` in WAL mode, applies the pending `migrations`
/// (version, SQL) in one transaction each run, recording them in `schema_migrations`, and then
/// OpenMLS's storage migrations. The file and its `-wal`/`-shm` companions are (made) mode 0600
/// ([`private::prepare_database`]).
pub fn open(path: &Path, migrations: &[(i64, &str)]) -> Result<Connection, Error> {
    open_with(path, None, migrations)
}

/// [`open`] for a database encrypted with SQLCipher under `key` ([`cipher`]): the key is set
/// before anything is read, and a file that does not open with it is [`Error::Unreadable`],
/// left as it was.
pub fn open_keyed(
    path: &Path,
    key: &cipher::Key,
    migrations: &[(i64, &str)],
) -> Result<Connection, Error> {
    open_with(path, Some(key), migrations)
}

fn open_with(
    path: &Path,
    key: Option<&cipher::Key>,
    migrations: &[(i64, &str)],
) -> Result<Connection, Error> {
    private::prepare_database(path).map_err(|source| Error::Permissions {
        path: path.to_owned(),
        source,
    })?;
    let mut conn = Connection::open(path)?;
    match key {
        Some(k) => cipher::apply_key(&conn, k)?,
        None => cipher::readable(&conn)?,
    }
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted MLS secrets must really be gone (forward secrecy).
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    let current: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    for (version, sql) in migrations.iter().filter(|(v, _)| *v > current) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, now_ms() as i64],
        )?;
    }
    tx.commit()?;
    SqliteStorageProvider::<JsonCodec, &mut Connection>::new(&mut conn)
        .run_migrations()
        .map_err(|e| Error::Migrations(e.to_string()))?;
    Ok(conn)
}

/// OpenMLS state is stored as JSON: self-describing, and never to be switched without a
/// migration.
#[derive(Default)]
pub struct JsonCodec;

impl Codec for JsonCodec {
    type Error = serde_json::Error;
    fn to_vec<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, Self::Error> {
        serde_json::to_vec(v)
    }
    fn from_slice<T: serde::de::DeserializeOwned>(s: &[u8]) -> Result<T, Self::Error> {
        serde_json::from_slice(s)
    }
}

/// An OpenMLS provider whose storage writes go through one connection or transaction.
pub struct Provider<'a> {
    crypto: RustCrypto,
    storage: SqliteStorageProvider<JsonCodec, &'a Connection>,
}

impl<'a> Provider<'a> {
    /// Over `conn` (pass `&*tx` to make OpenMLS's writes part of a transaction).
    pub fn new(conn: &'a Connection) -> Self {
        Provider {
            crypto: RustCrypto::default(),
            storage: SqliteStorageProvider::new(conn),
        }
    }
}

impl<'a> OpenMlsProvider for Provider<'a> {
    type CryptoProvider = RustCrypto;
    type RandProvider = RustCrypto;
    type StorageProvider = SqliteStorageProvider<JsonCodec, &'a Connection>;
    fn storage(&self) -> &Self::StorageProvider {
        &self.storage
    }
    fn crypto(&self) -> &RustCrypto {
        &self.crypto
    }
    fn rand(&self) -> &RustCrypto {
        &self.crypto
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "CREATE TABLE a (x INTEGER);";
    const V2: &str = "ALTER TABLE a ADD COLUMN y TEXT;";

    #[test]
    fn migrations_apply_once_in_order_and_a_database_of_the_previous_schema_is_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("db.sqlite3");
        // A database made by the previous release's schema…
        let c = open(&p, &[(1, V1)]).unwrap();
        c.execute("INSERT INTO a (x) VALUES (7)", []).unwrap();
        drop(c);
        // …is migrated, keeping its rows, and migrating again changes nothing.
        let c = open(&p, &[(1, V1), (2, V2)]).unwrap();
        let (x, y): (i64, Option<String>) = c
            .query_row("SELECT x, y FROM a", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((x, y), (7, None));
        drop(c);
        let c = open(&p, &[(1, V1), (2, V2)]).unwrap();
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_failing_migration_leaves_the_database_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("db.sqlite3");
        open(&p, &[(1, V1)]).unwrap();
        assert!(open(&p, &[(1, V1), (2, "ALTER TABLE nope ADD COLUMN z;")]).is_err());
        let c = open(&p, &[(1, V1)]).unwrap();
        let v: i64 = c
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(v, 1);
    }
    #[cfg(unix)]
    #[test]
    fn a_database_and_its_wal_and_shm_are_created_0600_and_a_wider_one_is_narrowed_at_open() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("db.sqlite3");
        let wal = dir.path().join("db.sqlite3-wal");
        let shm = dir.path().join("db.sqlite3-shm");
        // Created by SQLite itself, these would be 0644 under the usual umask.
        let c = open(&p, &[(1, V1)]).unwrap();
        c.execute("INSERT INTO a (x) VALUES (1)", []).unwrap();
        assert_eq!((mode(&p), mode(&wal), mode(&shm)), (0o600, 0o600, 0o600));
        drop(c);
        // A copy made world-readable (say, restored from a backup) is narrowed when opened.
        for f in [&p, &wal, &shm] {
            if f.exists() {
                std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o666)).unwrap();
            }
        }
        let c = open(&p, &[(1, V1)]).unwrap();
        c.execute("INSERT INTO a (x) VALUES (2)", []).unwrap();
        assert_eq!((mode(&p), mode(&wal), mode(&shm)), (0o600, 0o600, 0o600));
    }
}
