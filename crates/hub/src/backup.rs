//! `conclave-hub backup`: a consistent copy of the hub's database, taken while a hub serves on
//! the same data directory.
//!
//! SQLite's online backup API copies every page of `hub.sqlite3` in **one** step, that is under
//! one read transaction: the copy is the database as of the last commit before the step began.
//! In WAL mode the hub's writers do not wait for that reader (and it does not wait for them), so
//! the hub goes on answering meanwhile. Copied in several steps, the backup would start over
//! whenever the hub committed between two of them. Every answer the hub sent before the backup
//! began is in the copy, since the hub answers only after its commit (RELIABILITY.md).
//!
//! The copy is a new file, mode 0600 from its first byte ([`conclave_sqlite::private`]); an
//! existing file is never replaced. It is checked (`PRAGMA quick_check`) before it is reported
//! written. Only the database is copied: `provider.key` and `franking.keys` are the rest of a
//! data directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::StepResult;
use rusqlite::{Connection, OpenFlags};

/// The database file in a hub's data directory.
pub const DATABASE_FILE: &str = "hub.sqlite3";

/// How often a backup step finding the database locked is tried again, and how long apart.
const BUSY_TRIES: u32 = 100;
const BUSY_PAUSE: Duration = Duration::from_millis(50);

/// Why a backup was not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The data directory holds no hub database.
    #[error("{0} holds no hub database")]
    NoDatabase(PathBuf),
    /// The destination (or a SQLite journal of that name) exists; a backup never replaces a file.
    #[error("{0} exists; a backup never replaces a file")]
    Exists(PathBuf),
    /// The destination cannot be created.
    #[error("cannot create {path}")]
    Create {
        /// The destination.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// SQLite failed while reading the database or writing the copy.
    #[error("SQLite failed to copy the database")]
    Sqlite(#[from] rusqlite::Error),
    /// The database stayed locked for longer than the backup waits.
    #[error("the database stayed locked; try again")]
    Busy,
    /// The copy does not pass SQLite's check.
    #[error("the copy does not pass SQLite's check: {0}")]
    Damaged(String),
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The database that was copied.
    pub source: PathBuf,
    /// The new file.
    pub dest: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Copies the database of the hub data directory `data` into the new file `dest`, consistent
/// as of one moment, while a hub may be serving on `data`. Nothing is left at `dest` if it fails.
pub fn backup(data: &Path, dest: &Path) -> Result<Written, BackupError> {
    let source = data.join(DATABASE_FILE);
    if !source.is_file() {
        return Err(BackupError::NoDatabase(data.to_owned()));
    }
    // Never created here: opening read-write (without CREATE) is what lets this reader of a
    // WAL database use its shared-memory index like the hub's own connections.
    let src = Connection::open_with_flags(
        &source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    src.busy_timeout(Duration::from_secs(5))?;
    // A journal left under the destination's name would be played into the new file.
    for suffix in ["-journal", "-wal"] {
        let mut p = dest.as_os_str().to_owned();
        p.push(suffix);
        if Path::new(&p).exists() {
            return Err(BackupError::Exists(p.into()));
        }
    }
    conclave_sqlite::private::create_new_file(dest).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::Exists(dest.to_owned())
        } else {
            BackupError::Create {
                path: dest.to_owned(),
                source,
            }
        }
    })?;
    match copy(&src, dest) {
        Ok(bytes) => Ok(Written {
            source,
            dest: dest.to_owned(),
            bytes,
        }),
        Err(e) => {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let mut p = dest.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
            Err(e)
        }
    }
}

/// Copies `src` into the empty file `dest`, checks the copy and answers its size.
fn copy(src: &Connection, dest: &Path) -> Result<u64, BackupError> {
    let mut dst = Connection::open_with_flags(
        dest,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    {
        let backup = rusqlite::backup::Backup::new(src, &mut dst)?;
        let mut busy = 0;
        loop {
            // -1: every page in this one step (the module doc says why).
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::Busy | StepResult::Locked if busy < BUSY_TRIES => {
                    busy += 1;
                    std::thread::sleep(BUSY_PAUSE);
                }
                StepResult::Busy | StepResult::Locked => return Err(BackupError::Busy),
                _ => {}
            }
        }
    }
    let check: String = dst.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(BackupError::Damaged(check));
    }
    dst.close().map_err(|(_, e)| e)?;
    let created = |source| BackupError::Create {
        path: dest.to_owned(),
        source,
    };
    // The copy's pages were synced by its commit; its name is synced with its directory.
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(created)?;
    }
    Ok(std::fs::metadata(dest).map_err(created)?.len())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_backup_is_a_private_copy_that_opens_as_a_hub_database_and_replaces_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let db = crate::store::open(&data.join(DATABASE_FILE)).unwrap();
        db.execute(
            "INSERT INTO users (uri, name, created_at) VALUES ('mimi://localhost/u/ann', 'ann', 0)",
            [],
        )
        .unwrap();
        let dest = dir.path().join("copy.sqlite3");

        let w = backup(&data, &dest).unwrap();
        assert_eq!(w.bytes, std::fs::metadata(&dest).unwrap().len());
        assert_eq!(
            std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let copy = crate::store::open(&dest).unwrap();
        let name: String = copy
            .query_row("SELECT name FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "ann");
        drop(copy);

        let before = std::fs::read(&dest).unwrap();
        let e = backup(&data, &dest).unwrap_err();
        assert!(matches!(e, BackupError::Exists(_)), "{e}");
        assert_eq!(std::fs::read(&dest).unwrap(), before);
        let e = backup(&dir.path().join("nothing"), &dir.path().join("x")).unwrap_err();
        assert!(matches!(e, BackupError::NoDatabase(_)), "{e}");
        assert!(!dir.path().join("x").exists());
    }
}
