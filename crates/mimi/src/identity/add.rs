//! What an add carries in a pseudonymous room (MIMIMI §4.1–§4.2, `specs/mimi.md` §4.5), for the
//! client and hub to place:
//!
//! ```text
//! struct { opaque identity_link_wrapper_key<V>; } IdentityLinkExtension;  /* Welcome GroupInfo */
//! struct { opaque encrypted_identity_link_keys<V>; } AddAAD;              /* commit AAD */
//! ```
//!
//! The draft leaves the inside of `encrypted_identity_link_keys` open; Conclave fills it with
//! `Sealed wrapped_keys<V>`: one wrapped identity_link_key per added client, in the order of the
//! Add proposals (one for an external join).

use tls_codec::{Deserialize as _, Serialize as _, TlsDeserialize, TlsSerialize, TlsSize, VLBytes};

use super::IdentityError;
use super::keys::IdentityLinkWrapperKey;
use super::seal::Sealed;
use crate::error::WireError;

#[derive(TlsSerialize, TlsDeserialize, TlsSize)]
struct ExtensionWire {
    identity_link_wrapper_key: VLBytes,
}

/// MIMIMI §4.1 `IdentityLinkExtension`: the room's wrapper key, for a joiner's Welcome only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityLinkExtension {
    /// The room's identity_link_wrapper_key.
    pub identity_link_wrapper_key: IdentityLinkWrapperKey,
}

impl IdentityLinkExtension {
    /// The TLS encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        ExtensionWire {
            identity_link_wrapper_key: self.identity_link_wrapper_key.as_bytes().to_vec().into(),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Decodes exactly one extension holding a 32-byte key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let w = ExtensionWire::tls_deserialize_exact(bytes)
            .map_err(|e| WireError::malformed("IdentityLinkExtension", e))?;
        let key: [u8; 32] = w
            .identity_link_wrapper_key
            .as_slice()
            .try_into()
            .map_err(|_| WireError::Unsupported {
                what: "identity_link_wrapper_key",
                detail: format!(
                    "{} bytes, not 32",
                    w.identity_link_wrapper_key.as_slice().len()
                ),
            })?;
        Ok(Self {
            identity_link_wrapper_key: IdentityLinkWrapperKey::from_bytes(key),
        })
    }
}

#[derive(TlsSerialize, TlsDeserialize, TlsSize)]
struct AddAadWire {
    encrypted_identity_link_keys: VLBytes,
}

#[derive(TlsSerialize, TlsDeserialize, TlsSize)]
struct WrappedKeys {
    wrapped_keys: Vec<Sealed>,
}

/// MIMIMI §4.1 `AddAAD`: the wrapped identity_link_keys of the clients a commit adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddAad {
    /// One per added client, in Add proposal order.
    pub wrapped_keys: Vec<Sealed>,
}

impl AddAad {
    /// The TLS encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let inner = WrappedKeys {
            wrapped_keys: self.wrapped_keys.clone(),
        }
        .tls_serialize_detached()
        .unwrap_or_default();
        AddAadWire {
            encrypted_identity_link_keys: inner.into(),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Decodes exactly one `AddAAD`, each wrapped key a valid [`Sealed`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let w = AddAadWire::tls_deserialize_exact(bytes)
            .map_err(|e| WireError::malformed("AddAAD", e))?;
        let inner = WrappedKeys::tls_deserialize_exact(w.encrypted_identity_link_keys.as_slice())
            .map_err(|e| WireError::malformed("AddAAD.encrypted_identity_link_keys", e))?;
        for s in &inner.wrapped_keys {
            Sealed::from_bytes(&s.to_bytes())?;
        }
        Ok(Self {
            wrapped_keys: inner.wrapped_keys,
        })
    }
}

/// The wrapped identity_link_key of each leaf a commit adds (MIMIMI §4.1 steps 2–3): the commit's
/// `AddAAD` read from its authenticated data, paired in Add order with the added leaves' client
/// pseudonyms. A commit without Adds needs no AddAAD; one with Adds must carry exactly one
/// wrapped key per Add. The hub stores the result; members keep it to resolve the new leaves.
pub fn added_identity_links(
    staged: &openmls::prelude::StagedCommit,
    aad: &[u8],
) -> Result<Vec<(crate::uri::ClientUri, Sealed)>, IdentityError> {
    let clients = staged
        .add_proposals()
        .map(|a| {
            let leaf = a.add_proposal().key_package().leaf_node();
            super::identify_pseudonymous(leaf.credential(), leaf.signature_key().as_slice())
                .map(|id| id.client)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if clients.is_empty() {
        return Ok(Vec::new());
    }
    let add_aad = AddAad::from_bytes(aad)?;
    if add_aad.wrapped_keys.len() != clients.len() {
        return Err(WireError::Unsupported {
            what: "AddAAD",
            detail: format!(
                "{} wrapped keys for {} added leaves",
                add_aad.wrapped_keys.len(),
                clients.len()
            ),
        }
        .into());
    }
    Ok(clients.into_iter().zip(add_aad.wrapped_keys).collect())
}
