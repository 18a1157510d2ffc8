//! Joiners check what they join (SECURITY.md): a Welcome whose tree is not its group's, a Welcome
//! filed under another room, and a room that is not the one the hub follows at that epoch are
//! each refused: the joiner stays out, says why, and its sync goes on. The hub's part is played
//! by editing its rows, as a hub that lies would serve them.

use conclave_e2e::{TestClient, TestHub, introduce, settle};
use mimi::uri::RoomUri;
use mimi::wire::{FanoutExtra, FanoutMessage, decode, encode};

/// The Welcome waiting in `client`'s queue at the hub: its row's sequence number and message.
fn welcome_for(hub: &TestHub, client: &TestClient) -> (i64, FanoutMessage) {
    let conn = rusqlite::Connection::open(hub.db_path()).expect("hub db");
    let mut st = conn
        .prepare(
            "SELECT q.seq, COALESCE(b.data, q.data) FROM queue q
             LEFT JOIN queue_blobs b ON b.id = q.blob_id
             WHERE q.client_uri = ?1 AND q.kind = 'fanout' ORDER BY q.seq",
        )
        .expect("prepare");
    let rows: Vec<(i64, Vec<u8>)> = st
        .query_map([client.client_uri().to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    rows.into_iter()
        .map(|(seq, data)| {
            (
                seq,
                decode::<FanoutMessage>(&data, "FanoutMessage").expect("fanout"),
            )
        })
        .find(|(_, f)| matches!(f.extra, FanoutExtra::Welcome { .. }))
        .expect("a Welcome waits")
}

fn replace_entry(hub: &TestHub, client: &TestClient, seq: i64, room: &str, f: &FanoutMessage) {
    let conn = rusqlite::Connection::open(hub.db_path()).expect("hub db");
    conn.execute(
        "UPDATE queue SET data = ?3, blob_id = NULL, room_uri = ?4 WHERE client_uri = ?1 AND seq = ?2",
        rusqlite::params![client.client_uri().to_string(), seq, encode(f), room],
    )
    .expect("update");
}

fn unreadable(c: &TestClient) -> Vec<String> {
    let conn = conclave_e2e::client_db(c.data_dir());
    let mut st = conn
        .prepare("SELECT reason FROM unreadable_entries ORDER BY seq")
        .expect("prepare");
    st.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

async fn two_rooms(hub: &TestHub) -> (TestClient, TestClient, RoomUri, RoomUri) {
    let alice = hub.user("alice").await;
    let carol = hub.user("carol").await;
    introduce(&[&alice, &carol]).await;
    let one = alice.create_room("one").await.unwrap();
    let two = alice.create_room("two").await.unwrap();
    alice.room(&one).invite(&["carol".into()]).await.unwrap();
    (alice, carol, one, two)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_welcome_with_another_groups_tree_is_refused() {
    let hub = TestHub::spawn().await;
    let (alice, carol, one, two) = two_rooms(&hub).await;
    let (seq_one, mut welcome) = welcome_for(&hub, &carol);
    // A tree from another room's Welcome: well formed, and not this group's.
    let bob = hub.user("bob").await;
    introduce(&[&alice, &bob]).await;
    alice.room(&two).invite(&["bob".into()]).await.unwrap();
    let (_, other) = welcome_for(&hub, &bob);
    let FanoutExtra::Welcome { ratchet_tree } = other.extra else {
        unreachable!()
    };
    welcome.extra = FanoutExtra::Welcome { ratchet_tree };
    replace_entry(&hub, &carol, seq_one, &one.to_string(), &welcome);

    carol.sync().await.expect("the sync goes on");
    assert!(
        carol.rooms().await.unwrap().is_empty(),
        "carol joined nothing"
    );
    let why = unreadable(&carol);
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(why[0].contains("cannot join"), "{why:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_welcome_filed_under_another_room_is_refused() {
    let hub = TestHub::spawn().await;
    let (_alice, carol, _one, two) = two_rooms(&hub).await;
    let (seq, welcome) = welcome_for(&hub, &carol);
    replace_entry(&hub, &carol, seq, &two.to_string(), &welcome);

    carol.sync().await.expect("the sync goes on");
    assert!(
        carol.rooms().await.unwrap().is_empty(),
        "carol joined nothing"
    );
    let why = unreadable(&carol);
    assert!(
        why.iter()
            .any(|w| w.contains("not for the room its entry names")),
        "{why:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_that_is_not_the_one_the_hub_follows_is_left_at_once() {
    let hub = TestHub::spawn().await;
    let (alice, carol, one, two) = two_rooms(&hub).await;
    settle(&[&alice]).await;
    // The hub serves, as room one's GroupInfo at carol's epoch, room two's: what the joiner
    // sees if the inviter showed her another group than the one the hub follows.
    {
        let conn = rusqlite::Connection::open(hub.db_path()).expect("hub db");
        let other: Vec<u8> = conn
            .query_row(
                "SELECT group_info FROM group_infos WHERE room_uri = ?1 ORDER BY epoch DESC LIMIT 1",
                [two.to_string()],
                |r| r.get(0),
            )
            .expect("room two's GroupInfo");
        conn.execute(
            "UPDATE group_infos SET group_info = ?2 WHERE room_uri = ?1",
            rusqlite::params![one.to_string(), other],
        )
        .expect("swap");
    }
    let mut events = carol.subscribe();

    carol.sync().await.expect("the sync goes on");
    assert!(
        carol.rooms().await.unwrap().is_empty(),
        "carol left it again"
    );
    let mut refused = false;
    while let Ok(e) = events.try_recv() {
        if let conclave_client::ClientEvent::Dropped { reason, .. } = e {
            refused |= reason.contains("not the room the hub follows");
        }
    }
    assert!(refused, "carol was told why");
}

/// Every event `rx` holds now.
fn drained(rx: &mut tokio::sync::broadcast::Receiver<conclave_client::ClientEvent>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let conclave_client::ClientEvent::Dropped { reason, .. } = e {
            out.push(reason);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_welcome_from_a_member_whose_role_may_not_add_is_refused_by_the_joiner() {
    // A hub whose policy checks are off lets through what the policy forbids.
    let hub = TestHub::spawn_without_policy_checks().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let dave = hub.user("dave").await;
    introduce(&[&alice, &bob, &dave]).await;
    let room = alice
        .create_room_with("Town hall", mimi::policy::Preset::Moderated)
        .await
        .unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;

    // When bob, an attendee (who adds no one), adds dave anyway, skipping his own checks
    bob.set_skip_local_policy_check(true);
    bob.room(&room)
        .invite_as(&["dave".into()], Some("attendee"))
        .await
        .expect("the hub lets it through");

    // Then dave does not join, and says who may not have added him
    let mut events = dave.subscribe();
    dave.sync().await.expect("the sync goes on");
    let reasons = drained(&mut events);
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("refused to join") && r.contains("canAddParticipant")),
        "{reasons:?}"
    );
    assert!(dave.rooms().await.unwrap().is_empty());
    // And a Welcome from someone who may add (alice) is taken as before
    bob.set_skip_local_policy_check(false);
    let other = alice.create_room("other").await.unwrap();
    alice.room(&other).invite(&["dave".into()]).await.unwrap();
    dave.wait_for_room(&other).await;
}
