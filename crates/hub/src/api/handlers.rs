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

use super::{Account, ApiBytes, ApiJson, ClientAddr, b64, to_b64};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::principal::Principal;
use crate::{AppState, accounts, blocks, connections, room, store};

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
    #[serde(default)]
    user_key: Option<String>,
}

pub async fn register(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Json<accounts::Registered>> {
    s.inner().limiters.registration(addr)?;
    let key = b64("signature_key", &body.signature_key)?;
    let user_key = body
        .user_key
        .as_deref()
        .map(|k| b64("user_key", k))
        .transpose()?;
    let r = s
        .db(move |c, i| {
            accounts::register(
                c,
                &i.domain,
                &i.provider_key,
                &i.limits,
                accounts::Registration {
                    name: &body.name,
                    signature_key: &key,
                    user_key: user_key.as_deref(),
                    link_code: body.link_code.as_deref(),
                },
            )
        })
        .await?;
    Ok(Json(r))
}

#[derive(Deserialize, Default)]
pub struct LinkBody {
    #[serde(default)]
    device_keys: Option<String>,
}

pub async fn link_device(
    State(s): State<AppState>,
    Account(auth): Account,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>> {
    // The body is optional: an empty one asks for a bare code.
    let body: LinkBody = if body.is_empty() {
        LinkBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| Error::MalformedBody(e.to_string()))?
    };
    let keys = body
        .device_keys
        .as_deref()
        .map(|k| b64("device_keys", k))
        .transpose()?;
    let (code, expires_at) = s
        .db(move |c, i| accounts::issue_link_code(c, &i.limits, &auth, keys.as_deref()))
        .await?;
    Ok(Json(json!({ "code": code, "expires_at": expires_at })))
}

pub async fn devices(
    State(s): State<AppState>,
    Account(auth): Account,
) -> Result<Json<Vec<accounts::Device>>> {
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
    Account(auth): Account,
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
            accounts::upload_key_packages(c, &trust, &i.limits, &auth, &packages, last.as_deref())
        })
        .await?;
    s.wake(&wake);
    Ok(Json(json!({ "stored": n })))
}

pub async fn key_material(
    State(s): State<AppState>,
    Account(auth): Account,
    ApiBytes(body): ApiBytes,
) -> Result<Response> {
    let req: KeyMaterialRequest =
        decode(&body, "KeyMaterialRequest").map_err(|e| Error::MalformedBody(e.to_string()))?;
    s.inner().limiters.claim(&auth.user.to_string())?;
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
    /// Pseudonymous rooms: the creator leaf's wrapped identity_link_key (MIMIMI §4).
    #[serde(default)]
    identity_link: Option<String>,
}

pub async fn create_room(
    State(s): State<AppState>,
    auth: Principal,
    bearer: super::Bearer,
    ApiJson(body): ApiJson<CreateRoomBody>,
) -> Result<Json<Value>> {
    s.inner().limiters.creation(&bearer.0)?;
    let gi = b64("group_info", &body.group_info)?;
    let tree = b64("ratchet_tree", &body.ratchet_tree)?;
    let link = body
        .identity_link
        .as_deref()
        .map(|l| b64("identity_link", l))
        .transpose()?;
    let room = s
        .db(move |c, i| {
            let trust = accounts::trust(&i.domain, &i.provider_key);
            room::create(c, &trust, i, &auth, &gi, &tree, link.as_deref())
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
    auth: Principal,
    Path(id): Path<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>> {
    Limits::check_size(
        body.len(),
        s.inner().limits.max_commit_bytes,
        "a handshake bundle",
    )?;
    let room = room_uri(&s, &id)?;
    let acc = s
        .db(move |c, i| {
            let trust = accounts::trust(&i.domain, &i.provider_key);
            room::update(c, &trust, i.enforce_policy(), &auth, &room, &body)
        })
        .await?;
    s.wake(&acc.wake);
    Ok(Json(
        json!({ "accepted_timestamp": acc.timestamp, "epoch": acc.epoch }),
    ))
}

pub async fn submit_message(
    State(s): State<AppState>,
    bearer: super::Bearer,
    Path(id): Path<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Response> {
    Limits::check_size(body.len(), s.inner().limits.max_message_bytes, "a message")?;
    let room = room_uri(&s, &id);
    // The hottest endpoint: the token is looked up in the same database call.
    let (resp, wake) = s
        .db(move |c, i| {
            let auth = accounts::authenticate(c, &bearer.0)?;
            i.limiters.principal(&bearer.0)?;
            room::submit(c, i, &auth, &room?, &body)
        })
        .await?;
    s.wake(&wake);
    Ok(([(header::CONTENT_TYPE, TLS)], encode(&resp)).into_response())
}

fn own_queue(auth: &Principal, id: &str) -> Result<()> {
    if auth.client.local() == id {
        Ok(())
    } else {
        Err(Error::NotYourIdentity(format!(
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

/// The header naming further queues whose arrivals end a long-poll: the tokens of the client's
/// pseudonyms, comma-separated. The long-poll still returns only its own queue's entries; the
/// client then reads the others (each with its own token).
pub const WAKE_ON_HEADER: &str = "x-conclave-wake-on";
/// The most pseudonyms one long-poll may watch.
const MAX_WAKE_ON: usize = 256;

async fn wake_on(s: &AppState, headers: &header::HeaderMap) -> Result<Vec<String>> {
    let Some(v) = headers.get(WAKE_ON_HEADER) else {
        return Ok(Vec::new());
    };
    let hashes: Vec<Vec<u8>> = v
        .to_str()
        .map_err(|_| Error::MalformedBody(format!("{WAKE_ON_HEADER} is not ASCII")))?
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(accounts::secret_hash)
        .collect();
    if hashes.len() > MAX_WAKE_ON {
        return Err(Error::MalformedBody(format!(
            "{WAKE_ON_HEADER} names at most {MAX_WAKE_ON} tokens"
        )));
    }
    // A token the hub does not know (a pseudonym withdrawn with its KeyPackage set) only wakes
    // nothing: it must not fail the client's long-poll on its own queue.
    s.db(move |c, _| {
        let mut watched = Vec::new();
        for h in &hashes {
            // Only a pseudonym's queue can be watched; an ambiguous token watches nothing.
            if let Ok(p) = accounts::authenticate(c, h)
                && p.is_pseudonym()
            {
                watched.push(p.client.to_string());
            }
        }
        Ok(watched)
    })
    .await
}

pub async fn fetch_queue(
    State(s): State<AppState>,
    auth: Principal,
    Path(id): Path<String>,
    headers: header::HeaderMap,
    query: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>> {
    own_queue(&auth, &id)?;
    let Query(q) = query.map_err(|e| Error::MalformedBody(e.body_text()))?;
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_FETCH);
    let client = auth.client.to_string();
    let mut watched = vec![client.clone()];
    watched.extend(wake_on(&s, &headers).await?);
    let waiters: Vec<_> = watched.iter().map(|c| s.waiter(c)).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(q.wait.min(MAX_WAIT_SECS));
    loop {
        // Register for wake-ups before looking, so nothing enqueued in between is missed.
        let mut notified: Vec<_> = waiters
            .iter()
            .map(|w| Box::pin(w.clone().notified_owned()))
            .collect();
        for n in &mut notified {
            n.as_mut().enable();
        }
        let any = std::future::poll_fn(|cx| {
            for n in &mut notified {
                if n.as_mut().poll(cx).is_ready() {
                    return std::task::Poll::Ready(());
                }
            }
            std::task::Poll::Pending
        });
        let c = client.clone();
        let after = q.after;
        let entries = s
            .db(move |conn, i| {
                store::queue::fetch(conn, &c, after, limit, i.limits.queue_fetch_bytes)
            })
            .await?;
        if !entries.is_empty() || tokio::time::Instant::now() >= deadline || s.is_shutting_down() {
            let entries: Vec<Value> = entries
                .into_iter()
                .map(|e| {
                    json!({ "seq": e.seq, "kind": e.kind, "room": e.room, "data": to_b64(&e.data) })
                })
                .collect();
            return Ok(Json(json!({ "entries": entries })));
        }
        // A hub shutting down answers its waiting long-polls at once, so that they do not hold
        // up its graceful shutdown for their whole wait.
        tokio::select! {
            _ = tokio::time::timeout_at(deadline, any) => {}
            () = s.shutting_down() => {}
        }
    }
}

#[derive(Deserialize)]
pub struct AckBody {
    seq: u64,
}

pub async fn ack_queue(
    State(s): State<AppState>,
    auth: Principal,
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
    auth: Principal,
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
    Account(auth): Account,
    ApiJson(body): ApiJson<ConnectionKeyBody>,
) -> Result<Json<Value>> {
    let key = b64("public_key", &body.public_key)?;
    s.db(move |c, _| connections::set_connection_key(c, &auth, &key))
        .await?;
    Ok(Json(json!({})))
}

pub async fn connection_key(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    let (user, key) = s
        .db(move |c, i| connections::connection_key(c, &i.domain, &name))
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
    Account(auth): Account,
    ApiJson(body): ApiJson<ConnectionBody>,
) -> Result<Json<Value>> {
    let sealed = b64("sealed", &body.sealed)?;
    let wake = s
        .db(move |c, i| {
            connections::relay_connection(c, &i.limits, &auth, &body.to, &body.kind, &sealed)
        })
        .await?;
    s.wake(&wake);
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
pub struct PseudonymBody {
    credential: String,
    token: String,
}

/// Registers a lone client pseudonym (the creator's leaf of a new pseudonymous room).
pub async fn register_pseudonym(
    State(s): State<AppState>,
    Account(_): Account,
    bearer: super::Bearer,
    ApiJson(body): ApiJson<PseudonymBody>,
) -> Result<Json<Value>> {
    s.inner().limiters.creation(&bearer.0)?;
    let credential = b64("credential", &body.credential)?;
    s.db(move |c, i| {
        let trust = accounts::trust(&i.domain, &i.provider_key);
        crate::pseudonyms::register(c, &trust, &credential, &body.token)
    })
    .await?;
    Ok(Json(json!({})))
}

fn connection_token(hex_token: &str) -> Result<Vec<u8>> {
    hex::decode(hex_token)
        .ok()
        .filter(|t| t.len() == mimi::identity::NH)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "{hex_token:?} is not a connection token ({} bytes in hex)",
                mimi::identity::NH
            ))
        })
}

#[derive(Deserialize)]
pub struct PseudonymousKeyPackageBody {
    set_size: u32,
    key_package: String,
    token: String,
}

/// MIMIMI §8: uploads one pseudonymous KeyPackage into its set.
pub async fn upload_pseudonymous_key_package(
    State(s): State<AppState>,
    Account(_): Account,
    bearer: super::Bearer,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<PseudonymousKeyPackageBody>,
) -> Result<Json<Value>> {
    s.inner().limiters.creation(&bearer.0)?;
    let upload = crate::pseudonyms::Upload {
        connection_token: connection_token(&token)?,
        set_size: body.set_size,
        key_package: b64("key_package", &body.key_package)?,
        token: body.token,
    };
    Limits::check_size(
        upload.key_package.len(),
        s.inner().limits.max_key_package_bytes,
        "a KeyPackage",
    )?;
    s.db(move |c, i| {
        let trust = accounts::trust(&i.domain, &i.provider_key);
        crate::pseudonyms::upload(c, &trust, &upload)
    })
    .await?;
    Ok(Json(json!({})))
}

/// The KeyPackage sets waiting under a connection token.
pub async fn pseudonymous_sets(
    State(s): State<AppState>,
    Account(_): Account,
    Path(token): Path<String>,
) -> Result<Json<Vec<crate::pseudonyms::SetInfo>>> {
    let token = connection_token(&token)?;
    Ok(Json(
        s.db(move |c, _| crate::pseudonyms::sets(c, &token)).await?,
    ))
}

/// Hands out (once) the oldest complete KeyPackage set under a connection token.
pub async fn claim_pseudonymous(
    State(s): State<AppState>,
    Account(_): Account,
    Path(token): Path<String>,
) -> Result<Json<Value>> {
    let token = connection_token(&token)?;
    let (user_pseudonym, packages) = s
        .db(move |c, _| crate::pseudonyms::claim(c, &token))
        .await?;
    Ok(Json(json!({
        "user_pseudonym": user_pseudonym,
        "key_packages": packages.iter().map(|p| to_b64(p)).collect::<Vec<_>>(),
    })))
}

/// Withdraws a KeyPackage set that was never claimed; `set` is its user pseudonym's id.
pub async fn drop_pseudonymous_set(
    State(s): State<AppState>,
    Account(_): Account,
    Path((token, set)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let token = connection_token(&token)?;
    let n = s
        .db(move |c, i| {
            let user = mimi::uri::UserUri::new(&i.domain, &set)
                .map_err(|e| Error::NotFound(format!("no set {set:?}: {e}")))?;
            crate::pseudonyms::drop_set(c, &token, &user.to_string())
        })
        .await?;
    Ok(Json(json!({ "deleted": n })))
}

/// MIMIMI §4.1 step 4: the wrapped identity_link_keys of a room's leaves, for its members.
pub async fn identity_links(
    State(s): State<AppState>,
    auth: Principal,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let room = room_uri(&s, &id)?;
    let links = s
        .db(move |c, _| room::identity_links(c, &auth, &room))
        .await?;
    Ok(Json(json!({
        "links": links
            .iter()
            .map(|(client, wrapped)| json!({ "client": client, "wrapped": to_b64(wrapped) }))
            .collect::<Vec<_>>(),
    })))
}

/// `GET /v1/rooms/{room}/commits/{hash}`: whether the caller's commit was accepted.
pub async fn commit_status(
    State(s): State<AppState>,
    auth: Principal,
    Path((id, hash)): Path<(String, String)>,
) -> Result<Json<Value>> {
    let room = room_uri(&s, &id)?;
    let o = s
        .db(move |c, _| room::commit_status(c, &auth, &room, &hash))
        .await?;
    Ok(Json(
        json!({ "accepted_timestamp": o.timestamp, "epoch": o.epoch }),
    ))
}

/// `GET /v1/rooms/{room}/group-info/{epoch}`: the room's GroupInfo at that epoch (TLS).
pub async fn group_info_at(
    State(s): State<AppState>,
    auth: Principal,
    Path((id, epoch)): Path<(String, String)>,
) -> Result<Response> {
    let room = room_uri(&s, &id)?;
    let epoch: u64 = epoch
        .parse()
        .map_err(|_| Error::MalformedBody(format!("{epoch:?} is not an epoch number")))?;
    let gi = s
        .db(move |c, _| room::group_info_at(c, &auth, &room, epoch))
        .await?;
    Ok(([(header::CONTENT_TYPE, TLS)], gi).into_response())
}

#[derive(Deserialize)]
pub struct BlockBody {
    user: String,
}

/// Blocks a user: their connection requests and invitations no longer reach the caller's user.
pub async fn block(
    State(s): State<AppState>,
    Account(auth): Account,
    bearer: super::Bearer,
    ApiJson(body): ApiJson<BlockBody>,
) -> Result<Json<Value>> {
    s.inner().limiters.creation(&bearer.0)?;
    s.db(move |c, _| blocks::block(c, &auth, &body.user))
        .await?;
    Ok(Json(json!({})))
}

/// Lifts a block.
pub async fn unblock(
    State(s): State<AppState>,
    Account(auth): Account,
    Path(user): Path<String>,
) -> Result<Json<Value>> {
    let lifted = s.db(move |c, _| blocks::unblock(c, &auth, &user)).await?;
    Ok(Json(json!({ "lifted": lifted })))
}

/// The users the caller's user blocked.
pub async fn blocks(State(s): State<AppState>, Account(auth): Account) -> Result<Json<Value>> {
    let users = s.db(move |c, _| blocks::blocked(c, &auth)).await?;
    Ok(Json(json!({ "blocked": users })))
}
