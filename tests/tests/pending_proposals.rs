//! Pending proposals (PROTO §3.5, §5.3, §5.5, §7.1): once the hub accepted a leave, the leaver
//! gets nothing more of the room but the commit that removes them, and the next commit must
//! include the leave: a member who commits without having seen it is refused, catches up and
//! commits again with it.

use conclave_client::ClientEvent;
use conclave_e2e::{TestHub, introduce, settle};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leave_stops_fan_out_at_once_and_the_next_commit_must_include_it() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    let dave = hub.user("dave").await;
    introduce(&[&alice, &bob, &carol, &dave]).await;
    let room = alice.create_room("leaving").await.unwrap();
    alice
        .room(&room)
        .invite(&["bob".into(), "carol".into()])
        .await
        .unwrap();
    bob.wait_for_room(&room).await;
    carol.wait_for_room(&room).await;
    settle(&[&alice, &bob, &carol]).await;

    // When bob leaves (the hub accepts his proposals; nobody has committed them yet)
    bob.room(&room).leave().await.expect("leave");
    let before = hub.queued_for(bob.client_uri());

    // Then a message sent now does not reach him
    alice.room(&room).send_text("after bob left").await.unwrap();
    assert_eq!(
        hub.queued_for(bob.client_uri()),
        before,
        "nothing more for a departing client"
    );

    // And alice, who has not seen the leave, commits: the hub refuses the commit that leaves it
    // out, she catches up and commits again with it
    let mut events = alice.subscribe();
    alice
        .room(&room)
        .invite(&["dave".into()])
        .await
        .expect("the invite goes through on the second try");
    let mut retried = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(e, ClientEvent::Retried { .. }) {
            retried += 1;
        }
    }
    assert!(
        retried >= 1,
        "the first commit was refused for leaving out the leave"
    );
    settle(&[&alice, &carol]).await;
    let members: Vec<String> = carol
        .room(&room)
        .members()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.user)
        .collect();
    assert!(
        !members.iter().any(|m| m.ends_with("/u/bob")),
        "bob is out: {members:?}"
    );
    assert!(members.iter().any(|m| m.ends_with("/u/dave")), "dave is in");
    // The commit that removes bob is the one thing he got after leaving.
    assert_eq!(hub.queued_for(bob.client_uri()), before + 1);
    println!(
        "pending proposals: 1 leave, 1 commit refused for leaving it out, bob got {} entry after leaving",
        hub.queued_for(bob.client_uri()) - before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_after_a_held_leave_names_the_right_member() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    let dave = hub.user("dave").await;
    // Listed in this order: alice, bob, carol, dave.
    let room = alice
        .room_with(
            "shifting",
            mimi::policy::Preset::Moderated,
            &[&bob, &carol, &dave],
        )
        .await;
    settle(&[&alice, &bob, &carol, &dave]).await;
    let dave_before = alice.role_of(&room, &dave).await;

    // When bob leaves, and alice, before she has seen it, makes carol a moderator
    bob.room(&room).leave().await.expect("leave");
    alice
        .room(&room)
        .set_role("carol", "moderator")
        .await
        .expect("set role");

    // Then bob's leave was committed first and carol, not whoever took her place in the list,
    // got the role
    settle(&[&alice, &carol, &dave]).await;
    assert_eq!(alice.role_of(&room, &carol).await, "moderator");
    assert_eq!(
        dave.role_of(&room, &dave).await,
        dave_before,
        "dave unchanged"
    );
    assert_eq!(carol.role_of(&room, &bob).await, "not listed");
}
