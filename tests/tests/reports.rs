//! One-click abuse reports with franking proofs (PROTO §5.4.1, §5.9).

use conclave_client::Error;
use conclave_e2e::{TestClient, TestHub, settle};
use conclave_hub::franking_keys::FrankingKeys;
use conclave_hub::reports;
use mimi::franking::AbusiveMessage;
use mimi::policy::Preset;
use mimi::uri::RoomUri;

async fn room(hub: &TestHub, preset: Preset) -> (TestClient, TestClient, TestClient, RoomUri) {
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    let room = alice.room_with("Lounge", preset, &[&bob, &carol]).await;
    (alice, bob, carol, room)
}

/// What alice stored of a message: the exact content bytes, the Frank and the timestamp.
fn stored(client: &TestClient, room: &RoomUri, id: &str) -> AbusiveMessage {
    let conn = conclave_e2e::client_db(client.data_dir());
    let (content, frank, ts): (Vec<u8>, Vec<u8>, i64) = conn
        .query_row(
            "SELECT content, frank, timestamp FROM messages WHERE room_uri = ?1 AND id = ?2",
            rusqlite::params![room.to_string(), hex::decode(id).unwrap()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    AbusiveMessage {
        message_content: content.into(),
        frank: mimi::wire::decode(&frank, "Frank").unwrap(),
        accepted_timestamp: ts as u64,
    }
}

fn hub_reports(hub: &TestHub) -> Vec<reports::Report> {
    let conn = conclave_hub::store::open(&hub.db_path()).unwrap();
    reports::list(&conn).unwrap()
}

fn franking_key(hub: &TestHub, room: &RoomUri) -> Vec<u8> {
    let conn = rusqlite::Connection::open(hub.db_path()).unwrap();
    conn.query_row(
        "SELECT franking_key FROM rooms WHERE uri = ?1",
        [room.to_string()],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test]
async fn a_genuine_report_is_filed_verified_with_the_exact_text_and_can_be_upheld() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = room(&hub, Preset::Cooperative).await;
    let text = "you will regret this 🙂";
    let id = bob.room(&room).send_text(text).await.unwrap();
    let got = alice.wait_for_messages(&room, 1).await;
    assert!(got[0].verified, "alice verified the hub's frank");

    let report = alice
        .room(&room)
        .report(
            std::slice::from_ref(&id),
            Some("threat"),
            Some("third time this week"),
        )
        .await
        .unwrap();
    let filed = hub_reports(&hub);
    assert_eq!(filed.len(), 1);
    let r = &filed[0];
    assert_eq!(r.id, report);
    // "My reports": alice's client keeps what the hub accepted.
    let mine = alice.my_reports().await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].id, mine[0].room.as_str(), mine[0].abuser.as_str()),
        (report, room.to_string().as_str(), "mimi://localhost/u/bob")
    );
    assert_eq!(mine[0].message_ids, std::slice::from_ref(&id));
    assert_eq!(
        (mine[0].reason.as_str(), mine[0].note.as_str()),
        ("threat", "third time this week")
    );
    assert!(carol.my_reports().await.unwrap().is_empty());
    assert!(r.verified);
    assert_eq!(r.messages[0].text.as_deref(), Some(text));
    assert_eq!(
        (
            r.reporter.as_str(),
            r.alleged_abuser.as_str(),
            r.reason.as_str(),
            r.status.as_str()
        ),
        (
            "mimi://localhost/u/alice",
            "mimi://localhost/u/bob",
            "threat",
            "open"
        )
    );

    // The operator upholds it: the hub proposes removing bob's clients, the next committer
    // includes the proposals, and bob is out.
    let mut conn = conclave_hub::store::open(&hub.db_path()).unwrap();
    reports::resolve(&conn, report, true).unwrap();
    let n = conclave_hub::enforce::remove_user(
        &mut conn,
        hub.data_dir(),
        &room.to_string(),
        "mimi://localhost/u/bob",
    )
    .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    settle(&[&alice, &carol, &bob]).await;
    bob.wait_until_out_of(&room).await;
    let members = carol.room(&room).members().await.unwrap();
    let b = members
        .iter()
        .find(|m| m.user == "mimi://localhost/u/bob")
        .unwrap();
    assert!(b.clients.is_empty());
    assert_eq!(hub_reports(&hub)[0].status, "upheld");
}

#[tokio::test]
async fn ten_thousand_mutated_reports_are_all_refused_with_a_reason() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = room(&hub, Preset::Cooperative).await;
    let b_id = bob
        .room(&room)
        .send_text("the message bob really sent")
        .await
        .unwrap();
    let c_id = carol
        .room(&room)
        .send_text("carol's own words")
        .await
        .unwrap();
    alice.wait_for_messages(&room, 2).await;
    let genuine = stored(&alice, &room, &b_id);
    let other = stored(&alice, &room, &c_id);
    let keys = FrankingKeys::open(hub.data_dir()).unwrap();
    let fkey = franking_key(&hub, &room);
    let r = room.to_string();
    let check = |m: &AbusiveMessage, accused: &str| {
        reports::check_message(m, &keys, &fkey, &r, accused).unwrap()
    };
    assert!(check(&genuine, "mimi://localhost/u/bob").verified);

    // A deterministic generator of mutations: every field, single and multiple bit flips.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut refused = 0;
    for i in 0..10_000u32 {
        let mut m = genuine.clone();
        let flips = 1 + (next() % 3) as usize;
        // Flip until the report differs from the genuine one (two flips of one bit cancel).
        let mut done = 0;
        while done < flips || m == genuine {
            done += 1;
            match i % 6 {
                // content: salt, sender, room, text, structure
                0 | 1 => {
                    let mut c = m.message_content.as_slice().to_vec();
                    let at = (next() as usize) % c.len();
                    c[at] ^= 1 << (next() % 8);
                    m.message_content = c.into();
                }
                2 => m.accepted_timestamp ^= 1 << (next() % 64),
                3 => m.frank.server_frank[(next() % 32) as usize] ^= 1 << (next() % 8),
                4 => {
                    let mut s = m.frank.franking_integrity_signature.as_slice().to_vec();
                    let at = (next() as usize) % s.len();
                    s[at] ^= 1 << (next() % 8);
                    m.frank.franking_integrity_signature = s.into();
                }
                _ => m.frank.franking_signature_ciphersuite ^= 1 << (next() % 16),
            }
        }
        let f = check(&m, "mimi://localhost/u/bob");
        assert!(!f.verified, "mutation {i} was accepted");
        assert!(
            f.problem.as_deref().is_some_and(|p| !p.is_empty()),
            "mutation {i}: no reason"
        );
        refused += 1;
    }
    // Swaps between reports: carol's frank on bob's words, bob's words pinned on carol.
    let mut swapped = genuine.clone();
    swapped.frank = other.frank.clone();
    assert!(!check(&swapped, "mimi://localhost/u/bob").verified);
    assert!(!check(&genuine, "mimi://localhost/u/carol").verified);
    let mut swapped = other.clone();
    swapped.accepted_timestamp = genuine.accepted_timestamp;
    assert!(!check(&swapped, "mimi://localhost/u/carol").verified);
    assert_eq!(refused, 10_000);
}

#[tokio::test]
async fn a_receiver_cannot_frame_a_sender_and_a_forged_tag_is_never_verified() {
    let hub = TestHub::spawn().await;
    let (alice, bob, _carol, room) = room(&hub, Preset::Cooperative).await;
    let id = bob.room(&room).send_text("see you at noon").await.unwrap();
    alice.wait_for_messages(&room, 1).await;

    // alice edits her stored copy to make bob say something else, and reports it
    let conn = conclave_e2e::client_db(alice.data_dir());
    let content: Vec<u8> = conn
        .query_row(
            "SELECT content FROM messages WHERE id = ?1",
            [hex::decode(&id).unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    let framed = String::from_utf8_lossy(&content)
        .replace("see you at noon", "I stole the money")
        .into_bytes();
    assert_ne!(framed, content);
    conn.execute(
        "UPDATE messages SET content = ?1 WHERE id = ?2",
        rusqlite::params![framed, hex::decode(&id).unwrap()],
    )
    .unwrap();
    drop(conn);
    let e = alice
        .room(&room)
        .report(&[id], None, None)
        .await
        .unwrap_err();
    assert_eq!(e.hub_code(), Some("report_not_verified"), "{e}");
    assert!(
        alice.my_reports().await.unwrap().is_empty(),
        "a refused report is not among alice's reports"
    );
    let filed = hub_reports(&hub);
    assert!(
        !filed[0].verified,
        "the false report is on file for the operator, unverified"
    );
    assert!(filed[0].messages[0].text.is_none());

    // A sender whose tag does not match its content is shown unverified, and cannot be reported
    bob.set_forge_franking_tag(true);
    let forged = bob.room(&room).send_text("deniable?").await.unwrap();
    let got = alice.wait_for_messages(&room, 2).await;
    let m = got.iter().find(|m| m.id == forged).unwrap();
    assert!(!m.verified);
    let e = alice
        .room(&room)
        .report(&[forged], None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Usage(ref s) if s.contains("unverified")),
        "{e}"
    );
}

#[tokio::test]
async fn the_hub_keeps_no_plaintext_of_unreported_messages() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = room(&hub, Preset::Cooperative).await;
    let secrets = [
        "a very private sentence",
        "another confidential line",
        "reported words",
    ];
    bob.room(&room).send_text(secrets[0]).await.unwrap();
    carol.room(&room).send_text(secrets[1]).await.unwrap();
    let reported = bob.room(&room).send_text(secrets[2]).await.unwrap();
    settle(&[&alice, &bob, &carol]).await;
    alice
        .room(&room)
        .report(&[reported], None, None)
        .await
        .unwrap();

    // Scan every text and blob of every row of the hub's database.
    let mut found: Vec<(String, &str)> = Vec::new();
    let mut cells = 0;
    for (t, row) in hub.all_rows() {
        for bytes in row {
            cells += 1;
            for s in secrets {
                if bytes.windows(s.len()).any(|w| w == s.as_bytes()) {
                    found.push((t.clone(), s));
                }
            }
        }
    }
    assert!(cells > 50, "the scan read the database ({cells} cells)");
    assert_eq!(found, vec![("reports".to_owned(), "reported words")]);
}

#[tokio::test]
async fn a_member_without_can_report_abuse_is_refused() {
    let hub = TestHub::spawn().await;
    let (alice, bob, carol, room) = room(&hub, Preset::Moderated).await;
    alice
        .room(&room)
        .set_role("carol", "speaker")
        .await
        .unwrap();
    alice.room(&room).set_role("bob", "guest").await.unwrap();
    settle(&[&alice, &bob, &carol]).await;
    let id = carol.room(&room).send_text("hello guests").await.unwrap();
    bob.wait_for_messages(&room, 1).await;

    let e = bob
        .room(&room)
        .report(std::slice::from_ref(&id), None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::NotAllowed { ref rule, .. } if rule == "canReportAbuse"),
        "{e}"
    );
    bob.set_skip_local_policy_check(true);
    let e = bob.room(&room).report(&[id], None, None).await.unwrap_err();
    assert_eq!(e.hub_code(), Some("not_allowed"), "{e}");
    assert!(hub_reports(&hub).is_empty());
}

/// Runs `conclave-hub ARGS --data DIR` beside the running hub: (success, stdout, stderr).
fn operator(hub: &TestHub, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(conclave_e2e::bin("conclave-hub"))
        .args(args)
        .arg("--data")
        .arg(hub.data_dir())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_report_whose_proof_did_not_verify_cannot_be_upheld_only_dismissed() {
    let hub = TestHub::spawn().await;
    let (alice, bob, _carol, room) = room(&hub, Preset::Cooperative).await;
    let id = bob.room(&room).send_text("see you at noon").await.unwrap();
    alice.wait_for_messages(&room, 1).await;
    // alice frames bob: her stored copy now says something else, and she reports it.
    let conn = conclave_e2e::client_db(alice.data_dir());
    let mut stored = stored(&alice, &room, &id)
        .message_content
        .as_slice()
        .to_vec();
    let at = stored.windows(4).position(|w| w == b"noon").unwrap();
    stored[at..at + 4].copy_from_slice(b"dawn");
    conn.execute(
        "UPDATE messages SET content = ?1 WHERE id = ?2",
        rusqlite::params![stored, hex::decode(&id).unwrap()],
    )
    .unwrap();
    drop(conn);
    let e = alice
        .room(&room)
        .report(&[id], None, None)
        .await
        .unwrap_err();
    assert_eq!(e.hub_code(), Some("report_not_verified"), "{e}");
    let filed = &hub_reports(&hub)[0];
    assert!(!filed.verified);

    // The operator cannot uphold it, from the library or the command line...
    let conn = conclave_hub::store::open(&hub.db_path()).unwrap();
    let e = reports::resolve(&conn, filed.id, true).unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot be upheld: its franking proof did not verify"),
        "{e}"
    );
    let report = filed.id.to_string();
    let (s, out, err) = operator(&hub, &["reports", "resolve", &report, "--uphold"]);
    assert!(!s, "upheld: {out}");
    assert!(
        err.trim_end().ends_with(&format!(
            "error: report {report} cannot be upheld: its franking proof did not verify \
             (message 1: {}); it can only be dismissed",
            filed.messages[0].problem.as_deref().unwrap()
        )),
        "{err}"
    );
    assert_eq!(hub_reports(&hub)[0].status, "open", "nothing changed");
    let (s, out, _) = operator(&hub, &["reports", "list"]);
    assert!(s && out.contains("\topen\tUNVERIFIED\t"), "{out}");

    // ...but can dismiss it.
    let (s, out, err) = operator(&hub, &["reports", "resolve", &report, "--dismiss"]);
    assert!(
        s && out.contains(&format!("report {report} dismissed")),
        "{err}"
    );
    assert_eq!(hub_reports(&hub)[0].status, "dismissed");
}

#[tokio::test]
async fn the_operator_sees_what_a_report_names_as_text() {
    let hub = TestHub::spawn().await;
    let conn = conclave_hub::store::open(&hub.db_path()).unwrap();
    // What a reporter controls: the accused's URI, the reason, the note, the texts.
    let accused = "mimi://localhost/u/bob\u{1b}[2J\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{202e}";
    let text = "\u{1b}]8;;https://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\\u{9b}0m";
    let id = reports::file(
        &conn,
        "mimi://localhost/r/x",
        "mimi://localhost/u/alice",
        accused,
        "spam\u{1b}[8m",
        "note\rforged",
        &[reports::FiledMessage {
            text: Some(text.into()),
            sender: accused.into(),
            timestamp: 1,
            verified: false,
            problem: Some("bad".into()),
        }],
    )
    .unwrap();
    let inert = |out: &str| {
        !out.chars().any(|c| {
            (c.is_control() && !matches!(c, '\n' | '\t'))
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
    };

    let (s, out, err) = operator(&hub, &["reports", "list"]);
    assert!(s, "{err}");
    assert!(inert(&out), "{out:?}");
    assert!(
        out.contains("mimi://localhost/u/alice -> mimi://localhost/u/bob\t"),
        "{out}"
    );
    let (s, out, _) = operator(&hub, &["reports", "show", &id.to_string()]);
    assert!(s && inert(&out), "{out:?}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        shown["alleged_abuser"], accused,
        "JSON keeps the exact words"
    );
    assert_eq!(shown["messages"][0]["text"], text);
    let (s, out, _) = operator(&hub, &["reports", "list", "--json"]);
    assert!(s && inert(&out), "{out:?}");
    // An error that quotes a report is one inert line too.
    let (s, _, err) = operator(&hub, &["reports", "resolve", &id.to_string(), "--uphold"]);
    assert!(
        !s && inert(&err) && err.contains("cannot be upheld"),
        "{err:?}"
    );
}
