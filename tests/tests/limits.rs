//! The hub under limits (SECURITY.md): floods from one user or one address are cut short while
//! everyone else is still served, and each quota answers 429 (or 413) with a stable code.
//!
//! The floods are bounded loops on loopback against a real hub with the default limits.

use base64::Engine as _;
use conclave_e2e::raw::{call, token_of};
use conclave_e2e::{TestHub, introduce, settle};
use conclave_hub::limits::Limits;
use mimi::policy::Preset;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// How many requests of a flood are in flight at once.
const IN_FLIGHT: usize = 32;

/// Sends `n` requests made by `make(i)`, `IN_FLIGHT` at a time; answers how many got each status.
async fn flood(
    n: usize,
    make: impl Fn(usize) -> reqwest::RequestBuilder,
) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    let mut i = 0;
    while i < n {
        let batch: Vec<_> = (i..(i + IN_FLIGHT).min(n)).map(&make).collect();
        i += batch.len();
        let answers = futures_join(batch.into_iter().map(|r| r.send())).await;
        for a in answers {
            let status = a.expect("the hub answers").status().as_u16();
            *counts.entry(status).or_insert(0) += 1;
        }
    }
    counts
}

async fn futures_join<F: std::future::Future + Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The public half of a user key: what a new user registers with.
fn user_key() -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&[8; 32])
        .verifying_key()
        .to_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_of_connection_requests_and_registrations_are_cut_short_and_others_are_still_served()
{
    // Given a hub with the default limits, alice and carol in a room, and bob. On loopback every
    // client shares one address, so the per-address rate (a separate defence, for floods spread
    // over many tokens) is lifted here: what is tested is the per-principal rate, the pending
    // request quota and the per-address registration rate.
    let hub = TestHub::spawn_with_limits(Limits {
        address_requests_per_second: 1_000_000,
        address_request_burst: 1_000_000,
        ..Limits::default()
    })
    .await;
    let alice = hub.user("alice").await;
    let carol = hub.user("carol").await;
    let bob = hub.user("bob").await;
    let room = carol
        .room_with("quiet", Preset::Cooperative, &[&alice])
        .await;
    let url = hub.url();
    let bob_token = token_of(bob.data_dir());
    let http = reqwest::Client::new();

    // When bob sends alice 2,000 connection requests of 2 KB of noise, while carol writes to
    // alice
    let sender = {
        let carol_room = room.clone();
        async move {
            for i in 0..20 {
                carol
                    .room(&carol_room)
                    .send_text(&format!("still here {i}"))
                    .await
                    .expect("carol sends during the flood");
            }
            carol
        }
    };
    let noise = b64(&[0x5a; 2048]);
    let alice_uri = alice.user().to_string();
    let requests = flood(2000, |_| {
        http.post(format!("{url}/v1/connections"))
            .bearer_auth(&bob_token)
            .json(&json!({ "to": alice_uri, "kind": "request", "sealed": noise }))
    });
    let (connections, carol) = tokio::join!(requests, sender);

    // and 2,000 registrations (each well-formed, with its user key) come from one address
    let user_key = b64(&user_key());
    let registrations = flood(2000, |i| {
        http.post(format!("{url}/v1/register")).json(&json!({
            "name": format!("flood{i}"),
            "signature_key": b64(&[i as u8; 32]),
            "user_key": user_key,
        }))
    })
    .await;

    let relayed = connections.get(&200).copied().unwrap_or(0);
    let registered = registrations.get(&200).copied().unwrap_or(0);
    println!("connection requests: {relayed} of 2000 relayed; answers {connections:?}");
    println!("registrations: {registered} of 2000 accepted; answers {registrations:?}");
    // Then only a handful got through, the rest were told to slow down
    assert!(relayed <= 1, "{connections:?}");
    assert!(registered <= 5, "{registrations:?}");
    assert_eq!(
        relayed + connections.get(&429).copied().unwrap_or(0),
        2000,
        "{connections:?}"
    );
    assert_eq!(
        registered + registrations.get(&429).copied().unwrap_or(0),
        2000,
        "{registrations:?}"
    );
    // and alice got carol's 20 messages, and at most the one request
    let got = alice.wait_for_messages(&room, 20).await;
    println!(
        "messages from carol delivered to alice during the flood: {} of 20",
        got.len()
    );
    assert_eq!(got.len(), 20);
    let pending = alice.connections().await.unwrap();
    assert!(pending.len() <= 1, "{pending:?}");
    drop(carol);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_answer_says_when_to_come_back() {
    let hub = TestHub::spawn_with_limits(Limits {
        requests_per_second: 1,
        request_burst: 3,
        ..Limits::default()
    })
    .await;
    let alice = hub.user("alice").await;
    let token = token_of(alice.data_dir());
    // The client's own start-up already spent some of the burst; spend the rest.
    let mut last = None;
    for _ in 0..5 {
        let r = reqwest::Client::new()
            .get(format!("{}/v1/devices", hub.url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            last = Some(r);
            break;
        }
    }
    let r = last.expect("the fifth request at the latest is limited");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After: {retry}");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_code_dies_after_five_wrong_tries_at_its_users_name() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let url = hub.url();
    let register = |code: String| {
        let url = url.clone();
        async move {
            call(
                Method::POST,
                format!("{url}/v1/register"),
                None,
                Some(
                    json!({ "name": "alice", "signature_key": b64(&[3; 32]), "link_code": code })
                        .to_string()
                        .into_bytes(),
                ),
                true,
            )
            .await
        }
    };
    let link = |code: String| {
        let url = url.clone();
        async move {
            let dir = tempfile::tempdir().unwrap();
            conclave_client::Client::register(
                dir.path(),
                &url,
                "alice",
                Some(&code),
                &conclave_e2e::options(),
            )
            .await
            .map(|_| ())
        }
    };
    // Four wrong tries leave a code usable (the control)...
    let (code, _) = alice.link_code().await.unwrap();
    for _ in 0..4 {
        let (status, v) = register("WRONG-CODE0".into()).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("bad_link_code"))
        );
    }
    link(code)
        .await
        .expect("the code still works after four wrong tries");
    // ...a fifth kills it.
    let (code, _) = alice.link_code().await.unwrap();
    for _ in 0..5 {
        register("WRONG-CODE0".into()).await;
    }
    let e = link(code).await.unwrap_err();
    assert_eq!(e.hub_code(), Some("bad_link_code"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_on_link_codes_keypackages_and_reports_answer_429_with_their_code() {
    let hub = TestHub::spawn_with_limits(Limits {
        link_codes_per_user: 2,
        key_packages_per_client: 12,
        reports_per_hour: 2,
        ..Limits::loose()
    })
    .await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let url = hub.url();
    let token = token_of(alice.data_dir());

    // Link codes: two open at once, the third refused until one expires.
    alice.link_code().await.unwrap();
    alice.link_code().await.unwrap();
    let e = alice.link_code().await.unwrap_err();
    assert_eq!(e.hub_code(), Some("link_code_quota"), "{e}");

    // KeyPackages: the client stocked 10; two more fit, the third upload does not.
    let conn = conclave_hub::store::open(&hub.db_path()).unwrap();
    let kp: Vec<u8> = conn
        .query_row(
            "SELECT data FROM key_packages WHERE client_uri = ?1 AND last_resort = 0 LIMIT 1",
            [alice.client_uri().to_string()],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let upload = json!({ "key_packages": [b64(&kp), b64(&kp)] }).to_string();
    let (status, v) = call(
        Method::POST,
        format!("{url}/v1/key-packages"),
        Some(&token),
        Some(upload.clone().into_bytes()),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, v) = call(
        Method::POST,
        format!("{url}/v1/key-packages"),
        Some(&token),
        Some(upload.into_bytes()),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["code"], "key_package_quota");

    // Reports: two an hour.
    let room = alice.room_with("r", Preset::Cooperative, &[&bob]).await;
    let id = alice.room(&room).send_text("report me").await.unwrap();
    bob.wait_for_messages(&room, 1).await;
    for _ in 0..2 {
        bob.room(&room)
            .report(std::slice::from_ref(&id), None, None)
            .await
            .unwrap();
    }
    let e = bob.room(&room).report(&[id], None, None).await.unwrap_err();
    assert_eq!(e.hub_code(), Some("report_quota"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_message_is_refused_and_a_big_queue_comes_in_pages() {
    let hub = TestHub::spawn_with_limits(Limits {
        max_message_bytes: 8 << 10,
        queue_fetch_bytes: 4 << 10,
        ..Limits::loose()
    })
    .await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let room = alice.room_with("r", Preset::Cooperative, &[&bob]).await;
    settle(&[&alice, &bob]).await;

    let e = alice
        .room(&room)
        .send_text(&"x".repeat(16 << 10))
        .await
        .unwrap_err();
    assert_eq!(e.hub_code(), Some("body_too_large"), "{e}");

    // Ten messages of ~1.5 KB: more than one page of 4 KB.
    for i in 0..10 {
        alice
            .room(&room)
            .send_text(&format!("{i}{}", "y".repeat(1500)))
            .await
            .unwrap();
    }
    let token = token_of(bob.data_dir());
    let (status, page) = call(
        Method::GET,
        format!(
            "{}/v1/clients/{}/queue?limit=500",
            hub.url(),
            bob.client_uri().local()
        ),
        Some(&token),
        None,
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let n = page["entries"].as_array().unwrap().len();
    assert!((1..10).contains(&n), "one page held {n} of 10 entries");
    // The client pages on until it has them all.
    let got = bob.wait_for_messages(&room, 10).await;
    assert_eq!(got.len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_users_requests_and_invitations_no_longer_reach_the_blocker() {
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    // They knew each other: alice had consented to being added by bob before she blocked him.
    introduce(&[&alice, &bob]).await;
    alice.block("bob").await.unwrap();
    assert_eq!(alice.blocked().await.unwrap(), [bob.user().to_string()]);

    // Bob's request looks sent to him, and never reaches alice.
    bob.connect("alice").await.unwrap();
    alice.sync().await.unwrap();
    assert!(alice.connections().await.unwrap().is_empty());
    // Bob cannot add alice to a room: the block withdrew her consent, so his claim of her
    // KeyPackages now answers noConsent (before consent existed, it found no KeyPackage).
    let room = bob.create_room("lure").await.unwrap();
    let e = bob.room(&room).invite(&["alice".into()]).await.unwrap_err();
    println!("bob's invitation: {e}");
    assert!(
        matches!(
            &e,
            conclave_client::Error::NoConsent { user, for_this_room: false }
                if *user == alice.user().to_string()
        ),
        "{e:?}"
    );
    alice.sync().await.unwrap();
    assert!(alice.rooms().await.unwrap().is_empty());

    // Unblocking does not give the consent back: once she consents again, bob's invitation
    // reaches her.
    assert!(alice.unblock("bob").await.unwrap());
    let e = bob.room(&room).invite(&["alice".into()]).await.unwrap_err();
    assert!(
        matches!(e, conclave_client::Error::NoConsent { .. }),
        "{e:?}"
    );
    alice
        .grant_consent(&bob.user().to_string(), None)
        .await
        .unwrap();
    bob.room(&room).invite(&["alice".into()]).await.unwrap();
    alice.wait_for_room(&room).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_principal_creates_rooms_pseudonyms_and_blocks_at_a_bounded_rate() {
    let hub = TestHub::spawn_with_limits(Limits {
        creations_per_hour: 1,
        creation_burst: 3,
        ..Limits::loose()
    })
    .await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    alice.create_room("one").await.unwrap();
    alice.create_room("two").await.unwrap();
    alice.block("bob").await.unwrap();
    let e = alice.create_room("three").await.unwrap_err();
    assert_eq!(e.hub_code(), Some("rate_limited"), "{e}");
    // Another principal has its own budget.
    bob.create_room("bob's").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_package_claims_are_rate_limited_per_claimer_and_others_still_claim() {
    let hub = TestHub::spawn_with_limits(Limits {
        claims_per_hour: 1,
        claim_burst: 2,
        ..Limits::loose()
    })
    .await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    for name in ["carol", "dave", "erin"] {
        // Each consents to being added by alice and bob: what is limited is the claims.
        let target = hub.user(name).await;
        for claimer in [&alice, &bob] {
            target
                .grant_consent(&claimer.user().to_string(), None)
                .await
                .unwrap();
        }
    }
    let room = alice.create_room("claims").await.unwrap();

    // Two claims go through at once; the third waits for the rate.
    alice.room(&room).invite(&["carol".into()]).await.unwrap();
    alice.room(&room).invite(&["dave".into()]).await.unwrap();
    let e = alice
        .room(&room)
        .invite(&["erin".into()])
        .await
        .unwrap_err();
    assert_eq!(e.hub_code(), Some("rate_limited"), "{e}");

    // Another claimer is counted on its own.
    let other = bob.create_room("mine").await.unwrap();
    bob.room(&other).invite(&["erin".into()]).await.unwrap();
}
