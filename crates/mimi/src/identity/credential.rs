//! The structs of PROTO §6.1 / MIMIMI §3 (`specs/mimi.md` §4.3), byte for byte, with the draft's
//! missing `<V>` on `signature_public_key` read as `opaque signature_public_key<V>`:
//!
//! ```text
//! struct {
//!   IdentifierUri client_pseudonym;
//!   IdentifierUri user_pseudonym;
//!   opaque signature_public_key<V>;
//!   opaque identity_link_ciphertext<V>;   /* a Sealed (see seal.rs) */
//! } PseudonymousCredential;
//!
//! struct {
//!   IdentifierUri client_pseudonym;
//!   IdentifierUri user_pseudonym;
//!   opaque signature_public_key<V>;
//! } PseudonymousCredentialTBS;
//!
//! struct {
//!   opaque pseudonymous_credential_signature<V>;
//!       /* SignWithLabel(real client key, "PseudonymousCredentialTBS", TBS) */
//!   Credential client_credential;         /* the real (provider) credential */
//! } IdentityLinkTBE;
//! ```
//!
//! A `PseudonymousCredential` is the content of an MLS credential of type
//! [`PSEUDONYMOUS_CREDENTIAL_TYPE`](crate::ids::PSEUDONYMOUS_CREDENTIAL_TYPE).

use openmls::prelude::{Credential, CredentialType, OpenMlsCrypto};
use tls_codec::{Deserialize as _, Serialize as _, TlsDeserialize, TlsSerialize, TlsSize, VLBytes};

use super::IdentityError;
use super::keys::IdentityLinkKey;
use super::seal::{NONCE_LEN, Purpose, Sealed};
use crate::credential::{ClientIdentity, ProviderCredential, sign_content, verify_with_label};
use crate::error::WireError;
use crate::ids::PSEUDONYMOUS_CREDENTIAL_TYPE;
use crate::uri::{ClientUri, UserUri};
use crate::wire::IdentifierUri;

/// The `SignWithLabel` label of the real client's signature over the TBS (PROTO §6.1).
pub const PSEUDONYMOUS_CREDENTIAL_LABEL: &str = "PseudonymousCredentialTBS";

#[derive(TlsSerialize, TlsDeserialize, TlsSize)]
struct CredentialWire {
    client_pseudonym: IdentifierUri,
    user_pseudonym: IdentifierUri,
    signature_public_key: VLBytes,
    identity_link_ciphertext: VLBytes,
}

#[derive(TlsSerialize, TlsDeserialize, TlsSize)]
struct TbsWire {
    client_pseudonym: IdentifierUri,
    user_pseudonym: IdentifierUri,
    signature_public_key: VLBytes,
}

#[derive(TlsSerialize, TlsDeserialize, TlsSize)]
struct TbeWire {
    pseudonymous_credential_signature: VLBytes,
    client_credential: Credential,
}

/// PROTO §6.1 `PseudonymousCredentialTBS`: what the real client signs and what the
/// identity_link_key is derived from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PseudonymousCredentialTbs {
    /// The client pseudonym: a fresh random id at the user's provider domain.
    pub client_pseudonym: ClientUri,
    /// The user pseudonym: one per user per room, as in the participant list.
    pub user_pseudonym: UserUri,
    /// The leaf's MLS signature public key.
    pub signature_public_key: Vec<u8>,
}

impl PseudonymousCredentialTbs {
    /// The TLS encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        TbsWire {
            client_pseudonym: IdentifierUri::new(&self.client_pseudonym),
            user_pseudonym: IdentifierUri::new(&self.user_pseudonym),
            signature_public_key: self.signature_public_key.clone().into(),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Decodes exactly one TBS whose pseudonyms are a client URI and a user URI.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let w = TbsWire::tls_deserialize_exact(bytes)
            .map_err(|e| WireError::malformed("PseudonymousCredentialTBS", e))?;
        Ok(Self {
            client_pseudonym: ClientUri::from_bytes(w.client_pseudonym.uri.as_slice())?,
            user_pseudonym: UserUri::from_bytes(w.user_pseudonym.uri.as_slice())?,
            signature_public_key: w.signature_public_key.into(),
        })
    }
}

/// PROTO §6.1 `PseudonymousCredential`: the leaf credential of every member of a pseudonymous
/// room. Parsing checks the encoding and that the pseudonyms are a client and a user URI; the
/// identity link stays opaque until [`super::resolve`] opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PseudonymousCredential {
    /// The client pseudonym.
    pub client_pseudonym: ClientUri,
    /// The user pseudonym.
    pub user_pseudonym: UserUri,
    /// The leaf's MLS signature public key.
    pub signature_public_key: Vec<u8>,
    /// The TLS bytes of the [`Sealed`] `IdentityLinkTBE`; empty if the credential carries no
    /// identity link.
    pub identity_link_ciphertext: Vec<u8>,
}

impl PseudonymousCredential {
    /// Creates the pseudonymous credential of a new leaf (MIMIMI §3): the real client signs the
    /// TBS with `SignWithLabel(real key, "PseudonymousCredentialTBS", TBS)`, and that signature
    /// with the real credential is sealed under `identity_link_key`.
    ///
    /// `sign_real` signs the given bytes with the real client's signature key, the one that
    /// `real_credential` binds: it receives the RFC 9420 `SignContent` bytes, exactly what an
    /// OpenMLS `Signer::sign` or an Ed25519 `sign` takes. The signature is checked against the
    /// real credential before anything is sealed. `nonce` must be fresh for `identity_link_key`.
    pub fn create<E: std::fmt::Debug>(
        crypto: &impl OpenMlsCrypto,
        tbs: PseudonymousCredentialTbs,
        real_credential: &Credential,
        sign_real: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
        identity_link_key: &IdentityLinkKey,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Self, IdentityError> {
        let real = ProviderCredential::from_bytes(real_credential.serialized_content())
            .map_err(IdentityError::RealCredential)?;
        let tbs_bytes = tbs.to_bytes();
        let signature = sign_real(&sign_content(PSEUDONYMOUS_CREDENTIAL_LABEL, &tbs_bytes))
            .map_err(|e| IdentityError::Signing(format!("{e:?}")))?;
        verify_with_label(
            real.signature_key.as_slice(),
            PSEUDONYMOUS_CREDENTIAL_LABEL,
            &tbs_bytes,
            &signature,
            "pseudonymous credential",
        )
        .map_err(|_| IdentityError::SignerMismatch)?;
        let tbe = IdentityLinkTbe {
            pseudonymous_credential_signature: signature,
            client_credential: real_credential.clone(),
        };
        let sealed = tbe.seal(crypto, identity_link_key, &tbs, nonce)?;
        Ok(Self {
            client_pseudonym: tbs.client_pseudonym,
            user_pseudonym: tbs.user_pseudonym,
            signature_public_key: tbs.signature_public_key,
            identity_link_ciphertext: sealed.to_bytes(),
        })
    }

    /// The TBS this credential's signature and identity_link_key are over.
    pub fn tbs(&self) -> PseudonymousCredentialTbs {
        PseudonymousCredentialTbs {
            client_pseudonym: self.client_pseudonym.clone(),
            user_pseudonym: self.user_pseudonym.clone(),
            signature_public_key: self.signature_public_key.clone(),
        }
    }

    /// The TLS encoding: the content of the MLS credential.
    pub fn to_bytes(&self) -> Vec<u8> {
        CredentialWire {
            client_pseudonym: IdentifierUri::new(&self.client_pseudonym),
            user_pseudonym: IdentifierUri::new(&self.user_pseudonym),
            signature_public_key: self.signature_public_key.clone().into(),
            identity_link_ciphertext: self.identity_link_ciphertext.clone().into(),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Decodes exactly one credential whose pseudonyms are a client URI and a user URI.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let w = CredentialWire::tls_deserialize_exact(bytes)
            .map_err(|e| WireError::malformed("PseudonymousCredential", e))?;
        Ok(Self {
            client_pseudonym: ClientUri::from_bytes(w.client_pseudonym.uri.as_slice())?,
            user_pseudonym: UserUri::from_bytes(w.user_pseudonym.uri.as_slice())?,
            signature_public_key: w.signature_public_key.into(),
            identity_link_ciphertext: w.identity_link_ciphertext.into(),
        })
    }

    /// The MLS credential of type
    /// [`PSEUDONYMOUS_CREDENTIAL_TYPE`](crate::ids::PSEUDONYMOUS_CREDENTIAL_TYPE) carrying it.
    pub fn to_credential(&self) -> Credential {
        Credential::new(
            CredentialType::Other(PSEUDONYMOUS_CREDENTIAL_TYPE),
            self.to_bytes(),
        )
    }

    /// Reads a pseudonymous credential out of an MLS credential.
    pub fn from_credential(credential: &Credential) -> Result<Self, IdentityError> {
        if credential.credential_type() != CredentialType::Other(PSEUDONYMOUS_CREDENTIAL_TYPE) {
            return Err(IdentityError::NotPseudonymous {
                expected: PSEUDONYMOUS_CREDENTIAL_TYPE,
                found: format!("{:?}", credential.credential_type()),
            });
        }
        Self::from_bytes(credential.serialized_content())
    }
}

/// What the hub and the policy engine see of a pseudonymous leaf: its pseudonyms as client and
/// user. Checks that the credential binds the leaf's signature key (`specs/mimi.md` §4.7 step 5,
/// which needs no identity link); says nothing about who is behind the pseudonyms.
pub fn identify_pseudonymous(
    credential: &Credential,
    leaf_signature_key: &[u8],
) -> Result<ClientIdentity, IdentityError> {
    let pc = PseudonymousCredential::from_credential(credential)?;
    if pc.signature_public_key != leaf_signature_key {
        return Err(WireError::BadSignature(
            "pseudonymous credential: it binds another signature key",
        )
        .into());
    }
    Ok(ClientIdentity {
        client: pc.client_pseudonym,
        user: pc.user_pseudonym,
    })
}

/// PROTO §6.1 `IdentityLinkTBE`: the plaintext of an identity link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityLinkTbe {
    /// `SignWithLabel(real client key, "PseudonymousCredentialTBS", TBS)`.
    pub pseudonymous_credential_signature: Vec<u8>,
    /// The client's real MLS credential.
    pub client_credential: Credential,
}

impl IdentityLinkTbe {
    /// The TLS encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        TbeWire {
            pseudonymous_credential_signature: self
                .pseudonymous_credential_signature
                .clone()
                .into(),
            client_credential: self.client_credential.clone(),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Decodes exactly one `IdentityLinkTBE`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let w = TbeWire::tls_deserialize_exact(bytes)
            .map_err(|e| WireError::malformed("IdentityLinkTBE", e))?;
        Ok(Self {
            pseudonymous_credential_signature: w.pseudonymous_credential_signature.into(),
            client_credential: w.client_credential,
        })
    }

    /// `identity_link_ciphertext = Enc(identity_link_key, IdentityLinkTBE)`, bound to the TBS of
    /// the credential that will carry it.
    pub fn seal(
        &self,
        crypto: &impl OpenMlsCrypto,
        identity_link_key: &IdentityLinkKey,
        tbs: &PseudonymousCredentialTbs,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealed, IdentityError> {
        Sealed::seal(
            crypto,
            identity_link_key.as_bytes(),
            Purpose::IdentityLink,
            &tbs.to_bytes(),
            nonce,
            &self.to_bytes(),
        )
    }

    /// Opens the identity link of `credential` with its identity_link_key.
    pub fn open(
        crypto: &impl OpenMlsCrypto,
        identity_link_key: &IdentityLinkKey,
        credential: &PseudonymousCredential,
    ) -> Result<Self, IdentityError> {
        let sealed = Sealed::from_bytes(&credential.identity_link_ciphertext)?;
        let plain = sealed.open(
            crypto,
            identity_link_key.as_bytes(),
            Purpose::IdentityLink,
            &credential.tbs().to_bytes(),
        )?;
        Self::from_bytes(&plain)
    }
}
