//! The AEAD container of Conclave's identity ciphertexts (`specs/mimi.md` §4.3: the draft names
//! no AEAD, so Conclave names it and versions it):
//!
//! ```text
//! struct {
//!   uint8  version;        /* 1 */
//!   uint16 aead_id;        /* RFC 9180 AEAD id: 0x0002 = AES-256-GCM, the only one accepted */
//!   opaque nonce<V>;       /* 12 bytes, given by the caller */
//!   opaque ciphertext<V>;  /* ciphertext || 16-byte tag */
//! } Sealed;
//!
//! struct {
//!   opaque label<V>;       /* "Conclave IdentityLink" or "Conclave WrappedIdentityLinkKey" */
//!   uint8  version;
//!   uint16 aead_id;
//!   opaque context<V>;     /* what the ciphertext is bound to */
//! } SealedAad;             /* the AEAD's associated data */
//! ```
//!
//! The keys are 32 bytes (the suite's `Nh`), so the AEAD is AES-256-GCM. The label keeps an
//! identity link and a wrapped key apart even under one key; the context pins a ciphertext to
//! its place (the credential's TBS, or the client pseudonym whose key is wrapped).

use openmls::prelude::{AeadType, OpenMlsCrypto};
use tls_codec::{
    Deserialize as _, Serialize as _, TlsDeserialize, TlsSerialize, TlsSize, VLByteSlice, VLBytes,
};

use super::IdentityError;
use crate::error::WireError;

/// The one version of [`Sealed`].
pub const SEALED_VERSION: u8 = 1;
/// RFC 9180 AEAD identifier of AES-256-GCM, the one AEAD of [`Sealed`] version 1.
pub const AEAD_AES_256_GCM: u16 = 0x0002;
/// The nonce length of AES-256-GCM.
pub const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// What a [`Sealed`] holds, which selects its AAD label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// An `IdentityLinkTBE` under an identity_link_key; context = the credential's TBS.
    IdentityLink,
    /// An identity_link_key under the room's wrapper key; context = the client pseudonym.
    WrappedKey,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::IdentityLink => b"Conclave IdentityLink",
            Purpose::WrappedKey => b"Conclave WrappedIdentityLinkKey",
        }
    }
    fn what(self) -> &'static str {
        match self {
            Purpose::IdentityLink => "identity link",
            Purpose::WrappedKey => "wrapped identity link key",
        }
    }
}

/// A versioned AEAD ciphertext (see the module doc for the layout).
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct Sealed {
    /// Always [`SEALED_VERSION`].
    pub version: u8,
    /// Always [`AEAD_AES_256_GCM`].
    pub aead_id: u16,
    /// The AEAD nonce.
    pub nonce: VLBytes,
    /// The ciphertext with its tag.
    pub ciphertext: VLBytes,
}

#[derive(TlsSerialize, TlsSize)]
struct SealedAad<'a> {
    label: VLByteSlice<'a>,
    version: u8,
    aead_id: u16,
    context: VLByteSlice<'a>,
}

fn aad(purpose: Purpose, context: &[u8]) -> Vec<u8> {
    SealedAad {
        label: VLByteSlice(purpose.label()),
        version: SEALED_VERSION,
        aead_id: AEAD_AES_256_GCM,
        context: VLByteSlice(context),
    }
    .tls_serialize_detached()
    .unwrap_or_default()
}

impl Sealed {
    /// Decodes a `Sealed`, refusing trailing bytes, another version or AEAD, a nonce of the wrong
    /// length and a ciphertext too short to hold a tag.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let s =
            Self::tls_deserialize_exact(bytes).map_err(|e| WireError::malformed("Sealed", e))?;
        let unsupported = |what, detail: String| Err(WireError::Unsupported { what, detail });
        if s.version != SEALED_VERSION {
            return unsupported("Sealed.version", s.version.to_string());
        }
        if s.aead_id != AEAD_AES_256_GCM {
            return unsupported("Sealed.aead_id", format!("{:#06x}", s.aead_id));
        }
        if s.nonce.as_slice().len() != NONCE_LEN {
            return unsupported(
                "Sealed.nonce",
                format!("{} bytes", s.nonce.as_slice().len()),
            );
        }
        if s.ciphertext.as_slice().len() < TAG_LEN {
            return unsupported(
                "Sealed.ciphertext",
                format!("{} bytes", s.ciphertext.as_slice().len()),
            );
        }
        Ok(s)
    }

    /// The TLS encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.tls_serialize_detached().unwrap_or_default()
    }

    /// Encrypts `plaintext` under `key` for `purpose`, bound to `context`.
    pub(crate) fn seal(
        crypto: &impl OpenMlsCrypto,
        key: &[u8; 32],
        purpose: Purpose,
        context: &[u8],
        nonce: [u8; NONCE_LEN],
        plaintext: &[u8],
    ) -> Result<Self, IdentityError> {
        let ciphertext = crypto
            .aead_encrypt(
                AeadType::Aes256Gcm,
                key,
                plaintext,
                &nonce,
                &aad(purpose, context),
            )
            .map_err(|error| IdentityError::Crypto {
                operation: "AES-256-GCM seal",
                error,
            })?;
        Ok(Sealed {
            version: SEALED_VERSION,
            aead_id: AEAD_AES_256_GCM,
            nonce: nonce.to_vec().into(),
            ciphertext: ciphertext.into(),
        })
    }

    /// Decrypts with `key`; fails as [`IdentityError::Open`] if the key, the purpose or the
    /// context differ from the sealer's, or a byte was altered.
    pub(crate) fn open(
        &self,
        crypto: &impl OpenMlsCrypto,
        key: &[u8; 32],
        purpose: Purpose,
        context: &[u8],
    ) -> Result<Vec<u8>, IdentityError> {
        // The provider slices the nonce into a fixed-size array and panics on another length,
        // so a `Sealed` built by hand is checked again here.
        if self.version != SEALED_VERSION
            || self.aead_id != AEAD_AES_256_GCM
            || self.nonce.as_slice().len() != NONCE_LEN
        {
            return Err(IdentityError::Open(purpose.what()));
        }
        crypto
            .aead_decrypt(
                AeadType::Aes256Gcm,
                key,
                self.ciphertext.as_slice(),
                self.nonce.as_slice(),
                &aad(purpose, context),
            )
            .map_err(|_| IdentityError::Open(purpose.what()))
    }
}

/// The AAD bytes, for the known-answer tests.
#[cfg(test)]
pub(crate) fn aad_bytes(purpose: Purpose, context: &[u8]) -> Vec<u8> {
    aad(purpose, context)
}
