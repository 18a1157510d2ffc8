//! Secrets at rest: the hub's and the client's data directories hold databases, keys and tokens
//! that only their owner may read. Directories are created 0700 and files 0600; at every start
//! [`secure_tree`] walks the data directory and narrows anything wider, with a warning (a copy
//! made with `cp -r`, a backup restored under another umask, a file an older version wrote).
//! SQLite creates a database's `-wal` and `-shm` files with the database file's own mode, so a
//! database created 0600 by [`create_file`] keeps its companions private too.
//!
//! The modes are POSIX ones; on other systems these functions create what they are asked to and
//! change nothing else.

use std::io;
use std::path::Path;

/// The mode of a private directory.
pub const DIR_MODE: u32 = 0o700;
/// The mode of a private file.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) if needed, the directory itself mode 0700, and narrows
/// it and everything under it (see [`secure_tree`]).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
    match b.create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
        Err(e) => return Err(e),
    }
    secure_tree(dir)
}

/// Narrows `dir` to 0700 and, below it, every directory to 0700 and every file to 0600,
/// warning about each one it changed. Symbolic links are neither followed nor changed.
pub fn secure_tree(dir: &Path) -> io::Result<()> {
    narrow(dir, DIR_MODE)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            secure_tree(&entry.path())?;
        } else if kind.is_file() {
            narrow(&entry.path(), FILE_MODE)?;
        }
    }
    Ok(())
}

/// Takes from `path`'s mode every permission bit `max` lacks, warning if there were any.
/// Answers whether it changed the mode.
#[cfg(unix)]
pub fn narrow(path: &Path, max: u32) -> io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::symlink_metadata(path)?.permissions().mode() & 0o7777;
    if mode & !max == 0 {
        return Ok(false);
    }
    let narrowed = mode & max;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(narrowed))?;
    tracing::warn!(
        path = %path.display(),
        "{} was mode {mode:o}, readable by others; narrowed it to {narrowed:o}",
        path.display()
    );
    Ok(true)
}

/// Takes from `path`'s mode every permission bit `max` lacks (nothing to do on this system).
#[cfg(not(unix))]
pub fn narrow(path: &Path, _max: u32) -> io::Result<bool> {
    std::fs::symlink_metadata(path).map(|_| false)
}

/// Opens `path` for writing, creating it mode 0600 if it does not exist (an existing file keeps
/// its mode: [`secure_tree`] or [`narrow`] is what changes that).
pub fn create_file(path: &Path, truncate: bool) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o.open(path)
}

/// Creates `path` mode 0600 and opens it for writing, refusing (`AlreadyExists`) if anything is
/// there already, a symbolic link included: for a file that must never replace another (a
/// backup).
pub fn create_new_file(path: &Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o.open(path)
}

/// Writes `bytes` to `path` through a new 0600 file renamed over it: a crash leaves the old
/// contents or the new, whole, and the file is never readable by others, not even briefly.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let mut f = create_file(&tmp, true)?;
    narrow(&tmp, FILE_MODE)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Narrows a SQLite database at `db` and its companion files (`-wal`, `-shm`, `-journal`) to
/// 0600; creates the database file 0600 (empty, which SQLite takes for a new database) if it
/// does not exist, so that SQLite creates the companions with that mode too.
pub fn prepare_database(db: &Path) -> io::Result<()> {
    if !db.exists() {
        create_file(db, false)?;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        match narrow(Path::new(&p), FILE_MODE) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    fn set(p: &Path, m: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    }

    #[test]
    fn a_wide_data_directory_is_narrowed_file_by_file_and_links_are_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::create_dir(dir.join("demo")).unwrap();
        std::fs::write(dir.join("hub.sqlite3"), b"").unwrap();
        std::fs::write(dir.join("demo/keystore.json"), b"{}").unwrap();
        std::fs::write(root.path().join("outside"), b"").unwrap();
        std::os::unix::fs::symlink(root.path().join("outside"), dir.join("link")).unwrap();
        set(&dir, 0o777);
        set(&dir.join("demo"), 0o755);
        set(&dir.join("hub.sqlite3"), 0o666);
        set(&dir.join("demo/keystore.json"), 0o640);
        set(&root.path().join("outside"), 0o644);

        create_dir(&dir).unwrap();

        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("demo")), 0o700);
        assert_eq!(mode(&dir.join("hub.sqlite3")), 0o600);
        assert_eq!(mode(&dir.join("demo/keystore.json")), 0o600);
        // What a link points at is not the data directory's to change.
        assert_eq!(mode(&root.path().join("outside")), 0o644);
    }

    #[test]
    fn a_new_directory_is_0700_and_new_files_are_0600_whatever_was_asked_before() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("desktop.json");
        write(&f, b"{}").unwrap();
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read(&f).unwrap(), b"{}");
        // A file an older version wrote world-readable is replaced by a private one.
        set(&f, 0o644);
        write(&f, b"{ }").unwrap();
        assert_eq!(mode(&f), 0o600);
        // Narrowing takes only the bits beyond 0600, keeping a read-only owner read-only.
        set(&f, 0o444);
        assert!(narrow(&f, FILE_MODE).unwrap());
        assert_eq!(mode(&f), 0o400);
        assert!(!narrow(&f, FILE_MODE).unwrap());
    }

    #[test]
    fn a_new_file_is_0600_and_never_replaces_what_is_there() {
        let root = tempfile::tempdir().unwrap();
        let f = root.path().join("backup.sqlite3");
        create_new_file(&f).unwrap();
        assert_eq!(mode(&f), 0o600);
        std::fs::write(&f, b"kept").unwrap();
        let e = create_new_file(&f).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&f).unwrap(), b"kept");
        // Nor is a link followed to a file elsewhere.
        let link = root.path().join("link");
        std::os::unix::fs::symlink(root.path().join("elsewhere"), &link).unwrap();
        assert_eq!(
            create_new_file(&link).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert!(!root.path().join("elsewhere").exists());
    }
}
