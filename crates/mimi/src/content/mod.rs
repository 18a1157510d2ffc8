//! MIMI content: the `application/mimi-content` message body (draft-ietf-mimi-content-08).
//!
//! A message is a 7-element CBOR array (CONTENT §3): a random 16-byte salt, the id of the message
//! it replaces (edit, delete, unlike), a topic id, an expiry, the id of the message it answers
//! (reply, reaction), an extensions map (1 = sender URI, 2 = room URI) and a body of NestedParts.
//!
//! - Encoding is deterministic CBOR (RFC 8949 §4.2.1, CONTENT §6.1), see `cbor.rs`.
//! - [`MimiContent::decode`] is strict: it accepts only the deterministic encoding of a valid
//!   document, so the received bytes are exactly `decode(bytes)?.encode()`, and checks every
//!   limit of CONTENT §6 and §9.1 that needs no clock (`limits.rs`).
//!   [`MimiContent::check_expiry`] adds the ones that need the time.
//! - The message id (CONTENT §3.3, `id.rs`) hashes both URIs, the encoded content and the salt.
//!
//! The module is pure: salt and time are parameters.

mod cbor;
mod error;
mod extension;
mod id;
mod json;
mod limits;
mod part;
mod wire;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use error::ContentError;
pub use extension::{
    ExtensionKey, MAX_EXTENSION_DEPTH, MAX_INTEGER_KEY, MAX_TEXT_KEY_LEN, ROOM_URI_KEY,
    SENDER_URI_KEY,
};
pub use id::{MESSAGE_ID_SHA256, MessageId, message_id};
pub use limits::{MAX_EXPIRY_DISTANCE_SECS, MAX_PART_DEPTH, MAX_PARTS, MAX_TOPIC_ID_LEN};
pub use part::{Disposition, NestedPart, Part, PartSemantics};

/// The media type of MIMI content (CONTENT §8.1).
pub const MEDIA_TYPE: &str = "application/mimi-content";
/// The content type of plain text parts.
pub const TEXT_PLAIN: &str = "text/plain;charset=utf-8";
/// The content type of GFM-MIMI Markdown parts (CONTENT §7.1).
pub const TEXT_MARKDOWN: &str = "text/markdown;variant=GFM-MIMI";

/// When a message stops being shown (CONTENT §4.1). Only a hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Expiration {
    /// `true`: `time` seconds after the receiver reads it; `false`: `time` is UNIX seconds.
    pub relative: bool,
    /// Seconds, see `relative`.
    pub time: u32,
}

/// One MIMI content document (CONTENT §3, §4).
#[derive(Debug, Clone, PartialEq)]
pub struct MimiContent {
    /// Per-message random salt; the caller supplies it (CONTENT §9.2).
    pub salt: [u8; 16],
    /// The first version of the message this one edits or deletes.
    pub replaces: Option<MessageId>,
    /// An opaque topic id; empty for none. At most 4096 bytes.
    pub topic_id: Vec<u8>,
    /// When the message expires; `None` for never.
    pub expires: Option<Expiration>,
    /// The version of the message this one answers or reacts to.
    pub in_reply_to: Option<MessageId>,
    /// Extension key 1.
    pub sender_uri: Option<String>,
    /// Extension key 2.
    pub room_uri: Option<String>,
    /// Every other extension, kept as received so that it re-encodes unchanged.
    pub other_extensions: BTreeMap<ExtensionKey, ciborium::Value>,
    /// The body.
    pub body: NestedPart,
}

impl MimiContent {
    /// A plain text message (disposition render, language "", SinglePart
    /// `text/plain;charset=utf-8`).
    pub fn text(salt: [u8; 16], sender_uri: &str, room_uri: &str, text: &str) -> Self {
        Self::with_body(
            salt,
            sender_uri,
            room_uri,
            NestedPart::single(Disposition::Render, TEXT_PLAIN, text.as_bytes()),
        )
    }

    /// A new message with this body and no replaces, topic, expiry, reply or other extensions.
    pub fn with_body(salt: [u8; 16], sender_uri: &str, room_uri: &str, body: NestedPart) -> Self {
        Self {
            salt,
            replaces: None,
            topic_id: Vec::new(),
            expires: None,
            in_reply_to: None,
            sender_uri: Some(sender_uri.to_owned()),
            room_uri: Some(room_uri.to_owned()),
            other_extensions: BTreeMap::new(),
            body,
        }
    }

    /// Deterministic CBOR (RFC 8949 §4.2.1): shortest-form integers and lengths, definite
    /// lengths, map keys sorted by their encoded bytes, no duplicate keys.
    ///
    /// Encoding does not check limits: call [`MimiContent::validate`] before sending. If
    /// `other_extensions` holds key 1 or 2, `sender_uri` / `room_uri` win when present.
    pub fn encode(&self) -> Vec<u8> {
        wire::encode(self)
    }

    /// Strict decode: refuses anything but deterministic CBOR of the CONTENT schema, and every
    /// clock-free limit of CONTENT §6 and §9.1 (see [`MimiContent::validate`]).
    pub fn decode(bytes: &[u8]) -> Result<Self, ContentError> {
        let content = wire::from_value(cbor::decode_value(bytes)?)?;
        content.validate()?;
        // The decoder refuses each non-deterministic form it meets, so this only guards the
        // invariant that accepted bytes are the encoding, which message ids rely on.
        if content.encode() != bytes {
            return Err(ContentError::NotDeterministic);
        }
        Ok(content)
    }

    /// The clock-free checks of CONTENT §6 and §9.1: topicId ≤ 4096 bytes, NestedParts at most 4
    /// deep and 1024 in all, MultiParts of at least 2 parts, message ids of a known hash,
    /// extension keys (0 reserved, integers within ±(2^53 − 1), text of 1..=255 bytes) and
    /// extension values at most 4 levels deep counting the extensions map.
    pub fn validate(&self) -> Result<(), ContentError> {
        limits::validate(self)
    }

    /// The checks that need the time (CONTENT §9.1): an absolute expiry more than a year in
    /// the past, or any expiry more than a year in the future.
    pub fn check_expiry(&self, now_unix_secs: u64) -> Result<(), ContentError> {
        limits::check_expiry(self, now_unix_secs)
    }

    /// The text of the first SinglePart (depth first) whose type is `text/*`, lossy UTF-8.
    pub fn text_body(&self) -> Option<String> {
        self.body.iter_depth_first().find_map(|p| match &p.part {
            Part::Single {
                content_type,
                content,
            } if part::is_text_type(content_type) => {
                Some(String::from_utf8_lossy(content).into_owned())
            }
            _ => None,
        })
    }

    /// JSON view for `conclave debug content FILE`: salt, ids and bytes as hex, text content as
    /// a string when the content type is `text/*`.
    pub fn to_json(&self) -> serde_json::Value {
        json::to_json(self)
    }

    /// The message id of `encoded` (these contents as received), from this content's own sender
    /// and room URIs (CONTENT §3.3).
    pub fn message_id(&self, encoded: &[u8]) -> Result<MessageId, ContentError> {
        let sender = self
            .sender_uri
            .as_deref()
            .ok_or(ContentError::MissingSenderUri)?;
        let room = self
            .room_uri
            .as_deref()
            .ok_or(ContentError::MissingRoomUri)?;
        for uri in [sender, room] {
            if uri.len() > usize::from(u16::MAX) {
                return Err(ContentError::UriTooLong { len: uri.len() });
            }
        }
        Ok(message_id(sender, room, encoded, &self.salt))
    }
}
