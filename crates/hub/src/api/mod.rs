//! The HTTP surface: the router, authentication and body extractors that answer bad input with
//! the hub's JSON errors. Handlers are small and call into domain modules.

mod consent;
mod devices;
mod handlers;
mod response;
mod serve;
#[cfg(feature = "test-switches")]
mod test_panic;
pub mod tls;

pub use serve::{forget_idle_limits, serve};

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::error_handling::HandleErrorLayer;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::Method;
use axum::http::request::Parts;
use axum::routing::MethodRouter;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::accounts;
use crate::error::Error;
use crate::principal::Principal;

/// Every route of the hub: method, path and handler. The router is built from this list, and
/// the access-control matrix test (`tests/tests/access.rs`) fails when one has no rows there.
pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    use axum::routing::{delete, get, post, put};
    use handlers as h;
    vec![
        (Method::GET, "/health", get(h::health)),
        (Method::GET, "/v1/provider", get(h::provider)),
        (Method::POST, "/v1/register", post(h::register)),
        (Method::GET, "/v1/devices", get(h::devices)),
        (
            Method::PUT,
            "/v1/connection-key",
            put(h::set_connection_key),
        ),
        (
            Method::GET,
            "/v1/users/{name}/connection-key",
            get(h::connection_key),
        ),
        (Method::POST, "/v1/connections", post(h::relay_connection)),
        (Method::POST, "/v1/consent", post(consent::update_consent)),
        (Method::GET, "/v1/consent", get(consent::consents)),
        (Method::GET, "/v1/blocks", get(h::blocks)),
        (Method::POST, "/v1/blocks", post(h::block)),
        (Method::DELETE, "/v1/blocks/{user}", delete(h::unblock)),
        (Method::POST, "/v1/devices/link", post(h::link_device)),
        (
            Method::DELETE,
            "/v1/devices/{client}",
            delete(devices::remove_device),
        ),
        (Method::POST, "/v1/token", post(devices::renew_token)),
        (
            Method::POST,
            "/v1/token/signed",
            post(devices::renew_token_signed),
        ),
        (
            Method::POST,
            "/v1/key-packages",
            post(h::upload_key_packages),
        ),
        (Method::POST, "/v1/keyMaterial", post(h::key_material)),
        (Method::POST, "/v1/rooms", post(h::create_room)),
        (
            Method::POST,
            "/v1/rooms/{room}/update",
            post(h::update_room),
        ),
        (
            Method::POST,
            "/v1/rooms/{room}/submitMessage",
            post(h::submit_message),
        ),
        (
            Method::POST,
            "/v1/rooms/{room}/reportAbuse",
            post(h::report_abuse),
        ),
        (
            Method::GET,
            "/v1/rooms/{room}/commits/{hash}",
            get(h::commit_status),
        ),
        (
            Method::GET,
            "/v1/rooms/{room}/group-info/{epoch}",
            get(h::group_info_at),
        ),
        (
            Method::GET,
            "/v1/rooms/{room}/identity-links",
            get(h::identity_links),
        ),
        (Method::POST, "/v1/pseudonyms", post(h::register_pseudonym)),
        (
            Method::POST,
            "/v1/pseudonyms/sibling-key-package",
            post(devices::upload_sibling_key_package),
        ),
        (
            Method::POST,
            "/v1/pseudonyms/sibling-key-packages/claim",
            post(devices::claim_sibling_key_packages),
        ),
        (
            Method::GET,
            "/v1/pseudonymous-key-packages/{token}",
            get(h::pseudonymous_sets),
        ),
        (
            Method::POST,
            "/v1/pseudonymous-key-packages/{token}",
            post(h::upload_pseudonymous_key_package),
        ),
        (
            Method::POST,
            "/v1/pseudonymous-key-packages/{token}/claim",
            post(h::claim_pseudonymous),
        ),
        (
            Method::DELETE,
            "/v1/pseudonymous-key-packages/{token}/{set}",
            delete(h::drop_pseudonymous_set),
        ),
        (
            Method::GET,
            "/v1/clients/{client}/queue",
            get(h::fetch_queue),
        ),
        (
            Method::POST,
            "/v1/clients/{client}/queue/ack",
            post(h::ack_queue),
        ),
    ]
}

/// The hub's routes ([`routes`]). Layers, outermost first: tracing, a panic answered `500
/// internal`, body-size limit, timeout.
pub fn router(state: AppState) -> Router {
    let limit = state.inner().limits.max_body_bytes;
    let mut router = Router::new();
    for (_, path, handler) in routes() {
        // Two methods on one path merge into one route.
        router = router.route(path, handler);
    }
    // Test-only and not one of `routes()`: release builds have no such endpoint.
    #[cfg(feature = "test-switches")]
    let router = router.route("/v1/test/panic", axum::routing::post(test_panic::panic));
    router
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limit_address,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    Error::Timeout
                }))
                .timeout(Duration::from_secs(60)),
        )
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            response::panic_response,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Counts every request against its client address's rate before anything else is done.
async fn limit_address(
    axum::extract::State(state): axum::extract::State<AppState>,
    ClientAddr(addr): ClientAddr,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    match state.inner().limiters.address(addr) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// The authenticated client of a request that acts for an account (devices, KeyPackages,
/// connections, claiming key material): a pseudonym's token is refused.
#[derive(Debug, Clone)]
pub struct Account(pub Principal);

impl FromRequestParts<AppState> for Account {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let principal = Principal::from_request_parts(parts, state).await?;
        if principal.is_pseudonym() {
            return Err(Error::Forbidden(
                "a pseudonym's token acts only in its room and on its queue; use the account's token"
                    .into(),
            ));
        }
        Ok(Account(principal))
    }
}

/// The bearer token of a request, hashed, not yet looked up: for hot endpoints that look it up
/// inside their own database call ([`accounts::authenticate`]), one trip instead of two.
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
        Ok(Bearer(accounts::secret_hash(token.trim())))
    }
}

/// The address of the client behind a request ([`crate::limits::Limiters::client_address`]):
/// the peer's, or what a trusted reverse proxy says it is.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        // Served without connection info (in-process router tests), every request shares one
        // address.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED));
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(ClientAddr(
            state.inner().limiters.client_address(peer, forwarded),
        ))
    }
}

/// Every authenticated endpoint takes the caller as a [`Principal`], resolved from the token
/// and counted against its rate (a made-up token is counted by its address only).
impl FromRequestParts<AppState> for Principal {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let bearer = Bearer::from_request_parts(parts, state).await?;
        let hash = bearer.0.clone();
        let principal = state
            .db(move |c, _| accounts::authenticate(c, &bearer.0))
            .await?;
        state.inner().limiters.principal(&hash)?;
        Ok(principal)
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
