//! Errors of the protocol crate. Each variant says in a sentence what was wrong with the input.

use thiserror::Error;

/// A MIMI URI that does not parse or is of the wrong kind.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriError {
    /// The URI does not start with `mimi://`.
    #[error("{0} is not a MIMI URI: it must start with mimi://")]
    Scheme(String),
    /// The domain part is invalid.
    #[error("invalid domain {domain:?}: {why}")]
    Domain {
        /// The offending domain.
        domain: String,
        /// Why it is invalid.
        why: &'static str,
    },
    /// The path is not `/u/…`, `/d/…` or `/r/…`.
    #[error("invalid path in {0}: expected /u/NAME, /d/ID or /r/ID after the domain")]
    Path(String),
    /// The name or id after the kind segment is invalid.
    #[error("invalid name {local:?}: {why}")]
    Local {
        /// The offending name.
        local: String,
        /// Why it is invalid.
        why: &'static str,
    },
    /// A URI of another kind than expected.
    #[error("expected a {expected} URI but {uri} is a {found} URI")]
    Kind {
        /// The kind wanted.
        expected: &'static str,
        /// The kind given.
        found: &'static str,
        /// The URI given.
        uri: String,
    },
    /// The bytes of an `IdentifierUri` are not UTF-8.
    #[error("an identifier URI is not valid UTF-8")]
    Utf8,
}

/// A TLS-PL wire struct that does not decode or is not valid.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The bytes are not a valid encoding of the struct.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// Which struct.
        what: &'static str,
        /// The decoder's complaint.
        detail: String,
    },
    /// A field holds a value Conclave does not support.
    #[error("unsupported {what}: {detail}")]
    Unsupported {
        /// Which field.
        what: &'static str,
        /// What was found.
        detail: String,
    },
    /// An identifier field is not a valid URI of the right kind.
    #[error(transparent)]
    Uri(#[from] UriError),
    /// A signature does not verify.
    #[error("bad signature on {0}")]
    BadSignature(&'static str),
}

impl WireError {
    pub(crate) fn malformed(what: &'static str, e: impl std::fmt::Display) -> Self {
        WireError::Malformed {
            what,
            detail: e.to_string(),
        }
    }
}
