//! Handler tests: `router(state).oneshot(request)` on a hub with a real SQLite file.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use conclave_hub::{AppState, Config, router};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

fn state(dir: &tempfile::TempDir) -> AppState {
    AppState::open(&Config::new(dir.path(), "hub.test")).unwrap()
}

async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let resp = router(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn post_json(path: &str, v: Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(v.to_string()))
        .unwrap()
}

#[tokio::test]
async fn registering_issues_a_credential_and_a_token_that_authenticates() {
    let dir = tempfile::tempdir().unwrap();
    let s = state(&dir);
    let key = ed25519_dalek::SigningKey::from_bytes(&[4; 32]);
    let pk = base64_std(key.verifying_key().as_bytes());
    // A new user brings the public half of its user key (SECURITY.md "Devices").
    let user_key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let (st, reg) = send(
        &s,
        post_json(
            "/v1/register",
            json!({
                "name": "alice",
                "signature_key": pk,
                "user_key": base64_std(user_key.verifying_key().as_bytes()),
            }),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{reg}");
    assert_eq!(reg["user"], "mimi://hub.test/u/alice");
    let token = reg["token"].as_str().unwrap();

    let (st, devices) = send(
        &s,
        Request::get("/v1/devices")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(devices[0]["client"], reg["client"]);

    // The provider's key verifies the issued credential.
    let (_, provider) = send(
        &s,
        Request::get("/v1/provider").body(Body::empty()).unwrap(),
    )
    .await;
    let provider_key = unbase64(provider["signature_key"].as_str().unwrap());
    let cred = mimi::credential::ProviderCredential::from_bytes(&unbase64(
        reg["credential"].as_str().unwrap(),
    ))
    .unwrap();
    let id = cred
        .verify("hub.test", &provider_key, key.verifying_key().as_bytes())
        .unwrap();
    assert_eq!(id.user.to_string(), "mimi://hub.test/u/alice");
    // The user key approves the device over that credential, and the approval names it.
    let endorsed =
        mimi::credential::endorse(&user_key, &unbase64(reg["credential"].as_str().unwrap()))
            .unwrap();
    assert_eq!(
        mimi::credential::endorsement_of(&endorsed).unwrap(),
        Some(user_key.verifying_key().to_bytes().to_vec())
    );
}

#[tokio::test]
async fn errors_are_json_with_a_stable_code_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let s = state(&dir);
    let cases = [
        (
            post_json("/v1/register", json!({"name": "x"})),
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        (
            post_json(
                "/v1/register",
                json!({"name": "alice", "signature_key": "AAAA"}),
            ),
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        (
            // A new user without a user key.
            post_json(
                "/v1/register",
                json!({"name": "bob", "signature_key": base64_std(&[4; 32])}),
            ),
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        (
            // A user key that is not 32 bytes.
            post_json(
                "/v1/register",
                json!({
                    "name": "bob",
                    "signature_key": base64_std(&[4; 32]),
                    "user_key": base64_std(&[5; 31]),
                }),
            ),
            StatusCode::BAD_REQUEST,
            "malformed_body",
        ),
        (
            Request::get("/v1/devices").body(Body::empty()).unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            Request::get("/nope").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (req, status, code) in cases {
        let (st, body) = send(&s, req).await;
        assert_eq!((st, body["code"].as_str()), (status, Some(code)), "{body}");
    }
}

#[tokio::test]
async fn the_hub_keeps_its_provider_key_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let key_of = |s: &AppState| s.inner().provider_key.verifying_key().to_bytes();
    let first = key_of(&state(&dir));
    assert_eq!(key_of(&state(&dir)), first);
}

fn base64_std(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn unbase64(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}
