//! Lost answers (RELIABILITY.md): a proxy in front of a real hub lets a commit or a message reach
//! the hub, which accepts it, and closes the committer's connection before the answer gets back.
//! The client sends the same bytes again and gets the original answer, or, if the answers keep
//! getting lost, learns from its queue (the hub echoes accepted commits to their sender) and
//! from its outbox at the next sync. No device forks, nothing is accepted twice, and every
//! message reaches everyone exactly once.

use conclave_e2e::proxy::Proxy;
use conclave_e2e::{TestClient, TestHub, introduce, settle};
use mimi::uri::RoomUri;

/// How often the hub accepted something from `client` of `kind` ('commit', 'proposal',
/// 'message'), from its own rows.
fn accepted(hub: &TestHub, client: &TestClient, kind: &str) -> i64 {
    let conn = rusqlite::Connection::open(hub.db_path()).expect("open hub db");
    conn.query_row(
        "SELECT COUNT(*) FROM accepted WHERE kind = ?1 AND sender = ?2",
        [kind, &client.client_uri().to_string()],
        |r| r.get(0),
    )
    .expect("count")
}

async fn epochs(clients: &[&TestClient], room: &RoomUri) -> Vec<u64> {
    let mut out = Vec::new();
    for c in clients {
        out.push(c.room(room).epoch().await.expect("epoch"));
    }
    out
}

/// Every client's texts in `room`, as (sender, text) in the order it shows them.
async fn timelines(clients: &[&TestClient], room: &RoomUri) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    for c in clients {
        out.push(
            c.texts(room)
                .await
                .into_iter()
                .map(|m| (m.sender, m.text.unwrap_or_default()))
                .collect(),
        );
    }
    out
}

/// A room of alice, bob and carol, alice talking to the hub through `proxy`.
async fn room_through_proxy(hub: &TestHub) -> (Proxy, TestClient, TestClient, TestClient, RoomUri) {
    let proxy = Proxy::start(&hub.url()).await;
    let mut alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    introduce(&[&alice, &bob, &carol]).await;
    let room = alice.create_room("lossy").await.expect("create");
    alice
        .room(&room)
        .invite(&["bob".into()])
        .await
        .expect("invite bob");
    bob.wait_for_room(&room).await;
    alice.reopen_through(&proxy.url());
    (proxy, alice, bob, carol, room)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_whose_answer_is_lost_is_answered_again_and_leaves_no_fork() {
    let hub = TestHub::spawn().await;
    let (proxy, alice, bob, carol, room) = room_through_proxy(&hub).await;
    let commits_before = accepted(&hub, &alice, "commit");

    // When the hub accepts alice's commit adding carol, but its answer is lost once
    proxy.lose_answers("/update", 1);
    alice
        .room(&room)
        .invite(&["carol".into()])
        .await
        .expect("the same commit sent again gets the original answer");
    carol.wait_for_room(&room).await;

    // Then the hub accepted it once, and every member is at the same epoch
    assert_eq!(proxy.lost(), 1, "the proxy lost the answer");
    assert_eq!(accepted(&hub, &alice, "commit"), commits_before + 1);
    settle(&[&alice, &bob, &carol]).await;
    let e = epochs(&[&alice, &bob, &carol], &room).await;
    assert!(e.iter().all(|x| *x == e[0]), "one epoch for all: {e:?}");

    // And alice goes on sending, read by everyone; and reads them
    alice
        .room(&room)
        .send_text("after the lost answer")
        .await
        .unwrap();
    bob.room(&room).send_text("bob reads alice").await.unwrap();
    carol.room(&room).send_text("carol too").await.unwrap();
    for c in [&alice, &bob, &carol] {
        c.wait_for_messages(&room, 3).await;
    }
    let t = timelines(&[&alice, &bob, &carol], &room).await;
    assert_eq!(t[0], t[1]);
    assert_eq!(t[1], t[2]);
    println!(
        "lost commit answers: lost 1, commits accepted {}, members at epoch {}",
        accepted(&hub, &alice, "commit") - commits_before,
        e[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_whose_answers_stay_lost_is_merged_from_the_echo_in_the_queue() {
    let hub = TestHub::spawn().await;
    let (proxy, alice, bob, carol, room) = room_through_proxy(&hub).await;
    let epoch_before = alice.room(&room).epoch().await.unwrap();

    // When every answer to alice's commit is lost, resends included
    proxy.lose_answers("/update", 100);
    let invited = alice.room(&room).invite(&["carol".into()]).await;
    assert!(invited.is_err(), "no answer ever came back: {invited:?}");
    assert_eq!(
        alice.room(&room).epoch().await.unwrap(),
        epoch_before,
        "nothing merged without the hub's word"
    );
    proxy.lose_answers("/update", 0);

    // Then the hub accepted it once; carol joined; alice learns it from her queue on her next
    // sync and merges the commit she kept pending
    assert_eq!(
        accepted(&hub, &alice, "commit"),
        2,
        "the invite of bob and this one"
    );
    carol.wait_for_room(&room).await;
    settle(&[&alice, &bob, &carol]).await;
    let e = epochs(&[&alice, &bob, &carol], &room).await;
    assert_eq!(e[0], epoch_before + 1, "alice merged her own commit");
    assert!(e.iter().all(|x| *x == e[0]), "one epoch for all: {e:?}");
    assert!(
        alice
            .history(&room)
            .await
            .iter()
            .any(|h| h.contains("carol")),
        "alice's history shows carol added"
    );

    // And everyone reads everyone
    alice.room(&room).send_text("still in step").await.unwrap();
    carol.room(&room).send_text("hello all").await.unwrap();
    for c in [&alice, &bob, &carol] {
        c.wait_for_messages(&room, 2).await;
    }
    let t = timelines(&[&alice, &bob, &carol], &room).await;
    assert_eq!(t[0], t[1]);
    assert_eq!(t[1], t[2]);
    println!(
        "lost commit answers: lost {}, commits accepted 1, merged from the echo at epoch {}",
        proxy.lost(),
        e[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_answer_is_lost_is_delivered_exactly_once() {
    let hub = TestHub::spawn().await;
    let (proxy, alice, bob, _carol, room) = room_through_proxy(&hub).await;

    // When the answer to alice's first message is lost once (resent at once), and every answer
    // to her second is lost (kept in her outbox)
    proxy.lose_answers("/submitMessage", 1);
    alice
        .room(&room)
        .send_text("one")
        .await
        .expect("the resend gets the original frank");
    proxy.lose_answers("/submitMessage", 100);
    let second = alice.room(&room).send_text("two").await;
    assert!(second.is_err(), "no answer came back: {second:?}");
    proxy.lose_answers("/submitMessage", 0);
    alice.sync().await.expect("sync delivers the outbox");
    alice.room(&room).send_text("three").await.unwrap();

    // Then the hub accepted each once, and bob reads each exactly once, in one order
    assert_eq!(accepted(&hub, &alice, "message"), 3);
    let got = bob.wait_for_messages(&room, 3).await;
    settle(&[&alice, &bob]).await;
    let t = timelines(&[&alice, &bob], &room).await;
    let texts: Vec<&str> = t[1].iter().map(|(_, x)| x.as_str()).collect();
    assert_eq!(texts, ["one", "two", "three"], "bob: each once, in order");
    assert_eq!(t[0], t[1], "alice shows what bob shows");
    let sent = 3;
    let delivered = got.len();
    let duplicated = delivered.saturating_sub(sent);
    println!(
        "lost message answers: sent {sent}, acknowledged 2 (+1 from the outbox), delivered {delivered}, duplicated {duplicated}, lost {}, answers lost {}",
        sent - texts.len().min(sent),
        proxy.lost()
    );
    // Verified franks: the resend got the original frank, not a second one.
    let shown = alice.room(&room).messages(100).await.unwrap();
    assert!(
        shown
            .iter()
            .filter(|m| m.kind == conclave_client::MessageKind::Message)
            .all(|m| m.verified),
        "every message of alice's carries the hub's one frank"
    );
}
