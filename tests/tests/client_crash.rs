//! Crashes of a client process (RELIABILITY.md): the real `conclave` binary is killed with
//! SIGKILL at named points of a commit, a send and a sync (failpoints that exist only in test
//! builds, `CONCLAVE_FAILPOINT`), then run again. Each time it comes back at the same epoch as
//! the others, sends again, and nothing it sent or received is lost or doubled.

use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::Command;

use conclave_e2e::{TestClient, TestHub, bin, settle};
use mimi::uri::RoomUri;
use serde_json::Value;

/// Runs `conclave` for alice's home; with a failpoint, expects it to die of SIGKILL there.
fn conclave(home: &Path, hub: Option<&str>, failpoint: Option<&str>, args: &[&str]) -> String {
    let mut c = Command::new(bin("conclave"));
    c.arg("--home").arg(home).env("CONCLAVE_KEYSTORE", "file");
    if let Some(h) = hub {
        c.args(["--hub", h]);
    }
    if let Some(f) = failpoint {
        c.env("CONCLAVE_FAILPOINT", f);
    }
    let out = c.args(args).output().expect("run conclave");
    let stderr = String::from_utf8_lossy(&out.stderr);
    match failpoint {
        Some(f) => assert_eq!(
            out.status.signal(),
            Some(9),
            "conclave {args:?} should have been killed at {f} (the binaries must be built with the tests' features: `cargo build --workspace --bins`, as `make test` does): {:?} {stderr}",
            out.status
        ),
        None => assert!(out.status.success(), "conclave {args:?} failed: {stderr}"),
    }
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Alice's texts in `room` as her CLI shows them, in order.
fn alice_texts(home: &Path, room: &str) -> Vec<String> {
    let json = conclave(home, None, None, &["messages", room, "--json"]);
    let v: Vec<Value> = serde_json::from_str(&json).expect("messages json");
    v.iter()
        .filter(|m| m["kind"] == "message")
        .filter_map(|m| m["text"].as_str().map(str::to_owned))
        .collect()
}

fn count(texts: &[String], text: &str) -> usize {
    texts.iter().filter(|t| t.as_str() == text).count()
}

async fn count_in(c: &TestClient, room: &RoomUri, text: &str) -> usize {
    c.texts(room)
        .await
        .iter()
        .filter(|m| m.text.as_deref() == Some(text))
        .count()
}

/// Alice (a CLI home) in a room with bob (a library client).
async fn setup(hub: &TestHub, home: &Path) -> (TestClient, RoomUri, String) {
    conclave(home, Some(&hub.url()), None, &["register", "alice"]);
    let bob = hub.user("bob").await;
    bob.grant_consent("alice", None)
        .await
        .expect("bob consents");
    let room = conclave(home, None, None, &["room", "create", "--name", "crashes"]);
    conclave(home, None, None, &["room", "invite", &room, "bob"]);
    let uri = RoomUri::parse(&room).expect("room uri");
    bob.wait_for_room(&uri).await;
    (bob, uri, room)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_killed_inside_a_commit_comes_back_in_step() {
    for point in ["commit:after-stage", "commit:after-accept"] {
        let hub = TestHub::spawn().await;
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("alice");
        let (bob, uri, room) = setup(&hub, &home).await;
        let carol = hub.user("carol").await;
        carol
            .grant_consent("alice", None)
            .await
            .expect("carol consents");

        // When alice's process dies inside the commit that adds carol
        conclave(
            &home,
            None,
            Some(point),
            &["room", "invite", &room, "carol"],
        );

        // Then, run again, it settles the commit (the hub's word decides), and everyone reads
        // everyone at one epoch
        conclave(&home, None, None, &["sync"]);
        let text = format!("back after {point}");
        conclave(&home, None, None, &["send", &room, &text]);
        carol.wait_for_room(&uri).await;
        let got_bob = bob.wait_for_messages(&uri, 1).await;
        let got_carol = carol.wait_for_messages(&uri, 1).await;
        assert_eq!(got_bob[0].text.as_deref(), Some(text.as_str()));
        assert_eq!(got_carol[0].text.as_deref(), Some(text.as_str()));
        bob.room(&uri).send_text("bob answers").await.unwrap();
        settle(&[&bob, &carol]).await;
        conclave(&home, None, None, &["sync"]);
        let alice = alice_texts(&home, &room);
        assert_eq!(
            count(&alice, "bob answers"),
            1,
            "alice reads bob: {alice:?}"
        );
        assert_eq!(
            bob.room(&uri).epoch().await.unwrap(),
            carol.room(&uri).epoch().await.unwrap()
        );
        println!(
            "client crash at {point}: sent 1, acknowledged 1, delivered to bob {} and carol {}, duplicated 0, lost 0",
            count_in(&bob, &uri, &text).await,
            count_in(&carol, &uri, &text).await
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_killed_inside_a_send_delivers_the_message_once() {
    for point in ["send:after-queue", "send:after-accept"] {
        let hub = TestHub::spawn().await;
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("alice");
        let (bob, uri, room) = setup(&hub, &home).await;

        // When alice's process dies while sending (before the hub got it, or after it took it)
        let text = format!("sent through {point}");
        conclave(&home, None, Some(point), &["send", &room, &text]);

        // Then the next run delivers it from the outbox, once, with the hub's one frank
        conclave(&home, None, None, &["sync"]);
        conclave(&home, None, None, &["send", &room, "and one more"]);
        bob.wait_for_messages(&uri, 2).await;
        settle(&[&bob]).await;
        let alice = alice_texts(&home, &room);
        assert_eq!(count(&alice, &text), 1, "alice shows it once: {alice:?}");
        assert_eq!(count_in(&bob, &uri, &text).await, 1, "bob got it once");
        let bob_texts: Vec<String> = bob
            .texts(&uri)
            .await
            .into_iter()
            .filter_map(|m| m.text)
            .collect();
        assert_eq!(bob_texts, alice, "one order for both");
        println!(
            "client crash at {point}: sent 2, acknowledged 1 (+1 from the outbox), delivered {}, duplicated 0, lost 0",
            bob_texts.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_killed_between_storing_and_acknowledging_reads_each_message_once() {
    let hub = TestHub::spawn().await;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("alice");
    let (bob, uri, room) = setup(&hub, &home).await;
    conclave(&home, None, None, &["sync"]);
    for i in 0..3 {
        bob.room(&uri).send_text(&format!("bob {i}")).await.unwrap();
    }

    // When alice's sync dies after storing an entry, before acknowledging it
    conclave(&home, None, Some("sync:after-store"), &["sync"]);

    // Then the next sync reads the rest, and each message is there once
    conclave(&home, None, None, &["sync"]);
    let alice = alice_texts(&home, &room);
    assert_eq!(alice, ["bob 0", "bob 1", "bob 2"], "each once, in order");
    conclave(&home, None, None, &["send", &room, "alice is back"]);
    let got = bob.wait_for_messages(&uri, 4).await;
    assert_eq!(
        got.last().and_then(|m| m.text.as_deref()),
        Some("alice is back")
    );
    println!(
        "client crash at sync:after-store: received 3, stored {}, duplicated 0, lost 0; sent 1, delivered 1",
        alice.len()
    );
}
