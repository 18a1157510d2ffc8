//! Message ids (CONTENT §3.3, as changed in -08).
//!
//! ```text
//! hash_output = SHA-256( u16be(len(senderUri)) || senderUri || u16be(len(roomUri)) || roomUri
//!                        || message || salt )
//! messageId   = 0x01 || hash_output[0..31]
//! ```
//! `message` is the whole encoded `mimiContent`, salt included; the salt comes again at the end to
//! stop SHA-256 length extension. The leading byte is the IANA named-information id of the hash.
//! Compute ids over the bytes exactly as received (decoding guarantees they re-encode identically).

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use super::error::ContentError;

/// The first byte of every message id this crate knows: SHA-256 in the IANA named-information
/// hash registry.
pub const MESSAGE_ID_SHA256: u8 = 0x01;

/// A 32-byte MIMI message id: the hash algorithm byte, then 31 bytes of the hash.
///
/// Shown and parsed as 64 lowercase hex digits; serialized with serde as that string. Parsing
/// accepts any first byte: [`MessageId::check_algorithm`] is the receiver's check.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub [u8; 32]);

impl MessageId {
    /// The id as bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Refuses an id whose first byte is not a known hash algorithm (CONTENT §9.1).
    pub fn check_algorithm(&self) -> Result<(), ContentError> {
        match self.0[0] {
            MESSAGE_ID_SHA256 => Ok(()),
            byte => Err(ContentError::UnknownMessageIdHash { byte }),
        }
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({self})")
    }
}

impl FromStr for MessageId {
    type Err = ContentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut id = [0u8; 32];
        hex::decode_to_slice(s, &mut id).map_err(|_| ContentError::InvalidMessageIdHex)?;
        Ok(Self(id))
    }
}

impl serde::Serialize for MessageId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MessageId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The message id of `encoded` sent by `sender_uri` in `room_uri` (CONTENT §3.3).
///
/// The draft's length prefixes are 16 bits; a URI longer than 65535 bytes has no defined id, and
/// here its prefix saturates at 65535. [`super::MimiContent::message_id`] refuses such URIs instead.
pub fn message_id(sender_uri: &str, room_uri: &str, encoded: &[u8], salt: &[u8; 16]) -> MessageId {
    let mut hasher = Sha256::new();
    for uri in [sender_uri, room_uri] {
        let len = u16::try_from(uri.len()).unwrap_or(u16::MAX);
        hasher.update(len.to_be_bytes());
        hasher.update(uri.as_bytes());
    }
    hasher.update(encoded);
    hasher.update(salt);
    let hash = hasher.finalize();
    let mut id = [0u8; 32];
    id[0] = MESSAGE_ID_SHA256;
    id[1..].copy_from_slice(&hash[..31]);
    MessageId(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = "017ce54837404c3696e0c747b985cb172716d0ed0a3d249ca63ace7d82a096f4";

    #[test]
    fn message_id_displays_and_parses_as_lowercase_hex() {
        let id: MessageId = ORIGINAL.parse().unwrap_or(MessageId([0; 32]));
        assert_eq!(id.to_string(), ORIGINAL);
        assert_eq!(
            ORIGINAL.to_uppercase().parse::<MessageId>(),
            Ok(id),
            "upper case is accepted on input"
        );
        assert_eq!(format!("{id:?}"), format!("MessageId({ORIGINAL})"));
        assert_eq!(
            "017c".parse::<MessageId>(),
            Err(ContentError::InvalidMessageIdHex)
        );
        assert_eq!(
            format!("{ORIGINAL}0").parse::<MessageId>(),
            Err(ContentError::InvalidMessageIdHex)
        );
    }

    #[test]
    fn message_id_serde_is_a_hex_string() {
        let id = MessageId([0xab; 32]);
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
        let back: Result<MessageId, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(id));
        assert!(serde_json::from_str::<MessageId>("\"zz\"").is_err());
    }

    #[test]
    fn only_sha256_ids_pass_the_algorithm_check() {
        let mut id = [7u8; 32];
        id[0] = 0x01;
        assert_eq!(MessageId(id).check_algorithm(), Ok(()));
        id[0] = 0x02;
        assert_eq!(
            MessageId(id).check_algorithm(),
            Err(ContentError::UnknownMessageIdHash { byte: 2 })
        );
    }
}
