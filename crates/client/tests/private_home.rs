//! Secrets at rest on the client: a home left readable by others is narrowed when opened.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use conclave_client::{Client, Error, KeystoreKind, Options};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_home_copied_readable_by_others_is_narrowed_to_0700_and_0600_when_opened() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    let options = Options {
        keystore: KeystoreKind::File,
        ..Options::default()
    };
    // Opening a home that has no client makes nothing.
    assert!(matches!(
        Client::open(&home, &options),
        Err(Error::NotRegistered)
    ));
    assert!(!home.exists());
    // Given a home made by an earlier start (the encrypted database, its key in the keystore
    // file)…
    conclave_client::private::create_dir(&home).unwrap();
    let secrets = conclave_client::keystore::open(KeystoreKind::File, &home, None).unwrap();
    drop(
        conclave_client::store::encrypt::open_home(&home.join("conclave.sqlite3"), &*secrets)
            .unwrap(),
    );
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&home.join("conclave.sqlite3")), 0o600);
    // …then copied with a wide umask,
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o777)).unwrap();
    for f in ["conclave.sqlite3", "keystore.json"] {
        std::fs::set_permissions(home.join(f), std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    // when the client opens it, nobody else can read it any more.
    assert!(matches!(
        Client::open(&home, &options),
        Err(Error::NotRegistered)
    ));
    assert_eq!(mode(&home), 0o700);
    for entry in std::fs::read_dir(&home).unwrap() {
        let p = entry.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}
