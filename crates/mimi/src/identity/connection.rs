//! Connections (MIMIMI §5, `specs/mimi.md` §4.6), simplified for Conclave's single-provider
//! product: two users exchange their connection keys in one HPKE-sealed request and one
//! HPKE-sealed response, relayed by the provider, with no connection room.
//!
//! ```text
//! struct {
//!   Credential    requester_client_credential;  /* the requester's real (provider) credential */
//!   IdentifierUri requester_user;
//!   IdentifierUri target_user;
//!   opaque        requester_connection_key<V>;   /* 32 bytes */
//!   opaque        response_key<V>;               /* fresh X25519 HPKE public key for the reply */
//!   opaque        signature<V>;  /* SignWithLabel(requester's real key,
//!                                     "ConclaveConnectionRequestTBS", the fields above) */
//! } ConnectionRequest;
//!
//! struct {
//!   Credential    responder_client_credential;
//!   opaque        responder_connection_key<V>;   /* 32 bytes */
//!   opaque        signature<V>;  /* SignWithLabel(responder's real key,
//!                                     "ConclaveConnectionResponseTBS", ConnectionResponseTBS) */
//! } ConnectionResponse;
//! struct { Credential responder_client_credential; IdentifierUri requester_user;
//!          opaque response_key<V>; opaque responder_connection_key<V>; } ConnectionResponseTBS;
//! ```
//!
//! Sealing is RFC 9420 §5.1.3 `EncryptWithLabel` framed as a `SealedConnectionMessage`
//! (see `hpke.rs`), with the label `ConclaveConnectionRequest` or `ConclaveConnectionResponse`
//! and the recipient's user URI as the context. The request goes to the target's connection-establishment key, which the provider serves
//! without authentication; the response goes to the request's `response_key`.
//!
//! Where this departs from MIMIMI §5, and why:
//! - No connection room: Bob does not join a room by external commit; his response is sealed to
//!   `response_key` and relayed. With one provider there is no hub to hide the pair from.
//! - MIMIMI authenticates the requester later, by checking the connection room's identity links
//!   against `requester_client_credential` (§4.7 step 7). Without the room, both messages are
//!   signed with the sender's real client key instead, and the request names its target (and the
//!   response its requester and `response_key`), so neither can be replayed to someone else.
//!   Otherwise anyone could send a request in Alice's name and receive Bob's connection key.

use openmls::prelude::{Credential, HpkeKeyPair, OpenMlsCrypto};
use tls_codec::{
    Deserialize as _, Serialize as _, TlsDeserialize, TlsSerialize, TlsSize, VLByteSlice, VLBytes,
};

use super::IdentityError;
use super::Trust;
use super::hpke::{X25519_LEN, hpke_open, hpke_seal};
use super::keys::ConnectionKey;
use crate::credential::{ClientIdentity, ProviderCredential, sign_content, verify_with_label};
use crate::error::WireError;
use crate::uri::UserUri;
use crate::wire::IdentifierUri;

/// The `SignWithLabel` label of a [`ConnectionRequest`].
pub const CONNECTION_REQUEST_LABEL: &str = "ConclaveConnectionRequestTBS";
/// The `SignWithLabel` label of a [`ConnectionResponse`].
pub const CONNECTION_RESPONSE_LABEL: &str = "ConclaveConnectionResponseTBS";
/// The `EncryptWithLabel` label of a sealed request.
pub const SEAL_REQUEST_LABEL: &str = "ConclaveConnectionRequest";
/// The `EncryptWithLabel` label of a sealed response.
pub const SEAL_RESPONSE_LABEL: &str = "ConclaveConnectionResponse";

/// Verifies a real credential and returns who it names and the key it binds.
fn sender_of(
    trust: &Trust,
    credential: &Credential,
) -> Result<(ClientIdentity, Vec<u8>), IdentityError> {
    let pc = ProviderCredential::from_bytes(credential.serialized_content())
        .map_err(IdentityError::SenderCredential)?;
    let key: Vec<u8> = pc.signature_key.into();
    let id = trust
        .identify(credential, &key)
        .map_err(IdentityError::SenderCredential)?;
    Ok((id, key))
}

fn sign_checked<E: std::fmt::Debug>(
    credential: &Credential,
    label: &'static str,
    tbs: &[u8],
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, IdentityError> {
    let pc = ProviderCredential::from_bytes(credential.serialized_content())
        .map_err(IdentityError::RealCredential)?;
    let signature =
        sign(&sign_content(label, tbs)).map_err(|e| IdentityError::Signing(format!("{e:?}")))?;
    verify_with_label(pc.signature_key.as_slice(), label, tbs, &signature, label)
        .map_err(|_| IdentityError::SignerMismatch)?;
    Ok(signature)
}

fn connection_key(bytes: &[u8]) -> Result<ConnectionKey, WireError> {
    let key: [u8; 32] = bytes.try_into().map_err(|_| WireError::Unsupported {
        what: "connection_key",
        detail: format!("{} bytes, not 32", bytes.len()),
    })?;
    Ok(ConnectionKey::from_bytes(key))
}

#[derive(TlsSerialize, TlsDeserialize, TlsSize)]
struct RequestWire {
    requester_client_credential: Credential,
    requester_user: IdentifierUri,
    target_user: IdentifierUri,
    requester_connection_key: VLBytes,
    response_key: VLBytes,
    signature: VLBytes,
}

#[derive(TlsSerialize, TlsSize)]
struct RequestTbs<'a> {
    requester_client_credential: &'a Credential,
    requester_user: IdentifierUri,
    target_user: IdentifierUri,
    requester_connection_key: VLByteSlice<'a>,
    response_key: VLByteSlice<'a>,
}

/// A request to connect (MIMIMI §5 `ConnectionRequest`, Conclave's signed form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRequest {
    /// The requesting client's real (provider) credential.
    pub requester_client_credential: Credential,
    /// The requesting user.
    pub requester_user: UserUri,
    /// The user asked to connect.
    pub target_user: UserUri,
    /// The requester's connection key.
    pub requester_connection_key: ConnectionKey,
    /// The X25519 HPKE public key the response is sealed to.
    pub response_key: Vec<u8>,
    /// The requesting client's signature over the fields above.
    pub signature: Vec<u8>,
}

impl ConnectionRequest {
    fn tbs(&self) -> Vec<u8> {
        RequestTbs {
            requester_client_credential: &self.requester_client_credential,
            requester_user: IdentifierUri::new(&self.requester_user),
            target_user: IdentifierUri::new(&self.target_user),
            requester_connection_key: VLByteSlice(self.requester_connection_key.as_bytes()),
            response_key: VLByteSlice(&self.response_key),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Builds and signs a request from the client with `requester_client_credential` (whose key
    /// `sign` signs with, as for [`super::PseudonymousCredential::create`]) to `target_user`.
    pub fn new<E: std::fmt::Debug>(
        requester_client_credential: Credential,
        target_user: UserUri,
        requester_connection_key: ConnectionKey,
        response_key: Vec<u8>,
        sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
    ) -> Result<Self, IdentityError> {
        let pc = ProviderCredential::from_bytes(requester_client_credential.serialized_content())
            .map_err(IdentityError::RealCredential)?;
        let requester_user = UserUri::from_bytes(pc.user_uri.as_slice())?;
        let mut req = ConnectionRequest {
            requester_client_credential,
            requester_user,
            target_user,
            requester_connection_key,
            response_key,
            signature: Vec::new(),
        };
        req.signature = sign_checked(
            &req.requester_client_credential,
            CONNECTION_REQUEST_LABEL,
            &req.tbs(),
            sign,
        )?;
        Ok(req)
    }

    /// The TLS encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        RequestWire {
            requester_client_credential: self.requester_client_credential.clone(),
            requester_user: IdentifierUri::new(&self.requester_user),
            target_user: IdentifierUri::new(&self.target_user),
            requester_connection_key: self.requester_connection_key.as_bytes().to_vec().into(),
            response_key: self.response_key.clone().into(),
            signature: self.signature.clone().into(),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Decodes exactly one request (URIs of the right kind, a 32-byte connection key and
    /// response key); does not verify it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let w = RequestWire::tls_deserialize_exact(bytes)
            .map_err(|e| WireError::malformed("ConnectionRequest", e))?;
        if w.response_key.as_slice().len() != X25519_LEN {
            return Err(WireError::Unsupported {
                what: "ConnectionRequest.response_key",
                detail: format!("{} bytes, not 32", w.response_key.as_slice().len()),
            }
            .into());
        }
        Ok(Self {
            requester_client_credential: w.requester_client_credential,
            requester_user: UserUri::from_bytes(w.requester_user.uri.as_slice())?,
            target_user: UserUri::from_bytes(w.target_user.uri.as_slice())?,
            requester_connection_key: connection_key(w.requester_connection_key.as_slice())?,
            response_key: w.response_key.into(),
            signature: w.signature.into(),
        })
    }

    /// Seals the request to the target's connection-establishment public key.
    pub fn seal(
        &self,
        crypto: &impl OpenMlsCrypto,
        target_establishment_key: &[u8],
    ) -> Result<Vec<u8>, IdentityError> {
        hpke_seal(
            crypto,
            target_establishment_key,
            SEAL_REQUEST_LABEL,
            &self.target_user,
            &self.to_bytes(),
        )
    }

    /// Opens a sealed request with `me`'s connection-establishment key pair and verifies it:
    /// addressed to `me`, the requester's credential valid under `trust` and naming
    /// `requester_user`, the signature by the key that credential binds.
    pub fn open(
        crypto: &impl OpenMlsCrypto,
        establishment_key: &HpkeKeyPair,
        me: &UserUri,
        sealed: &[u8],
        trust: &Trust,
    ) -> Result<OpenedConnectionRequest, IdentityError> {
        let plain = hpke_open(
            crypto,
            establishment_key,
            SEAL_REQUEST_LABEL,
            me,
            sealed,
            "connection request",
        )?;
        let req = Self::from_bytes(&plain)?;
        if &req.target_user != me {
            return Err(IdentityError::WrongRecipient {
                addressed: req.target_user.to_string(),
                me: me.to_string(),
            });
        }
        let (requester, key) = sender_of(trust, &req.requester_client_credential)?;
        if requester.user != req.requester_user {
            return Err(IdentityError::UserMismatch {
                claimed: req.requester_user.to_string(),
                actual: requester.user.to_string(),
            });
        }
        verify_with_label(
            &key,
            CONNECTION_REQUEST_LABEL,
            &req.tbs(),
            &req.signature,
            "connection request",
        )
        .map_err(|_| IdentityError::BadSignature("connection request"))?;
        Ok(OpenedConnectionRequest {
            requester,
            requester_connection_key: req.requester_connection_key,
            response_key: req.response_key,
        })
    }
}

/// A verified connection request: who asks, and what the target needs to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedConnectionRequest {
    /// The requesting client and user, verified.
    pub requester: ClientIdentity,
    /// The requester's connection key.
    pub requester_connection_key: ConnectionKey,
    /// Where to seal the response.
    pub response_key: Vec<u8>,
}

#[derive(TlsSerialize, TlsDeserialize, TlsSize)]
struct ResponseWire {
    responder_client_credential: Credential,
    responder_connection_key: VLBytes,
    signature: VLBytes,
}

#[derive(TlsSerialize, TlsSize)]
struct ResponseTbs<'a> {
    responder_client_credential: &'a Credential,
    requester_user: IdentifierUri,
    response_key: VLByteSlice<'a>,
    responder_connection_key: VLByteSlice<'a>,
}

/// An accepted connection (MIMIMI §5 `ConnectionResponse`, Conclave's signed form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionResponse {
    /// The responding client's real (provider) credential.
    pub responder_client_credential: Credential,
    /// The responder's connection key.
    pub responder_connection_key: ConnectionKey,
    /// The responding client's signature over `ConnectionResponseTBS`.
    pub signature: Vec<u8>,
}

impl ConnectionResponse {
    fn tbs(&self, requester_user: &UserUri, response_key: &[u8]) -> Vec<u8> {
        ResponseTbs {
            responder_client_credential: &self.responder_client_credential,
            requester_user: IdentifierUri::new(requester_user),
            response_key: VLByteSlice(response_key),
            responder_connection_key: VLByteSlice(self.responder_connection_key.as_bytes()),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Builds and signs the answer to `request`.
    pub fn new<E: std::fmt::Debug>(
        responder_client_credential: Credential,
        request: &OpenedConnectionRequest,
        responder_connection_key: ConnectionKey,
        sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
    ) -> Result<Self, IdentityError> {
        let mut resp = ConnectionResponse {
            responder_client_credential,
            responder_connection_key,
            signature: Vec::new(),
        };
        let tbs = resp.tbs(&request.requester.user, &request.response_key);
        resp.signature = sign_checked(
            &resp.responder_client_credential,
            CONNECTION_RESPONSE_LABEL,
            &tbs,
            sign,
        )?;
        Ok(resp)
    }

    /// The TLS encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        ResponseWire {
            responder_client_credential: self.responder_client_credential.clone(),
            responder_connection_key: self.responder_connection_key.as_bytes().to_vec().into(),
            signature: self.signature.clone().into(),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Decodes exactly one response; does not verify it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let w = ResponseWire::tls_deserialize_exact(bytes)
            .map_err(|e| WireError::malformed("ConnectionResponse", e))?;
        Ok(Self {
            responder_client_credential: w.responder_client_credential,
            responder_connection_key: connection_key(w.responder_connection_key.as_slice())?,
            signature: w.signature.into(),
        })
    }

    /// Seals the response to the request's `response_key`.
    pub fn seal(
        &self,
        crypto: &impl OpenMlsCrypto,
        request: &OpenedConnectionRequest,
    ) -> Result<Vec<u8>, IdentityError> {
        hpke_seal(
            crypto,
            &request.response_key,
            SEAL_RESPONSE_LABEL,
            &request.requester.user,
            &self.to_bytes(),
        )
    }

    /// Opens a sealed response with the request's response key pair and verifies it: the
    /// responder's credential valid under `trust` and naming `expected_responder` (the target of
    /// the request), the signature over `me` and this response key by the key it binds.
    pub fn open(
        crypto: &impl OpenMlsCrypto,
        response_key: &HpkeKeyPair,
        me: &UserUri,
        expected_responder: &UserUri,
        sealed: &[u8],
        trust: &Trust,
    ) -> Result<OpenedConnectionResponse, IdentityError> {
        let plain = hpke_open(
            crypto,
            response_key,
            SEAL_RESPONSE_LABEL,
            me,
            sealed,
            "connection response",
        )?;
        let resp = Self::from_bytes(&plain)?;
        let (responder, key) = sender_of(trust, &resp.responder_client_credential)?;
        if &responder.user != expected_responder {
            return Err(IdentityError::UserMismatch {
                claimed: expected_responder.to_string(),
                actual: responder.user.to_string(),
            });
        }
        verify_with_label(
            &key,
            CONNECTION_RESPONSE_LABEL,
            &resp.tbs(me, &response_key.public),
            &resp.signature,
            "connection response",
        )
        .map_err(|_| IdentityError::BadSignature("connection response"))?;
        Ok(OpenedConnectionResponse {
            responder,
            responder_connection_key: resp.responder_connection_key,
        })
    }
}

/// A verified connection response: the responder and their connection key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedConnectionResponse {
    /// The responding client and user, verified.
    pub responder: ClientIdentity,
    /// The responder's connection key.
    pub responder_connection_key: ConnectionKey,
}

/// Seals `request` to any key under any recipient name, as a re-sealing relay would.
#[cfg(test)]
pub(crate) fn seal_request_to(
    crypto: &impl OpenMlsCrypto,
    request: &ConnectionRequest,
    public_key: &[u8],
    recipient: &UserUri,
) -> Result<Vec<u8>, IdentityError> {
    hpke_seal(
        crypto,
        public_key,
        SEAL_REQUEST_LABEL,
        recipient,
        &request.to_bytes(),
    )
}
