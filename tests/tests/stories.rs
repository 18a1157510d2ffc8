//! End-to-end stories of the walking skeleton: real clients against a real hub on 127.0.0.1.

use conclave_client::ClientEvent;
use conclave_e2e::{TestHub, introduce, settle};
use mimi::policy::Preset;

#[tokio::test]
async fn three_members_each_see_every_message_once_in_the_same_hub_order() {
    // Given alice's room with bob and carol in it
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    let room = alice
        .room_with("Team", Preset::Private, &[&bob, &carol])
        .await;

    // When all three send
    alice
        .room(&room)
        .send_text("hello from alice")
        .await
        .unwrap();
    bob.room(&room).send_text("hello from bob").await.unwrap();
    carol
        .room(&room)
        .send_text("hello from carol")
        .await
        .unwrap();
    settle(&[&alice, &bob, &carol]).await;

    // Then each sees the three messages once, in the same order, with the right senders
    let seen_by_alice = alice.texts(&room).await;
    assert_eq!(seen_by_alice.len(), 3);
    for other in [&bob, &carol] {
        assert_eq!(other.texts(&room).await, seen_by_alice);
    }
    let texts: Vec<_> = seen_by_alice
        .iter()
        .map(|m| m.text.clone().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["hello from alice", "hello from bob", "hello from carol"]
    );
    assert_eq!(seen_by_alice[1].sender, bob.user().to_string());
    assert!(
        seen_by_alice
            .windows(2)
            .all(|w| w[0].timestamp < w[1].timestamp)
    );
    let names = bob.rooms().await.unwrap();
    assert_eq!(names[0].name, "Team");
    let members = carol.room(&room).members().await.unwrap();
    assert_eq!(members.len(), 3);
}

#[tokio::test]
async fn a_linked_device_joins_alices_rooms_and_its_messages_show_as_alices() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let room = alice.create_room("").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;
    bob.room(&room)
        .send_text("before the new device")
        .await
        .unwrap();

    // When alice links a second device
    let alice2 = hub.link_device(&alice).await;
    assert_eq!(alice2.user(), alice.user());
    assert_ne!(alice2.client_uri(), alice.client_uri());
    let mut events = alice.subscribe();
    settle(&[&alice, &bob, &alice2]).await;

    // Then alice's first device added it to the room, and it joined
    let mut added = false;
    while let Ok(e) = events.try_recv() {
        added |= matches!(e, ClientEvent::DeviceAdded { ref client } if client == &alice2.client_uri().to_string());
    }
    assert!(added, "alice's first device never added the new one");
    alice2.wait_for_room(&room).await;
    assert_eq!(alice.devices().await.unwrap().len(), 2);
    let members = bob.room(&room).members().await.unwrap();
    let alices = members
        .iter()
        .find(|m| m.user == alice.user().to_string())
        .unwrap();
    assert_eq!(alices.clients.len(), 2);

    // It receives what is sent after it joined (not before), and speaks as alice
    bob.room(&room)
        .send_text("after the new device")
        .await
        .unwrap();
    let got = alice2.wait_for_messages(&room, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].text.as_deref(), Some("after the new device"));
    alice2
        .room(&room)
        .send_text("from my laptop")
        .await
        .unwrap();
    let at_bob = bob.wait_for_messages(&room, 3).await;
    assert_eq!(at_bob[2].sender, alice.user().to_string());
    assert_eq!(at_bob[2].sender_client, alice2.client_uri().to_string());
    let at_alice = alice.wait_for_messages(&room, 3).await;
    assert_eq!(at_alice[2].text.as_deref(), Some("from my laptop"));
}

#[tokio::test]
async fn a_closed_client_gets_everything_sent_meanwhile_when_reopened() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let mut bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let room = alice.create_room("").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;

    // When bob's client is closed while alice sends
    bob.close();
    for i in 0..5 {
        alice
            .room(&room)
            .send_text(&format!("message {i}"))
            .await
            .unwrap();
    }

    // Then bob, reopened from his directory, gets them all, once
    bob.reopen();
    let got = bob.wait_for_messages(&room, 5).await;
    let texts: Vec<_> = got.iter().map(|m| m.text.clone().unwrap()).collect();
    assert_eq!(
        texts,
        (0..5).map(|i| format!("message {i}")).collect::<Vec<_>>()
    );
    assert_eq!(bob.sync().await.unwrap().processed, 0);
    assert_eq!(bob.texts(&room).await.len(), 5);
}

#[tokio::test]
async fn a_hub_restart_between_messages_loses_nothing_acknowledged() {
    let mut hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let room = alice.create_room("").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;
    alice.room(&room).send_text("one").await.unwrap();
    bob.wait_for_messages(&room, 1).await;

    // A message accepted but not yet fetched by bob, then the hub goes down and comes back
    alice.room(&room).send_text("two").await.unwrap();
    hub.restart().await;
    alice.room(&room).send_text("three").await.unwrap();

    let got = bob.wait_for_messages(&room, 3).await;
    let texts: Vec<_> = got.iter().map(|m| m.text.clone().unwrap()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    // and the room still works both ways
    bob.room(&room).send_text("four").await.unwrap();
    assert_eq!(
        alice.wait_for_messages(&room, 4).await[3].text.as_deref(),
        Some("four")
    );
}

#[tokio::test]
async fn two_commits_in_one_epoch_the_second_gets_wrong_epoch_catches_up_and_retries() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    let dave = hub.user("dave").await;
    introduce(&[&alice, &bob, &carol, &dave]).await;
    let room = alice.create_room("").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;
    let epoch_before = bob.room(&room).epoch().await.unwrap();
    assert_eq!(alice.room(&room).epoch().await.unwrap(), epoch_before);

    // When alice commits first and bob, still at the old epoch, commits too
    alice.room(&room).invite(&["carol".into()]).await.unwrap();
    let mut bob_events = bob.subscribe();
    bob.room(&room).invite(&["dave".into()]).await.unwrap();

    // Then bob's first try got wrongEpoch with the hub's epoch, and his retry went through
    let mut retried = None;
    while let Ok(e) = bob_events.try_recv() {
        if let ClientEvent::Retried { epoch, .. } = e {
            retried = epoch;
        }
    }
    assert_eq!(retried, Some(epoch_before + 1));
    carol.wait_for_room(&room).await;
    dave.wait_for_room(&room).await;
    settle(&[&alice, &bob, &carol, &dave]).await;
    let mut epochs = Vec::new();
    for c in [&alice, &bob, &carol, &dave] {
        epochs.push(c.room(&room).epoch().await.unwrap());
    }
    assert_eq!(epochs, vec![epoch_before + 2; 4]);

    // and all four can still talk
    dave.room(&room).send_text("hi, I'm dave").await.unwrap();
    for c in [&alice, &bob, &carol] {
        assert_eq!(
            c.wait_for_messages(&room, 1).await[0].text.as_deref(),
            Some("hi, I'm dave")
        );
    }
}

#[tokio::test]
async fn a_member_who_leaves_is_removed_by_the_next_committer_and_gets_nothing_more() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let room = alice.create_room("").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;

    bob.room(&room).leave().await.unwrap();
    assert!(bob.rooms().await.unwrap().is_empty());
    settle(&[&alice, &bob]).await;

    let members = alice.room(&room).members().await.unwrap();
    assert_eq!(members.len(), 1, "alice committed bob's SelfRemove");
    alice.room(&room).send_text("bob is gone").await.unwrap();
    assert_eq!(bob.sync().await.unwrap().processed, 0);
    assert!(bob.room(&room).messages(10).await.is_err());
}

#[tokio::test]
async fn a_command_runs_while_a_sync_waits_for_the_hub() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let room = alice.create_room("").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;
    settle(&[&alice, &bob]).await;
    // alice's long-poll waits up to 25 s; her own send must not wait for it (the wait does not
    // hold her store), and bob's message then ends the wait.
    let (waited, sent) = tokio::join!(
        alice.sync_waiting(std::time::Duration::from_secs(25)),
        async {
            let sent = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                alice.room(&room).send_text("while waiting"),
            )
            .await;
            bob.room(&room).send_text("wake up").await.unwrap();
            sent
        }
    );
    assert!(
        matches!(sent, Ok(Ok(_))),
        "the send ran during the wait: {sent:?}"
    );
    assert!(
        waited.unwrap().processed >= 1,
        "bob's message ended the wait"
    );
    assert!(
        alice
            .texts(&room)
            .await
            .iter()
            .any(|m| m.text.as_deref() == Some("wake up"))
    );
}

#[tokio::test]
async fn the_room_list_shows_each_rooms_preset_kind_and_unread_count_until_read() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let room = alice
        .create_room_with("Town hall", mimi::policy::Preset::Moderated)
        .await
        .unwrap();
    alice
        .room(&room)
        .invite_as(&["bob".into()], Some("speaker"))
        .await
        .unwrap();
    bob.wait_for_room(&room).await;
    for i in 0..3 {
        alice
            .room(&room)
            .send_text(&format!("news {i}"))
            .await
            .unwrap();
    }
    bob.room(&room).send_text("mine").await.unwrap();
    bob.wait_for_messages(&room, 4).await;
    let listed = |v: Vec<conclave_client::RoomInfo>| {
        v.into_iter()
            .find(|r| r.uri == room.to_string())
            .expect("listed")
    };
    let r = listed(bob.rooms().await.unwrap());
    assert_eq!(r.preset.as_deref(), Some("moderated"));
    assert!(!r.pseudonymous);
    assert_eq!(r.unread, 3, "alice's three, not bob's own");
    bob.room(&room).mark_read().await.unwrap();
    assert_eq!(listed(bob.rooms().await.unwrap()).unread, 0);
    alice.room(&room).send_text("one more").await.unwrap();
    bob.wait_for_messages(&room, 5).await;
    assert_eq!(listed(bob.rooms().await.unwrap()).unread, 1);
    // Editing the roles leaves the preset behind.
    let mut roles = alice.room(&room).policy_state().await.unwrap().roles;
    roles.roles[2].role_description = b"renamed".to_vec().into();
    alice.room(&room).define_roles(&roles).await.unwrap();
    settle(&[&alice, &bob]).await;
    assert_eq!(listed(bob.rooms().await.unwrap()).preset, None);
    assert_eq!(listed(alice.rooms().await.unwrap()).preset, None);
}
