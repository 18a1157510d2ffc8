//! Bad input gets a clear error with a stable code and the right status, and changes nothing the
//! hub has stored.

use base64::Engine as _;
use conclave_e2e::raw::{call, token_of};
use conclave_e2e::{TestHub, introduce, settle};
use reqwest::StatusCode;

struct Case<'a> {
    what: &'a str,
    method: reqwest::Method,
    url: String,
    token: Option<&'a str>,
    body: Option<Vec<u8>>,
    json: bool,
    status: StatusCode,
    code: &'a str,
    /// Words the error's message must hold, when it must name what was wrong.
    says: Option<&'a str>,
}

impl<'a> Case<'a> {
    /// The case whose message must name `words`.
    fn saying(self, words: &'a str) -> Self {
        Case {
            says: Some(words),
            ..self
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn case<'a>(
    what: &'a str,
    method: reqwest::Method,
    url: String,
    token: Option<&'a str>,
    body: Option<Vec<u8>>,
    json: bool,
    status: StatusCode,
    code: &'a str,
) -> Case<'a> {
    Case {
        what,
        method,
        url,
        token,
        body,
        json,
        status,
        code,
        says: None,
    }
}

/// The public half of a user key, in base64: what a new user registers with.
fn user_key() -> String {
    let key = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes())
}

#[tokio::test]
async fn garbage_wrong_tokens_foreign_queues_and_foreign_rooms_are_refused_and_change_nothing() {
    use reqwest::Method;
    // Given alice and bob in a room, and carol outside it
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    introduce(&[&alice, &bob]).await;
    let room = alice.create_room("").await.unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    bob.wait_for_room(&room).await;
    alice
        .room(&room)
        .send_text("pending for bob")
        .await
        .unwrap();
    let before = hub.table_counts();
    let url = hub.url();
    let alice_token = token_of(alice.data_dir());
    let carol_token = token_of(carol.data_dir());
    let room_id = room.local().to_owned();
    let bob_id = bob.client_uri().local().to_owned();
    let some_key = "A".repeat(43) + "=";
    let user_key = user_key();

    let cases: Vec<Case> = vec![
        case(
            "garbage JSON",
            Method::POST,
            format!("{url}/v1/register"),
            None,
            Some(b"{nope".to_vec()),
            true,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        case(
            "bad user name",
            Method::POST,
            format!("{url}/v1/register"),
            None,
            Some(br#"{"name":"Bad Name","signature_key":"AAAA"}"#.to_vec()),
            true,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        case(
            "taken user name",
            Method::POST,
            format!("{url}/v1/register"),
            None,
            Some(
                format!(r#"{{"name":"alice","signature_key":"{some_key}","user_key":"{user_key}"}}"#)
                    .into_bytes(),
            ),
            true,
            StatusCode::CONFLICT,
            "user_exists",
        ),
        case(
            "a new user without a user key",
            Method::POST,
            format!("{url}/v1/register"),
            None,
            Some(format!(r#"{{"name":"newcomer","signature_key":"{some_key}"}}"#).into_bytes()),
            true,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        )
        .saying("user_key"),
        case(
            "a new user with a 31-byte user key",
            Method::POST,
            format!("{url}/v1/register"),
            None,
            Some(
                format!(
                    r#"{{"name":"newcomer","signature_key":"{some_key}","user_key":"{}"}}"#,
                    "A".repeat(40) + "AA=="
                )
                .into_bytes(),
            ),
            true,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        )
        .saying("user_key must be a 32-byte Ed25519 public key"),
        case(
            "a linked device that brings a user key",
            Method::POST,
            format!("{url}/v1/register"),
            None,
            Some(
                format!(
                    r#"{{"name":"alice","signature_key":"{some_key}","user_key":"{user_key}","link_code":"AAAAA-BBBBB"}}"#
                )
                .into_bytes(),
            ),
            true,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        )
        .saying("user_key"),
        case(
            "bad link code",
            Method::POST,
            format!("{url}/v1/register"),
            None,
            Some(
                format!(
                    r#"{{"name":"alice","signature_key":"{some_key}","link_code":"AAAAA-BBBBB"}}"#
                )
                .into_bytes(),
            ),
            true,
            StatusCode::UNAUTHORIZED,
            "bad_link_code",
        ),
        case(
            "garbage handshake",
            Method::POST,
            format!("{url}/v1/rooms/{room_id}/update"),
            Some(&alice_token),
            Some(vec![0xde, 0xad, 0xbe, 0xef]),
            false,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        case(
            "garbage message",
            Method::POST,
            format!("{url}/v1/rooms/{room_id}/submitMessage"),
            Some(&alice_token),
            Some(vec![1, 2, 3]),
            false,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        case(
            "garbage key material request",
            Method::POST,
            format!("{url}/v1/keyMaterial"),
            Some(&alice_token),
            Some(vec![1]),
            false,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        case(
            "garbage key packages",
            Method::POST,
            format!("{url}/v1/key-packages"),
            Some(&alice_token),
            Some(br#"{"key_packages":["AAAA"]}"#.to_vec()),
            true,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        case(
            "a body over the limit",
            Method::POST,
            format!("{url}/v1/rooms/{room_id}/submitMessage"),
            Some(&alice_token),
            Some(vec![0; 2 << 20]),
            false,
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        case(
            "no token",
            Method::GET,
            format!("{url}/v1/devices"),
            None,
            None,
            false,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        case(
            "a wrong token",
            Method::GET,
            format!("{url}/v1/devices"),
            Some("0123456789abcdef"),
            None,
            false,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        case(
            "a wrong token on a room",
            Method::POST,
            format!("{url}/v1/rooms/{room_id}/submitMessage"),
            Some("nope"),
            Some(vec![1]),
            false,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        case(
            "another client's queue",
            Method::GET,
            format!("{url}/v1/clients/{bob_id}/queue"),
            Some(&alice_token),
            None,
            false,
            StatusCode::FORBIDDEN,
            "not_your_identity",
        ),
        case(
            "acking another client's queue",
            Method::POST,
            format!("{url}/v1/clients/{bob_id}/queue/ack"),
            Some(&alice_token),
            Some(br#"{"seq":100}"#.to_vec()),
            true,
            StatusCode::FORBIDDEN,
            "not_your_identity",
        ),
        case(
            "acking what was never sent",
            Method::POST,
            format!("{url}/v1/clients/{}/queue/ack", alice.client_uri().local()),
            Some(&alice_token),
            Some(br#"{"seq":999999}"#.to_vec()),
            true,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        case(
            "a message to a room carol is not in",
            Method::POST,
            format!("{url}/v1/rooms/{room_id}/submitMessage"),
            Some(&carol_token),
            Some(vec![1, 2, 3]),
            false,
            StatusCode::FORBIDDEN,
            "not_member",
        ),
        case(
            "a handshake to a room carol is not in",
            Method::POST,
            format!("{url}/v1/rooms/{room_id}/update"),
            Some(&carol_token),
            Some(vec![1, 2, 3]),
            false,
            StatusCode::FORBIDDEN,
            "not_member",
        ),
        case(
            "an unknown room",
            Method::POST,
            format!("{url}/v1/rooms/doesnotexist/submitMessage"),
            Some(&alice_token),
            Some(vec![1]),
            false,
            StatusCode::NOT_FOUND,
            "unknown_room",
        ),
        case(
            "a room creation with garbage",
            Method::POST,
            format!("{url}/v1/rooms"),
            Some(&alice_token),
            Some(br#"{"group_info":"AAAA","ratchet_tree":"AAAA"}"#.to_vec()),
            true,
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        case(
            "an unknown endpoint",
            Method::GET,
            format!("{url}/v1/nothing"),
            None,
            None,
            false,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for Case {
        what,
        method,
        url: u,
        token,
        body,
        json,
        status,
        code,
        says,
    } in cases
    {
        let (s, b) = call(method, u, token, body, json).await;
        assert_eq!((s, b["code"].as_str()), (status, Some(code)), "{what}: {b}");
        assert!(
            b["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: no message"
        );
        if let Some(words) = says {
            assert!(
                b["message"].as_str().is_some_and(|m| m.contains(words)),
                "{what}: the message does not say {words:?}: {b}"
            );
        }
    }

    // Inviting a user who does not exist is a 404 through the real client too
    let e = alice
        .room(&room)
        .invite(&["nobody".into()])
        .await
        .unwrap_err();
    assert_eq!(e.hub_code(), Some("unknown_user"));

    // Then nothing the hub stores changed
    assert_eq!(hub.table_counts(), before);
    // and the room still works
    let got = bob.wait_for_messages(&room, 1).await;
    assert_eq!(got[0].text.as_deref(), Some("pending for bob"));
    bob.room(&room).send_text("still here").await.unwrap();
    settle(&[&alice, &bob]).await;
    assert_eq!(alice.texts(&room).await.len(), 2);
}

#[tokio::test]
async fn health_answers() {
    let hub = TestHub::spawn().await;
    let (s, b) = call(
        reqwest::Method::GET,
        format!("{}/health", hub.url()),
        None,
        None,
        false,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "ok");
}
