//! The OS keyring: real Secret Service when there is one, a clear refusal when there is none.

use conclave_client::{Client, Error, KeystoreKind, Options};
use conclave_e2e::TestHub;

fn os() -> Options {
    Options {
        keystore: KeystoreKind::Os,
        ..Default::default()
    }
}

#[tokio::test]
#[ignore = "needs a Secret Service on a D-Bus session: `make test` provides one (scripts/with-keyring.sh)"]
async fn keys_live_in_the_os_keyring_and_survive_a_restart_of_the_client() {
    let hub = TestHub::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let alice = Client::register(dir.path(), &hub.url(), "alice", None, &os())
        .await
        .expect("register with the OS keyring (is a Secret Service running?)");
    let room = alice.create_room("").await.unwrap();
    drop(alice);

    // No secret is written to the data directory
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(
            !name.to_string_lossy().contains("keystore"),
            "found {name:?} in the data directory"
        );
    }
    // and a new process (here: a new Client) finds the key and the token again
    let alice = Client::open(dir.path(), &os()).unwrap();
    alice
        .room(&room)
        .send_text("signed with the key from the keyring")
        .await
        .unwrap();
    let texts: Vec<_> = alice
        .room(&room)
        .messages(10)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == conclave_client::MessageKind::Message)
        .collect();
    assert_eq!(texts.len(), 1);
    drop(alice);
    // and the database is encrypted with a key from the keyring too: no file in the data
    // directory holds the message or the plain SQLite header (SECURITY.md "Secrets at rest")
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for needle in [
            b"signed with the key from the keyring".as_slice(),
            b"SQLite format 3\0".as_slice(),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds {:?}",
                path.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
}

#[test]
fn without_a_keyring_the_cli_refuses_and_says_what_to_do() {
    let bin = conclave_e2e::bin("conclave");
    let dir = tempfile::tempdir().unwrap();
    // A private home, so that the only line is the keyring's (a wider one is narrowed, with a
    // warning line of its own).
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = std::process::Command::new(bin)
        .args(["--home"])
        .arg(dir.path())
        .args(["--hub", "http://127.0.0.1:9", "register", "alice"])
        // A session bus that does not exist: no Secret Service can be reached.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/conclave-test-bus",
        )
        .env_remove("CONCLAVE_KEYSTORE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no OS keyring is available"), "{err}");
    assert!(err.contains("CONCLAVE_KEYSTORE=file"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    // Nothing was registered and no key file appeared.
    assert!(!dir.path().join("keystore.json").exists());
}

#[test]
fn an_unknown_keystore_choice_is_an_error_not_a_fallback() {
    // SAFETY: this test binary's other tests do not read CONCLAVE_KEYSTORE concurrently
    // through from_env; they pass options explicitly.
    unsafe { std::env::set_var("CONCLAVE_KEYSTORE", "plaintext") };
    let e = Options::from_env().unwrap_err();
    unsafe { std::env::remove_var("CONCLAVE_KEYSTORE") };
    assert!(matches!(e, Error::Keystore(_)), "{e}");
    assert!(
        e.to_string().contains("\"os\", \"file\" or \"passphrase\""),
        "{e}"
    );
}
