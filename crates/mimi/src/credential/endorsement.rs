//! The user key: what anchors a user's devices (Conclave's own; PROTO §1.1 leaves the binding of
//! clients to users open, SECURITY.md "Devices").
//!
//! A user's first device makes an Ed25519 user key; every device the user approves holds it. A
//! device's credential content is its [`ProviderCredential`] followed by the user's approval:
//!
//! ```text
//! struct {
//!   opaque user_key<V>;          /* the user's Ed25519 public key */
//!   opaque user_signature<V>;    /* SignWithLabel(user key, "ConclaveDeviceEndorsementTBS", TBS) */
//! } UserEndorsement;             /* TBS = the ProviderCredential's own TBS (client, user, key) */
//! ```
//!
//! The provider signs that a client is of a user; the user's key signs that the user approved it.
//! Members pin each user's key at first contact and refuse devices it did not approve, so a
//! provider can no longer add a device to a user's rooms on its own word.

use ed25519_dalek::SigningKey;
use tls_codec::{Deserialize as _, Serialize as _, TlsDeserialize, TlsSerialize, TlsSize, VLBytes};

use super::{ProviderCredential, sign_with_label, verify_with_label};
use crate::error::WireError;
use crate::uri::ClientUri;

const ENDORSEMENT_LABEL: &str = "ConclaveDeviceEndorsementTBS";

/// The `SignWithLabel` label of a device removal signed with the user key: how one device of a
/// user removes another (a device without the user key removes only itself).
pub const DEVICE_REMOVAL_LABEL: &str = "conclave device removal";

/// What the user key signs to remove a device: its URI and the time, in ms since the epoch.
pub fn device_removal_content(client: &ClientUri, at_ms: u64) -> Vec<u8> {
    let mut out = client.to_string().into_bytes();
    out.push(0);
    out.extend_from_slice(&at_ms.to_be_bytes());
    out
}

/// The user's approval of one device, after its [`ProviderCredential`] in the credential content.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct UserEndorsement {
    /// The user's Ed25519 public key.
    pub user_key: VLBytes,
    /// `SignWithLabel(user key, "ConclaveDeviceEndorsementTBS", TBS)`.
    pub user_signature: VLBytes,
}

impl UserEndorsement {
    /// Verifies that the user key signed `credential`'s binding of client, user and leaf key.
    pub fn verify(&self, credential: &ProviderCredential) -> Result<(), WireError> {
        verify_with_label(
            self.user_key.as_slice(),
            ENDORSEMENT_LABEL,
            &credential.tbs_bytes(),
            self.user_signature.as_slice(),
            "the user's approval of the device",
        )
    }
}

/// Splits credential content into the provider's part and the endorsement after it, if any.
/// Bytes after the provider's part must be exactly one endorsement.
pub(super) fn split(
    bytes: &[u8],
) -> Result<(ProviderCredential, Option<UserEndorsement>), WireError> {
    let mut rest = bytes;
    let pc = ProviderCredential::tls_deserialize(&mut rest)
        .map_err(|e| WireError::malformed("ProviderCredential", e))?;
    if rest.is_empty() {
        return Ok((pc, None));
    }
    let e = UserEndorsement::tls_deserialize_exact(rest)
        .map_err(|e| WireError::malformed("UserEndorsement", e))?;
    Ok((pc, Some(e)))
}

/// The user key that approved the device whose credential content is `bytes`, its signature
/// verified; `None` if the credential carries no approval.
pub fn endorsement_of(bytes: &[u8]) -> Result<Option<Vec<u8>>, WireError> {
    let (pc, e) = split(bytes)?;
    match e {
        None => Ok(None),
        Some(e) => {
            e.verify(&pc)?;
            Ok(Some(e.user_key.as_slice().to_vec()))
        }
    }
}

/// The credential content of a device approved with `user_key`: the provider's part of
/// `credential` (any earlier approval dropped) followed by the user's signature over it.
pub fn endorse(user_key: &SigningKey, credential: &[u8]) -> Result<Vec<u8>, WireError> {
    let (pc, _) = split(credential)?;
    let e = UserEndorsement {
        user_key: user_key.verifying_key().to_bytes().to_vec().into(),
        user_signature: sign_with_label(user_key, ENDORSEMENT_LABEL, &pc.tbs_bytes()).into(),
    };
    let mut out = pc.to_bytes();
    out.extend(
        e.tls_serialize_detached()
            .map_err(|e| WireError::malformed("UserEndorsement", e))?,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uri::UserUri;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn credential() -> ProviderCredential {
        ProviderCredential::issue(
            &key(1),
            &ClientUri::parse("mimi://a.example/d/c1").unwrap(),
            &UserUri::parse("mimi://a.example/u/alice").unwrap(),
            b"leafkey",
        )
    }

    #[test]
    fn an_endorsed_credential_names_its_user_key_and_still_verifies_as_the_providers() {
        let pc = credential();
        let bytes = endorse(&key(9), &pc.to_bytes()).unwrap();
        assert_eq!(
            endorsement_of(&bytes).unwrap(),
            Some(key(9).verifying_key().to_bytes().to_vec())
        );
        assert_eq!(ProviderCredential::from_bytes(&bytes).unwrap(), pc);
        assert!(
            ProviderCredential::from_bytes(&bytes)
                .unwrap()
                .verify("a.example", key(1).verifying_key().as_bytes(), b"leafkey")
                .is_ok()
        );
        assert_eq!(endorsement_of(&pc.to_bytes()).unwrap(), None);
        // Endorsing again replaces the approval; it does not stack.
        let again = endorse(&key(8), &bytes).unwrap();
        assert_eq!(again.len(), bytes.len());
        assert_eq!(
            endorsement_of(&again).unwrap(),
            Some(key(8).verifying_key().to_bytes().to_vec())
        );
    }

    #[test]
    fn an_approval_of_another_device_or_by_another_key_does_not_verify() {
        let pc = credential();
        let bytes = endorse(&key(9), &pc.to_bytes()).unwrap();
        // The same approval after another device's credential.
        let other = ProviderCredential::issue(
            &key(1),
            &ClientUri::parse("mimi://a.example/d/c2").unwrap(),
            &UserUri::parse("mimi://a.example/u/alice").unwrap(),
            b"leafkey",
        );
        let moved = [other.to_bytes(), bytes[pc.to_bytes().len()..].to_vec()].concat();
        assert!(endorsement_of(&moved).is_err());
        // A user key swapped in after signing.
        let (pc2, e) = split(&bytes).unwrap();
        let mut e = e.unwrap();
        e.user_key = key(7).verifying_key().to_bytes().to_vec().into();
        assert!(e.verify(&pc2).is_err());
        // Trailing bytes after the approval, or a truncated one.
        assert!(endorsement_of(&[bytes.clone(), vec![0]].concat()).is_err());
        assert!(ProviderCredential::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}
