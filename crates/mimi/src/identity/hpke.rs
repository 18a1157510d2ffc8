//! HPKE for the connection messages: RFC 9420 §5.1.3 `EncryptWithLabel` with DHKEM(X25519,
//! HKDF-SHA256), HKDF-SHA256 and AES-128-GCM (the HPKE suite of Conclave's MLS cipher suite
//! 0x0001), framed with its algorithm identifiers:
//!
//! ```text
//! struct {
//!   uint8  version;   /* 1 */
//!   uint16 kem_id;    /* 0x0020 DHKEM(X25519, HKDF-SHA256) */
//!   uint16 kdf_id;    /* 0x0001 HKDF-SHA256 */
//!   uint16 aead_id;   /* 0x0001 AES-128-GCM */
//!   opaque kem_output<V>;
//!   opaque ciphertext<V>;
//! } SealedConnectionMessage;
//! ```
//!
//! `info = EncryptContext{"MLS 1.0 " + label, context}` with the recipient's user URI as the
//! context, and empty AAD.

use openmls::prelude::{
    HpkeAeadType, HpkeCiphertext, HpkeConfig, HpkeKdfType, HpkeKemType, HpkeKeyPair, OpenMlsCrypto,
};
use tls_codec::{
    Deserialize as _, Serialize as _, TlsDeserialize, TlsSerialize, TlsSize, VLByteSlice, VLBytes,
};

use super::IdentityError;
use crate::error::WireError;
use crate::uri::UserUri;

/// The one version of `SealedConnectionMessage`.
pub const SEALED_CONNECTION_VERSION: u8 = 1;
const KEM_X25519: u16 = 0x0020;
const KDF_HKDF_SHA256: u16 = 0x0001;
const AEAD_AES_128_GCM: u16 = 0x0001;
/// The length of an X25519 public key or KEM output.
pub(crate) const X25519_LEN: usize = 32;

fn hpke_config() -> HpkeConfig {
    HpkeConfig(
        HpkeKemType::DhKem25519,
        HpkeKdfType::HkdfSha256,
        HpkeAeadType::AesGcm128,
    )
}

/// Derives an X25519 HPKE key pair from 32 random bytes: a user's connection-establishment key
/// (generated at registration) or a request's one-time response key.
pub fn connection_hpke_keypair(
    crypto: &impl OpenMlsCrypto,
    ikm: &[u8; 32],
) -> Result<HpkeKeyPair, IdentityError> {
    crypto
        .derive_hpke_keypair(hpke_config(), ikm)
        .map_err(|error| IdentityError::Crypto {
            operation: "HPKE DeriveKeyPair",
            error,
        })
}

#[derive(TlsSerialize, TlsDeserialize, TlsSize)]
struct SealedConnectionMessage {
    version: u8,
    kem_id: u16,
    kdf_id: u16,
    aead_id: u16,
    kem_output: VLBytes,
    ciphertext: VLBytes,
}

#[derive(TlsSerialize, TlsSize)]
struct EncryptContext<'a> {
    label: VLByteSlice<'a>,
    context: VLByteSlice<'a>,
}

fn info(label: &str, context: &[u8]) -> Vec<u8> {
    let label = format!("MLS 1.0 {label}");
    EncryptContext {
        label: VLByteSlice(label.as_bytes()),
        context: VLByteSlice(context),
    }
    .tls_serialize_detached()
    .unwrap_or_default()
}

/// RFC 9420 §5.1.3 `EncryptWithLabel` with Conclave's HPKE suite.
fn encrypt_with_label(
    crypto: &impl OpenMlsCrypto,
    public_key: &[u8],
    label: &str,
    context: &[u8],
    plaintext: &[u8],
) -> Result<HpkeCiphertext, IdentityError> {
    crypto
        .hpke_seal(
            hpke_config(),
            public_key,
            &info(label, context),
            &[],
            plaintext,
        )
        .map_err(|error| IdentityError::Crypto {
            operation: "HPKE seal",
            error,
        })
}

/// RFC 9420 §5.1.3 `DecryptWithLabel` with Conclave's HPKE suite.
pub(crate) fn decrypt_with_label(
    crypto: &impl OpenMlsCrypto,
    private_key: &[u8],
    label: &str,
    context: &[u8],
    ciphertext: &HpkeCiphertext,
    what: &'static str,
) -> Result<Vec<u8>, IdentityError> {
    if ciphertext.kem_output.as_slice().len() != X25519_LEN {
        return Err(IdentityError::Open(what));
    }
    crypto
        .hpke_open(
            hpke_config(),
            ciphertext,
            private_key,
            &info(label, context),
            &[],
        )
        .map_err(|_| IdentityError::Open(what))
}

pub(crate) fn hpke_seal(
    crypto: &impl OpenMlsCrypto,
    public_key: &[u8],
    label: &str,
    recipient: &UserUri,
    plaintext: &[u8],
) -> Result<Vec<u8>, IdentityError> {
    let ct = encrypt_with_label(crypto, public_key, label, &recipient.to_bytes(), plaintext)?;
    Ok(SealedConnectionMessage {
        version: SEALED_CONNECTION_VERSION,
        kem_id: KEM_X25519,
        kdf_id: KDF_HKDF_SHA256,
        aead_id: AEAD_AES_128_GCM,
        kem_output: ct.kem_output,
        ciphertext: ct.ciphertext,
    }
    .tls_serialize_detached()
    .unwrap_or_default())
}

pub(crate) fn hpke_open(
    crypto: &impl OpenMlsCrypto,
    key_pair: &HpkeKeyPair,
    label: &str,
    recipient: &UserUri,
    sealed: &[u8],
    what: &'static str,
) -> Result<Vec<u8>, IdentityError> {
    let m = SealedConnectionMessage::tls_deserialize_exact(sealed)
        .map_err(|e| WireError::malformed("SealedConnectionMessage", e))?;
    if (m.version, m.kem_id, m.kdf_id, m.aead_id)
        != (
            SEALED_CONNECTION_VERSION,
            KEM_X25519,
            KDF_HKDF_SHA256,
            AEAD_AES_128_GCM,
        )
    {
        return Err(WireError::Unsupported {
            what: "SealedConnectionMessage",
            detail: format!(
                "version {} with HPKE suite {:#06x}/{:#06x}/{:#06x}",
                m.version, m.kem_id, m.kdf_id, m.aead_id
            ),
        }
        .into());
    }
    let ct = HpkeCiphertext {
        kem_output: m.kem_output,
        ciphertext: m.ciphertext,
    };
    decrypt_with_label(
        crypto,
        key_pair.private.as_ref(),
        label,
        &recipient.to_bytes(),
        &ct,
        what,
    )
}
