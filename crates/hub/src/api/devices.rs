//! The handlers of a device's own token and removal (`crate::tokens`), and of a new device's
//! KeyPackages for its user's pseudonymous rooms (`crate::siblings`).

use axum::Json;
use axum::extract::{Path, State};
use mimi::uri::ClientUri;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Account, ApiBytes, ApiJson, ClientAddr, b64};
use crate::error::{Error, Result};
use crate::principal::Principal;
use crate::{AppState, accounts, siblings, tokens};

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

#[derive(Deserialize)]
pub struct RemovalBody {
    at: u64,
    signature: String,
}

/// `DELETE /v1/devices/{client}`: a device removes itself (no body), or another device of its
/// user with the removal signed by the user key (`{at, signature}`); the token is revoked at once.
pub async fn remove_device(
    State(s): State<AppState>,
    Account(auth): Account,
    Path(id): Path<String>,
    ApiBytes(body): ApiBytes,
) -> Result<Json<Value>> {
    let client = ClientUri::new(&s.inner().domain, &id)
        .map_err(|e| Error::MalformedBody(format!("no device {id:?}: {e}")))?;
    let signed = if body.is_empty() {
        None
    } else {
        let b: RemovalBody =
            serde_json::from_slice(&body).map_err(|e| Error::MalformedBody(e.to_string()))?;
        Some(tokens::SignedRemoval {
            at: b.at,
            signature: b64("signature", &b.signature)?,
        })
    };
    s.db(move |c, _| tokens::revoke(c, &auth, &client.to_string(), signed.as_ref()))
        .await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
pub struct SiblingBody {
    key_package: String,
}

/// `POST /v1/pseudonyms/sibling-key-package` (a client pseudonym's token): one KeyPackage for a
/// device of its user pseudonym to claim.
pub async fn upload_sibling_key_package(
    State(s): State<AppState>,
    auth: Principal,
    ApiJson(body): ApiJson<SiblingBody>,
) -> Result<Json<Value>> {
    let kp = b64("key_package", &body.key_package)?;
    s.db(move |c, i| {
        let trust = accounts::trust(&i.domain, &i.provider_key);
        siblings::upload(c, &trust, &i.limits, &auth, &kp)
    })
    .await?;
    Ok(Json(json!({})))
}

/// `POST /v1/pseudonyms/sibling-key-packages/claim` (a client pseudonym's token, in a room): the
/// KeyPackages other client pseudonyms of its user pseudonym left, each handed out once.
pub async fn claim_sibling_key_packages(
    State(s): State<AppState>,
    auth: Principal,
) -> Result<Json<Value>> {
    let packages = s.db(move |c, _| siblings::claim(c, &auth)).await?;
    Ok(Json(json!({
        "key_packages": packages.iter().map(|p| super::to_b64(p)).collect::<Vec<_>>(),
    })))
}
