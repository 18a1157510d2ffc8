//! The handlers of a device's own token and removal (`crate::tokens`).

use axum::Json;
use axum::extract::{Path, State};
use mimi::uri::ClientUri;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Account, ApiJson, ClientAddr, b64};
use crate::error::{Error, Result};
use crate::{AppState, tokens};

/// `POST /v1/token`: a new token for the caller's device; the old one is void at once.
pub async fn renew_token(State(s): State<AppState>, Account(auth): Account) -> Result<Json<Value>> {
    let lifetime = s.inner().limits.token_lifetime_secs;
    let t = s.db(move |c, _| tokens::renew(c, &auth, lifetime)).await?;
    Ok(Json(
        json!({ "token": t.token, "expires_at": t.expires_at }),
    ))
}

#[derive(Deserialize)]
pub struct SignedRenewalBody {
    client: String,
    at: u64,
    signature: String,
}

/// `POST /v1/token/signed`: a new token for a device whose token expired, on a signature of its
/// device key. No bearer token; counted like a registration against the address.
pub async fn renew_token_signed(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(body): ApiJson<SignedRenewalBody>,
) -> Result<Json<Value>> {
    s.inner().limiters.registration(addr)?;
    let signature = b64("signature", &body.signature)?;
    let lifetime = s.inner().limits.token_lifetime_secs;
    let t = s
        .db(move |c, _| tokens::renew_signed(c, &body.client, body.at, &signature, lifetime))
        .await?;
    Ok(Json(
        json!({ "token": t.token, "expires_at": t.expires_at }),
    ))
}

/// `DELETE /v1/devices/{client}`: a device removes itself; its token is revoked at once.
pub async fn remove_device(
    State(s): State<AppState>,
    Account(auth): Account,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let client = ClientUri::new(&s.inner().domain, &id)
        .map_err(|e| Error::MalformedBody(format!("no device {id:?}: {e}")))?;
    s.db(move |c, _| tokens::revoke(c, &auth, &client.to_string()))
        .await?;
    Ok(Json(json!({})))
}
