//! Connections between users (MIMIMI §5): a sealed, signed request relayed by the hub, answered
//! with the other side's connection key.

use conclave_client::ClientEvent;
use conclave_e2e::{TestHub, settle};

#[tokio::test]
async fn alice_asks_bob_to_connect_bob_accepts_and_both_are_connected() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;

    alice.connect("bob").await.unwrap();
    let mut bob_events = bob.subscribe();
    settle(&[&alice, &bob, &carol]).await;
    let mut asked = None;
    while let Ok(e) = bob_events.try_recv() {
        if let ClientEvent::ConnectionRequested { user } = e {
            asked = Some(user);
        }
    }
    assert_eq!(asked.as_deref(), Some("mimi://localhost/u/alice"));
    let state = |v: Vec<conclave_client::connections::ConnectionInfo>| {
        v.into_iter().map(|c| (c.user, c.state)).collect::<Vec<_>>()
    };
    assert_eq!(
        state(alice.connections().await.unwrap()),
        [("mimi://localhost/u/bob".to_owned(), "requested".to_owned())]
    );
    assert_eq!(
        state(bob.connections().await.unwrap()),
        [("mimi://localhost/u/alice".to_owned(), "incoming".to_owned())]
    );
    assert!(
        carol.connections().await.unwrap().is_empty(),
        "carol saw nothing"
    );

    bob.accept_connection("alice").await.unwrap();
    settle(&[&alice, &bob]).await;
    assert_eq!(
        state(alice.connections().await.unwrap()),
        [("mimi://localhost/u/bob".to_owned(), "connected".to_owned())]
    );
    assert_eq!(
        state(bob.connections().await.unwrap()),
        [(
            "mimi://localhost/u/alice".to_owned(),
            "connected".to_owned()
        )]
    );

    // The keys each side learned are the other's own connection key.
    let key_of = |c: &conclave_e2e::TestClient| {
        let raw = std::fs::read(c.data_dir().join("keystore.json")).unwrap();
        let map: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        map["connection_key"].as_str().unwrap().to_owned()
    };
    let learned = |c: &conclave_e2e::TestClient, peer: &str| -> Vec<u8> {
        let conn = conclave_e2e::client_db(c.data_dir());
        conn.query_row(
            "SELECT their_key FROM connections WHERE user_uri = ?1",
            [peer],
            |r| r.get(0),
        )
        .unwrap()
    };
    use base64::Engine as _;
    let b64 = |b: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(b);
    assert_eq!(b64(learned(&alice, "mimi://localhost/u/bob")), key_of(&bob));
    assert_eq!(
        b64(learned(&bob, "mimi://localhost/u/alice")),
        key_of(&alice)
    );
}

#[tokio::test]
async fn bad_connection_attempts_are_refused_or_dropped_with_a_reason() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;

    let e = alice.connect("nobody").await.unwrap_err();
    assert_eq!(e.hub_code(), Some("unknown_user"), "{e}");
    assert!(alice.connect("alice").await.is_err(), "not to yourself");
    let e = bob.accept_connection("alice").await.unwrap_err();
    assert!(e.to_string().contains("has not asked"), "{e}");
    alice.connect("bob").await.unwrap();
    assert!(
        alice
            .connect("bob")
            .await
            .unwrap_err()
            .to_string()
            .contains("already requested")
    );

    // Garbage relayed to bob is dropped with a reason, and his state is unchanged. It comes from
    // carol: alice's own request to bob still waits, and the hub keeps one per pair.
    let carol = hub.user("carol").await;
    let token = conclave_e2e::raw::token_of(carol.data_dir());
    let r = reqwest::Client::new()
        .post(format!("{}/v1/connections", hub.url()))
        .bearer_auth(token)
        .json(&serde_json::json!({"to": "mimi://localhost/u/bob", "kind": "request", "sealed": "AAAA"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let mut events = bob.subscribe();
    settle(&[&bob]).await;
    let mut dropped = 0;
    while let Ok(e) = events.try_recv() {
        if let ClientEvent::Dropped { reason, .. } = e {
            assert!(reason.contains("does not open"), "{reason}");
            dropped += 1;
        }
    }
    assert_eq!(dropped, 1);
    let list = bob.connections().await.unwrap();
    assert_eq!(list.len(), 1, "only alice's genuine request: {list:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_made_on_one_device_is_known_on_all_of_the_users_devices() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let alice2 = hub.link_device(&alice).await;
    let bob2 = hub.link_device(&bob).await;
    settle(&[&alice, &alice2, &bob, &bob2]).await;

    // When alice asks on one device and bob answers on one of his
    alice.connect("bob").await.unwrap();
    settle(&[&alice, &alice2, &bob, &bob2]).await;
    assert_eq!(state(&alice2, "/u/bob").await.as_deref(), Some("requested"));
    assert_eq!(state(&bob2, "/u/alice").await.as_deref(), Some("incoming"));
    bob.accept_connection("alice").await.unwrap();
    settle(&[&alice, &alice2, &bob, &bob2]).await;

    // Then all four devices know the connection
    for (c, who) in [
        (&alice, "/u/bob"),
        (&alice2, "/u/bob"),
        (&bob, "/u/alice"),
        (&bob2, "/u/alice"),
    ] {
        assert_eq!(state(c, who).await.as_deref(), Some("connected"), "{who}");
    }
    // And alice's second device, which made none of it, adds bob to a pseudonymous room.
    let room = alice2
        .create_room_opts("quiet", mimi::policy::Preset::Private, true)
        .await
        .unwrap();
    alice2.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;
}

/// The state of `c`'s connection with the user whose URI ends with `who`.
async fn state(c: &conclave_client::Client, who: &str) -> Option<String> {
    c.connections()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.user.ends_with(who))
        .map(|x| x.state)
}
