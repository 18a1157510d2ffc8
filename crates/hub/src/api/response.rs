//! How the hub's errors are said over HTTP: `{ "code": …, "message": … }` with the right status
//! (and `Retry-After` for the limits' refusals). 5xx details are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::Error;

/// The HTTP status of an error.
pub fn status(e: &Error) -> StatusCode {
    match e {
        Error::MalformedBody(_) | Error::InvalidHandshake(_) => StatusCode::BAD_REQUEST,
        Error::UnverifiedReport(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::BodyTooLarge | Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Unauthenticated(_)
        | Error::TokenExpired(_)
        | Error::TokenRevoked(_)
        | Error::BadLinkCode => StatusCode::UNAUTHORIZED,
        Error::RateLimited { .. } | Error::Quota { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Forbidden(_)
        | Error::NotYourIdentity(_)
        | Error::NotApproved(_)
        | Error::NotMember(_)
        | Error::NotAllowed(_) => StatusCode::FORBIDDEN,
        Error::UnknownRoom(_) | Error::UnknownUser(_) | Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict(..) | Error::WrongEpoch { .. } | Error::EpochTooOld { .. } => {
            StatusCode::CONFLICT
        }
        Error::Timeout => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    epoch: Option<u64>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = status(&self);
        let message = if matches!(self, Error::Internal(_)) {
            tracing::error!(error = %self, "request failed");
            "the hub failed to handle the request; see its log".to_owned()
        } else {
            self.to_string()
        };
        let epoch = self.epoch();
        let body = Body {
            code: self.code(),
            message,
            epoch,
        };
        let retry_after = self.retry_after();
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs.max(1)),
            );
        }
        response
    }
}

/// The answer to a request whose handler panicked: `500 internal` like any of the hub's own
/// failures; what the panic said goes to the log only.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!(
        panic = crate::panic_message(payload.as_ref()),
        "a request handler panicked"
    );
    Error::Internal("a request handler panicked".into()).into_response()
}
