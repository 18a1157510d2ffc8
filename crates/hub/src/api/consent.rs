//! The handlers of consent to be added (`crate::consent`, PROTO §5.7).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Account, ApiJson};
use crate::error::Result;
use crate::{AppState, consent};

#[derive(Deserialize)]
pub struct ConsentBody {
    operation: String,
    user: String,
    #[serde(default)]
    room: Option<String>,
}

/// `POST /v1/consent`: `{operation: request|cancel|grant|revoke, user, room?}`.
pub async fn update_consent(
    State(s): State<AppState>,
    Account(auth): Account,
    ApiJson(body): ApiJson<ConsentBody>,
) -> Result<Json<Value>> {
    let op = consent::Operation::parse(&body.operation)?;
    let wake = s
        .db(move |c, i| consent::update(c, &i.limits, &auth, op, &body.user, body.room.as_deref()))
        .await?;
    s.wake(&wake);
    Ok(Json(json!({})))
}

/// `GET /v1/consent`: the consents the caller gave and received, and the requests both ways.
pub async fn consents(
    State(s): State<AppState>,
    Account(auth): Account,
) -> Result<Json<consent::Consents>> {
    Ok(Json(s.db(move |c, _| consent::list(c, &auth)).await?))
}
