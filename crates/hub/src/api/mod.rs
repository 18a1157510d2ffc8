//! The HTTP surface: the router, authentication and body extractors that answer bad input with
//! the hub's JSON errors. Handlers are small and call into domain modules.

mod handlers;

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::error_handling::HandleErrorLayer;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::routing::{get, post};
use base64::Engine as _;
use mimi::uri::{ClientUri, UserUri};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

use crate::error::Error;
use crate::{AppState, store};

/// The hub's routes. Layers, outermost first: tracing, body-size limit, timeout.
pub fn router(state: AppState) -> Router {
    let limit = state.inner().body_limit;
    Router::new()
        .route("/health", get(handlers::health))
        .route("/v1/provider", get(handlers::provider))
        .route("/v1/register", post(handlers::register))
        .route("/v1/devices", get(handlers::devices))
        .route(
            "/v1/connection-key",
            axum::routing::put(handlers::set_connection_key),
        )
        .route(
            "/v1/users/{name}/connection-key",
            get(handlers::connection_key),
        )
        .route("/v1/connections", post(handlers::relay_connection))
        .route("/v1/devices/link", post(handlers::link_device))
        .route("/v1/key-packages", post(handlers::upload_key_packages))
        .route("/v1/keyMaterial", post(handlers::key_material))
        .route("/v1/rooms", post(handlers::create_room))
        .route("/v1/rooms/{room}/update", post(handlers::update_room))
        .route(
            "/v1/rooms/{room}/submitMessage",
            post(handlers::submit_message),
        )
        .route("/v1/rooms/{room}/reportAbuse", post(handlers::report_abuse))
        .route("/v1/pseudonyms", post(handlers::register_pseudonym))
        .route(
            "/v1/pseudonymous-key-packages/{token}",
            get(handlers::pseudonymous_sets).post(handlers::upload_pseudonymous_key_package),
        )
        .route(
            "/v1/pseudonymous-key-packages/{token}/claim",
            post(handlers::claim_pseudonymous),
        )
        .route(
            "/v1/pseudonymous-key-packages/{token}/{set}",
            axum::routing::delete(handlers::drop_pseudonymous_set),
        )
        .route(
            "/v1/rooms/{room}/identity-links",
            get(handlers::identity_links),
        )
        .route("/v1/clients/{client}/queue", get(handlers::fetch_queue))
        .route("/v1/clients/{client}/queue/ack", post(handlers::ack_queue))
        .fallback(handlers::not_found)
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    Error::Timeout
                }))
                .timeout(Duration::from_secs(60)),
        )
        .layer(DefaultBodyLimit::max(limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The authenticated client of a request (`Authorization: Bearer TOKEN`): a registered client
/// (an account), or a client pseudonym of a pseudonymous room ([`crate::pseudonyms`]).
/// Endpoints that act for an account take [`Account`] instead.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The client (a client pseudonym if `pseudonymous`).
    pub client: ClientUri,
    /// Its user (a user pseudonym if `pseudonymous`).
    pub user: UserUri,
    /// A pseudonym: it may act in its room and read its queue, nothing else.
    pub pseudonymous: bool,
}

/// The authenticated client of a request that acts for an account (devices, KeyPackages,
/// connections, claiming key material): a pseudonym's token is refused.
#[derive(Debug, Clone)]
pub struct Account(pub Auth);

impl FromRequestParts<AppState> for Account {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let auth = Auth::from_request_parts(parts, state).await?;
        if auth.pseudonymous {
            return Err(Error::Forbidden(
                "a pseudonym's token acts only in its room and on its queue; use the account's token"
                    .into(),
            ));
        }
        Ok(Account(auth))
    }
}

/// SHA-256 of a secret, as stored (tokens and link codes are never stored in clear).
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The bearer token of a request, hashed, not yet looked up: for hot endpoints that look it up
/// inside their own database call ([`Auth::lookup`]), one trip instead of two.
#[derive(Debug, Clone)]
pub struct Bearer(pub Vec<u8>);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| Error::Unauthenticated("no Authorization header".into()))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .ok_or_else(|| {
                Error::Unauthenticated("the Authorization header is not a bearer token".into())
            })?;
        Ok(Bearer(secret_hash(token.trim())))
    }
}

impl Auth {
    /// Looks a hashed token up: a client's, else a pseudonym's.
    pub fn lookup(conn: &rusqlite::Connection, bearer: &Bearer) -> Result<Auth, Error> {
        let (row, pseudonymous) = match store::client_by_token(conn, &bearer.0)? {
            Some(row) => (row, false),
            None => (
                crate::pseudonyms::by_token(conn, &bearer.0)?
                    .ok_or_else(|| Error::Unauthenticated("unknown token".into()))?,
                true,
            ),
        };
        Ok(Auth {
            client: ClientUri::parse(&row.uri).map_err(Error::internal)?,
            user: UserUri::parse(&row.user_uri).map_err(Error::internal)?,
            pseudonymous,
        })
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let bearer = Bearer::from_request_parts(parts, state).await?;
        state.db(move |c, _| Auth::lookup(c, &bearer)).await
    }
}

/// A JSON body whose rejections are the hub's errors.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(t)) => Ok(ApiJson(t)),
            Err(JsonRejection::BytesRejection(b)) => Err(bytes_error(b)),
            Err(e) => Err(Error::MalformedBody(e.body_text())),
        }
    }
}

/// A binary (TLS-PL) body whose rejections are the hub's errors.
pub struct ApiBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBytes {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        Bytes::from_request(req, state)
            .await
            .map(ApiBytes)
            .map_err(bytes_error)
    }
}

fn bytes_error(e: BytesRejection) -> Error {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::BodyTooLarge
    } else {
        Error::MalformedBody(e.body_text())
    }
}

/// Decodes a base64 field of a JSON body.
pub fn b64(field: &'static str, s: &str) -> Result<Vec<u8>, Error> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| Error::MalformedBody(format!("{field} is not valid base64")))
}

/// Encodes bytes for a JSON body.
pub fn to_b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}
