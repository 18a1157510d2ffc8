//! MIMI application components that live in the GroupContext `app_data_dictionary`
//! (MLSEXT §4.6). The skeleton carries `room_metadata`; the policy components join them here.

use tls_codec::{TlsDeserialize, TlsSerialize, TlsSize, VLBytes};

use crate::error::WireError;
use crate::wire::{decode, encode};

/// PROTO §7.6 `RichDescription`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct RichDescription {
    /// Media type; empty means `text/plain;charset=utf-8`.
    pub media_type: VLBytes,
    /// RFC 5646 language tag.
    pub language_tag: VLBytes,
    /// The description.
    pub description_content: VLBytes,
}

/// PROTO §7.6 `RoomMetaData` (component `room_metadata`, 0x0023). `Uri` and `UTF8String` are
/// one-field structs around `opaque<V>`, so they encode exactly as the `VLBytes` used here.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct RoomMetaData {
    /// The room's URI.
    pub room_uri: VLBytes,
    /// Its display name.
    pub room_name: VLBytes,
    /// Descriptions.
    pub room_descriptions: Vec<RichDescription>,
    /// An https avatar URL, or empty.
    pub room_avatar: VLBytes,
    /// The subject.
    pub room_subject: VLBytes,
    /// The mood.
    pub room_mood: VLBytes,
}

impl RoomMetaData {
    /// Metadata with just a URI and a name.
    pub fn named(room_uri: &str, name: &str) -> Self {
        let empty = || VLBytes::new(Vec::new());
        RoomMetaData {
            room_uri: room_uri.as_bytes().to_vec().into(),
            room_name: name.as_bytes().to_vec().into(),
            room_descriptions: Vec::new(),
            room_avatar: empty(),
            room_subject: empty(),
            room_mood: empty(),
        }
    }

    /// The name as text (lossy).
    pub fn name(&self) -> String {
        String::from_utf8_lossy(self.room_name.as_slice()).into_owned()
    }

    /// TLS encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Strict TLS decoding.
    pub fn from_bytes(b: &[u8]) -> Result<Self, WireError> {
        decode(b, "RoomMetaData")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_metadata_bytes_are_the_draft_layout() {
        let m = RoomMetaData::named("mimi://h/r/x", "Hi");
        let b = m.to_bytes();
        // uri<V>, name<V>, descriptions<V> (empty), avatar<V>, subject<V>, mood<V>
        let mut want = vec![12];
        want.extend_from_slice(b"mimi://h/r/x");
        want.extend_from_slice(&[2, b'H', b'i', 0, 0, 0, 0]);
        assert_eq!(b, want);
        assert_eq!(RoomMetaData::from_bytes(&b).unwrap(), m);
        assert_eq!(m.name(), "Hi");
        assert!(RoomMetaData::from_bytes(&b[..5]).is_err());
    }
}
