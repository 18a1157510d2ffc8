//! A user key anchors the user's devices (SECURITY.md "Devices"): members pin it at first
//! contact and refuse a device it did not approve even when the hub serves it; another device is
//! removed only with the user key; the user's remaining devices then renew their leaves.

use conclave_client::{Client, ClientEvent};
use conclave_e2e::raw::{answer, token_of};
use conclave_e2e::{TestHub, introduce, settle};
use mimi::policy::Preset;
use mimi::uri::RoomUri;
use tokio::sync::broadcast;

/// Every event `rx` holds now.
fn drain(rx: &mut broadcast::Receiver<ClientEvent>) -> Vec<ClientEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

/// The clients of `user` that `viewer` sees in `room`.
async fn clients_of(viewer: &Client, room: &RoomUri, user: &str) -> Vec<String> {
    viewer
        .room(room)
        .members()
        .await
        .expect("members")
        .into_iter()
        .find(|m| m.user == user)
        .map(|m| m.clients)
        .unwrap_or_default()
}

fn refused_for_user_key(events: &[ClientEvent], room: &RoomUri) -> bool {
    events.iter().any(|e| {
        matches!(e, ClientEvent::Refused { room: r, rule, .. } if r == &room.to_string() && rule == "user_key")
    })
}

fn warned_about(events: &[ClientEvent], user: &str) -> bool {
    events
        .iter()
        .any(|e| matches!(e, ClientEvent::UserKeyChanged { user: u } if u == user))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_the_hub_adds_without_the_users_approval_is_refused_by_every_member() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let alice2 = hub.link_device(&alice).await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    introduce(&[&alice, &bob, &carol]).await;
    settle(&[&alice, &alice2]).await;
    let room = bob
        .room_with("team", Preset::Private, &[&alice, &carol])
        .await;
    alice2.wait_for_room(&room).await;
    let alice_uri = alice.user().to_string();
    // A device linked with a code from one of alice's devices is in, approved by her key.
    let mut before = clients_of(&carol, &room, &alice_uri).await;
    before.sort();
    let mut expected = vec![
        alice.client_uri().to_string(),
        alice2.client_uri().to_string(),
    ];
    expected.sort();
    assert_eq!(before, expected);

    // Given a hub that mints alice a device of its own and announces it to her devices
    let rogue = hub.mint_device(alice.user(), 4);
    hub.announce_device(alice.client_uri(), &rogue);
    let rogue_uri = rogue.client.to_string();

    // When alice's own device hears of it, it does not add it to her rooms, and warns that a
    // device of hers comes with another user key than hers
    let mut alice_events = alice.subscribe();
    alice.sync().await.expect("sync");
    let seen = drain(&mut alice_events);
    assert!(refused_for_user_key(&seen, &room), "{seen:?}");
    assert!(warned_about(&seen, &alice_uri), "{seen:?}");
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, ClientEvent::DeviceAdded { client } if client == &rogue_uri)),
        "{seen:?}"
    );
    assert!(
        !clients_of(&alice, &room, &alice_uri)
            .await
            .contains(&rogue_uri)
    );

    // When carol invites alice to a new room, the hub hands out the minted device's KeyPackage
    // with her real ones, and carol leaves it out
    let mut carol_events = carol.subscribe();
    let other = carol.create_room("other").await.unwrap();
    carol.room(&other).invite(&["alice".into()]).await.unwrap();
    alice.wait_for_room(&other).await;
    alice2.wait_for_room(&other).await;
    let seen = drain(&mut carol_events);
    assert!(refused_for_user_key(&seen, &other), "{seen:?}");
    assert!(warned_about(&seen, &alice_uri), "{seen:?}");
    let mut in_other = clients_of(&carol, &other, &alice_uri).await;
    in_other.sort();
    assert_eq!(
        in_other, expected,
        "carol added exactly alice's approved devices"
    );
    assert!(
        carol
            .changed_user_keys()
            .await
            .unwrap()
            .iter()
            .any(|k| k.user == alice_uri)
    );

    // When bob, colluding, adds the minted device anyway (skipping his own checks) and the hub
    // accepts it (its database says the device is approved)
    let epoch_before = carol.room(&room).epoch().await.unwrap();
    bob.set_skip_local_policy_check(true);
    bob.room(&room)
        .invite(&["alice".into()])
        .await
        .expect("the rogue hub accepts the add");
    assert!(
        clients_of(&bob, &room, &alice_uri)
            .await
            .contains(&rogue_uri)
    );

    // Then every other member refuses that commit: the room does not change for them
    for member in [&alice, &alice2, &carol] {
        let mut events = member.subscribe();
        member.sync().await.expect("sync");
        let seen = drain(&mut events);
        assert!(
            refused_for_user_key(&seen, &room),
            "{}: {seen:?}",
            member.client_uri()
        );
        assert!(
            !clients_of(member, &room, &alice_uri)
                .await
                .contains(&rogue_uri)
        );
        assert_eq!(member.room(&room).epoch().await.unwrap(), epoch_before);
    }

    // And once carol accepts the new key (she checked with alice, who did not reset anything:
    // here only to show that acceptance is an explicit act), the warning is gone
    carol.accept_user_key("alice").await.unwrap();
    assert!(carol.changed_user_keys().await.unwrap().is_empty());
}

/// What `token` gets for `DELETE /v1/devices/{device}` without a signature.
async fn unsigned_removal(hub: &TestHub, token: &str, device: &str) -> (u16, String) {
    let url = format!("{}/v1/devices/{device}", hub.url());
    answer(reqwest::Method::DELETE, url, token).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_device_is_removed_only_with_the_user_key_and_the_others_renew_their_leaves() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let laptop = hub.link_device(&alice).await;
    let phone = hub.link_device(&alice).await;
    let bob = hub.user("bob").await;
    settle(&[&alice, &laptop, &phone]).await;
    let room = bob.room_with("family", Preset::Private, &[&alice]).await;
    laptop.wait_for_room(&room).await;
    phone.wait_for_room(&room).await;
    settle(&[&alice, &laptop, &phone, &bob]).await;

    // A stolen token of the phone cannot remove alice's other devices
    let phone_token = token_of(phone.data_dir());
    assert_eq!(
        unsigned_removal(&hub, &phone_token, alice.client_uri().local()).await,
        (403, "device_not_approved".into())
    );

    // When alice removes the (lost) phone from her laptop, signed with the user key
    let epoch_before = bob.room(&room).epoch().await.unwrap();
    laptop
        .remove_device(phone.client_uri().local())
        .await
        .expect("removed with the user key");

    // Then the phone's token is dead at once
    let r = phone.sync().await;
    assert!(
        matches!(&r, Err(conclave_client::Error::Hub { status: 401, code, .. }) if code == "token_revoked"),
        "{r:?}"
    );
    // And it is out of the room for everyone
    settle(&[&alice, &laptop, &bob]).await;
    let alice_uri = alice.user().to_string();
    for viewer in [&alice, &laptop, &bob] {
        let clients = clients_of(viewer, &room, &alice_uri).await;
        assert!(
            !clients.contains(&phone.client_uri().to_string()),
            "{clients:?}"
        );
        assert_eq!(clients.len(), 2);
    }
    // And alice's device that did not commit the removal renewed its leaf (post-compromise
    // security): the room moved by the laptop's removal and then by alice's own path-only
    // commit, which everyone merged
    let epoch = bob.room(&room).epoch().await.unwrap();
    assert_eq!(
        epoch,
        epoch_before + 2,
        "the removal, then alice's leaf update"
    );
    for device in [&alice, &laptop] {
        assert_eq!(device.room(&room).epoch().await.unwrap(), epoch);
    }
    // And what is sent from then on reaches the remaining devices only
    bob.room(&room).send_text("after").await.unwrap();
    assert_eq!(
        alice.wait_for_messages(&room, 1).await[0].text.as_deref(),
        Some("after")
    );
}
