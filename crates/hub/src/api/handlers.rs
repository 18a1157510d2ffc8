//! The handlers: parse, authenticate, call the domain module, answer.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mimi::uri::RoomUri;
use mimi::wire::{KeyMaterialRequest, decode, encode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiBytes, ApiJson, Auth, b64, to_b64};
use crate::error::{Error, Result};
use crate::{AppState, accounts, room, store};

const TLS: &str = "application/octet-stream";
/// The longest a queue long-poll waits.
const MAX_WAIT_SECS: u64 = 30;
/// The most entries one queue fetch returns.
const MAX_FETCH: u32 = 500;

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn not_found(uri: axum::http::Uri) -> Error {
    Error::NotFound(format!("no endpoint {}", uri.path()))
}

pub async fn provider(State(s): State<AppState>) -> Result<Json<Value>> {
    let i = s.inner();
    let credential = tls_codec::Serialize::tls_serialize_detached(&i.hub_credential())
        .map_err(Error::internal)?;
    Ok(Json(json!({
        "domain": i.domain,
        "signature_key": to_b64(i.provider_key.verifying_key().as_bytes()),
        "hub_credential": to_b64(&credential),
        "franking_agent": to_b64(&i.franking_agent()?.to_bytes()),
    })))
}

#[derive(Deserialize)]
pub struct RegisterBody {
    name: String,
    signature_key: String,
    #[serde(default)]
    link_code: Option<String>,
}

pub async fn register(
    State(s): State<AppState>,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Json<accounts::Registered>> {
    let key = b64("signature_key", &body.signature_key)?;
    let r = s
        .db(move |c, i| {
            accounts::register(
                c,
                &i.domain,
                &i.provider_key,
                &body.name,
                &key,
                body.link_code.as_deref(),
            )
        })
        .await?;
    Ok(Json(r))
}

pub async fn link_device(State(s): State<AppState>, auth: Auth) -> Result<Json<Value>> {
    let (code, expires_at) = s
        .db(move |c, _| accounts::issue_link_code(c, &auth))
        .await?;
    Ok(Json(json!({ "code": code, "expires_at": expires_at })))
}

pub async fn devices(State(s): State<AppState>, auth: Auth) -> Result<Json<Vec<accounts::Device>>> {
    Ok(Json(s.db(move |c, _| accounts::devices(c, &auth)).await?))
}

#[derive(Deserialize)]
pub struct KeyPackagesBody {
    #[serde(default)]
    key_packages: Vec<String>,
    #[serde(default)]
    last_resort: Option<String>,
}

pub async fn upload_key_packages(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<KeyPackagesBody>,
) -> Result<Json<Value>> {
    let packages = body
        .key_packages
        .iter()
        .map(|k| b64("key_packages", k))
        .collect::<Result<Vec<_>>>()?;
    let last = body
        .last_resort
        .as_deref()
        .map(|k| b64("last_resort", k))
        .transpose()?;
    let n = packages.len() + usize::from(last.is_some());
    let wake = s
        .db(move |c, i| {
            let trust = accounts::trust(&i.domain, &i.provider_key);
            accounts::upload_key_packages(c, &trust, &auth, &packages, last.as_deref())
        })
        .await?;
    s.wake(&wake);
    Ok(Json(json!({ "stored": n })))
}

pub async fn key_material(
    State(s): State<AppState>,
    auth: Auth,
    ApiBytes(body): ApiBytes,
) -> Result<Response> {
    let req: KeyMaterialRequest =
        decode(&body, "KeyMaterialRequest").map_err(|e| Error::MalformedBody(e.to_string()))?;
    let resp = s
        .db(move |c, i| {
            let trust = accounts::trust(&i.domain, &i.provider_key);
            accounts::claim_key_material(c, &trust, &auth, &req)
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, TLS)], encode(&resp)).into_response())
}

#[derive(Deserialize)]
pub struct CreateRoomBody {
    group_info: String,
    ratchet_tree: String,
}

pub async fn create_room(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateRoomBody>,
) -> Result<Json<Value>> {
    let gi = b64("group_info", &body.group_info)?;
    let tree = b64("ratchet_tree", &body.ratchet_tree)?;
    let room = s
        .db(move |c, i| {
            let trust = accounts::trust(&i.domain, &i.provider_key);
            room::create(c, &trust, i, &auth, &gi, &tree)
        })
        .await?;
    Ok(Json(json!({ "room": room.to_string() })))
}

fn room_uri(s: &AppState, id: &str) -> Result<RoomUri> {
    RoomUri::new(&s.inner().domain, id)
        .map_err(|e| Error::UnknownRoom(format!("no room {id:?} on this hub: {e}")))
}

pub async fn update_room(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>> {
    let room = room_uri(&s, &id)?;
    let acc = s
        .db(move |c, i| {
            let trust = accounts::trust(&i.domain, &i.provider_key);
            room::update(c, &trust, i.enforce_policy, &auth, &room, &body)
        })
        .await?;
    s.wake(&acc.wake);
    Ok(Json(
        json!({ "accepted_timestamp": acc.timestamp, "epoch": acc.epoch }),
    ))
}

pub async fn submit_message(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Response> {
    let room = room_uri(&s, &id)?;
    let (resp, wake) = s
        .db(move |c, i| room::submit(c, i, &auth, &room, &body))
        .await?;
    s.wake(&wake);
    Ok(([(header::CONTENT_TYPE, TLS)], encode(&resp)).into_response())
}

fn own_queue(auth: &Auth, id: &str) -> Result<()> {
    if auth.client.local() == id {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "the queue of client {id:?} is not yours; you are {}",
            auth.client
        )))
    }
}

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    wait: u64,
    #[serde(default)]
    limit: Option<u32>,
}

pub async fn fetch_queue(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    query: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>> {
    own_queue(&auth, &id)?;
    let Query(q) = query.map_err(|e| Error::MalformedBody(e.body_text()))?;
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_FETCH);
    let client = auth.client.to_string();
    let waiter = s.waiter(&client);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(q.wait.min(MAX_WAIT_SECS));
    loop {
        // Register for wake-ups before looking, so nothing enqueued in between is missed.
        let notified = waiter.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let c = client.clone();
        let after = q.after;
        let entries = s
            .db(move |conn, _| store::queue::fetch(conn, &c, after, limit))
            .await?;
        if !entries.is_empty() || tokio::time::Instant::now() >= deadline {
            let entries: Vec<Value> = entries
                .into_iter()
                .map(|e| {
                    json!({ "seq": e.seq, "kind": e.kind, "room": e.room, "data": to_b64(&e.data) })
                })
                .collect();
            return Ok(Json(json!({ "entries": entries })));
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

#[derive(Deserialize)]
pub struct AckBody {
    seq: u64,
}

pub async fn ack_queue(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AckBody>,
) -> Result<Json<Value>> {
    own_queue(&auth, &id)?;
    let client = auth.client.to_string();
    let deleted = s
        .db(move |c, _| {
            if body.seq > store::queue::head(c, &client)? {
                return Err(Error::MalformedBody(format!(
                    "seq {} was never handed out",
                    body.seq
                )));
            }
            store::queue::ack(c, &client, body.seq)
        })
        .await?;
    Ok(Json(json!({ "deleted": deleted })))
}

pub async fn report_abuse(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>> {
    let room = room_uri(&s, &id)?;
    let filed = s
        .db(move |c, i| crate::reports::receive(c, i, &auth, &room, &body))
        .await?;
    Ok(Json(json!({ "id": filed.id, "verified": filed.verified })))
}

#[derive(Deserialize)]
pub struct ConnectionKeyBody {
    public_key: String,
}

pub async fn set_connection_key(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ConnectionKeyBody>,
) -> Result<Json<Value>> {
    let key = b64("public_key", &body.public_key)?;
    s.db(move |c, _| accounts::set_connection_key(c, &auth, &key))
        .await?;
    Ok(Json(json!({})))
}

pub async fn connection_key(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    let (user, key) = s
        .db(move |c, i| accounts::connection_key(c, &i.domain, &name))
        .await?;
    Ok(Json(
        json!({ "user": user.to_string(), "public_key": to_b64(&key) }),
    ))
}

#[derive(Deserialize)]
pub struct ConnectionBody {
    to: String,
    kind: String,
    sealed: String,
}

pub async fn relay_connection(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ConnectionBody>,
) -> Result<Json<Value>> {
    let sealed = b64("sealed", &body.sealed)?;
    let wake = s
        .db(move |c, _| accounts::relay_connection(c, &auth, &body.to, &body.kind, &sealed))
        .await?;
    s.wake(&wake);
    Ok(Json(json!({})))
}
