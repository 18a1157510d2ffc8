//! The access-control matrix (SECURITY.md): every route of the hub, asked by every kind of
//! caller, against a real hub, with the answer each must get. The table is compared with the
//! router's own list of routes ([`conclave_hub::api::routes`]): a route without rows here fails
//! the test, so no endpoint can be added without saying who may call it.
//!
//! The requests aim at alice's things (her queue, her room, her KeyPackage, her identity). The
//! callers: no token, a malformed Authorization header, alice herself (the control that the
//! request is well-formed), bob (another user, not in alice's room), alice's second device (not
//! in the room), a pseudonym of bob's, a pseudonym whose row names alice's client (planted in
//! the database, since registration refuses it, so that every later step is tried anyway), a
//! token past its expiry, and the token of a device that removed itself.
//!
//! A route may have more than one row when it is asked otherwise: `DELETE /v1/devices/{client}`
//! of alice's third device with the removal signed by a wrong key, then by her user key (the
//! control), and of her second device with no signature at all (SECURITY.md "Devices").

use std::collections::BTreeSet;
use std::path::Path;

use base64::Engine as _;
use conclave_e2e::TestHub;
use conclave_e2e::raw::token_of;
use ed25519_dalek::SigningKey;
use mimi::credential::{DEVICE_REMOVAL_LABEL, device_removal_content, sign_with_label};
use mimi::identity::PseudonymousCredential;
use mimi::uri::{ClientUri, UserUri};
use mimi::wire::{IdentifierUri, Inline, KeyMaterialRequest, Protocol};
use openmls::prelude::{Credential, CredentialType};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tls_codec::Serialize as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    NoToken,
    Malformed,
    Owner,
    OtherUser,
    OtherDevice,
    Pseudonym,
    Planted,
    Expired,
    Revoked,
}

const CALLERS: [Caller; 9] = [
    Caller::NoToken,
    Caller::Malformed,
    Caller::Owner,
    Caller::OtherUser,
    Caller::OtherDevice,
    Caller::Pseudonym,
    Caller::Planted,
    Caller::Expired,
    Caller::Revoked,
];

/// An expected answer: a status, and the error code when it is an error.
#[derive(Debug, Clone, Copy)]
struct Expect(u16, &'static str);

const OK: Expect = Expect(200, "");
const UNAUTH: Expect = Expect(401, "unauthenticated");
const FORBIDDEN: Expect = Expect(403, "forbidden");
const NOT_YOURS: Expect = Expect(403, "not_your_identity");
const NOT_MEMBER: Expect = Expect(403, "not_member");
const NOT_APPROVED: Expect = Expect(403, "device_not_approved");
const MALFORMED: Expect = Expect(400, "malformed_body");
const NOT_FOUND: Expect = Expect(404, "not_found");
const EXPIRED: Expect = Expect(401, "token_expired");
const REVOKED: Expect = Expect(401, "token_revoked");

/// The answers of an endpoint that acts for an account on the caller's own things.
const ACCOUNT_OWN: [Expect; 9] = [
    UNAUTH, UNAUTH, OK, OK, OK, FORBIDDEN, NOT_YOURS, EXPIRED, REVOKED,
];
/// The answers of a public endpoint.
const PUBLIC: [Expect; 9] = [OK, OK, OK, OK, OK, OK, OK, OK, OK];

/// One route's rows: the request (the same for every caller) and each caller's answer, in the
/// order of [`CALLERS`].
struct Row {
    method: Method,
    route: &'static str,
    path: String,
    body: Option<(Vec<u8>, bool)>,
    expect: [Expect; 9],
}

fn json_body(v: serde_json::Value) -> Option<(Vec<u8>, bool)> {
    Some((v.to_string().into_bytes(), true))
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A secret a client keeps in its file keystore (read off its disk, as [`token_of`] reads the
/// token).
fn secret_of(dir: &Path, name: &str) -> Vec<u8> {
    let raw = std::fs::read(dir.join("keystore.json")).expect("keystore file");
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&raw).expect("json");
    let value = map
        .get(name)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in the keystore"));
    base64::engine::general_purpose::STANDARD
        .decode(value)
        .expect("base64")
}

/// The body of `DELETE /v1/devices/{client}` of another device: the removal of `client` now,
/// signed with `key`.
fn signed_removal(key: &SigningKey, client: &ClientUri) -> Option<(Vec<u8>, bool)> {
    let at = conclave_client::store::now_ms();
    let signature = sign_with_label(
        key,
        DEVICE_REMOVAL_LABEL,
        &device_removal_content(client, at),
    );
    json_body(json!({ "at": at, "signature": b64(&signature) }))
}

struct Tokens {
    owner: String,
    other_user: String,
    other_device: String,
    pseudonym: String,
    planted: String,
    expired: String,
    revoked: String,
}

async fn ask(url: &str, tokens: &Tokens, caller: Caller, row: &Row, n: usize) -> (u16, String) {
    let mut path = row.path.clone();
    if row.route == "/v1/register" {
        // Each registration takes a fresh name.
        path = path.replace("{n}", &n.to_string());
    }
    let mut r = reqwest::Client::new().request(row.method.clone(), format!("{url}{path}"));
    r = match caller {
        Caller::NoToken => r,
        Caller::Malformed => r.header("authorization", "Basic YWxpY2U6cGFzc3dvcmQ="),
        Caller::Owner => r.bearer_auth(&tokens.owner),
        Caller::OtherUser => r.bearer_auth(&tokens.other_user),
        Caller::OtherDevice => r.bearer_auth(&tokens.other_device),
        Caller::Pseudonym => r.bearer_auth(&tokens.pseudonym),
        Caller::Planted => r.bearer_auth(&tokens.planted),
        Caller::Expired => r.bearer_auth(&tokens.expired),
        Caller::Revoked => r.bearer_auth(&tokens.revoked),
    };
    if let Some((body, is_json)) = &row.body {
        let mut body = body.clone();
        if row.route == "/v1/register" {
            body = String::from_utf8(body)
                .expect("utf8")
                .replace("{n}", &n.to_string())
                .into_bytes();
        }
        r = r.body(body);
        if *is_json {
            r = r.header("content-type", "application/json");
        }
    }
    let resp = r.send().await.expect("the hub answers");
    let status = resp.status().as_u16();
    let v: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
    (status, v["code"].as_str().unwrap_or("").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_kind_of_caller_as_the_matrix_says() {
    // Given alice in a room, her second and third devices (not yet in it), bob with a pseudonym
    // of his own, and a planted pseudonym row naming alice's client
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let room = alice.create_room("matrix").await.unwrap();
    let alice2 = hub.link_device(&alice).await;
    let alice3 = hub.link_device(&alice).await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    // One commit of alice's, whose status only she may ask for (adding carol, who consented).
    carol
        .grant_consent(&alice.user().to_string(), None)
        .await
        .unwrap();
    alice.room(&room).invite(&["carol".into()]).await.unwrap();
    let url = hub.url();
    let bob_token = token_of(bob.data_dir());
    let pseudo_client = ClientUri::new("localhost", &mimi::uri::pseudonym_local([1; 16])).unwrap();
    let pseudo_user = UserUri::new("localhost", &mimi::uri::pseudonym_local([2; 16])).unwrap();
    let pseudonym_token = "p".repeat(40);
    let credential = |client: &ClientUri, user: &UserUri| {
        b64(&PseudonymousCredential {
            client_pseudonym: client.clone(),
            user_pseudonym: user.clone(),
            signature_public_key: vec![7; 32],
            identity_link_ciphertext: Vec::new(),
        }
        .to_bytes())
    };
    let registered = reqwest::Client::new()
        .post(format!("{url}/v1/pseudonyms"))
        .bearer_auth(&bob_token)
        .json(&json!({
            "credential": credential(&pseudo_client, &pseudo_user),
            "token": pseudonym_token,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::OK);
    let planted_token = "q".repeat(40);
    hub.plant_pseudonym(alice.client_uri(), alice.user(), &planted_token);
    // Dave's token is past its expiry (as a stolen one kept too long); erin removed her device.
    let dave = hub.user("dave").await;
    let erin = hub.user("erin").await;
    let expired_token = token_of(dave.data_dir());
    let revoked_token = token_of(erin.data_dir());
    erin.remove_this_device().await.unwrap();
    {
        let conn = rusqlite::Connection::open(hub.db_path()).unwrap();
        conn.execute(
            "UPDATE clients SET token_expires_at = 0 WHERE uri = ?1",
            [dave.client_uri().to_string()],
        )
        .unwrap();
    }
    let tokens = Tokens {
        owner: token_of(alice.data_dir()),
        other_user: bob_token,
        other_device: token_of(alice2.data_dir()),
        pseudonym: pseudonym_token,
        planted: planted_token,
        expired: expired_token,
        revoked: revoked_token,
    };

    // Alice's things, read from the hub's own rows.
    let conn = conclave_hub::store::open(&hub.db_path()).unwrap();
    let alice_kp: Vec<u8> = conn
        .query_row(
            "SELECT data FROM key_packages WHERE client_uri = ?1 LIMIT 1",
            [alice.client_uri().to_string()],
            |r| r.get(0),
        )
        .unwrap();
    let (alice_key, alice_cred): (Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT signature_key, credential FROM clients WHERE uri = ?1",
            [alice.client_uri().to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let alice_commit: Vec<u8> = conn
        .query_row(
            "SELECT hash FROM accepted WHERE kind = 'commit' AND sender = ?1",
            [alice.client_uri().to_string()],
            |r| r.get(0),
        )
        .unwrap();
    let alice_commit = hex::encode(alice_commit);
    drop(conn);
    let mls_credential = Credential::new(
        CredentialType::Other(mimi::ids::PROVIDER_CREDENTIAL_TYPE),
        alice_cred,
    )
    .tls_serialize_detached()
    .unwrap();
    // A key-material request in alice's name, with her real credential and a bad signature.
    let key_material = mimi::wire::encode(&KeyMaterialRequest {
        protocol: Protocol::Mls10,
        requesting_user: IdentifierUri::new(alice.user()),
        target_user: IdentifierUri::new(alice.user()),
        room_id: IdentifierUri::new(&room),
        acceptable_ciphersuites: vec![1],
        required_capabilities: Inline::from_bytes(vec![0, 0, 0], "RequiredCapabilities").unwrap(),
        requester_signature_key: alice_key.into(),
        requester_credential: Inline::from_bytes(mls_credential, "Credential").unwrap(),
        signature: vec![0u8; 64].into(),
    });
    let queue = format!("/v1/clients/{}/queue", alice.client_uri().local());
    let room_path = format!("/v1/rooms/{}", room.local());
    let connection_token = "00".repeat(mimi::identity::NH);
    let alice_uri = alice.user().to_string();
    let encoded_alice = alice_uri.replace(':', "%3A").replace('/', "%2F");
    let garbage = Some((vec![0u8; 64], false));
    // Alice's user key (her first device holds it), and a key that is not hers.
    let alice_user_key = SigningKey::from_bytes(
        &secret_of(alice.data_dir(), "user_key")
            .try_into()
            .expect("a 32-byte user key"),
    );
    let wrong_key = SigningKey::from_bytes(&[0x5a; 32]);
    let alice3_path = format!("/v1/devices/{}", alice3.client_uri().local());

    let rows = vec![
        Row {
            method: Method::GET,
            route: "/health",
            path: "/health".into(),
            body: None,
            expect: PUBLIC,
        },
        Row {
            method: Method::GET,
            route: "/v1/provider",
            path: "/v1/provider".into(),
            body: None,
            expect: PUBLIC,
        },
        Row {
            method: Method::POST,
            route: "/v1/register",
            path: "/v1/register".into(),
            body: json_body(json!({
                "name": "newcomer{n}",
                "signature_key": b64(&[9; 32]),
                "user_key": b64(SigningKey::from_bytes(&[8; 32]).verifying_key().as_bytes()),
            })),
            // Anyone may register; a token sent along is ignored.
            expect: PUBLIC,
        },
        Row {
            method: Method::GET,
            route: "/v1/devices",
            path: "/v1/devices".into(),
            body: None,
            expect: ACCOUNT_OWN,
        },
        Row {
            method: Method::PUT,
            route: "/v1/connection-key",
            path: "/v1/connection-key".into(),
            body: json_body(json!({ "public_key": b64(&[5; 32]) })),
            // Each caller's user already has its key: only its own is ever touched, and the
            // first one stays.
            expect: [
                UNAUTH,
                UNAUTH,
                Expect(409, "connection_key_exists"),
                Expect(409, "connection_key_exists"),
                Expect(409, "connection_key_exists"),
                FORBIDDEN,
                NOT_YOURS,
                EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::GET,
            route: "/v1/users/{name}/connection-key",
            path: "/v1/users/alice/connection-key".into(),
            body: None,
            expect: PUBLIC,
        },
        Row {
            method: Method::POST,
            route: "/v1/connections",
            path: "/v1/connections".into(),
            body: json_body(json!({ "to": alice_uri, "kind": "request", "sealed": b64(b"x") })),
            // Alice (either device) cannot ask herself.
            expect: [
                UNAUTH, UNAUTH, MALFORMED, OK, MALFORMED, FORBIDDEN, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::GET,
            route: "/v1/blocks",
            path: "/v1/blocks".into(),
            body: None,
            expect: ACCOUNT_OWN,
        },
        Row {
            method: Method::POST,
            route: "/v1/blocks",
            path: "/v1/blocks".into(),
            body: json_body(json!({ "user": "mimi://localhost/u/carol" })),
            expect: ACCOUNT_OWN,
        },
        Row {
            method: Method::DELETE,
            route: "/v1/blocks/{user}",
            path: format!("/v1/blocks/{encoded_alice}"),
            body: None,
            expect: [
                UNAUTH, UNAUTH, OK, OK, OK, FORBIDDEN, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/consent",
            path: "/v1/consent".into(),
            body: json_body(json!({ "operation": "grant", "user": alice_uri })),
            // Consent is between two users: alice (either device) cannot consent to herself;
            // bob consents to being added by her.
            expect: [
                UNAUTH, UNAUTH, MALFORMED, OK, MALFORMED, FORBIDDEN, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::GET,
            route: "/v1/consent",
            path: "/v1/consent".into(),
            body: None,
            expect: ACCOUNT_OWN,
        },
        Row {
            method: Method::POST,
            route: "/v1/devices/link",
            path: "/v1/devices/link".into(),
            body: None,
            expect: ACCOUNT_OWN,
        },
        Row {
            method: Method::POST,
            route: "/v1/key-packages",
            path: "/v1/key-packages".into(),
            body: json_body(json!({ "key_packages": [b64(&alice_kp)] })),
            // Only alice's own client may upload a KeyPackage that names it.
            expect: [
                UNAUTH, UNAUTH, OK, NOT_YOURS, NOT_YOURS, FORBIDDEN, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/keyMaterial",
            path: "/v1/keyMaterial".into(),
            body: Some((key_material, false)),
            // Alice's own request fails only its signature.
            expect: [
                UNAUTH, UNAUTH, FORBIDDEN, NOT_YOURS, NOT_YOURS, FORBIDDEN, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/rooms",
            path: "/v1/rooms".into(),
            body: json_body(json!({ "group_info": b64(&[0; 16]), "ratchet_tree": b64(&[0; 16]) })),
            expect: [
                UNAUTH, UNAUTH, MALFORMED, MALFORMED, MALFORMED, MALFORMED, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/rooms/{room}/update",
            path: format!("{room_path}/update"),
            body: garbage.clone(),
            expect: [
                UNAUTH, UNAUTH, MALFORMED, NOT_MEMBER, NOT_MEMBER, NOT_MEMBER, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/rooms/{room}/submitMessage",
            path: format!("{room_path}/submitMessage"),
            body: garbage.clone(),
            expect: [
                UNAUTH, UNAUTH, MALFORMED, NOT_MEMBER, NOT_MEMBER, NOT_MEMBER, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/rooms/{room}/reportAbuse",
            path: format!("{room_path}/reportAbuse"),
            body: garbage.clone(),
            expect: [
                UNAUTH, UNAUTH, MALFORMED, NOT_MEMBER, NOT_MEMBER, NOT_MEMBER, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::GET,
            route: "/v1/rooms/{room}/commits/{hash}",
            path: format!("{room_path}/commits/{alice_commit}"),
            body: None,
            // Only the committer learns whether the hub accepted its commit.
            expect: [
                UNAUTH, UNAUTH, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::GET,
            route: "/v1/rooms/{room}/group-info/{epoch}",
            path: format!("{room_path}/group-info/0"),
            body: None,
            expect: [
                UNAUTH, UNAUTH, OK, NOT_MEMBER, NOT_MEMBER, NOT_MEMBER, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::GET,
            route: "/v1/rooms/{room}/identity-links",
            path: format!("{room_path}/identity-links"),
            body: None,
            expect: [
                UNAUTH, UNAUTH, OK, NOT_MEMBER, NOT_MEMBER, NOT_MEMBER, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/pseudonyms",
            path: "/v1/pseudonyms".into(),
            body: json_body(json!({
                "credential": credential(alice.client_uri(), alice.user()),
                "token": "r".repeat(40),
            })),
            // A pseudonym never names an account's client: not even alice may register one so.
            expect: [
                UNAUTH, UNAUTH, NOT_YOURS, NOT_YOURS, NOT_YOURS, FORBIDDEN, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/pseudonyms/sibling-key-package",
            path: "/v1/pseudonyms/sibling-key-package".into(),
            body: json_body(json!({ "key_package": b64(&alice_kp) })),
            // Only a client pseudonym leaves one, and only a KeyPackage of its own pseudonyms:
            // alice's real one is refused to bob's pseudonym as not pseudonymous.
            expect: [
                UNAUTH, UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, MALFORMED, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/pseudonyms/sibling-key-packages/claim",
            path: "/v1/pseudonyms/sibling-key-packages/claim".into(),
            body: None,
            // Only a client pseudonym that is in a room claims its user pseudonym's; bob's is
            // in none.
            expect: [
                UNAUTH, UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, NOT_MEMBER, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::GET,
            route: "/v1/pseudonymous-key-packages/{token}",
            path: format!("/v1/pseudonymous-key-packages/{connection_token}"),
            body: None,
            // The connection token is the capability (MIMIMI §8): any account holding it.
            expect: ACCOUNT_OWN,
        },
        Row {
            method: Method::POST,
            route: "/v1/pseudonymous-key-packages/{token}",
            path: format!("/v1/pseudonymous-key-packages/{connection_token}"),
            body: json_body(json!({
                "set_size": 1,
                "key_package": b64(&alice_kp),
                "token": "s".repeat(40),
            })),
            // Alice's real KeyPackage is not a pseudonymous one, whoever sends it.
            expect: [
                UNAUTH, UNAUTH, MALFORMED, MALFORMED, MALFORMED, FORBIDDEN, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/pseudonymous-key-packages/{token}/claim",
            path: format!("/v1/pseudonymous-key-packages/{connection_token}/claim"),
            body: None,
            expect: [
                UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::DELETE,
            route: "/v1/pseudonymous-key-packages/{token}/{set}",
            path: format!(
                "/v1/pseudonymous-key-packages/{connection_token}/{}",
                pseudo_user.local()
            ),
            body: None,
            expect: [
                UNAUTH, UNAUTH, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, NOT_YOURS, EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::GET,
            route: "/v1/clients/{client}/queue",
            path: queue.clone(),
            body: None,
            // Only alice's own client reads its queue; her other device has its own.
            expect: [
                UNAUTH, UNAUTH, OK, NOT_YOURS, NOT_YOURS, NOT_YOURS, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/clients/{client}/queue/ack",
            path: format!("{queue}/ack"),
            body: json_body(json!({ "seq": 0 })),
            expect: [
                UNAUTH, UNAUTH, OK, NOT_YOURS, NOT_YOURS, NOT_YOURS, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/token/signed",
            path: "/v1/token/signed".into(),
            // A signature that does not verify renews no one's token, whoever asks.
            body: json_body(json!({
                "client": alice.client_uri().to_string(),
                "at": conclave_client::store::now_ms(),
                "signature": b64(&[7; 64]),
            })),
            expect: [UNAUTH; 9],
        },
        // The last four change tokens: alice3 is removed, alice2 removes itself, then everyone
        // renews their own.
        Row {
            method: Method::DELETE,
            route: "/v1/devices/{client}",
            path: alice3_path.clone(),
            body: signed_removal(&wrong_key, alice3.client_uri()),
            // Another device of the user is removed only with the removal signed by the user
            // key: a signature by another key removes nothing, whichever device of alice's sends
            // it; bob learns only that alice3 is no device of his.
            expect: [
                UNAUTH,
                UNAUTH,
                NOT_APPROVED,
                NOT_FOUND,
                NOT_APPROVED,
                FORBIDDEN,
                NOT_YOURS,
                EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::DELETE,
            route: "/v1/devices/{client}",
            path: alice3_path,
            body: signed_removal(&alice_user_key, alice3.client_uri()),
            // The control: signed by alice's user key, either of her devices removes alice3 (the
            // second time, it is gone already).
            expect: [
                UNAUTH, UNAUTH, OK, NOT_FOUND, OK, FORBIDDEN, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
        Row {
            method: Method::DELETE,
            route: "/v1/devices/{client}",
            path: format!("/v1/devices/{}", alice2.client_uri().local()),
            body: None,
            // Without a signature a device removes only itself: not even alice's other device
            // may remove alice2.
            expect: [
                UNAUTH,
                UNAUTH,
                NOT_APPROVED,
                NOT_FOUND,
                OK,
                FORBIDDEN,
                NOT_YOURS,
                EXPIRED,
                REVOKED,
            ],
        },
        Row {
            method: Method::POST,
            route: "/v1/token",
            path: "/v1/token".into(),
            body: None,
            // alice2 removed itself in the row above.
            expect: [
                UNAUTH, UNAUTH, OK, OK, REVOKED, FORBIDDEN, NOT_YOURS, EXPIRED, REVOKED,
            ],
        },
    ];

    // The table covers the router: every route has rows, and no row names a route that is gone.
    let routed: BTreeSet<(String, String)> = conclave_hub::api::routes()
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), p.to_owned()))
        .collect();
    let tabled: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_owned()))
        .collect();
    let missing: Vec<_> = routed.difference(&tabled).collect();
    let stale: Vec<_> = tabled.difference(&routed).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes without rows: {missing:?}; rows for no route: {stale:?}"
    );
    // A route has more than one row set only to ask it otherwise (another path or body).
    let asked: BTreeSet<_> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone(), r.body.clone()))
        .collect();
    assert_eq!(asked.len(), rows.len(), "a row set is there twice");

    let mut wrong = Vec::new();
    let mut n = 0;
    for row in &rows {
        for (caller, want) in CALLERS.iter().zip(row.expect) {
            n += 1;
            let (status, code) = ask(&url, &tokens, *caller, row, n).await;
            let ok = status == want.0 && (want.1.is_empty() || code == want.1);
            if !ok {
                wrong.push(format!(
                    "{} {} as {caller:?}: got {status} {code:?}, want {} {:?}",
                    row.method, row.route, want.0, want.1
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {n} rows answered otherwise:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // A pseudonym does read its own queue (the rows above refuse it alice's).
    let own = reqwest::Client::new()
        .get(format!("{url}/v1/clients/{}/queue", pseudo_client.local()))
        .bearer_auth(&tokens.pseudonym)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    // Alice's queue was never touched by anyone else: she still syncs as before, once her device
    // key has won her a token again (the matrix's renewal as alice voided the one she held).
    assert!(alice.sync().await.is_err(), "her old token is void");
    alice.renew_expired_token().await.unwrap();
    alice.sync().await.unwrap();
}
