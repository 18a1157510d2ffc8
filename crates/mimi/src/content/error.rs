//! Why a MIMI content document was refused.
//!
//! Byte offsets count from the start of the encoded `mimiContent` array.

use thiserror::Error;

/// A MIMI content document that does not decode, breaks a limit of CONTENT §6 / §9.1, or lacks
/// what an operation needs. [`ContentError::code`] gives a stable snake_case code per variant.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentError {
    /// The input stops in the middle of a CBOR item.
    #[error("malformed CBOR: the input ends in the middle of an item (byte {offset})")]
    Truncated {
        /// Where the unfinished item or field starts.
        offset: usize,
    },
    /// Bytes follow the `mimiContent` array.
    #[error("malformed CBOR: {count} trailing bytes after the content (from byte {offset})")]
    TrailingBytes {
        /// Where the extra bytes start.
        offset: usize,
        /// How many there are.
        count: usize,
    },
    /// Not well-formed CBOR at all (reserved additional information, a stray break, …).
    #[error("malformed CBOR at byte {offset}: {reason}")]
    MalformedCbor {
        /// Where the item starts.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// An indefinite-length string, array or map (RFC 8949 §4.2.1).
    #[error("not deterministic CBOR: indefinite-length item at byte {offset}")]
    IndefiniteLength {
        /// Where the item starts.
        offset: usize,
    },
    /// An integer, length or tag number not in its shortest form.
    #[error("not deterministic CBOR: integer, length or tag not in shortest form at byte {offset}")]
    NonShortestForm {
        /// Where the item starts.
        offset: usize,
    },
    /// A float that a shorter float width represents exactly.
    #[error("not deterministic CBOR: float at byte {offset} is not in its shortest form")]
    NonShortestFloat {
        /// Where the float starts.
        offset: usize,
    },
    /// A bignum (tag 2 or 3) with leading zero bytes, or one that fits a plain integer.
    #[error(
        "not deterministic CBOR: bignum at byte {offset} has leading zeros or fits a plain integer"
    )]
    NonShortestBignum {
        /// Where the tag starts.
        offset: usize,
    },
    /// Map keys not in bytewise order of their encodings (RFC 8949 §4.2.1).
    #[error("not deterministic CBOR: map keys are not sorted (key at byte {offset})")]
    UnsortedMapKeys {
        /// Where the out-of-order key starts.
        offset: usize,
    },
    /// The same key twice in one map.
    #[error("not deterministic CBOR: duplicate map key at byte {offset}")]
    DuplicateMapKey {
        /// Where the repeated key starts.
        offset: usize,
    },
    /// A NaN other than the half-width quiet NaN `0xf97e00` (CONTENT §6.2).
    #[error("forbidden NaN at byte {offset}: the only NaN allowed is 0xf97e00")]
    ForbiddenNaN {
        /// Where the float starts.
        offset: usize,
    },
    /// `undefined` or an unassigned simple value.
    #[error("unsupported CBOR simple value {value} at byte {offset}")]
    UnsupportedSimpleValue {
        /// Where the item starts.
        offset: usize,
        /// The simple value.
        value: u8,
    },
    /// Arrays, maps and tags nested beyond what any valid content needs.
    #[error("CBOR nested more than {limit} levels deep (byte {offset})")]
    NestingTooDeep {
        /// Where the innermost refused item starts.
        offset: usize,
        /// The decoder's limit.
        limit: usize,
    },
    /// A text string that is not UTF-8 (CONTENT §6.2).
    #[error("text string at byte {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Where the string starts.
        offset: usize,
    },
    /// Re-encoding the decoded content does not give the input back.
    #[error("not deterministic CBOR: re-encoding the decoded content gives different bytes")]
    NotDeterministic,
    /// An item of the wrong CBOR type or an array of the wrong length.
    #[error("wrong shape: expected {expected}")]
    WrongShape {
        /// What the schema wants at that place.
        expected: &'static str,
    },
    /// An unsigned integer too large for its field (`uint .size N`, disposition ≤ 255).
    #[error("{field} is out of range")]
    IntegerOutOfRange {
        /// The field.
        field: &'static str,
    },
    /// A salt that is not 16 bytes.
    #[error("salt must be 16 bytes, got {len}")]
    BadSaltLength {
        /// The length received.
        len: usize,
    },
    /// A message id that is not 32 bytes.
    #[error("a message id must be 32 bytes, got {len}")]
    BadMessageIdLength {
        /// The length received.
        len: usize,
    },
    /// A message id whose first byte names an unknown hash algorithm (CONTENT §9.1).
    #[error("message id uses unknown hash algorithm 0x{byte:02x} (only 0x01, SHA-256, is known)")]
    UnknownMessageIdHash {
        /// The first byte.
        byte: u8,
    },
    /// A message id string that is not 64 hex digits.
    #[error("a message id must be 64 hex digits")]
    InvalidMessageIdHex,
    /// A NestedPart cardinality other than 0 to 3.
    #[error("unknown NestedPart cardinality {value}")]
    UnknownCardinality {
        /// The value received.
        value: u64,
    },
    /// A partSemantics other than chooseOne, singleUnit or processAll (CONTENT §9.1).
    #[error("unknown partSemantics {value}")]
    UnknownPartSemantics {
        /// The value received.
        value: u64,
    },
    /// A MultiPart with fewer than two parts (`[2* NestedPart]`).
    #[error("a MultiPart needs at least 2 parts, got {count}")]
    TooFewParts {
        /// The number of parts.
        count: usize,
    },
    /// An extensions map key that is neither an integer nor a text string of 1 to 255 bytes.
    #[error("invalid extension key: {reason}")]
    InvalidExtensionKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Extension key 0, which is reserved (CONTENT §8.2.1).
    #[error("extension key 0 is reserved")]
    ReservedExtensionKey,
    /// An integer map key outside ±(2^53 − 1) (CONTENT §6.2).
    #[error("integer map key {key} cannot be represented as a double (outside ±(2^53 - 1))")]
    IntegerKeyOutOfRange {
        /// The key.
        key: i128,
    },
    /// A map key inside an extension value that is not an integer, text or byte string.
    #[error("map keys inside extension values must be integers, text or byte strings")]
    InvalidMapKey,
    /// Extension values nested too deep (CONTENT §6.3).
    #[error(
        "extension values nest more than {limit} levels of maps, arrays and tags (the extensions map is level 1)"
    )]
    ExtensionTooDeep {
        /// The limit.
        limit: usize,
    },
    /// A topicId longer than allowed (CONTENT §9.1).
    #[error("topicId is {len} bytes, more than the {limit} allowed")]
    TopicIdTooLong {
        /// The length received.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// NestedParts nested too deep (CONTENT §6.3, §9.1).
    #[error("NestedParts are nested more than {limit} levels deep")]
    PartsTooDeep {
        /// The limit.
        limit: usize,
    },
    /// Too many NestedParts in the body, containers included (CONTENT §9.1).
    #[error("the body has more than {limit} parts")]
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// An absolute expiry more than a year before now (CONTENT §9.1).
    #[error("expiry {expires} is more than a year before now ({now})")]
    ExpiryTooFarInPast {
        /// The expiry, UNIX seconds.
        expires: u64,
        /// The time of the check, UNIX seconds.
        now: u64,
    },
    /// An expiry more than a year after now, absolute or relative (CONTENT §9.1).
    #[error("expiry is {seconds_ahead} seconds ahead, more than a year")]
    ExpiryTooFarInFuture {
        /// How far ahead of now (absolute) or of reading (relative).
        seconds_ahead: u64,
    },
    /// The message id needs the sender URI (extension 1), and there is none.
    #[error("the content has no sender URI (extension 1), which the message id needs")]
    MissingSenderUri,
    /// The message id needs the room URI (extension 2), and there is none.
    #[error("the content has no room URI (extension 2), which the message id needs")]
    MissingRoomUri,
    /// A URI too long for the 16-bit length prefix of the message id input (CONTENT §3.3).
    #[error("a URI of {len} bytes is too long for a message id (at most 65535)")]
    UriTooLong {
        /// The length of the URI.
        len: usize,
    },
}

impl ContentError {
    /// A stable snake_case code for logs and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Truncated { .. } => "cbor_truncated",
            Self::TrailingBytes { .. } => "cbor_trailing_bytes",
            Self::MalformedCbor { .. } => "cbor_malformed",
            Self::IndefiniteLength { .. } => "cbor_indefinite_length",
            Self::NonShortestForm { .. } => "cbor_non_shortest",
            Self::NonShortestFloat { .. } => "cbor_non_shortest_float",
            Self::NonShortestBignum { .. } => "cbor_non_shortest_bignum",
            Self::UnsortedMapKeys { .. } => "cbor_unsorted_map_keys",
            Self::DuplicateMapKey { .. } => "cbor_duplicate_map_key",
            Self::ForbiddenNaN { .. } => "cbor_forbidden_nan",
            Self::UnsupportedSimpleValue { .. } => "cbor_unsupported_simple_value",
            Self::NestingTooDeep { .. } => "cbor_nesting_too_deep",
            Self::InvalidUtf8 { .. } => "invalid_utf8",
            Self::NotDeterministic => "cbor_not_deterministic",
            Self::WrongShape { .. } => "wrong_shape",
            Self::IntegerOutOfRange { .. } => "integer_out_of_range",
            Self::BadSaltLength { .. } => "bad_salt_length",
            Self::BadMessageIdLength { .. } => "bad_message_id_length",
            Self::UnknownMessageIdHash { .. } => "unknown_message_id_hash",
            Self::InvalidMessageIdHex => "invalid_message_id_hex",
            Self::UnknownCardinality { .. } => "unknown_cardinality",
            Self::UnknownPartSemantics { .. } => "unknown_part_semantics",
            Self::TooFewParts { .. } => "multipart_too_few_parts",
            Self::InvalidExtensionKey { .. } => "invalid_extension_key",
            Self::ReservedExtensionKey => "reserved_extension_key",
            Self::IntegerKeyOutOfRange { .. } => "integer_key_out_of_range",
            Self::InvalidMapKey => "invalid_map_key",
            Self::ExtensionTooDeep { .. } => "extension_too_deep",
            Self::TopicIdTooLong { .. } => "topic_id_too_long",
            Self::PartsTooDeep { .. } => "parts_too_deep",
            Self::TooManyParts { .. } => "too_many_parts",
            Self::ExpiryTooFarInPast { .. } => "expiry_too_far_in_past",
            Self::ExpiryTooFarInFuture { .. } => "expiry_too_far_in_future",
            Self::MissingSenderUri => "missing_sender_uri",
            Self::MissingRoomUri => "missing_room_uri",
            Self::UriTooLong { .. } => "uri_too_long",
        }
    }
}
