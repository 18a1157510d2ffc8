//! The client's database is encrypted at rest (SECURITY.md "Secrets at rest"; RELIABILITY.md
//! "The client's database"): SQLCipher under a key in the keystore. A home made before that
//! (`tests/fixtures/plain-client`, made by `tests/fixtures/make-plain-client.sh` with the code of
//! that time) is encrypted in place at its first open, also when the process is killed halfway;
//! a wrong or missing key, or a damaged file, is a clear error that changes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use conclave_client::{Client, Error, MessageKind};
use conclave_e2e::{TestHub, bin, options, settle};
use mimi::policy::Preset;

const TEXTS: [&str; 2] = ["Noon at the usual place?", "Yes, see you there"];
const PLAIN_HEADER: &[u8] = b"SQLite format 3\0";

/// A copy of the plain home in a fresh private directory.
fn plain_home() -> (tempfile::TempDir, PathBuf, String) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/plain-client");
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("alice");
    std::fs::create_dir(&home).unwrap();
    for f in ["conclave.sqlite3", "keystore.json"] {
        std::fs::copy(fixture.join(f), home.join(f)).unwrap();
    }
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let room = std::fs::read_to_string(fixture.join("ROOM"))
        .unwrap()
        .trim()
        .to_owned();
    (dir, home, room)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir` but the file keystore: none holds a message's text or the plain
/// SQLite header.
fn assert_nothing_in_clear(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_nothing_in_clear(&path);
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for t in TEXTS {
            assert!(
                !contains(&bytes, t.as_bytes()),
                "{} holds {t:?}",
                path.display()
            );
        }
        if path.file_name().is_some_and(|n| n != "keystore.json") {
            assert!(
                !contains(&bytes, PLAIN_HEADER),
                "{} holds the plain SQLite header",
                path.display()
            );
        }
    }
}

async fn texts_of(client: &Client, room: &str) -> Vec<String> {
    client
        .resolve_room(room)
        .unwrap()
        .messages(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == MessageKind::Message)
        .filter_map(|m| m.text)
        .collect()
}

#[tokio::test]
async fn a_home_made_before_encryption_is_encrypted_in_place_with_every_row() {
    let (_tmp, home, room) = plain_home();
    assert!(
        contains(
            &std::fs::read(home.join("conclave.sqlite3")).unwrap(),
            TEXTS[0].as_bytes()
        ),
        "the fixture is plain"
    );
    let alice = Client::open(&home, &options()).expect("opened, encrypting it");
    let rooms = alice.rooms().await.unwrap();
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0].name, "Lunch");
    assert_eq!(texts_of(&alice, &room).await, TEXTS);
    drop(alice);
    assert_nothing_in_clear(&home);
    assert!(!home.join("conclave.sqlite3.encrypting").exists());
    // Opened again, as it is now
    let alice = Client::open(&home, &options()).unwrap();
    assert_eq!(texts_of(&alice, &room).await, TEXTS);
}

#[test]
fn a_migration_killed_at_each_point_is_finished_by_the_next_start() {
    for point in ["after-export", "after-verify", "after-swap"] {
        let (_tmp, home, room) = plain_home();
        let run = |failpoint: Option<&str>| {
            let mut c = Command::new(bin("conclave"));
            c.arg("--home")
                .arg(&home)
                .args(["messages", &room])
                .env("CONCLAVE_KEYSTORE", "file")
                .env_remove("CONCLAVE_FAILPOINT");
            if let Some(f) = failpoint {
                c.env("CONCLAVE_FAILPOINT", format!("encrypt:{f}"));
            }
            c.output().unwrap()
        };
        // Killed there
        let killed = run(Some(point));
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(
            killed.status.signal(),
            Some(9),
            "{point}: {}",
            String::from_utf8_lossy(&killed.stderr)
        );
        let db = std::fs::read(home.join("conclave.sqlite3")).unwrap();
        assert_eq!(
            db.starts_with(PLAIN_HEADER),
            point != "after-swap",
            "{point}: the plain database is whole until the swap, the encrypted one after"
        );
        // The next start finishes the job and shows every message
        let out = run(None);
        assert!(
            out.status.success(),
            "{point}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let shown = String::from_utf8_lossy(&out.stdout);
        for t in TEXTS {
            assert!(shown.contains(t), "{point}: {shown}");
        }
        assert_nothing_in_clear(&home);
        assert!(
            !home.join("conclave.sqlite3.encrypting").exists(),
            "{point}"
        );
    }
}

/// The keystore file's entries.
fn keystore(home: &Path) -> serde_json::Map<String, serde_json::Value> {
    serde_json::from_slice(&std::fs::read(home.join("keystore.json")).unwrap()).unwrap()
}

fn write_keystore(home: &Path, map: &serde_json::Map<String, serde_json::Value>) {
    std::fs::write(home.join("keystore.json"), serde_json::to_vec(map).unwrap()).unwrap();
}

fn unreadable(r: Result<Client, Error>, says: &str) {
    match r {
        Err(Error::Unreadable { why, .. }) => assert!(why.contains(says), "{why}"),
        Err(e) => panic!("expected the database to be unreadable ({says}), got {e}"),
        Ok(_) => panic!("expected the database to be unreadable ({says}), it opened"),
    }
}

#[tokio::test]
async fn a_wrong_or_missing_key_or_a_damaged_file_is_a_clear_error_that_changes_nothing() {
    let (_tmp, home, room) = plain_home();
    drop(Client::open(&home, &options()).unwrap());
    let db = home.join("conclave.sqlite3");
    let before = std::fs::read(&db).unwrap();
    let good = keystore(&home);

    // A key that is not this database's
    let mut wrong = good.clone();
    use base64::Engine as _;
    wrong.insert(
        "database_key".into(),
        base64::engine::general_purpose::STANDARD
            .encode([7u8; 32])
            .into(),
    );
    write_keystore(&home, &wrong);
    unreadable(Client::open(&home, &options()), "not this database's");
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // No key at all: not made anew over the database
    let mut missing = good.clone();
    missing.remove("database_key");
    write_keystore(&home, &missing);
    unreadable(Client::open(&home, &options()), "missing from the keystore");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!keystore(&home).contains_key("database_key"));
    // and the CLI says what to do
    let out = Command::new(bin("conclave"))
        .arg("--home")
        .arg(&home)
        .args(["messages", &room])
        .env("CONCLAVE_KEYSTORE", "file")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Nothing in it was changed"), "{err}");
    assert!(err.contains("link code"), "{err}");

    // A damaged first page, with the right key
    write_keystore(&home, &good);
    let mut damaged = before.clone();
    for b in &mut damaged[200..300] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &damaged).unwrap();
    unreadable(Client::open(&home, &options()), "damaged");
    assert_eq!(std::fs::read(&db).unwrap(), damaged);

    // And the whole file back, it opens as before
    std::fs::write(&db, &before).unwrap();
    let alice = Client::open(&home, &options()).unwrap();
    assert_eq!(texts_of(&alice, &room).await, TEXTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_conversation_no_database_file_holds_a_message_or_the_sqlite_header() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let room = alice.room_with("Lunch", Preset::Private, &[&bob]).await;
    alice.room(&room).send_text(TEXTS[0]).await.unwrap();
    bob.wait_for_messages(&room, 1).await;
    bob.room(&room).send_text(TEXTS[1]).await.unwrap();
    alice.wait_for_messages(&room, 2).await;
    settle(&[&alice, &bob]).await;
    for c in [&alice, &bob] {
        assert_nothing_in_clear(c.data_dir());
    }
}
