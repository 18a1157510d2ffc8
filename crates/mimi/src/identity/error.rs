//! Why an identity operation failed, and why a pseudonym did not resolve.

use openmls::prelude::CryptoError;
use thiserror::Error;

use crate::error::{UriError, WireError};
use crate::uri::UserUri;

/// A failed identity operation: building, parsing, sealing or opening. Resolving a leaf
/// ([`super::resolve`]) reports a pseudonym it cannot verify as
/// [`Resolution::Unverified`](super::Resolution::Unverified) with an [`Unresolved`] reason, not as
/// this error; this error means the leaf is not a pseudonymous leaf at all, or the crypto
/// provider failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityError {
    /// A struct does not decode, or a field is not valid.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The MLS credential is not of the pseudonymous credential type.
    #[error("expected a pseudonymous credential (type {expected:#06x}) but found {found}")]
    NotPseudonymous {
        /// The configured pseudonymous credential type.
        expected: u16,
        /// The type found.
        found: String,
    },
    /// The crypto provider failed at something that cannot fail on valid input.
    #[error("{operation} failed in the crypto provider: {error}")]
    Crypto {
        /// What was being done.
        operation: &'static str,
        /// The provider's error.
        error: CryptoError,
    },
    /// The real client's signing function failed.
    #[error("the client could not sign: {0}")]
    Signing(String),
    /// The signature the real client made does not verify with the key its credential binds:
    /// the signing function and the real credential belong to different clients.
    #[error("the signing key is not the one the real credential binds")]
    SignerMismatch,
    /// The real credential given to sign with is not a Conclave provider credential.
    #[error("the real credential is not a provider credential: {0}")]
    RealCredential(WireError),
    /// An AEAD or HPKE ciphertext does not open: wrong key, or altered on the way.
    #[error("the {0} does not open with this key: wrong key, or altered on the way")]
    Open(&'static str),
    /// A connection request was sealed for another user.
    #[error("the connection request is for {addressed}, not for {me}")]
    WrongRecipient {
        /// Whom the request names as target.
        addressed: String,
        /// Who opened it.
        me: String,
    },
    /// The user named in a connection message is not the user its credential names.
    #[error("the connection message names user {claimed} but its credential belongs to {actual}")]
    UserMismatch {
        /// The user the message names.
        claimed: String,
        /// The user the verified credential names.
        actual: String,
    },
    /// The sender's real credential does not verify.
    #[error("the sender's credential does not verify: {0}")]
    SenderCredential(WireError),
    /// A signature over a connection message does not verify.
    #[error("bad signature on the {0}")]
    BadSignature(&'static str),
}

impl From<UriError> for IdentityError {
    fn from(e: UriError) -> Self {
        IdentityError::Wire(e.into())
    }
}

/// Why a pseudonymous leaf did not resolve to a real identity: one reason per check of
/// `specs/mimi.md` §4.7. [`Unresolved::code`] gives a stable snake_case code.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unresolved {
    /// Step 1: the credential carries no identity link (an empty ciphertext).
    #[error("the credential carries no identity link")]
    NoIdentityLink,
    /// Step 1: the hub-stored wrapped identity_link_key does not open with the room's wrapper
    /// key for this client pseudonym.
    #[error("the wrapped identity link key does not open with this room's wrapper key")]
    LinkKeyUnavailable,
    /// Step 2: the identity link does not decrypt with the identity_link_key.
    #[error("the identity link does not decrypt: wrong key, or altered")]
    LinkUndecryptable,
    /// Step 2: the identity link decrypts but is not an `IdentityLinkTBE`.
    #[error("the decrypted identity link is not an IdentityLinkTBE")]
    LinkMalformed,
    /// Step 3: the real credential does not verify against the trusted provider.
    #[error("the real credential does not verify: {detail}")]
    RealCredentialInvalid {
        /// What the authentication service said.
        detail: String,
    },
    /// Step 4: the real client's signature over the pseudonymous credential does not verify.
    #[error("the real client's signature over the pseudonymous credential does not verify")]
    BadSignature,
    /// Step 5: the credential names another signature key than the leaf's.
    #[error("the pseudonymous credential binds another signature key than the leaf's")]
    LeafKeyMismatch,
    /// Step 6: the user pseudonym is not in the participant list.
    #[error("the user pseudonym is not in the participant list")]
    PseudonymNotListed,
    /// Step 6: another leaf of the same real user uses another user pseudonym.
    #[error("another client of the same user is in the room as {other}")]
    SameUserOtherPseudonym {
        /// The other user pseudonym of that real user.
        other: UserUri,
    },
    /// Step 6 (Conclave's addition): another real user's leaf uses this user pseudonym.
    #[error("the user pseudonym is also used by {other}'s clients")]
    PseudonymOfAnotherUser {
        /// The other real user who claims this pseudonym.
        other: UserUri,
    },
    /// Step 6: a pseudonym's domain is not the real credential's provider domain.
    #[error("the pseudonym is in {pseudonym_domain} but the real user is in {provider_domain}")]
    DomainMismatch {
        /// The pseudonym's domain.
        pseudonym_domain: String,
        /// The real credential's provider domain.
        provider_domain: String,
    },
}

impl Unresolved {
    /// A stable snake_case code for the UI and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoIdentityLink => "identity_link_missing",
            Self::LinkKeyUnavailable => "identity_link_key_unavailable",
            Self::LinkUndecryptable => "identity_link_undecryptable",
            Self::LinkMalformed => "identity_link_malformed",
            Self::RealCredentialInvalid { .. } => "real_credential_invalid",
            Self::BadSignature => "identity_link_bad_signature",
            Self::LeafKeyMismatch => "leaf_key_mismatch",
            Self::PseudonymNotListed => "pseudonym_not_listed",
            Self::SameUserOtherPseudonym { .. } => "same_user_other_pseudonym",
            Self::PseudonymOfAnotherUser { .. } => "pseudonym_of_another_user",
            Self::DomainMismatch { .. } => "pseudonym_domain_mismatch",
        }
    }
}
