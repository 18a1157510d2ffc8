//! Devices the user controls (SECURITY.md): tokens expire and are renewed, a stolen token stops
//! working, and a device that removes itself can neither read nor send in any room.

use conclave_e2e::raw::{answer, token_of};
use conclave_e2e::{TestHub, introduce, settle};

/// What the hub answers `GET /v1/devices` with `token`: the status and error code.
async fn ask(hub: &TestHub, token: &str) -> (u16, String) {
    answer(
        reqwest::Method::GET,
        format!("{}/v1/devices", hub.url()),
        token,
    )
    .await
}

fn expire(hub: &TestHub, client: &str) {
    let conn = rusqlite::Connection::open(hub.db_path()).expect("hub db");
    conn.execute(
        "UPDATE clients SET token_expires_at = 0 WHERE uri = ?1",
        [client],
    )
    .expect("expire");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refused_and_the_device_key_renews_it() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let room = alice.create_room("tokens").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;

    // When alice's token outlives its lifetime (a copy of it stolen meanwhile)
    let stolen = token_of(alice.data_dir());
    expire(&hub, &alice.client_uri().to_string());
    assert_eq!(ask(&hub, &stolen).await, (401, "token_expired".into()));

    // Then her device renews it with its key on the next sync, and the stolen copy is dead
    alice
        .sync()
        .await
        .expect("renewed with the device key, then synced");
    assert_eq!(ask(&hub, &stolen).await, (401, "unauthenticated".into()));
    let renewed = token_of(alice.data_dir());
    assert_ne!(renewed, stolen);
    assert_eq!(ask(&hub, &renewed).await.0, 200);
    alice.room(&room).send_text("still me").await.unwrap();
    assert_eq!(
        bob.wait_for_messages(&room, 1).await[0].text.as_deref(),
        Some("still me")
    );

    // And a renewal while in use voids the old token at once
    alice.renew_token().await.unwrap();
    assert_eq!(ask(&hub, &renewed).await, (401, "unauthenticated".into()));
    assert_eq!(ask(&hub, &token_of(alice.data_dir())).await.0, 200);
    // The hub noted her activity.
    let devices = alice.devices().await.unwrap();
    assert!(
        devices
            .iter()
            .all(|d| d.last_active.is_some() && !d.removed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_removed_itself_can_neither_read_nor_send_in_any_room() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let one = alice.create_room("one").await.unwrap();
    let two = alice.create_room("two").await.unwrap();
    for r in [&one, &two] {
        alice.room(r).invite(&["bob".into()]).await.unwrap();
        bob.wait_for_room(r).await;
    }
    let alice2 = hub.link_device(&alice).await;
    settle(&[&alice, &bob, &alice2]).await;
    for r in [&one, &two] {
        alice2.wait_for_room(r).await;
    }

    // When alice's second device removes itself
    let token2 = token_of(alice2.data_dir());
    alice2.remove_this_device().await.expect("remove");

    // Then its token is revoked at once, the others commit its departure in both rooms, and
    // what they say next does not reach it
    assert_eq!(ask(&hub, &token2).await, (401, "token_revoked".into()));
    settle(&[&alice, &bob]).await;
    let gone = alice2.client_uri().to_string();
    for r in [&one, &two] {
        let members = bob.room(r).members().await.unwrap();
        assert!(
            members.iter().all(|m| !m.clients.contains(&gone)),
            "{gone} is out of {r}: {members:?}"
        );
        alice.room(r).send_text("after the removal").await.unwrap();
        assert_eq!(bob.wait_for_messages(r, 1).await.len(), 1);
    }
    let queued = hub.queued_for(alice2.client_uri());
    // Only the commit that removes it, in each room (PROTO §5.5); no message.
    assert_eq!(
        queued, 2,
        "nothing but its removals is queued for a removed device"
    );
    assert!(alice2.sync().await.is_err(), "it cannot read");
    assert!(
        alice2.room(&one).send_text("me again").await.is_err(),
        "it cannot send"
    );
    let listed = alice.devices().await.unwrap();
    assert!(
        listed.iter().any(|d| d.client == gone && d.removed),
        "device list shows it removed: {listed:?}"
    );
}
