//! No poison entries (RELIABILITY.md): a queue entry a client can never use is recorded, shown
//! as "a message could not be read" and acknowledged, so the next ones arrive; a local, passing
//! failure (the client's database locked) stops the sync without acknowledging anything, and
//! the next sync catches up with nothing lost or doubled.

use conclave_e2e::{TestHub, introduce, settle};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_entry_is_recorded_acknowledged_and_the_sync_goes_on() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let room = alice.create_room("poison").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;
    settle(&[&alice, &bob]).await;

    // When bob's queue holds an entry no client can read, then a real message
    {
        let conn = conclave_hub::store::open(&hub.db_path()).expect("hub db");
        conclave_hub::store::queue::enqueue_shared(
            &conn,
            [bob.client_uri().to_string().as_str()],
            "fanout",
            Some(&room.to_string()),
            b"\x00\x01 not a FanoutMessage",
        )
        .expect("enqueue");
    }
    alice
        .room(&room)
        .send_text("after the bad one")
        .await
        .unwrap();

    // Then bob reads the real message, his timeline says one could not be read, the bad entry
    // is kept for diagnosis, and nothing waits in his queue any more
    let got = bob.wait_for_messages(&room, 1).await;
    assert_eq!(got[0].text.as_deref(), Some("after the bad one"));
    settle(&[&alice, &bob]).await;
    let history = bob.history(&room).await;
    assert!(
        history.iter().any(|h| h.contains("could not be read")),
        "bob's timeline shows it: {history:?}"
    );
    let kept: (i64, Vec<u8>) = conclave_e2e::client_db(bob.data_dir())
        .query_row(
            "SELECT COUNT(*), MAX(data) FROM unreadable_entries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("unreadable");
    assert_eq!(kept.0, 1);
    assert_eq!(kept.1, b"\x00\x01 not a FanoutMessage");
    assert_eq!(hub.queued_for(bob.client_uri()), 0, "acknowledged");
    println!(
        "poison entries: 1 unreadable recorded and acknowledged, {} message delivered after it",
        got.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_stops_the_sync_unacknowledged_and_the_next_sync_catches_up() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    let room = alice.create_room("busy").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;
    settle(&[&alice, &bob]).await;
    alice
        .room(&room)
        .send_text("while bob is busy")
        .await
        .unwrap();

    // When another process holds bob's database for writing while he syncs
    let lock = conclave_e2e::client_db(bob.data_dir());
    lock.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let failed = bob.sync().await;

    // Then the sync fails with a passing error and the entry still waits at the hub
    let err = failed.expect_err("the store is locked");
    assert!(err.is_temporary(), "a passing failure: {err}");
    assert!(hub.queued_for(bob.client_uri()) >= 1, "not acknowledged");

    // And once the lock is gone the next sync delivers it, once
    lock.execute_batch("ROLLBACK").expect("unlock");
    drop(lock);
    let got = bob.wait_for_messages(&room, 1).await;
    settle(&[&alice, &bob]).await;
    let texts = bob.texts(&room).await;
    assert_eq!(texts.len(), 1, "delivered once");
    assert_eq!(got[0].text.as_deref(), Some("while bob is busy"));
    assert_eq!(hub.queued_for(bob.client_uri()), 0);
    println!("locked store: 1 sent, 0 acknowledged while locked, 1 delivered after, 0 doubled");
}
