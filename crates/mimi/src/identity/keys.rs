//! The keys of `specs/mimi.md` §4.4 (MIMIMI §3–§5): a user's `connection_key`, the per-credential
//! `identity_link_key` derived from it, and the per-room `identity_link_wrapper_key` under which
//! members store each other's identity_link_keys at the hub.
//!
//! ```text
//! identity_link_key = ExpandWithLabel(connection_key, "IdentityLinkKey",
//!                                     PseudonymousCredentialTBS, Nh)
//! wrapped key       = Sealed(identity_link_wrapper_key, "Conclave WrappedIdentityLinkKey",
//!                            context = client_pseudonym, identity_link_key)
//! ```
//!
//! `ExpandWithLabel` is RFC 9420 §5.1.3's, with the KDF of Conclave's one cipher suite
//! (0x0001: HKDF-SHA256, `Nh` = 32). All three keys are 32 random bytes or derived from them; the
//! caller brings the randomness.

use std::fmt;

use openmls::prelude::{HashType, OpenMlsCrypto};
use tls_codec::{Serialize as _, TlsSerialize, TlsSize, VLByteSlice};

use super::seal::{NONCE_LEN, Purpose, Sealed};
use super::{IdentityError, PseudonymousCredentialTbs};
use crate::uri::ClientUri;

/// `KDF.Nh` of cipher suite 0x0001 (SHA-256).
pub const NH: usize = 32;
/// The `ExpandWithLabel` label of the identity_link_key (MIMIMI §3).
pub const IDENTITY_LINK_KEY_LABEL: &str = "IdentityLinkKey";

macro_rules! secret_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps 32 bytes: random ones from the caller, or ones stored earlier.
            pub fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }
            /// The key bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(…)"))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                // Constant time: these are secrets.
                self.0.iter().zip(other.0.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
            }
        }
        impl Eq for $name {}
    };
}

secret_key!(
    /// A user's `connection_key`: shared with every connected user, it lets them derive the
    /// identity_link_keys of this user's pseudonymous credentials (MIMIMI §5).
    ConnectionKey
);
secret_key!(
    /// The key of one pseudonymous credential's identity link (MIMIMI §3).
    IdentityLinkKey
);
secret_key!(
    /// A room's `identity_link_wrapper_key`: fixed for the room's lifetime, known to all members
    /// and never to the hub (MIMIMI §4).
    IdentityLinkWrapperKey
);

/// RFC 9420 §5.1.3 `KDFLabel`.
#[derive(TlsSerialize, TlsSize)]
struct KdfLabel<'a> {
    length: u16,
    label: VLByteSlice<'a>,
    context: VLByteSlice<'a>,
}

/// RFC 9420 §5.1.3 `ExpandWithLabel(secret, label, context, length)` with HKDF-SHA256:
/// `HKDF-Expand(secret, KDFLabel{length, "MLS 1.0 " + label, context}, length)`.
pub fn expand_with_label(
    crypto: &impl OpenMlsCrypto,
    secret: &[u8],
    label: &str,
    context: &[u8],
    length: u16,
) -> Result<Vec<u8>, IdentityError> {
    let full_label = format!("MLS 1.0 {label}");
    let info = KdfLabel {
        length,
        label: VLByteSlice(full_label.as_bytes()),
        context: VLByteSlice(context),
    }
    .tls_serialize_detached()
    .map_err(|_| IdentityError::Crypto {
        operation: "KDFLabel encoding",
        error: openmls::prelude::CryptoError::KdfSerializationError,
    })?;
    let okm = crypto
        .hkdf_expand(HashType::Sha2_256, secret, &info, length.into())
        .map_err(|error| IdentityError::Crypto {
            operation: "HKDF-Expand",
            error,
        })?;
    Ok(okm.as_slice().to_vec())
}

impl IdentityLinkKey {
    /// `ExpandWithLabel(connection_key, "IdentityLinkKey", PseudonymousCredentialTBS, Nh)`.
    pub fn derive(
        crypto: &impl OpenMlsCrypto,
        connection_key: &ConnectionKey,
        tbs: &PseudonymousCredentialTbs,
    ) -> Result<Self, IdentityError> {
        let okm = expand_with_label(
            crypto,
            connection_key.as_bytes(),
            IDENTITY_LINK_KEY_LABEL,
            &tbs.to_bytes(),
            NH as u16,
        )?;
        let key: [u8; 32] = okm.try_into().map_err(|_| IdentityError::Crypto {
            operation: "HKDF-Expand",
            error: openmls::prelude::CryptoError::HkdfOutputLengthInvalid,
        })?;
        Ok(Self(key))
    }
}

/// The `ExpandWithLabel` label of a user's connection token (MIMIMI §8).
pub const CONNECTION_TOKEN_LABEL: &str = "ConnectionToken";

impl ConnectionKey {
    /// MIMIMI §8's connection token: the index under which a user's clients upload their
    /// pseudonymous KeyPackages and connected users claim them, so the provider never learns
    /// whose KeyPackages it keeps. `ExpandWithLabel(connection_key, "ConnectionToken", "", Nh)`
    /// (Conclave's derivation: the draft leaves it open).
    pub fn connection_token(&self, crypto: &impl OpenMlsCrypto) -> Result<[u8; NH], IdentityError> {
        let okm = expand_with_label(crypto, &self.0, CONNECTION_TOKEN_LABEL, &[], NH as u16)?;
        okm.try_into().map_err(|_| IdentityError::Crypto {
            operation: "HKDF-Expand",
            error: openmls::prelude::CryptoError::HkdfOutputLengthInvalid,
        })
    }
}

impl IdentityLinkWrapperKey {
    /// Wraps the identity_link_key of the credential with `client_pseudonym`, for the hub to
    /// store. The pseudonym is the AEAD's context, so a wrapped key cannot be moved to another
    /// leaf. `nonce` must be fresh for this wrapper key.
    pub fn wrap(
        &self,
        crypto: &impl OpenMlsCrypto,
        client_pseudonym: &ClientUri,
        identity_link_key: &IdentityLinkKey,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealed, IdentityError> {
        Sealed::seal(
            crypto,
            &self.0,
            Purpose::WrappedKey,
            &client_pseudonym.to_bytes(),
            nonce,
            identity_link_key.as_bytes(),
        )
    }

    /// Opens a wrapped identity_link_key (the TLS bytes of a [`Sealed`]) stored for the leaf
    /// with `client_pseudonym`.
    pub fn unwrap_key(
        &self,
        crypto: &impl OpenMlsCrypto,
        client_pseudonym: &ClientUri,
        wrapped: &[u8],
    ) -> Result<IdentityLinkKey, IdentityError> {
        let sealed = Sealed::from_bytes(wrapped)?;
        let plain = sealed.open(
            crypto,
            &self.0,
            Purpose::WrappedKey,
            &client_pseudonym.to_bytes(),
        )?;
        let key: [u8; 32] = plain
            .try_into()
            .map_err(|_| IdentityError::Open("wrapped identity link key"))?;
        Ok(IdentityLinkKey(key))
    }
}
