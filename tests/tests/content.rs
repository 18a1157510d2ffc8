//! Replies, reactions, edits and deletes (CONTENT §3, §4.3, §9.3) and the capabilities each
//! needs (POLICY §8.3), which the hub cannot see and every receiving client enforces.

use conclave_client::{ClientEvent, Error, Message};
use conclave_e2e::{TestClient, TestHub, settle};
use mimi::policy::Preset;
use mimi::uri::RoomUri;

/// A cooperative room: alice (super_admin, may delete others' messages), bob and carol
/// (ordinary users: reply, react, edit and delete their own).
async fn cooperative_room(hub: &TestHub) -> (TestClient, TestClient, TestClient, RoomUri) {
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    let room = alice
        .room_with("Kitchen", Preset::Cooperative, &[&bob, &carol])
        .await;
    settle(&[&alice, &bob, &carol]).await;
    (alice, bob, carol, room)
}

fn by_id<'a>(messages: &'a [Message], id: &str) -> &'a Message {
    messages
        .iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no message {id} in {messages:?}"))
}

/// The reactions of a message as (emoji, users' local names) pairs.
fn reactions(m: &Message) -> Vec<(String, Vec<String>)> {
    m.reactions
        .iter()
        .map(|r| {
            let users = r
                .users
                .iter()
                .map(|u| u.rsplit('/').next().unwrap_or(u).to_owned())
                .collect();
            (r.emoji.clone(), users)
        })
        .collect()
}

fn assert_refused(e: Error, rule: &str) {
    match &e {
        Error::NotAllowed { rule: r, reason } => {
            assert!(r == rule || reason.contains(rule), "{e}")
        }
        other => panic!("expected a refusal naming {rule}, got {other}"),
    }
}

#[tokio::test]
async fn replies_reactions_edits_and_deletes_look_the_same_to_every_member() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = cooperative_room(&hub).await;
    let all = [&alice, &bob, &carol];

    let hello = bob.room(&room).send_text("hello").await.unwrap();
    settle(&all).await;
    let reply = carol.room(&room).reply(&hello, "hi bob").await.unwrap();
    alice.room(&room).react(&hello, "👍").await.unwrap();
    settle(&all).await;
    carol.room(&room).react(&hello, "👍").await.unwrap();
    bob.room(&room).react(&hello, "🎉").await.unwrap();
    settle(&all).await;
    let edit = bob
        .room(&room)
        .edit(&hello, "hello, everyone")
        .await
        .unwrap();
    assert_ne!(edit, hello, "an edit is a message of its own");
    settle(&all).await;
    carol.room(&room).unreact(&hello, "👍").await.unwrap();
    // A second edit names the first version through the first edit's ID (CONTENT §3).
    bob.room(&room)
        .edit(&edit, "hello, all of you")
        .await
        .unwrap();
    settle(&all).await;
    // alice is super_admin: canDeleteOtherMessage.
    alice.room(&room).delete_message(&reply).await.unwrap();
    settle(&all).await;

    for c in all {
        let m = c.texts(&room).await;
        assert_eq!(
            m.len(),
            2,
            "reactions and edits are not timeline messages: {m:?}"
        );
        let first = by_id(&m, &hello);
        assert_eq!(
            first.text.as_deref(),
            Some("hello, all of you"),
            "{}",
            c.user()
        );
        assert!(first.edited_at.is_some());
        assert!(!first.deleted);
        assert_eq!(
            reactions(first),
            [
                ("👍".to_owned(), vec!["alice".to_owned()]),
                ("🎉".to_owned(), vec!["bob".to_owned()])
            ],
            "as {} sees it",
            c.user()
        );
        let answer = by_id(&m, &reply);
        assert!(answer.deleted, "{}", c.user());
        assert_eq!(answer.text, None);
        let quote = answer.reply_to.as_ref().expect("a reply quotes");
        assert_eq!(quote.id, hello, "the reply names the first version");
        assert_eq!(quote.text.as_deref(), Some("hello, all of you"));
        assert_eq!(
            quote.sender.as_deref(),
            Some(bob.user().to_string().as_str())
        );
    }
    // Edits and reactions do not count as unread.
    let rooms = alice.rooms().await.unwrap();
    assert_eq!(
        rooms[0].unread, 1,
        "bob's message only; carol's reply was deleted"
    );
}

#[tokio::test]
async fn an_edited_message_is_reported_as_the_version_the_reporter_saw() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = cooperative_room(&hub).await;
    let first = bob.room(&room).send_text("nice weather").await.unwrap();
    settle(&[&alice, &bob, &carol]).await;
    bob.room(&room)
        .edit(&first, "something abusive")
        .await
        .unwrap();
    settle(&[&alice, &bob, &carol]).await;

    let id = alice
        .room(&room)
        .report(std::slice::from_ref(&first), Some("harassment"), None)
        .await
        .unwrap();
    let out = std::process::Command::new(conclave_e2e::bin("conclave-hub"))
        .args(["reports", "show", "--data"])
        .arg(hub.data_dir())
        .arg(id.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reported = &shown["messages"][0];
    assert_eq!(reported["text"], "something abusive", "{shown}");
    assert_eq!(reported["verified"], true, "{shown}");
}

#[tokio::test]
async fn receivers_ignore_what_the_senders_role_does_not_allow() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = cooperative_room(&hub).await;
    let all = [&alice, &bob, &carol];
    let theirs = carol.room(&room).send_text("carol's words").await.unwrap();
    settle(&all).await;

    // bob is an ordinary user: no canDeleteOtherMessage; nobody but carol may edit hers.
    assert_refused(
        bob.room(&room).delete_message(&theirs).await.unwrap_err(),
        "canDeleteOtherMessage",
    );
    assert_refused(
        bob.room(&room)
            .edit(&theirs, "words put in carol's mouth")
            .await
            .unwrap_err(),
        "CONTENT §9.3",
    );

    // A client that skips the check: the hub cannot see content and relays both; every other
    // member ignores them and says why.
    let mut alice_events = alice.subscribe();
    bob.set_skip_local_policy_check(true);
    bob.room(&room).delete_message(&theirs).await.unwrap();
    bob.room(&room)
        .edit(&theirs, "words put in carol's mouth")
        .await
        .unwrap();
    settle(&all).await;
    let mut reasons = Vec::new();
    while let Ok(e) = alice_events.try_recv() {
        if let ClientEvent::Dropped { reason, .. } = e {
            reasons.push(reason);
        }
    }
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("canDeleteOtherMessage"), "{reasons:?}");
    assert!(reasons[1].contains("may edit"), "{reasons:?}");
    for c in [&alice, &carol] {
        let m = c.texts(&room).await;
        let kept = by_id(&m, &theirs);
        assert_eq!(kept.text.as_deref(), Some("carol's words"), "{}", c.user());
        assert!(!kept.deleted && kept.edited_at.is_none());
    }

    // A role without canSendMessage cannot reply either (every application message needs it;
    // the hub enforces that part): an announcement room's attendee.
    let hall = alice
        .create_room_with("Hall", Preset::Announcement)
        .await
        .unwrap();
    alice.room(&hall).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&hall).await;
    let news = alice.room(&hall).send_text("news").await.unwrap();
    settle(&[&alice, &bob]).await;
    bob.set_skip_local_policy_check(false);
    assert_refused(
        bob.room(&hall).reply(&news, "me too").await.unwrap_err(),
        "canSendMessage",
    );
}

#[tokio::test]
async fn bad_ids_and_reactions_are_refused_with_a_reason_and_change_nothing() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = cooperative_room(&hub).await;
    let id = bob.room(&room).send_text("hello").await.unwrap();
    settle(&[&alice, &bob, &carol]).await;
    let before = alice.texts(&room).await;

    for (what, e) in [
        (
            "not hex",
            alice.room(&room).reply("zz", "x").await.unwrap_err(),
        ),
        (
            "unknown",
            alice
                .room(&room)
                .react(&"00".repeat(32), "👍")
                .await
                .unwrap_err(),
        ),
        (
            "empty",
            alice.room(&room).react(&id, "  ").await.unwrap_err(),
        ),
        (
            "line break",
            alice.room(&room).react(&id, "a\nb").await.unwrap_err(),
        ),
        (
            "no such reaction",
            alice.room(&room).unreact(&id, "👍").await.unwrap_err(),
        ),
    ] {
        assert!(matches!(e, Error::Usage(_)), "{what}: {e}");
        assert!(!e.to_string().is_empty());
    }
    alice.room(&room).react(&id, "👍").await.unwrap();
    for (what, e) in [
        (
            "twice",
            alice.room(&room).react(&id, "👍").await.unwrap_err(),
        ),
        (
            "twice, spaced",
            alice.room(&room).react(&id, " 👍 ").await.unwrap_err(),
        ),
    ] {
        assert!(matches!(e, Error::Usage(_)), "{what}: {e}");
        assert!(!e.to_string().is_empty());
    }
    // Deleted messages take no replies or reactions.
    bob.room(&room).delete_message(&id).await.unwrap();
    assert!(matches!(
        bob.room(&room).react(&id, "👍").await.unwrap_err(),
        Error::Usage(_)
    ));
    settle(&[&alice, &bob, &carol]).await;
    assert_eq!(alice.texts(&room).await.len(), before.len());
}
