//! The hub's errors, and how they are said over HTTP: `{ "code": …, "message": … }` with the right
//! status. 5xx details are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use thiserror::Error;

/// Everything a request can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is not what the endpoint takes.
    #[error("{0}")]
    MalformedBody(String),
    /// The body is larger than the hub accepts.
    #[error("the request body is larger than the hub accepts")]
    BodyTooLarge,
    /// One part of a request is larger than the hub accepts (a message, a commit).
    #[error("{0}")]
    TooLarge(String),
    /// No or an unknown bearer token.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but this is not yours to do.
    #[error("{0}")]
    Forbidden(String),
    /// The request names an identity (client, user, sender, reporter) that is not the token's
    /// own principal.
    #[error("{0}")]
    NotYourIdentity(String),
    /// Too many requests from this principal or address; try again after `retry_after` seconds.
    #[error("{message}")]
    RateLimited {
        /// Seconds until a retry may succeed (the `Retry-After` header).
        retry_after: u64,
        /// What was limited.
        message: String,
    },
    /// A quota is used up (stored KeyPackages, open link codes, pending connection requests,
    /// reports per hour); the code names which.
    #[error("{message}")]
    Quota {
        /// The stable code.
        code: &'static str,
        /// Seconds until a retry may succeed (the `Retry-After` header).
        retry_after: u64,
        /// What is used up.
        message: String,
    },
    /// The client is not a member of the room.
    #[error("{0}")]
    NotMember(String),
    /// Room policy refuses the change (POLICY; PROTO notAllowed).
    #[error("{0}")]
    NotAllowed(String),
    /// No such room.
    #[error("{0}")]
    UnknownRoom(String),
    /// No such endpoint.
    #[error("{0}")]
    NotFound(String),
    /// No such user.
    #[error("{0}")]
    UnknownUser(String),
    /// The name or room is taken, or the thing is in another state.
    #[error("{1}")]
    Conflict(&'static str, String),
    /// The handshake is for another epoch (PROTO wrongEpoch).
    #[error("the room is at epoch {epoch}: {message}")]
    WrongEpoch {
        /// The hub's current epoch.
        epoch: u64,
        /// What happened.
        message: String,
    },
    /// The application message is for an old epoch (PROTO epochTooOld).
    #[error("the room is at epoch {epoch}; the message is for epoch {message_epoch}")]
    EpochTooOld {
        /// The hub's current epoch.
        epoch: u64,
        /// The message's epoch.
        message_epoch: u64,
    },
    /// A handshake OpenMLS refuses.
    #[error("{0}")]
    InvalidHandshake(String),
    /// An abuse report whose messages do not verify (it is filed, marked unverified).
    #[error("{0}")]
    UnverifiedReport(String),
    /// A link code that is unknown, used or expired.
    #[error("the link code is unknown, already used or expired")]
    BadLinkCode,
    /// The request took longer than the hub allows.
    #[error("the hub took too long to answer; try again")]
    Timeout,
    /// Something broke inside the hub.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result with the hub's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MalformedBody(_) => "malformed_body",
            Error::BodyTooLarge | Error::TooLarge(_) => "body_too_large",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::NotYourIdentity(_) => "not_your_identity",
            Error::RateLimited { .. } => "rate_limited",
            Error::Quota { code, .. } => code,
            Error::NotMember(_) => "not_member",
            Error::NotAllowed(_) => "not_allowed",
            Error::UnknownRoom(_) => "unknown_room",
            Error::UnknownUser(_) => "unknown_user",
            Error::NotFound(_) => "not_found",
            Error::Conflict(code, _) => code,
            Error::WrongEpoch { .. } => "wrong_epoch",
            Error::EpochTooOld { .. } => "epoch_too_old",
            Error::InvalidHandshake(_) => "invalid_handshake",
            Error::BadLinkCode => "bad_link_code",
            Error::UnverifiedReport(_) => "report_not_verified",
            Error::Timeout => "timeout",
            Error::Internal(_) => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::MalformedBody(_) | Error::InvalidHandshake(_) => StatusCode::BAD_REQUEST,
            Error::UnverifiedReport(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BodyTooLarge | Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unauthenticated(_) | Error::BadLinkCode => StatusCode::UNAUTHORIZED,
            Error::RateLimited { .. } | Error::Quota { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Forbidden(_)
            | Error::NotYourIdentity(_)
            | Error::NotMember(_)
            | Error::NotAllowed(_) => StatusCode::FORBIDDEN,
            Error::UnknownRoom(_) | Error::UnknownUser(_) | Error::NotFound(_) => {
                StatusCode::NOT_FOUND
            }
            Error::Conflict(..) | Error::WrongEpoch { .. } | Error::EpochTooOld { .. } => {
                StatusCode::CONFLICT
            }
            Error::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Any lower-level failure that is the hub's own fault.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::internal(e)
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
        let status = self.status();
        let message = if matches!(self, Error::Internal(_)) {
            tracing::error!(error = %self, "request failed");
            "the hub failed to handle the request; see its log".to_owned()
        } else {
            self.to_string()
        };
        let epoch = match &self {
            Error::WrongEpoch { epoch, .. } | Error::EpochTooOld { epoch, .. } => Some(*epoch),
            _ => None,
        };
        let body = Body {
            code: self.code(),
            message,
            epoch,
        };
        let retry_after = match &self {
            Error::RateLimited { retry_after, .. } | Error::Quota { retry_after, .. } => {
                Some(*retry_after)
            }
            _ => None,
        };
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
