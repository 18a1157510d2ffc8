//! Mute and receive-revocation (POLICY §8.3 canSendMessage / canReceiveMessage), enforced by the
//! hub (it refuses and withholds) and by every client (it hides), with numbers.

use conclave_client::Error;
use conclave_e2e::{TestClient, TestHub, introduce, settle};
use mimi::policy::Preset;
use mimi::uri::RoomUri;

/// A moderated room: alice (super_admin), carol (speaker), bob (speaker) on two devices.
async fn room_with_bob_on_two_devices(
    hub: &TestHub,
) -> (TestClient, TestClient, TestClient, TestClient, RoomUri) {
    let alice = hub.user("alice").await;
    let carol = hub.user("carol").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &carol, &bob]).await;
    let bob2 = hub.link_device(&bob).await;
    let room = alice
        .create_room_with("Stage", Preset::Moderated)
        .await
        .unwrap();
    alice
        .room(&room)
        .invite_as(&["carol".into(), "bob".into()], Some("speaker"))
        .await
        .unwrap();
    for c in [&carol, &bob, &bob2] {
        c.wait_for_room(&room).await;
    }
    settle(&[&alice, &carol, &bob, &bob2]).await;
    assert_eq!(
        alice.room(&room).members().await.unwrap()[2].clients.len(),
        2
    );
    (alice, carol, bob, bob2, room)
}

async fn carol_sends(carol: &TestClient, room: &RoomUri, n: usize, tag: &str) {
    for i in 0..n {
        carol
            .room(room)
            .send_text(&format!("{tag} {i}"))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_suspended_user_gets_nothing_from_the_hub_and_sees_new_messages_once_restored() {
    let hub = TestHub::spawn().await;
    let (alice, carol, bob, bob2, room) = room_with_bob_on_two_devices(&hub).await;

    // When alice revokes bob's receive and carol sends 100 messages
    alice.room(&room).suspend("bob").await.unwrap();
    settle(&[&alice, &carol, &bob, &bob2]).await;
    assert_eq!(bob.room(&room).me_in().await.unwrap().name, "suspended");
    carol_sends(&carol, &room, 100, "while suspended").await;
    settle(&[&alice, &carol, &bob, &bob2]).await;

    // Then the hub delivered none of them to either of bob's clients, by its own count,
    for b in [&bob, &bob2] {
        assert_eq!(hub.withheld(&room, b.client_uri()), 100);
        assert!(b.texts(&room).await.is_empty());
        assert_eq!(
            b.room(&room).hidden_count().await.unwrap(),
            0,
            "nothing even arrived"
        );
    }
    assert_eq!(alice.texts(&room).await.len(), 100);

    // When receive is given back (to the role he had), the next message appears; the 100 do not
    alice.room(&room).unsuspend("bob", None).await.unwrap();
    settle(&[&alice, &carol, &bob, &bob2]).await;
    assert_eq!(bob2.room(&room).me_in().await.unwrap().name, "speaker");
    carol.room(&room).send_text("welcome back").await.unwrap();
    for b in [&bob, &bob2] {
        let got = b.wait_for_messages(&room, 1).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].text.as_deref(), Some("welcome back"));
        assert_eq!(hub.withheld(&room, b.client_uri()), 100);
    }
}

#[tokio::test]
async fn with_the_hubs_withholding_off_the_clients_hide_what_arrives() {
    let hub = TestHub::spawn_without_policy_checks().await;
    let (alice, carol, bob, bob2, room) = room_with_bob_on_two_devices(&hub).await;

    alice.room(&room).suspend("bob").await.unwrap();
    settle(&[&alice, &carol, &bob, &bob2]).await;
    carol_sends(&carol, &room, 100, "while suspended").await;
    settle(&[&alice, &carol, &bob, &bob2]).await;

    for b in [&bob, &bob2] {
        assert_eq!(
            hub.withheld(&room, b.client_uri()),
            0,
            "the hub withheld nothing"
        );
        assert!(
            b.texts(&room).await.is_empty(),
            "but bob's clients show nothing"
        );
        assert_eq!(b.room(&room).hidden_count().await.unwrap(), 100);
    }

    alice.room(&room).unsuspend("bob", None).await.unwrap();
    settle(&[&alice, &carol, &bob, &bob2]).await;
    carol.room(&room).send_text("welcome back").await.unwrap();
    for b in [&bob, &bob2] {
        let got = b.wait_for_messages(&room, 1).await;
        assert_eq!(got.len(), 1, "the revoked period stays hidden");
        assert_eq!(b.room(&room).hidden_count().await.unwrap(), 100);
    }
}

#[tokio::test]
async fn a_muted_user_cannot_post_and_what_slips_through_is_dropped_by_the_others() {
    let hub = TestHub::spawn().await;
    let (alice, carol, bob, bob2, room) = room_with_bob_on_two_devices(&hub).await;

    alice.room(&room).mute("bob").await.unwrap();
    settle(&[&alice, &carol, &bob, &bob2]).await;
    for b in [&bob, &bob2] {
        assert_eq!(b.room(&room).me_in().await.unwrap().name, "guest");
        // the engine refuses before anything is sent,
        let e = b
            .room(&room)
            .send_text("can you hear me?")
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::NotAllowed { ref rule, .. } if rule == "canSendMessage"),
            "{e}"
        );
        // and the hub refuses a client that sends anyway
        b.set_skip_local_policy_check(true);
        let e = b
            .room(&room)
            .send_text("can you hear me?")
            .await
            .unwrap_err();
        assert_eq!(e.hub_code(), Some("not_allowed"), "{e}");
    }
    assert_eq!(
        carol.sync().await.unwrap().processed,
        0,
        "nothing reached carol"
    );
    // A muted user still receives
    carol.room(&room).send_text("you are muted").await.unwrap();
    assert_eq!(
        bob2.wait_for_messages(&room, 1).await[0].text.as_deref(),
        Some("you are muted")
    );

    alice.room(&room).unmute("bob", None).await.unwrap();
    settle(&[&alice, &carol, &bob, &bob2]).await;
    bob.room(&room).send_text("thanks").await.unwrap();
    assert_eq!(
        carol.wait_for_messages(&room, 2).await[1].text.as_deref(),
        Some("thanks")
    );
}

#[tokio::test]
async fn a_muted_users_message_through_a_hub_with_checks_off_is_dropped_by_honest_clients() {
    let hub = TestHub::spawn_without_policy_checks().await;
    let (alice, carol, bob, bob2, room) = room_with_bob_on_two_devices(&hub).await;
    alice.room(&room).mute("bob").await.unwrap();
    settle(&[&alice, &carol, &bob, &bob2]).await;

    bob.set_skip_local_policy_check(true);
    bob.room(&room).send_text("sneaky").await.unwrap();
    settle(&[&alice, &carol, &bob, &bob2]).await;
    for c in [&alice, &carol, &bob2] {
        assert!(
            c.texts(&room).await.is_empty(),
            "{} shows nothing",
            c.user()
        );
        assert_eq!(c.room(&room).hidden_count().await.unwrap(), 1);
    }
}

#[tokio::test]
async fn a_role_without_active_participants_takes_the_user_out_of_the_group_but_keeps_the_place() {
    let hub = TestHub::spawn().await;
    let (alice, carol, bob, bob2, room) = room_with_bob_on_two_devices(&hub).await;

    // alice defines "on_hold": listed, but no clients allowed (max active 0)
    let mut roles = alice.room(&room).roles().await.unwrap();
    let mut on_hold = roles
        .iter()
        .find(|r| r.name == "suspended")
        .unwrap()
        .clone();
    on_hold.index = 9;
    on_hold.name = "on_hold".into();
    on_hold.max_active = Some(0);
    on_hold.authorized_role_changes.clear();
    for r in roles.iter_mut().filter(|r| r.name == "super_admin") {
        for c in r.authorized_role_changes.iter_mut() {
            if c.from == 4 {
                c.to.push(9);
            }
        }
        r.authorized_role_changes
            .push(conclave_client::roles::RoleChanges {
                from: 9,
                to: vec![4],
            });
    }
    roles.push(on_hold);
    let json = serde_json::json!({ "roles": roles }).to_string();
    alice
        .room(&room)
        .define_roles(&conclave_client::roles::parse_file(&json).unwrap())
        .await
        .unwrap();
    settle(&[&alice, &carol, &bob, &bob2]).await;

    alice.room(&room).set_role("bob", "on_hold").await.unwrap();
    for b in [&bob, &bob2] {
        b.wait_until_out_of(&room).await;
    }
    settle(&[&alice, &carol]).await;
    let members = carol.room(&room).members().await.unwrap();
    let b = members
        .iter()
        .find(|m| m.user == bob.user().to_string())
        .unwrap();
    assert_eq!((b.role.as_str(), b.clients.len()), ("on_hold", 0));

    // Later epochs are closed to him: nothing reaches his clients, which hold no group any more
    carol
        .room(&room)
        .send_text("bob cannot decrypt this")
        .await
        .unwrap();
    for b in [&bob, &bob2] {
        assert_eq!(b.sync().await.unwrap().processed, 0);
        assert!(b.room(&room).messages(10).await.is_err());
    }
}
