//! Whom a client or the hub trusts to issue credentials, and identifying a leaf with it.

use openmls::prelude::{Credential, CredentialType};

use crate::credential::{ClientIdentity, ProviderCredential};
use crate::error::WireError;
use crate::ids::{PROVIDER_CREDENTIAL_TYPE, PSEUDONYMOUS_CREDENTIAL_TYPE};

/// Whom a client trusts to issue credentials: its provider's domain and Ed25519 key.
/// (Federation adds one entry per provider; the skeleton knows one.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    /// The provider's domain.
    pub domain: String,
    /// The provider's Ed25519 public key.
    pub provider_key: Vec<u8>,
}

impl Trust {
    /// Verifies an MLS credential with the leaf's signature key and names the client and user.
    ///
    /// A provider credential names the real client and user. A pseudonymous credential (PROTO
    /// §6.1) names its pseudonyms, which must be of this provider's domain and bind the leaf's
    /// key: that is all the hub and the policy engine ever know of a pseudonymous leaf. Who is
    /// behind it is [`super::resolve`]'s question, which only members can answer.
    pub fn identify(
        &self,
        credential: &Credential,
        signature_key: &[u8],
    ) -> Result<ClientIdentity, WireError> {
        match credential.credential_type() {
            CredentialType::Other(PROVIDER_CREDENTIAL_TYPE) => {
                let key = verified_key(self, credential.serialized_content(), signature_key);
                if let Some(id) = verified_get(&key) {
                    return Ok(id);
                }
                let id = ProviderCredential::from_bytes(credential.serialized_content())?.verify(
                    &self.domain,
                    &self.provider_key,
                    signature_key,
                )?;
                verified_put(key, &id);
                Ok(id)
            }
            CredentialType::Other(PSEUDONYMOUS_CREDENTIAL_TYPE) => {
                let id = super::identify_pseudonymous(credential, signature_key).map_err(|e| {
                    WireError::Unsupported {
                        what: "pseudonymous credential",
                        detail: e.to_string(),
                    }
                })?;
                for domain in [id.client.domain(), id.user.domain()] {
                    if domain != self.domain {
                        return Err(WireError::Unsupported {
                            what: "pseudonymous credential",
                            detail: format!(
                                "a pseudonym of {domain}, not of this provider ({})",
                                self.domain
                            ),
                        });
                    }
                }
                Ok(id)
            }
            other => Err(WireError::Unsupported {
                what: "credential type",
                detail: format!("{other:?}"),
            }),
        }
    }
}

// A memo of credentials that verified: a room's members are identified many times per handshake
// and per message (each policy decision names every member), and each identification of a
// provider credential is an Ed25519 verification (BENCHMARKS.md, P1 and P3). Verification is a
// pure function of (trust anchor, credential, leaf key), so remembering a success changes no
// answer. Keyed by the SHA-256 of all four inputs, each length-prefixed; bounded by clearing.
const VERIFIED_MAX: usize = 1 << 16;

type Verified = std::sync::Mutex<std::collections::HashMap<[u8; 32], ClientIdentity>>;

static VERIFIED: std::sync::LazyLock<Verified> = std::sync::LazyLock::new(Default::default);

fn verified_key(trust: &Trust, credential: &[u8], signature_key: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for part in [
        trust.domain.as_bytes(),
        &trust.provider_key,
        credential,
        signature_key,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

fn verified_get(key: &[u8; 32]) -> Option<ClientIdentity> {
    VERIFIED.lock().ok()?.get(key).cloned()
}

fn verified_put(key: [u8; 32], id: &ClientIdentity) {
    if let Ok(mut m) = VERIFIED.lock() {
        if m.len() >= VERIFIED_MAX {
            m.clear();
        }
        m.insert(key, id.clone());
    }
}
