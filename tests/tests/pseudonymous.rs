//! Pseudonymous rooms (PROTO §6.1, MIMIMI -01): the hub sees only pseudonyms, yet every member
//! resolves every other member to the real user behind the pseudonym; moderation, mute and
//! reports work on pseudonyms. The privacy story scans the hub's whole database and its logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use conclave_client::Error;
use conclave_e2e::{TestClient, TestHub, settle};
use mimi::policy::Preset;
use mimi::uri::RoomUri;

/// Connects `a` with each of `others` (a asks, each accepts).
async fn connect(a: &TestClient, others: &[&TestClient]) {
    for o in others {
        a.connect(o.user().local()).await.expect("connect");
    }
    let mut all = vec![a];
    all.extend_from_slice(others);
    settle(&all).await;
    for o in others {
        o.accept_connection(a.user().local()).await.expect("accept");
    }
    settle(&all).await;
}

/// alice, bob and carol, all connected to alice, in alice's pseudonymous room.
async fn pseudonymous_room(
    hub: &TestHub,
    preset: Preset,
) -> (TestClient, TestClient, TestClient, RoomUri) {
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    connect(&alice, &[&bob, &carol]).await;
    let room = alice
        .create_room_opts("Hideout", preset, true)
        .await
        .expect("create a pseudonymous room");
    // In a moderated room, speakers may talk (attendees only listen).
    let role = (preset == Preset::Moderated).then_some("speaker");
    alice
        .room(&room)
        .invite_as(&["bob".into(), "carol".into()], role)
        .await
        .expect("invite connected users");
    bob.wait_for_room(&room).await;
    carol.wait_for_room(&room).await;
    settle(&[&alice, &bob, &carol]).await;
    (alice, bob, carol, room)
}

/// The listed pseudonym of `real` as `viewer` resolves it.
async fn pseudonym_of(viewer: &TestClient, room: &RoomUri, real: &TestClient) -> String {
    viewer
        .room(room)
        .members()
        .await
        .expect("members")
        .into_iter()
        .find(|m| m.real_user.as_deref() == Some(&real.user().to_string()))
        .unwrap_or_else(|| panic!("{} does not resolve {}", viewer.user(), real.user()))
        .user
}

#[tokio::test]
async fn every_member_resolves_every_pseudonym_to_its_real_user() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = pseudonymous_room(&hub, Preset::Cooperative).await;
    let reals = [&alice, &bob, &carol].map(|c| c.user().to_string());
    let mut seen = Vec::new();
    for viewer in [&alice, &bob, &carol] {
        let members = viewer.room(&room).members().await.expect("members");
        assert_eq!(members.len(), 3, "{members:?}");
        for m in &members {
            assert!(
                !reals.contains(&m.user),
                "{} lists a real user URI: {m:?}",
                viewer.user()
            );
            assert!(m.user.starts_with("mimi://localhost/u/"), "{m:?}");
            assert_eq!(m.verified, Some(true), "{m:?}");
            assert_eq!(m.clients.len(), 1, "{m:?}");
            assert!(!m.clients[0].contains(viewer.client_uri().local()));
        }
        let mut resolved: Vec<String> =
            members.iter().filter_map(|m| m.real_user.clone()).collect();
        resolved.sort();
        let mut want = reals.to_vec();
        want.sort();
        assert_eq!(resolved, want, "as {} sees it", viewer.user());
        let mut pairs: Vec<(String, String)> = members
            .into_iter()
            .map(|m| (m.user, m.real_user.unwrap_or_default()))
            .collect();
        pairs.sort();
        seen.push(pairs);
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "all three see the same pseudonyms for the same people: {seen:?}"
    );

    // The room list says it is pseudonymous.
    for c in [&alice, &bob, &carol] {
        let rooms = c.rooms().await.unwrap();
        let r = rooms.iter().find(|r| r.uri == room.to_string()).unwrap();
        assert!(
            r.pseudonymous && r.preset.as_deref() == Some("cooperative"),
            "{r:?}"
        );
    }
    // Messages carry the pseudonym as sender, and their franks verify.
    bob.room(&room)
        .send_text("hello from behind a mask")
        .await
        .expect("send");
    let got = carol.wait_for_messages(&room, 1).await;
    let bob_p = pseudonym_of(&carol, &room, &bob).await;
    assert_eq!(got[0].sender, bob_p);
    assert!(
        got[0].verified,
        "the frank verifies for a pseudonymous sender"
    );
    assert_eq!(got[0].text.as_deref(), Some("hello from behind a mask"));
}

#[tokio::test]
async fn only_connected_users_can_be_added_and_rooms_keep_their_kind() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let dave = hub.user("dave").await;
    // Dave consents to being added by alice, and is not connected with her: consent is enough
    // for a plain room, not for a pseudonymous one.
    dave.grant_consent(&alice.user().to_string(), None)
        .await
        .expect("grant consent");
    settle(&[&alice, &dave]).await;
    let room = alice
        .create_room_opts("Hideout", Preset::Cooperative, true)
        .await
        .expect("create");
    let err = alice
        .room(&room)
        .invite(&["dave".into()])
        .await
        .expect_err("dave is not connected");
    assert!(
        matches!(&err, Error::Usage(m) if m.contains("connect with mimi://localhost/u/dave first")),
        "{err}"
    );
    // A plain room still takes dave by his real name, and lists him so.
    let plain = alice.create_room("Plain").await.expect("create");
    alice
        .room(&plain)
        .invite(&["dave".into()])
        .await
        .expect("invite");
    dave.wait_for_room(&plain).await;
    let members = dave.room(&plain).members().await.expect("members");
    assert!(members.iter().all(|m| m.verified.is_none()));
    assert!(members.iter().any(|m| m.user == "mimi://localhost/u/dave"));
    // The switch is fixed for the room's lifetime.
    let mut base = alice.room(&room).policy_state().await.unwrap().base;
    base.pseudonyms_allowed = false;
    let err = alice
        .room(&room)
        .can(&mimi::policy::Action::UpdateBasePolicy(base))
        .await
        .unwrap();
    assert!(
        matches!(
            err,
            mimi::policy::Decision::Denied {
                rule: "pseudonyms_allowed",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn moderation_mute_and_reports_work_on_pseudonyms() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = pseudonymous_room(&hub, Preset::Moderated).await;
    let bob_p = pseudonym_of(&alice, &room, &bob).await;

    // alice mutes bob by his real name: the client finds his pseudonym.
    alice.room(&room).mute("bob").await.expect("mute");
    settle(&[&alice, &bob, &carol]).await;
    let me = bob.room(&room).me_in().await.expect("me");
    assert!(
        !me.capabilities.contains(&"canSendMessage".to_owned()),
        "{me:?}"
    );
    let err = bob
        .room(&room)
        .send_text("let me speak")
        .await
        .expect_err("muted");
    assert!(matches!(err, Error::NotAllowed { .. }), "{err}");
    alice
        .room(&room)
        .unmute(&bob_p, None)
        .await
        .expect("unmute by pseudonym");
    settle(&[&alice, &bob, &carol]).await;
    let id = bob
        .room(&room)
        .send_text("buy cheap pills")
        .await
        .expect("send");
    carol.wait_for_messages(&room, 1).await;

    // carol reports it; the hub verifies the frank and files it against bob's pseudonym.
    carol
        .room(&room)
        .report(&[id], Some("spam"), None)
        .await
        .expect("report");
    let conn = conclave_hub::store::open(&hub.db_path()).unwrap();
    let filed = conclave_hub::reports::list(&conn).unwrap();
    assert_eq!(filed.len(), 1);
    assert!(filed[0].verified);
    assert_eq!(filed[0].alleged_abuser, bob_p);
    assert_eq!(filed[0].reporter, pseudonym_of(&alice, &room, &carol).await);

    // Upholding it makes the hub remove bob's (pseudonymous) clients: it acts on the pseudonym
    // without knowing who is behind it.
    drop(conn);
    let mut conn = conclave_hub::store::open(&hub.db_path()).unwrap();
    conclave_hub::reports::resolve(&conn, filed[0].id, true).expect("uphold");
    let n =
        conclave_hub::enforce::remove_user(&mut conn, hub.data_dir(), &room.to_string(), &bob_p)
            .expect("remove");
    assert_eq!(n, 1);
    drop(conn);
    settle(&[&alice, &carol, &bob]).await;
    bob.wait_until_out_of(&room).await;

    // Receive revocation on a pseudonym: carol is suspended, the hub withholds from her
    // pseudonymous client by its own count.
    alice.room(&room).suspend("carol").await.expect("suspend");
    settle(&[&alice, &carol]).await;
    let carol_client = alice
        .room(&room)
        .members()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.real_user.as_deref() == Some("mimi://localhost/u/carol"))
        .map(|m| mimi::uri::ClientUri::parse(&m.clients[0]).unwrap())
        .unwrap();
    alice
        .room(&room)
        .send_text("not for carol")
        .await
        .expect("send");
    settle(&[&alice, &carol]).await;
    assert_eq!(hub.withheld(&room, &carol_client), 1);
    assert!(
        carol
            .texts(&room)
            .await
            .iter()
            .all(|m| m.text.as_deref() != Some("not for carol"))
    );

    // And alice bans the pseudonym; carol sees the ban in the room's history.
    alice.room(&room).ban(&bob_p).await.expect("ban");
    settle(&[&alice, &carol]).await;
    let listed = carol.room(&room).members().await.unwrap();
    let bob_row = listed
        .iter()
        .find(|m| m.user == bob_p)
        .expect("bob stays listed");
    assert_eq!(bob_row.role, "banned");
}

/// A tracing writer that keeps every line the hub logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The ways a string can sit in a SQLite value: as text or bytes, or as the numbers of a JSON
/// byte array (how the OpenMLS store serialises byte vectors).
fn spellings(s: &str) -> Vec<Vec<u8>> {
    let numbers = s
        .bytes()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(",");
    vec![s.as_bytes().to_vec(), numbers.into_bytes()]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn the_hub_keeps_and_logs_nothing_that_names_the_real_users_of_a_pseudonymous_room() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .with_env_filter("conclave_hub=trace,tower_http=trace")
        .with_writer(logs.clone())
        .with_ansi(false)
        .try_init()
        .expect("the only subscriber of this test binary's process");
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = pseudonymous_room(&hub, Preset::Moderated).await;
    let bob_p = pseudonym_of(&alice, &room, &bob).await;

    // The story: messages, a role change, a report.
    let id = bob.room(&room).send_text("first").await.expect("send");
    carol.room(&room).send_text("second").await.expect("send");
    alice.room(&room).send_text("third").await.expect("send");
    carol.wait_for_messages(&room, 3).await;
    alice
        .room(&room)
        .set_role(&bob_p, "moderator")
        .await
        .expect("role");
    settle(&[&alice, &bob, &carol]).await;
    carol
        .room(&room)
        .report(&[id], Some("spam"), Some("a note"))
        .await
        .expect("report");
    settle(&[&alice, &bob, &carol]).await;

    let found = scan(&hub, &logs, &alice, &room, &[&alice, &bob, &carol]).await;
    assert!(
        found.rows_about_room >= 10,
        "the scan found the room's rows: {found:?}"
    );
    assert!(
        found.lines_about_room >= 10,
        "the hub logged the room's requests: {found:?}"
    );
    assert!(found.leaks.is_empty(), "{:#?}", found.leaks);

    // The same scan of an ordinary room finds the real users at once: it can see a leak.
    let plain = alice.create_room("Plain").await.expect("create");
    alice
        .room(&plain)
        .invite(&["bob".into()])
        .await
        .expect("invite");
    bob.wait_for_room(&plain).await;
    bob.room(&plain).send_text("hi").await.expect("send");
    let control = scan(&hub, &logs, &alice, &plain, &[&alice, &bob]).await;
    assert!(
        control
            .leaks
            .iter()
            .any(|l| l.contains("mimi://localhost/u/bob")),
        "{control:?}"
    );
}

#[derive(Debug)]
struct Scan {
    rows_about_room: usize,
    lines_about_room: usize,
    leaks: Vec<String>,
}

/// Every row of every table of the hub's database and every line it logged that names `room`
/// (its URI or id, or any of its members and clients as `viewer` lists them) and also names a
/// real user or client of `people`.
async fn scan(
    hub: &TestHub,
    logs: &Captured,
    viewer: &TestClient,
    room: &RoomUri,
    people: &[&TestClient],
) -> Scan {
    let mut room_marks = vec![room.to_string(), room.local().to_owned()];
    for m in viewer.room(room).members().await.unwrap() {
        if !people.iter().any(|p| p.user().to_string() == m.user) {
            room_marks.push(m.user.clone());
            room_marks.extend(m.clients.iter().cloned());
        }
    }
    let mut real_marks = Vec::new();
    for c in people {
        real_marks.push(c.user().to_string());
        real_marks.push(c.client_uri().to_string());
        real_marks.push(c.client_uri().local().to_owned());
    }
    let room_needles: Vec<Vec<u8>> = room_marks.iter().flat_map(|m| spellings(m)).collect();
    let real_needles: Vec<(String, Vec<u8>)> = real_marks
        .iter()
        .flat_map(|m| spellings(m).into_iter().map(move |s| (m.clone(), s)))
        .collect();
    let mut found = Scan {
        rows_about_room: 0,
        lines_about_room: 0,
        leaks: Vec::new(),
    };

    for (table, cells) in hub.all_rows() {
        let bytes = cells.join(&0u8);
        if !room_needles.iter().any(|n| contains(&bytes, n)) {
            continue;
        }
        found.rows_about_room += 1;
        for (what, needle) in &real_needles {
            if contains(&bytes, needle) {
                found
                    .leaks
                    .push(format!("a row of {table} about the room names {what}"));
            }
        }
    }

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    for line in text.lines() {
        if !room_marks.iter().any(|m| line.contains(m.as_str())) {
            continue;
        }
        found.lines_about_room += 1;
        for m in &real_marks {
            if line.contains(m.as_str()) {
                found
                    .leaks
                    .push(format!("a hub log line about the room names {m}: {line}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn a_users_devices_share_one_pseudonym_and_a_linked_device_gets_the_users_keys() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    connect(&alice, &[&bob]).await;
    // The link code carries bob's connection keys to the new device, sealed under its second
    // half, which the hub never sees.
    let bob2 = hub.link_device(&bob).await;
    settle(&[&alice, &bob, &bob2]).await;
    let state = |v: Vec<conclave_client::connections::ConnectionInfo>| {
        v.into_iter().map(|c| (c.user, c.state)).collect::<Vec<_>>()
    };
    assert_eq!(
        state(bob2.connections().await.unwrap()),
        [(
            "mimi://localhost/u/alice".to_owned(),
            "connected".to_owned()
        )]
    );

    let room = alice
        .create_room_opts("Hideout", Preset::Cooperative, true)
        .await
        .unwrap();
    alice
        .room(&room)
        .invite(&["bob".into()])
        .await
        .expect("invite");
    bob.wait_for_room(&room).await;
    bob2.wait_for_room(&room).await;
    settle(&[&alice, &bob, &bob2]).await;
    for viewer in [&alice, &bob, &bob2] {
        let members = viewer.room(&room).members().await.unwrap();
        let b = members
            .iter()
            .find(|m| m.real_user.as_deref() == Some("mimi://localhost/u/bob"))
            .unwrap_or_else(|| panic!("{} resolves bob: {members:?}", viewer.client_uri()));
        assert_eq!(
            b.clients.len(),
            2,
            "one user pseudonym for both devices: {b:?}"
        );
        assert_eq!(b.verified, Some(true));
    }
    bob2.room(&room)
        .send_text("from the phone")
        .await
        .expect("send");
    let got = alice.wait_for_messages(&room, 1).await;
    assert_eq!(got[0].sender, pseudonym_of(&alice, &room, &bob).await);
}

#[tokio::test]
async fn a_device_linked_later_joins_the_users_pseudonymous_rooms_under_the_users_pseudonym() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = pseudonymous_room(&hub, Preset::Cooperative).await;
    let alice_pseudonym = pseudonym_of(&bob, &room, &alice).await;

    // When alice links a new device after the room was made
    let phone = hub.link_device(&alice).await;
    // Then her first device adds it at its next sync, as a client pseudonym of her pseudonym
    settle(&[&alice, &phone, &bob, &carol]).await;
    phone.wait_for_room(&room).await;
    settle(&[&alice, &phone, &bob, &carol]).await;
    let joined = phone.rooms().await.unwrap();
    assert!(
        joined
            .iter()
            .any(|r| r.uri == room.to_string() && r.pseudonymous),
        "{joined:?}"
    );
    // And every member, the new device too, resolves both of alice's leaves to her, verified
    for viewer in [&alice, &phone, &bob, &carol] {
        let members = viewer.room(&room).members().await.unwrap();
        let a = members
            .iter()
            .find(|m| m.real_user.as_deref() == Some(&alice.user().to_string()))
            .unwrap_or_else(|| panic!("{} resolves alice: {members:?}", viewer.client_uri()));
        assert_eq!(a.user, alice_pseudonym, "the same user pseudonym");
        assert_eq!(a.clients.len(), 2, "{a:?}");
        assert!(
            !a.clients.contains(&phone.client_uri().to_string()),
            "the room lists a pseudonym, not the device: {a:?}"
        );
        assert_eq!(a.verified, Some(true), "{a:?}");
    }
    // And it speaks there as alice's pseudonym
    phone.room(&room).send_text("from the phone").await.unwrap();
    let got = bob.wait_for_messages(&room, 1).await;
    assert_eq!(got[0].sender, alice_pseudonym);
    assert_eq!(got[0].text.as_deref(), Some("from the phone"));
}

#[tokio::test]
async fn a_link_code_with_a_wrong_secret_or_without_its_secret_half_is_refused() {
    let hub = TestHub::spawn().await;
    let _alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let (code, _) = bob.link_code().await.unwrap();
    assert_eq!(
        code.len(),
        35,
        "XXXXX-XXXXX and four groups of the secret: {code}"
    );
    // The hub keeps only sealed bytes with the first half's hash.
    let conn = rusqlite::Connection::open(hub.db_path()).unwrap();
    let sealed: Vec<u8> = conn
        .query_row("SELECT device_keys FROM link_codes", [], |r| r.get(0))
        .unwrap();
    let keystore: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bob.data_dir().join("keystore.json")).unwrap())
            .unwrap();
    use base64::Engine as _;
    let ck = base64::engine::general_purpose::STANDARD
        .decode(keystore["connection_key"].as_str().unwrap())
        .unwrap();
    assert!(!sealed.windows(ck.len()).any(|w| w == ck));
    assert!(!String::from_utf8_lossy(&sealed).contains(&hex::encode(&ck)));

    let wrong = format!("{}ZZZZZ", &code[..30]);
    let dir = tempfile::tempdir().unwrap();
    let err = conclave_client::Client::register(
        dir.path(),
        &hub.url(),
        "bob",
        Some(&wrong),
        &conclave_e2e::options(),
    )
    .await
    .err()
    .expect("a wrong secret");
    assert!(
        matches!(&err, Error::Usage(m) if m.contains("do not open")),
        "{err}"
    );

    // The first half alone links no device: without the secret half there is no user key, so
    // no device its user's members would accept.
    let (code, _) = bob.link_code().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = conclave_client::Client::register(
        dir.path(),
        &hub.url(),
        "bob",
        Some(&code[..11]),
        &conclave_e2e::options(),
    )
    .await
    .err()
    .expect("a short code");
    assert!(
        matches!(&err, Error::Usage(m) if m.contains("type it in full")),
        "{err}"
    );
    let devices = bob.devices().await.unwrap();
    assert_eq!(
        devices.iter().filter(|d| !d.removed).count(),
        1,
        "the device that failed to open the keys withdrew itself: {devices:?}"
    );
}

#[tokio::test]
async fn a_tampered_identity_link_shows_unverified_with_the_reason() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = pseudonymous_room(&hub, Preset::Cooperative).await;
    let dave = hub.user("dave").await;
    connect(&alice, &[&dave]).await;
    // The hub (or whoever tampers with its store) serves carol's wrapped key for bob's leaf.
    let members = alice.room(&room).members().await.unwrap();
    let client_of = |real: &TestClient| {
        members
            .iter()
            .find(|m| m.real_user.as_deref() == Some(&real.user().to_string()))
            .map(|m| m.clients[0].clone())
            .unwrap()
    };
    let (bob_c, carol_c) = (client_of(&bob), client_of(&carol));
    let conn = rusqlite::Connection::open(hub.db_path()).unwrap();
    let carols: Vec<u8> = conn
        .query_row(
            "SELECT wrapped FROM identity_links WHERE room_uri = ?1 AND client_uri = ?2",
            [room.to_string(), carol_c],
            |r| r.get(0),
        )
        .unwrap();
    let n = conn
        .execute(
            "UPDATE identity_links SET wrapped = ?3 WHERE room_uri = ?1 AND client_uri = ?2",
            rusqlite::params![room.to_string(), bob_c, carols],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    // dave joins and fetches the wrapped keys from the hub: bob's does not open for bob's leaf.
    alice
        .room(&room)
        .invite(&["dave".into()])
        .await
        .expect("invite");
    dave.wait_for_room(&room).await;
    let seen = dave.room(&room).members().await.unwrap();
    let bob_row = seen
        .iter()
        .find(|m| m.clients.contains(&bob_c))
        .expect("bob's pseudonym is listed");
    assert_eq!(bob_row.verified, Some(false), "{bob_row:?}");
    assert_eq!(bob_row.real_user, None);
    assert_eq!(
        bob_row.reason_code.as_deref(),
        Some("identity_link_key_unavailable"),
        "{bob_row:?}"
    );
    assert!(bob_row.reason.as_deref().is_some_and(|r| !r.is_empty()));
    // Everyone else still resolves, and alice (who kept the keys from the commits) is unaffected.
    assert_eq!(seen.iter().filter(|m| m.verified == Some(true)).count(), 3);
    assert!(
        alice
            .room(&room)
            .members()
            .await
            .unwrap()
            .iter()
            .all(|m| m.verified == Some(true))
    );
}

#[tokio::test]
async fn a_pseudonym_the_hub_does_not_know_neither_breaks_sync_nor_lingers() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    settle(&[&alice]).await;
    // As if a sync had been dropped between saving a pseudonym and the hub accepting it, and a
    // pseudonym whose token the hub lost.
    let conn = conclave_e2e::client_db(alice.data_dir());
    // "dropped": never registered; "lost": registered, in no room, unknown to the hub (its set
    // was withdrawn); "gone": unknown to the hub but in a room (kept, and reported).
    for (client, registered, room) in [
        ("dropped", 0, None),
        ("lost", 1, None),
        ("gone", 1, Some("mimi://localhost/r/elsewhere")),
    ] {
        conn.execute(
            "INSERT INTO pseudonyms (client_uri, user_uri, credential, token, signature_key, registered, room_uri, created_at)
             VALUES (?1, 'mimi://localhost/u/x', x'', ?2, x'00', ?3, ?4, 0)",
            rusqlite::params![
                format!("mimi://localhost/d/{client}"),
                format!("{client}-token-{}", "0".repeat(32)),
                registered,
                room
            ],
        )
        .unwrap();
    }
    drop(conn);
    let count = || {
        let conn = conclave_e2e::client_db(alice.data_dir());
        conn.query_row(
            "SELECT COUNT(*) FROM pseudonyms WHERE client_uri IN ('mimi://localhost/d/dropped', 'mimi://localhost/d/lost', 'mimi://localhost/d/gone')",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    };
    assert_eq!(count(), 3);
    let mut events = alice.subscribe();
    let report = alice
        .sync()
        .await
        .expect("a bad pseudonym does not fail the sync");
    assert!(report.dropped >= 1, "{report:?}");
    let mut said = false;
    while let Ok(e) = events.try_recv() {
        if let conclave_client::ClientEvent::Dropped { reason, .. } = e {
            said |= reason.contains("mimi://localhost/d/gone");
        }
    }
    assert!(said, "the failure is reported as an event");
    // The unregistered one and the lost one are forgotten; the one in a room stays.
    assert_eq!(count(), 1);
    // A long-poll naming tokens the hub does not know still waits on its own queue.
    alice
        .sync_waiting(std::time::Duration::from_secs(1))
        .await
        .expect("unknown wake-on tokens do not fail the long-poll");
    // Rooms still work.
    let room = alice.create_room("Still fine").await.expect("create");
    alice.room(&room).send_text("hi").await.expect("send");
}
