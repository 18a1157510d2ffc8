//! The `mimiExtensions` map (CONTENT §4.3, §6.2, §6.3, §8.2.1).
//!
//! Keys are integers or text strings of 1 to 255 bytes; key 0 is reserved, 1 is `senderUri` and 2
//! is `roomUri` (carried in their own fields of `MimiContent`). Integer keys, here and in maps at
//! any depth inside values, must fit a double exactly (±(2^53 − 1)); maps inside values may also
//! use byte-string keys. The extensions map counts as level 1 of at most 4 levels of maps, arrays
//! and tags.

use ciborium::value::Value;

use super::error::ContentError;

/// Extension key 1: the sender's URI, a text string.
pub const SENDER_URI_KEY: i64 = 1;
/// Extension key 2: the room's URI, a text string.
pub const ROOM_URI_KEY: i64 = 2;
/// The largest magnitude of an integer map key: 2^53 − 1 (CONTENT §6.2).
pub const MAX_INTEGER_KEY: i64 = (1 << 53) - 1;
/// The longest text key, in bytes.
pub const MAX_TEXT_KEY_LEN: usize = 255;
/// Levels of maps, arrays and tags allowed, the extensions map itself being level 1 (CONTENT §6.3).
pub const MAX_EXTENSION_DEPTH: usize = 4;

/// A key of the extensions map.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExtensionKey {
    /// An integer key: 1..=255 IETF review, larger ones expert review, negative ones private use.
    Int(i64),
    /// A text key (private use), 1 to 255 bytes.
    Text(String),
}

impl ExtensionKey {
    /// Reads a key from the wire, checking the data-model rules.
    pub(crate) fn from_value(key: Value) -> Result<Self, ContentError> {
        match key {
            Value::Integer(i) => {
                let wide = i128::from(i);
                let key = i64::try_from(wide)
                    .ok()
                    .filter(|k| (-MAX_INTEGER_KEY..=MAX_INTEGER_KEY).contains(k))
                    .ok_or(ContentError::IntegerKeyOutOfRange { key: wide })?;
                Ok(Self::Int(key))
            }
            Value::Text(s) => Ok(Self::Text(s)),
            _ => Err(ContentError::InvalidExtensionKey {
                reason: "keys must be integers or text strings",
            }),
        }
    }

    /// The key as a CBOR value.
    pub fn to_value(&self) -> Value {
        match self {
            Self::Int(i) => Value::Integer((*i).into()),
            Self::Text(s) => Value::Text(s.clone()),
        }
    }

    /// Checks the rules a sender must follow for keys in `other_extensions`.
    pub(crate) fn validate_other(&self) -> Result<(), ContentError> {
        match self {
            Self::Int(0) => Err(ContentError::ReservedExtensionKey),
            Self::Int(SENDER_URI_KEY | ROOM_URI_KEY) => Err(ContentError::InvalidExtensionKey {
                reason: "keys 1 and 2 are carried in sender_uri and room_uri",
            }),
            Self::Int(k) if !(-MAX_INTEGER_KEY..=MAX_INTEGER_KEY).contains(k) => {
                Err(ContentError::IntegerKeyOutOfRange {
                    key: i128::from(*k),
                })
            }
            Self::Text(s) if s.is_empty() || s.len() > MAX_TEXT_KEY_LEN => {
                Err(ContentError::InvalidExtensionKey {
                    reason: "text keys must be 1 to 255 bytes",
                })
            }
            _ => Ok(()),
        }
    }
}

/// Checks an extension value: nesting depth and the keys of maps inside it. `level` is the
/// level of the container holding `value` (1 for the extensions map).
pub(crate) fn validate_value(value: &Value, level: usize) -> Result<(), ContentError> {
    let inner = level + 1;
    let too_deep = || ContentError::ExtensionTooDeep {
        limit: MAX_EXTENSION_DEPTH,
    };
    match value {
        Value::Array(items) => {
            if inner > MAX_EXTENSION_DEPTH {
                return Err(too_deep());
            }
            items.iter().try_for_each(|v| validate_value(v, inner))
        }
        Value::Map(entries) => {
            if inner > MAX_EXTENSION_DEPTH {
                return Err(too_deep());
            }
            entries.iter().try_for_each(|(k, v)| {
                validate_inner_key(k)?;
                validate_value(v, inner)
            })
        }
        Value::Tag(_, content) => {
            if inner > MAX_EXTENSION_DEPTH {
                return Err(too_deep());
            }
            validate_value(content, inner)
        }
        _ => Ok(()),
    }
}

fn validate_inner_key(key: &Value) -> Result<(), ContentError> {
    match key {
        Value::Integer(i) => {
            let wide = i128::from(*i);
            if wide.unsigned_abs() > MAX_INTEGER_KEY as u128 {
                return Err(ContentError::IntegerKeyOutOfRange { key: wide });
            }
            Ok(())
        }
        Value::Text(_) | Value::Bytes(_) => Ok(()),
        _ => Err(ContentError::InvalidMapKey),
    }
}
