//! Provider-issued client credentials.
//!
//! PROTO leaves "cryptographic binding of users to providers and of clients to users" open (§1.1),
//! so Conclave defines one: the provider signs, with its Ed25519 key, a TLS struct binding the
//! client URI, the user URI and the client's MLS signature key. It is carried as an MLS credential
//! of the private-use type [`PROVIDER_CREDENTIAL_TYPE`](crate::ids::PROVIDER_CREDENTIAL_TYPE):
//!
//! ```text
//! struct {
//!   opaque client_uri<V>; opaque user_uri<V>; opaque signature_key<V>;
//!   opaque provider_signature<V>;   /* SignWithLabel(provider_key, "ConclaveClientCredentialTBS", TBS) */
//! } ProviderCredential;             /* TBS = the same struct without provider_signature */
//! ```
//!
//! Every client and the hub verify it ([`ProviderCredential::verify`]) before trusting a leaf, a
//! KeyPackage or a member list.
//!
//! The credential content may go on with a [`UserEndorsement`]: the user's own key approving the
//! device (the provider alone cannot add a device that members accept; [`endorsement`]).

pub mod endorsement;

pub use endorsement::{
    DEVICE_REMOVAL_LABEL, UserEndorsement, device_removal_content, endorse, endorsement_of,
};

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use tls_codec::{Serialize as _, TlsDeserialize, TlsSerialize, TlsSize, VLBytes};

use crate::error::WireError;
use crate::uri::{ClientUri, UserUri};

const CREDENTIAL_LABEL: &str = "ConclaveClientCredentialTBS";

/// RFC 9420 §5.1.2 `SignContent`: what `SignWithLabel` really signs.
#[derive(TlsSerialize, TlsSize)]
struct SignContent<'a> {
    label: VLBytes,
    content: tls_codec::VLByteSlice<'a>,
}

/// The bytes that `SignWithLabel(key, label, content)` signs (RFC 9420 §5.1.2).
pub fn sign_content(label: &str, content: &[u8]) -> Vec<u8> {
    let sc = SignContent {
        label: format!("MLS 1.0 {label}").into_bytes().into(),
        content: tls_codec::VLByteSlice(content),
    };
    // Serialising into a Vec cannot fail for inputs below 2^30 bytes.
    sc.tls_serialize_detached().unwrap_or_default()
}

/// `SignWithLabel` with an Ed25519 key.
pub fn sign_with_label(key: &SigningKey, label: &str, content: &[u8]) -> Vec<u8> {
    key.sign(&sign_content(label, content)).to_bytes().to_vec()
}

/// The `SignWithLabel` label of a token renewal: a client whose bearer token expired asks its
/// provider for a new one with its device (leaf signature) key (Conclave's own, SECURITY.md).
pub const TOKEN_RENEWAL_LABEL: &str = "conclave token renewal";

/// What a client signs to renew its token: its URI and the time it asks, in ms since the epoch.
pub fn token_renewal_content(client: &ClientUri, at_ms: u64) -> Vec<u8> {
    let mut out = client.to_string().into_bytes();
    out.push(0);
    out.extend_from_slice(&at_ms.to_be_bytes());
    out
}

/// `VerifyWithLabel` with an Ed25519 public key given as raw bytes.
pub fn verify_with_label(
    public_key: &[u8],
    label: &str,
    content: &[u8],
    signature: &[u8],
    what: &'static str,
) -> Result<(), WireError> {
    let pk: [u8; 32] = public_key
        .try_into()
        .map_err(|_| WireError::BadSignature(what))?;
    let vk = VerifyingKey::from_bytes(&pk).map_err(|_| WireError::BadSignature(what))?;
    let sig = Signature::from_slice(signature).map_err(|_| WireError::BadSignature(what))?;
    vk.verify(&sign_content(label, content), &sig)
        .map_err(|_| WireError::BadSignature(what))
}

#[derive(TlsSerialize, TlsSize)]
struct CredentialTbs<'a> {
    client_uri: tls_codec::VLByteSlice<'a>,
    user_uri: tls_codec::VLByteSlice<'a>,
    signature_key: tls_codec::VLByteSlice<'a>,
}

/// The wire form of a provider-issued credential.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct ProviderCredential {
    /// The client's URI.
    pub client_uri: VLBytes,
    /// The user's URI.
    pub user_uri: VLBytes,
    /// The client's MLS signature public key.
    pub signature_key: VLBytes,
    /// The provider's signature over the fields above.
    pub provider_signature: VLBytes,
}

/// Who a verified credential names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientIdentity {
    /// The client (device).
    pub client: ClientUri,
    /// The user it belongs to.
    pub user: UserUri,
}

impl ProviderCredential {
    /// Issues a credential: the provider's side.
    pub fn issue(
        provider_key: &SigningKey,
        client: &ClientUri,
        user: &UserUri,
        signature_key: &[u8],
    ) -> Self {
        let client_uri = client.to_bytes();
        let user_uri = user.to_bytes();
        let tbs = Self::tbs(&client_uri, &user_uri, signature_key);
        let sig = sign_with_label(provider_key, CREDENTIAL_LABEL, &tbs);
        ProviderCredential {
            client_uri: client_uri.into(),
            user_uri: user_uri.into(),
            signature_key: signature_key.to_vec().into(),
            provider_signature: sig.into(),
        }
    }

    /// The TBS this credential's provider signature covers (and a user's approval, too).
    pub(crate) fn tbs_bytes(&self) -> Vec<u8> {
        Self::tbs(
            self.client_uri.as_slice(),
            self.user_uri.as_slice(),
            self.signature_key.as_slice(),
        )
    }

    fn tbs(client: &[u8], user: &[u8], key: &[u8]) -> Vec<u8> {
        CredentialTbs {
            client_uri: tls_codec::VLByteSlice(client),
            user_uri: tls_codec::VLByteSlice(user),
            signature_key: tls_codec::VLByteSlice(key),
        }
        .tls_serialize_detached()
        .unwrap_or_default()
    }

    /// Decodes the credential content bytes: the provider's part, and a [`UserEndorsement`]
    /// after it if there is one (whose bytes must then decode exactly).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        Ok(endorsement::split(bytes)?.0)
    }

    /// The provider's part of the credential content bytes (without any endorsement).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.tls_serialize_detached().unwrap_or_default()
    }

    /// Verifies the credential: the provider signature with `provider_key` (raw Ed25519), that
    /// both URIs are well formed and in `provider_domain`, and that it binds `leaf_signature_key`.
    pub fn verify(
        &self,
        provider_domain: &str,
        provider_key: &[u8],
        leaf_signature_key: &[u8],
    ) -> Result<ClientIdentity, WireError> {
        let client = ClientUri::from_bytes(self.client_uri.as_slice())?;
        let user = UserUri::from_bytes(self.user_uri.as_slice())?;
        if client.domain() != provider_domain || user.domain() != provider_domain {
            return Err(WireError::Unsupported {
                what: "credential domain",
                detail: format!("{client} / {user} are not in {provider_domain}"),
            });
        }
        if self.signature_key.as_slice() != leaf_signature_key {
            return Err(WireError::BadSignature(
                "credential: it binds another signature key",
            ));
        }
        let tbs = self.tbs_bytes();
        verify_with_label(
            provider_key,
            CREDENTIAL_LABEL,
            &tbs,
            self.provider_signature.as_slice(),
            "credential",
        )?;
        Ok(ClientIdentity { client, user })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn issued_credential_verifies_and_names_client_and_user() {
        let p = key(1);
        let c = ClientUri::parse("mimi://a.example/d/c1").unwrap();
        let u = UserUri::parse("mimi://a.example/u/alice").unwrap();
        let cred = ProviderCredential::issue(&p, &c, &u, b"leafkey");
        let back = ProviderCredential::from_bytes(&cred.to_bytes()).unwrap();
        let id = back
            .verify("a.example", p.verifying_key().as_bytes(), b"leafkey")
            .unwrap();
        assert_eq!((id.client, id.user), (c, u));
    }

    #[test]
    fn tampered_or_foreign_credentials_are_refused() {
        let p = key(1);
        let c = ClientUri::parse("mimi://a.example/d/c1").unwrap();
        let u = UserUri::parse("mimi://a.example/u/alice").unwrap();
        let cred = ProviderCredential::issue(&p, &c, &u, b"leafkey");
        let pk = p.verifying_key().to_bytes();
        assert!(cred.verify("a.example", &pk, b"otherkey").is_err());
        assert!(cred.verify("b.example", &pk, b"leafkey").is_err());
        assert!(
            cred.verify("a.example", key(2).verifying_key().as_bytes(), b"leafkey")
                .is_err()
        );
        let mut forged = cred.clone();
        forged.user_uri = b"mimi://a.example/u/mallory".to_vec().into();
        assert_eq!(
            forged.verify("a.example", &pk, b"leafkey"),
            Err(WireError::BadSignature("credential"))
        );
        assert!(ProviderCredential::from_bytes(&[1, 2, 3]).is_err());
    }

    #[test]
    fn sign_content_matches_rfc9420_layout() {
        // label<V> = "MLS 1.0 X" (9 bytes), content<V> = "ab"
        assert_eq!(sign_content("X", b"ab"), b"\x09MLS 1.0 X\x02ab".to_vec());
    }

    #[test]
    fn credential_bytes_are_stable() {
        let p = key(7);
        let c = ClientUri::parse("mimi://h/d/c").unwrap();
        let u = UserUri::parse("mimi://h/u/a").unwrap();
        let cred = ProviderCredential::issue(&p, &c, &u, &[9; 32]);
        let bytes = cred.to_bytes();
        // Ed25519 is deterministic, so the whole credential is a known answer.
        assert_eq!(hex::encode(&bytes[..12]), "0c6d696d693a2f2f682f642f");
        // A 64-byte opaque<V> takes a two-byte length prefix (RFC 9420 §2.1.2).
        assert_eq!(bytes.len(), 1 + 12 + 1 + 12 + 1 + 32 + 2 + 64);
    }
}
