//! A device whose keys are sealed under a passphrase (`CONCLAVE_KEYSTORE=passphrase`, SECURITY.md
//! "Secrets at rest"): nothing in its data directory opens its database without the passphrase,
//! a wrong or missing one is a clear error that changes nothing, and changing it re-keys the
//! database — also when the change is killed at any point (RELIABILITY.md "The client's
//! database").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use conclave_client::keystore::SealedKeystore;
use conclave_client::store::encrypt::PREVIOUS_KEY_SECRET;
use conclave_client::{Client, Error, KeystoreKind, Passphrase};
use conclave_e2e::{TestClient, TestHub, bin, settle};
use mimi::policy::Preset;

const TEXTS: [&str; 2] = ["The spare key is under the blue pot", "Got it, thanks"];
const FIRST: &str = "first passphrase";
const SECOND: &str = "second, longer passphrase";

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.to_owned()).unwrap()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file of a home, by name, with its bytes.
fn files(home: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(home)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// A conversation between alice, whose keys are sealed under [`FIRST`], and bob; alice closed.
async fn conversation(hub: &TestHub) -> (TestClient, TestClient, String) {
    let mut alice = hub
        .user_with("alice", |o| {
            o.keystore = KeystoreKind::Passphrase;
            o.passphrase = Some(pass(FIRST));
        })
        .await;
    let bob = hub.user("bob").await;
    let room = bob.room_with("Keys", Preset::Private, &[&alice]).await;
    alice.room(&room).send_text(TEXTS[0]).await.unwrap();
    bob.wait_for_messages(&room, 1).await;
    bob.room(&room).send_text(TEXTS[1]).await.unwrap();
    alice.wait_for_messages(&room, 2).await;
    settle(&[&alice, &bob]).await;
    alice.close();
    (alice, bob, room.to_string())
}

fn opening(home: &Path, passphrase: Option<&str>) -> Result<Client, Error> {
    let options = conclave_client::Options {
        passphrase: passphrase.map(pass),
        ..conclave_e2e::options()
    };
    Client::open(home, &options)
}

/// `conclave` on `home`, with `CONCLAVE_PASSPHRASE` (and the new one) if given, no terminal.
fn conclave(home: &Path, passphrase: Option<&str>, new: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(bin("conclave"));
    c.arg("--home")
        .arg(home)
        .args(args)
        .env("CONCLAVE_KEYSTORE", "file")
        .env_remove("CONCLAVE_PASSPHRASE")
        .env_remove("CONCLAVE_NEW_PASSPHRASE")
        .env_remove("CONCLAVE_FAILPOINT")
        .stdin(std::process::Stdio::null());
    if let Some(p) = passphrase {
        c.env("CONCLAVE_PASSPHRASE", p);
    }
    if let Some(p) = new {
        c.env("CONCLAVE_NEW_PASSPHRASE", p);
    }
    // No controlling terminal either, as under a service manager.
    use std::os::unix::process::CommandExt as _;
    unsafe {
        c.pre_exec(|| {
            libc_setsid();
            Ok(())
        });
    }
    c.output().unwrap()
}

/// Leaves the terminal's session, so that `/dev/tty` cannot be opened.
fn libc_setsid() {
    unsafe extern "C" {
        fn setsid() -> i32;
    }
    // SAFETY: setsid has no memory effects; it fails harmlessly if already a leader.
    unsafe {
        setsid();
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn shows_every_text(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
    let shown = String::from_utf8_lossy(&o.stdout);
    for t in TEXTS {
        assert!(shown.contains(t), "{shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_passphrase_nothing_in_the_home_opens_its_database() {
    let hub = TestHub::spawn().await;
    let (alice, _bob, room) = conversation(&hub).await;
    let home = alice.home().to_path_buf();
    let before = files(&home);
    assert!(
        before.contains_key("keystore.sealed"),
        "{:?}",
        before.keys()
    );
    assert!(!before.contains_key("keystore.json"));
    // No file holds a message, the plain SQLite header, or the keystore's entry names (its
    // contents are sealed).
    for (name, bytes) in &before {
        for needle in [
            TEXTS[0].as_bytes(),
            b"SQLite format 3\0",
            b"database_key",
            b"signature_key",
        ] {
            assert!(!contains(bytes, needle), "{name} holds {needle:?}");
        }
    }

    // No passphrase, a wrong one: clear errors, and not a byte changed.
    assert!(matches!(opening(&home, None), Err(Error::PassphraseNeeded)));
    assert!(matches!(
        opening(&home, Some("first passphrasf")),
        Err(Error::WrongPassphrase)
    ));
    let out = conclave(&home, None, None, &["messages", &room]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("CONCLAVE_PASSPHRASE"),
        "{}",
        stderr(&out)
    );
    let out = conclave(&home, Some("not it at all"), None, &["messages", &room]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("passphrase is wrong") && stderr(&out).contains("link code"),
        "{}",
        stderr(&out)
    );
    let mut after = files(&home);
    after.remove("conclave.lock");
    let mut expected = before.clone();
    expected.remove("conclave.lock");
    assert_eq!(after, expected, "a refused open changed the home");

    // The right one opens it, from the CLI too, whatever keystore it was told to use.
    shows_every_text(&conclave(&home, Some(FIRST), None, &["messages", &room]));
    let out = conclave(&home, Some(FIRST), None, &["whoami"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("sealed under your passphrase"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_passphrase_re_keys_the_database_so_an_old_keystore_opens_nothing() {
    let hub = TestHub::spawn().await;
    let (alice, _bob, room) = conversation(&hub).await;
    let home = alice.home().to_path_buf();
    let old_keystore = std::fs::read(home.join("keystore.sealed")).unwrap();

    // Refused while the home is open, and for a short new passphrase; nothing changes.
    let open = opening(&home, Some(FIRST)).unwrap();
    let out = conclave(&home, Some(FIRST), Some(SECOND), &["passphrase", "change"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("close it first"), "{}", stderr(&out));
    drop(open);
    let out = conclave(&home, Some(FIRST), Some("short"), &["passphrase", "change"]);
    assert!(stderr(&out).contains("too short"), "{}", stderr(&out));
    let out = conclave(
        &home,
        Some("wrong one!"),
        Some(SECOND),
        &["passphrase", "change"],
    );
    assert!(
        stderr(&out).contains("passphrase is wrong"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(home.join("keystore.sealed")).unwrap(),
        old_keystore
    );

    let out = conclave(&home, Some(FIRST), Some(SECOND), &["passphrase", "change"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be recovered"),
        "{}",
        stderr(&out)
    );
    assert!(matches!(
        opening(&home, Some(FIRST)),
        Err(Error::WrongPassphrase)
    ));
    shows_every_text(&conclave(&home, Some(SECOND), None, &["messages", &room]));

    // Someone who kept the old keystore file and learnt the old passphrase: the database as it
    // is now does not open with what they have.
    let copy = tempfile::tempdir().unwrap();
    let stolen = copy.path().join("alice");
    std::fs::create_dir(&stolen).unwrap();
    for (name, bytes) in files(&home) {
        std::fs::write(stolen.join(name), bytes).unwrap();
    }
    std::fs::write(stolen.join("keystore.sealed"), &old_keystore).unwrap();
    match opening(&stolen, Some(FIRST)) {
        Err(Error::Unreadable { why, .. }) => assert!(why.contains("not this database"), "{why}"),
        Err(e) => panic!("expected the re-keyed database not to open, got {e}"),
        Ok(_) => panic!("the old keystore opened the re-keyed database"),
    }

    // And the client goes on with the new passphrase: it still talks in the room.
    let alice = opening(&home, Some(SECOND)).unwrap();
    let r = alice.resolve_room(&room).unwrap();
    r.send_text("still here").await.unwrap();
}

/// A copy of `home` in a fresh private directory.
fn copy_home(home: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("alice");
    std::fs::create_dir(&copy).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o700)).unwrap();
    for (name, bytes) in files(home) {
        std::fs::write(copy.join(name), bytes).unwrap();
    }
    (dir, copy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_killed_at_each_point_leaves_a_home_the_next_start_finishes() {
    let hub = TestHub::spawn().await;
    let (alice, _bob, room) = conversation(&hub).await;
    for point in [
        "passphrase:after-reseal",
        "rekey:after-keys",
        "rekey:after-export",
        "rekey:after-verify",
        "rekey:after-swap",
    ] {
        let (_tmp, home) = copy_home(alice.home());
        let mut c = Command::new(bin("conclave"));
        let killed = c
            .arg("--home")
            .arg(&home)
            .args(["passphrase", "change"])
            .env("CONCLAVE_PASSPHRASE", FIRST)
            .env("CONCLAVE_NEW_PASSPHRASE", SECOND)
            .env("CONCLAVE_FAILPOINT", point)
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(
            killed.status.signal(),
            Some(9),
            "{point}: {}",
            stderr(&killed)
        );
        // The keystore was sealed again before every point: the new passphrase opens it, and
        // the next start finishes the re-keying.
        shows_every_text(&conclave(&home, Some(SECOND), None, &["messages", &room]));
        let keys = SealedKeystore::open(&home, &pass(SECOND)).unwrap();
        use conclave_client::keystore::SecretStore as _;
        assert_eq!(keys.get(PREVIOUS_KEY_SECRET).unwrap(), None, "{point}");
        assert!(
            !home.join("conclave.sqlite3.encrypting").exists(),
            "{point}"
        );
        assert!(
            matches!(opening(&home, Some(FIRST)), Err(Error::WrongPassphrase)),
            "{point}"
        );
    }
}
