//! A claim of a user's KeyPackages needs a reason (SECURITY.md "KeyPackages"; PROTO §5.7): the
//! user's consent to the claimer, given when asked (or unasked), for any room or one room, or a
//! connection between them. Without it nothing is handed out and no device is revealed.

use conclave_client::{ClientEvent, Error};
use conclave_e2e::{TestClient, TestHub, settle};
use mimi::uri::RoomUri;
use tokio::sync::broadcast;

fn drain(rx: &mut broadcast::Receiver<ClientEvent>) -> Vec<ClientEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

/// KeyPackages the hub keeps for `user`'s clients (none is handed out by a refused claim).
fn stock(hub: &TestHub, user: &TestClient) -> i64 {
    let conn = rusqlite::Connection::open(hub.db_path()).expect("hub db");
    conn.query_row(
        "SELECT COUNT(*) FROM key_packages k JOIN clients c ON c.uri = k.client_uri
         WHERE c.user_uri = ?1",
        [user.user().to_string()],
        |r| r.get(0),
    )
    .expect("count")
}

async fn invite(inviter: &TestClient, room: &RoomUri, who: &str) -> Result<(), Error> {
    inviter.room(room).invite(&[who.to_owned()]).await
}

fn no_consent(r: Result<(), Error>, for_this_room: bool) {
    match r {
        Err(Error::NoConsent {
            for_this_room: f, ..
        }) if f == for_this_room => {}
        other => panic!("expected no consent (for this room: {for_this_room}), got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_needs_the_invitees_consent_asked_granted_and_revoked() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let bob2 = hub.link_device(&bob).await;
    settle(&[&bob, &bob2]).await;
    let room = alice.create_room("plans").await.unwrap();

    // Without bob's consent alice's invite gets nothing: no KeyPackage leaves the hub, and the
    // answer lists none of bob's devices
    let before = stock(&hub, &bob);
    no_consent(invite(&alice, &room, "bob").await, false);
    assert_eq!(stock(&hub, &bob), before, "no KeyPackage was handed out");

    // When alice asks, both of bob's devices hear it
    let mut events = bob.subscribe();
    alice.request_consent("bob", None).await.unwrap();
    bob.sync().await.unwrap();
    assert!(
        drain(&mut events).iter().any(|e| matches!(e,
            ClientEvent::ConsentRequested { user, room: None } if user == &alice.user().to_string())),
        "bob is told alice asks"
    );
    let asked = bob2.consents().await.unwrap().requests_in;
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].user, alice.user().to_string());

    // And once bob grants it (on either device), alice hears so and her invite goes through
    let mut alice_events = alice.subscribe();
    bob2.grant_consent("alice", None).await.unwrap();
    alice.sync().await.unwrap();
    assert!(drain(&mut alice_events).iter().any(|e| matches!(e,
        ClientEvent::ConsentGranted { user, .. } if user == &bob.user().to_string())));
    assert!(bob.consents().await.unwrap().requests_in.is_empty());
    invite(&alice, &room, "bob").await.expect("consented");
    bob.wait_for_room(&room).await;
    bob2.wait_for_room(&room).await;

    // When bob revokes it, alice's next invite to another room is refused again
    bob.revoke_consent("alice", None).await.unwrap();
    let other = alice.create_room("later").await.unwrap();
    no_consent(invite(&alice, &other, "bob").await, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_for_one_room_is_for_that_room_only() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let dave = hub.user("dave").await;
    let club = alice.create_room("club").await.unwrap();
    let other = alice.create_room("other").await.unwrap();
    dave.grant_consent("alice", Some(&club)).await.unwrap();
    no_consent(invite(&alice, &other, "dave").await, true);
    invite(&alice, &club, "dave")
        .await
        .expect("consented for the club");
    dave.wait_for_room(&club).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_is_consent_both_ways_and_a_block_withdraws_it() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let carol = hub.user("carol").await;
    // carol asks alice to connect; alice accepts
    carol.connect("alice").await.unwrap();
    settle(&[&alice, &carol]).await;
    alice.accept_connection("carol").await.unwrap();
    settle(&[&alice, &carol]).await;
    // Then each may add the other
    let a_room = alice.create_room("alice's").await.unwrap();
    invite(&alice, &a_room, "carol").await.expect("connected");
    carol.wait_for_room(&a_room).await;
    let c_room = carol.create_room("carol's").await.unwrap();
    invite(&carol, &c_room, "alice").await.expect("connected");
    alice.wait_for_room(&c_room).await;

    // When carol blocks alice, alice can no longer add carol anywhere
    carol.block("alice").await.unwrap();
    let later = alice.create_room("later").await.unwrap();
    no_consent(invite(&alice, &later, "carol").await, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_requests_are_refused_when_they_make_no_sense() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let err = alice.request_consent("alice", None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Hub { status: 400, code, .. } if code == "malformed_body"),
        "{err:?}"
    );
    let err = alice.request_consent("nobody", None).await.unwrap_err();
    assert!(
        matches!(&err, Error::Hub { status: 404, code, .. } if code == "unknown_user"),
        "{err:?}"
    );
}
