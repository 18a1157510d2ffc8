//! The hub's errors, each with a stable code. How they are said over HTTP (the status,
//! `Retry-After`, the JSON body) is `api::response`'s business.

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
    /// The bearer token expired (renew it with the device key).
    #[error("{0}")]
    TokenExpired(String),
    /// The bearer token belongs to a removed device.
    #[error("{0}")]
    TokenRevoked(String),
    /// Authenticated, but this is not yours to do.
    #[error("{0}")]
    Forbidden(String),
    /// The request names an identity (client, user, sender, reporter) that is not the token's
    /// own principal.
    #[error("{0}")]
    NotYourIdentity(String),
    /// The device is not approved by its user's key (SECURITY.md "Devices"): its KeyPackages
    /// carry no approval by the user key the hub holds, or another device's removal is not
    /// signed with it.
    #[error("{0}")]
    NotApproved(String),
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
    /// The seconds after which a refused request may be tried again, for the limits' refusals.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Quota { retry_after, .. } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    /// The hub's current epoch, for the two epoch errors.
    pub fn epoch(&self) -> Option<u64> {
        match self {
            Error::WrongEpoch { epoch, .. } | Error::EpochTooOld { epoch, .. } => Some(*epoch),
            _ => None,
        }
    }

    /// The stable code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::MalformedBody(_) => "malformed_body",
            Error::BodyTooLarge | Error::TooLarge(_) => "body_too_large",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::TokenExpired(_) => "token_expired",
            Error::TokenRevoked(_) => "token_revoked",
            Error::Forbidden(_) => "forbidden",
            Error::NotYourIdentity(_) => "not_your_identity",
            Error::NotApproved(_) => "device_not_approved",
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
