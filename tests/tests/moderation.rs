//! Room policy and moderation stories (POLICY -03): one engine, enforced by the hub and by
//! every client.

use conclave_client::{ClientEvent, Error};
use conclave_e2e::{TestClient, TestHub, introduce, settle};
use mimi::policy::Preset;
use mimi::uri::RoomUri;

/// A moderated room: alice (super_admin, its creator), mia (moderator), bob and carol (attendees).
async fn moderated_room(
    hub: &TestHub,
) -> (TestClient, TestClient, TestClient, TestClient, RoomUri) {
    let alice = hub.user("alice").await;
    let mia = hub.user("mia").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    introduce(&[&alice, &mia, &bob, &carol]).await;
    let room = alice
        .create_room_with("Town hall", Preset::Moderated)
        .await
        .unwrap();
    alice
        .room(&room)
        .invite_as(&["mia".into()], Some("moderator"))
        .await
        .unwrap();
    alice
        .room(&room)
        .invite(&["bob".into(), "carol".into()])
        .await
        .unwrap();
    for c in [&mia, &bob, &carol] {
        c.wait_for_room(&room).await;
    }
    settle(&[&alice, &mia, &bob, &carol]).await;
    (alice, mia, bob, carol, room)
}

fn assert_refused(e: Error, rule: &str) {
    match &e {
        Error::NotAllowed { rule: r, .. } => assert_eq!(r, rule, "{e}"),
        Error::Hub { code, message, .. } => {
            assert_eq!(code, "not_allowed", "{e}");
            assert!(
                message.contains(rule),
                "the hub's reason names {rule}: {message}"
            );
        }
        other => panic!("expected a refusal naming {rule}, got {other}"),
    }
}

#[tokio::test]
async fn a_moderator_moves_an_attendee_to_guest_and_everyone_sees_it_in_the_history() {
    let hub = TestHub::spawn().await;
    let (alice, mia, bob, carol, room) = moderated_room(&hub).await;
    assert_eq!(carol.role_of(&room, &bob).await, "attendee");

    mia.room(&room).set_role("bob", "guest").await.unwrap();
    settle(&[&alice, &mia, &bob, &carol]).await;

    for c in [&alice, &mia, &bob, &carol] {
        assert_eq!(
            c.role_of(&room, &bob).await,
            "guest",
            "as {} sees it",
            c.user()
        );
        let history = c.history(&room).await;
        assert!(
            history
                .iter()
                .any(|h| h == "mimi://localhost/u/mia changed the role of mimi://localhost/u/bob from attendee to guest"),
            "{history:?}"
        );
    }
    let me = bob.room(&room).me_in().await.unwrap();
    assert_eq!(me.name, "guest");
    assert!(!me.capabilities.contains(&"canSendMessage".to_owned()));
}

#[tokio::test]
async fn an_attendee_cannot_ban_the_creator_neither_locally_nor_at_the_hub() {
    let hub = TestHub::spawn().await;
    let (alice, mia, bob, carol, room) = moderated_room(&hub).await;
    let epoch = alice.room(&room).epoch().await.unwrap();

    // The engine says no before anything is sent
    let ban = carol
        .room(&room)
        .action("ban", Some("alice"), None)
        .await
        .unwrap();
    assert!(matches!(
        carol.room(&room).can(&ban).await.unwrap(),
        mimi::policy::Decision::Denied { rule: "canBan", .. }
    ));
    assert_refused(carol.room(&room).ban("alice").await.unwrap_err(), "canBan");

    // and a client that skips its own check is refused by the hub with the same rule
    carol.set_skip_local_policy_check(true);
    assert_refused(carol.room(&room).ban("alice").await.unwrap_err(), "canBan");
    settle(&[&alice, &mia, &bob, &carol]).await;
    for c in [&alice, &mia, &bob, &carol] {
        assert_eq!(c.role_of(&room, &alice).await, "super_admin");
        assert_eq!(c.room(&room).epoch().await.unwrap(), epoch);
    }
}

#[tokio::test]
async fn the_last_moderator_cannot_leave_or_demote_themselves() {
    let hub = TestHub::spawn().await;
    let (alice, mia, bob, carol, room) = moderated_room(&hub).await;

    // The moderator role needs at least one participant (POLICY App. A.3): mia may not leave,
    assert_refused(
        mia.room(&room).leave().await.unwrap_err(),
        "minimum_participants_constraint",
    );
    // nor be moved out of it, even by the super_admin, locally or at the hub,
    assert_refused(
        alice
            .room(&room)
            .set_role("mia", "attendee")
            .await
            .unwrap_err(),
        "minimum_participants_constraint",
    );
    alice.set_skip_local_policy_check(true);
    assert_refused(
        alice
            .room(&room)
            .set_role("mia", "attendee")
            .await
            .unwrap_err(),
        "minimum_participants_constraint",
    );
    alice.set_skip_local_policy_check(false);
    // and her own role is not hers to change (canChangeOwnRole goes through the preauth list).
    assert_refused(
        mia.room(&room)
            .set_role("mia", "attendee")
            .await
            .unwrap_err(),
        "canChangeOwnRole",
    );
    settle(&[&alice, &mia, &bob, &carol]).await;
    assert_eq!(bob.role_of(&room, &mia).await, "moderator");

    // With a second moderator, the first may be moved and may leave
    alice
        .room(&room)
        .set_role("bob", "moderator")
        .await
        .unwrap();
    alice.room(&room).set_role("mia", "attendee").await.unwrap();
    settle(&[&alice, &mia, &bob, &carol]).await;
    assert_eq!(carol.role_of(&room, &mia).await, "attendee");
    mia.room(&room).leave().await.unwrap();
    settle(&[&alice, &bob, &carol]).await;
    assert_eq!(carol.role_of(&room, &mia).await, "not listed");
    assert!(
        carol
            .history(&room)
            .await
            .iter()
            .any(|h| h == "mimi://localhost/u/mia left the room")
    );
}

#[tokio::test]
async fn a_banned_user_is_removed_and_cannot_be_invited_back() {
    let hub = TestHub::spawn().await;
    let (alice, mia, bob, carol, room) = moderated_room(&hub).await;

    mia.room(&room).ban("carol").await.unwrap();
    carol.wait_until_out_of(&room).await;
    settle(&[&alice, &mia, &bob]).await;
    let members = bob.room(&room).members().await.unwrap();
    let c = members
        .iter()
        .find(|m| m.user == carol.user().to_string())
        .unwrap();
    assert_eq!((c.role.as_str(), c.clients.len()), ("banned", 0));

    // Not by invitation: the engine refuses, and so does the hub for a client that skips it
    let e = alice
        .room(&room)
        .invite(&["carol".into()])
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotAllowed { .. }), "{e}");
    alice.set_skip_local_policy_check(true);
    let e = alice
        .room(&room)
        .invite(&["carol".into()])
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Hub { ref code, .. } if code == "not_allowed"),
        "{e}"
    );
    // and she gets nothing more from the room
    alice
        .room(&room)
        .send_text("carol can't read this")
        .await
        .unwrap();
    assert_eq!(carol.sync().await.unwrap().processed, 0);
    assert!(carol.room(&room).messages(10).await.is_err());
}

#[tokio::test]
async fn a_kicked_user_stays_listed_and_can_be_let_back_in() {
    let hub = TestHub::spawn().await;
    let (alice, mia, bob, carol, room) = moderated_room(&hub).await;

    mia.room(&room).kick("bob").await.unwrap();
    bob.wait_until_out_of(&room).await;
    settle(&[&alice, &mia, &carol]).await;
    let members = carol.room(&room).members().await.unwrap();
    let b = members
        .iter()
        .find(|m| m.user == bob.user().to_string())
        .unwrap();
    assert_eq!((b.role.as_str(), b.clients.len()), ("attendee", 0));

    mia.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;
    settle(&[&alice, &mia, &bob, &carol]).await;
    assert_eq!(alice.role_of(&room, &bob).await, "attendee");
    alice.room(&room).send_text("welcome back").await.unwrap();
    assert_eq!(
        bob.wait_for_messages(&room, 1).await[0].text.as_deref(),
        Some("welcome back")
    );
}

#[tokio::test]
async fn a_role_defined_in_the_room_works_for_the_next_action() {
    let hub = TestHub::spawn().await;
    let (alice, mia, bob, carol, room) = moderated_room(&hub).await;
    assert_refused(carol.room(&room).kick("bob").await.unwrap_err(), "canKick");

    // alice gives attendees canKick
    let mut roles = alice.room(&room).roles().await.unwrap();
    let attendee = roles.iter_mut().find(|r| r.name == "attendee").unwrap();
    attendee.capabilities.push("canKick".into());
    let json = serde_json::json!({ "roles": roles }).to_string();
    alice
        .room(&room)
        .define_roles(&conclave_client::roles::parse_file(&json).unwrap())
        .await
        .unwrap();
    settle(&[&alice, &mia, &bob, &carol]).await;

    carol.room(&room).kick("bob").await.unwrap();
    bob.wait_until_out_of(&room).await;
    settle(&[&alice, &mia, &carol]).await;
    assert!(
        alice
            .history(&room)
            .await
            .iter()
            .any(|h| h.ends_with("kicked mimi://localhost/u/bob")),
        "{:?}",
        alice.history(&room).await
    );
}

#[tokio::test]
async fn with_the_hubs_checks_off_honest_clients_still_refuse_a_forbidden_commit() {
    let hub = TestHub::spawn_without_policy_checks().await;
    let (alice, mia, bob, carol, room) = moderated_room(&hub).await;
    let epoch = alice.room(&room).epoch().await.unwrap();
    let mut alice_events = alice.subscribe();
    let mut bob_events = bob.subscribe();

    // carol misbehaves and the hub lets it through
    carol.set_skip_local_policy_check(true);
    carol.room(&room).ban("alice").await.unwrap();

    // the honest clients refuse it, naming the capability, and stay where they were, together
    settle(&[&alice, &mia, &bob]).await;
    for events in [&mut alice_events, &mut bob_events] {
        let mut refused = None;
        while let Ok(e) = events.try_recv() {
            if let ClientEvent::Refused { rule, .. } = e {
                refused = Some(rule);
            }
        }
        assert_eq!(refused.as_deref(), Some("canBan"));
    }
    for c in [&alice, &mia, &bob] {
        assert_eq!(c.room(&room).epoch().await.unwrap(), epoch);
        assert_eq!(c.role_of(&room, &alice).await, "super_admin");
        assert_eq!(
            c.room(&room).members().await.unwrap(),
            alice.room(&room).members().await.unwrap()
        );
    }
}
