//! The CDDL of CONTENT §3 / appendix "Complete Message Format Schema", both ways.
//!
//! ```text
//! mimiContent = [salt: bstr .size 16, replaces: null / MessageId, topicId: bstr,
//!                expires: null / [relative: bool, time: uint .size 4],
//!                inReplyTo: null / MessageId, mimiExtensions: {* key => any}, nestedPart]
//! NestedPart  = [disposition: uint, language: tstr, cardinality, cardinality-specific fields...]
//! ```
//! A NullPart is `[d, l, 0]`, a SinglePart `[d, l, 1, type, content]`, an ExternalPart has 15
//! elements and a MultiPart is `[d, l, 3, semantics, [2* NestedPart]]`.

use std::collections::BTreeMap;

use ciborium::value::Value;

use super::cbor::{Encoder, encode_value};
use super::error::ContentError;
use super::extension::{ExtensionKey, ROOM_URI_KEY, SENDER_URI_KEY};
use super::id::MessageId;
use super::part::{Disposition, NestedPart, Part, PartSemantics};
use super::{Expiration, MimiContent};

const CARDINALITY_NULL: u64 = 0;
const CARDINALITY_SINGLE: u64 = 1;
const CARDINALITY_EXTERNAL: u64 = 2;
const CARDINALITY_MULTI: u64 = 3;

/// Deterministic encoding of the content. Keys 1 and 2 come from `sender_uri` and `room_uri`
/// and win over the same keys in `other_extensions`.
pub(crate) fn encode(c: &MimiContent) -> Vec<u8> {
    let mut e = Encoder::new();
    e.array(7);
    e.bytes(&c.salt);
    message_id_or_null(&mut e, c.replaces.as_ref());
    e.bytes(&c.topic_id);
    match c.expires {
        Some(Expiration { relative, time }) => {
            e.array(2);
            e.bool(relative);
            e.uint(u64::from(time));
        }
        None => e.null(),
    }
    message_id_or_null(&mut e, c.in_reply_to.as_ref());

    let mut entries = Vec::with_capacity(c.other_extensions.len() + 2);
    for (key, uri) in [(SENDER_URI_KEY, &c.sender_uri), (ROOM_URI_KEY, &c.room_uri)] {
        if let Some(uri) = uri {
            let key = encode_value(&ExtensionKey::Int(key).to_value());
            entries.push((key, encode_value(&Value::Text(uri.clone()))));
        }
    }
    for (key, value) in &c.other_extensions {
        entries.push((encode_value(&key.to_value()), encode_value(value)));
    }
    // `Encoder::map` keeps the first of equal keys: the dedicated URI fields.
    e.map(entries);

    nested_part(&mut e, &c.body);
    e.into_bytes()
}

fn message_id_or_null(e: &mut Encoder, id: Option<&MessageId>) {
    match id {
        Some(id) => e.bytes(&id.0),
        None => e.null(),
    }
}

fn nested_part(e: &mut Encoder, p: &NestedPart) {
    let len = match &p.part {
        Part::Null => 3,
        Part::Single { .. } | Part::Multi { .. } => 5,
        Part::External { .. } => 15,
    };
    e.array(len);
    e.uint(u64::from(p.disposition.as_u8()));
    e.text(&p.language);
    match &p.part {
        Part::Null => e.uint(CARDINALITY_NULL),
        Part::Single {
            content_type,
            content,
        } => {
            e.uint(CARDINALITY_SINGLE);
            e.text(content_type);
            e.bytes(content);
        }
        Part::External {
            content_type,
            url,
            expires,
            size,
            enc_alg,
            key,
            nonce,
            aad,
            hash_alg,
            content_hash,
            description,
            filename,
        } => {
            e.uint(CARDINALITY_EXTERNAL);
            e.text(content_type);
            e.text(url);
            e.uint(u64::from(*expires));
            e.uint(*size);
            e.uint(u64::from(*enc_alg));
            e.bytes(key);
            e.bytes(nonce);
            e.bytes(aad);
            e.uint(u64::from(*hash_alg));
            e.bytes(content_hash);
            e.text(description);
            e.text(filename);
        }
        Part::Multi { semantics, parts } => {
            e.uint(CARDINALITY_MULTI);
            e.uint(u64::from(semantics.as_u8()));
            e.array(parts.len());
            for part in parts {
                nested_part(e, part);
            }
        }
    }
}

/// Reads the schema from a decoded CBOR tree. Limits are checked afterwards, by `limits`.
pub(crate) fn from_value(v: Value) -> Result<MimiContent, ContentError> {
    let mut fields = Fields::new(v, 7, "mimiContent to be an array of 7 elements")?;

    let salt = fields.bytes("salt to be a byte string")?;
    let salt: [u8; 16] = salt
        .as_slice()
        .try_into()
        .map_err(|_| ContentError::BadSaltLength { len: salt.len() })?;
    let replaces = optional_message_id(fields.next("replaces")?)?;
    let topic_id = fields.bytes("topicId to be a byte string")?;
    let expires = match fields.next("expires")? {
        Value::Null => None,
        v => {
            let mut exp = Fields::new(v, 2, "expires to be null or [relative, time]")?;
            let relative = match exp.next("expires.relative")? {
                Value::Bool(b) => b,
                _ => return Err(shape("expires.relative to be a boolean")),
            };
            let time = exp.uint("expires.time to be an unsigned integer")?;
            let time = u32::try_from(time).map_err(|_| ContentError::IntegerOutOfRange {
                field: "expires.time (uint .size 4)",
            })?;
            Some(Expiration { relative, time })
        }
    };
    let in_reply_to = optional_message_id(fields.next("inReplyTo")?)?;

    let Value::Map(entries) = fields.next("mimiExtensions")? else {
        return Err(shape("mimiExtensions to be a map"));
    };
    let mut sender_uri = None;
    let mut room_uri = None;
    let mut other_extensions = BTreeMap::new();
    for (key, value) in entries {
        match ExtensionKey::from_value(key)? {
            ExtensionKey::Int(SENDER_URI_KEY) => {
                sender_uri = Some(text(value, "senderUri (extension 1) to be a text string")?);
            }
            ExtensionKey::Int(ROOM_URI_KEY) => {
                room_uri = Some(text(value, "roomUri (extension 2) to be a text string")?);
            }
            key => {
                other_extensions.insert(key, value);
            }
        }
    }

    let body = nested_part_from(fields.next("nestedPart")?)?;
    Ok(MimiContent {
        salt,
        replaces,
        topic_id,
        expires,
        in_reply_to,
        sender_uri,
        room_uri,
        other_extensions,
        body,
    })
}

fn nested_part_from(v: Value) -> Result<NestedPart, ContentError> {
    let Value::Array(items) = v else {
        return Err(shape("a NestedPart array"));
    };
    let len = items.len();
    if len < 3 {
        return Err(shape(
            "a NestedPart array of disposition, language, cardinality, ...",
        ));
    }
    let mut f = Fields {
        items: items.into_iter(),
    };
    let disposition = f.uint("disposition to be an unsigned integer")?;
    let disposition = u8::try_from(disposition)
        .map(Disposition::from_u8)
        .map_err(|_| ContentError::IntegerOutOfRange {
            field: "disposition (0 to 255)",
        })?;
    let language = f.text("language to be a text string")?;
    let cardinality = f.uint("cardinality to be an unsigned integer")?;
    let want = match cardinality {
        CARDINALITY_NULL => 3,
        CARDINALITY_SINGLE | CARDINALITY_MULTI => 5,
        CARDINALITY_EXTERNAL => 15,
        value => return Err(ContentError::UnknownCardinality { value }),
    };
    if len != want {
        return Err(shape(match cardinality {
            CARDINALITY_NULL => "a NullPart to have no fields after the cardinality",
            CARDINALITY_SINGLE => "a SinglePart to have contentType and content",
            CARDINALITY_EXTERNAL => "an ExternalPart to have 12 fields after the cardinality",
            _ => "a MultiPart to have partSemantics and parts",
        }));
    }
    let part = match cardinality {
        CARDINALITY_NULL => Part::Null,
        CARDINALITY_SINGLE => Part::Single {
            content_type: f.text("contentType to be a text string")?,
            content: f.bytes("content to be a byte string")?,
        },
        CARDINALITY_EXTERNAL => Part::External {
            content_type: f.text("contentType to be a text string")?,
            url: f.text("url to be a text string")?,
            expires: f.uint_sized("ExternalPart.expires (uint .size 4)")?,
            size: f.uint("ExternalPart.size to be an unsigned integer")?,
            enc_alg: f.uint_sized("encAlg (uint .size 2)")?,
            key: f.bytes("key to be a byte string")?,
            nonce: f.bytes("nonce to be a byte string")?,
            aad: f.bytes("aad to be a byte string")?,
            hash_alg: f.uint_sized("hashAlg (uint .size 1)")?,
            content_hash: f.bytes("contentHash to be a byte string")?,
            description: f.text("description to be a text string")?,
            filename: f.text("filename to be a text string")?,
        },
        _ => {
            let value = f.uint("partSemantics to be an unsigned integer")?;
            let semantics = PartSemantics::from_u64(value)
                .ok_or(ContentError::UnknownPartSemantics { value })?;
            let Value::Array(parts) = f.next("parts")? else {
                return Err(shape("MultiPart parts to be an array"));
            };
            if parts.len() < 2 {
                return Err(ContentError::TooFewParts { count: parts.len() });
            }
            let parts = parts
                .into_iter()
                .map(nested_part_from)
                .collect::<Result<_, _>>()?;
            Part::Multi { semantics, parts }
        }
    };
    Ok(NestedPart {
        disposition,
        language,
        part,
    })
}

fn optional_message_id(v: Value) -> Result<Option<MessageId>, ContentError> {
    match v {
        Value::Null => Ok(None),
        Value::Bytes(b) => b
            .as_slice()
            .try_into()
            .map(|id| Some(MessageId(id)))
            .map_err(|_| ContentError::BadMessageIdLength { len: b.len() }),
        _ => Err(shape("a message id to be null or a byte string")),
    }
}

fn shape(expected: &'static str) -> ContentError {
    ContentError::WrongShape { expected }
}

fn text(v: Value, expected: &'static str) -> Result<String, ContentError> {
    match v {
        Value::Text(s) => Ok(s),
        _ => Err(shape(expected)),
    }
}

/// The elements of a fixed-length array, taken in order.
struct Fields {
    items: std::vec::IntoIter<Value>,
}

impl Fields {
    fn new(v: Value, len: usize, expected: &'static str) -> Result<Self, ContentError> {
        match v {
            Value::Array(items) if items.len() == len => Ok(Self {
                items: items.into_iter(),
            }),
            _ => Err(shape(expected)),
        }
    }

    fn next(&mut self, field: &'static str) -> Result<Value, ContentError> {
        // Lengths are checked before fields are read, so this is only a guard.
        self.items
            .next()
            .ok_or(ContentError::WrongShape { expected: field })
    }

    fn bytes(&mut self, expected: &'static str) -> Result<Vec<u8>, ContentError> {
        match self.next(expected)? {
            Value::Bytes(b) => Ok(b),
            _ => Err(shape(expected)),
        }
    }

    fn text(&mut self, expected: &'static str) -> Result<String, ContentError> {
        text(self.next(expected)?, expected)
    }

    fn uint(&mut self, expected: &'static str) -> Result<u64, ContentError> {
        match self.next(expected)? {
            Value::Integer(i) => u64::try_from(i).map_err(|_| shape(expected)),
            _ => Err(shape(expected)),
        }
    }

    /// An unsigned integer of a `uint .size N` field.
    fn uint_sized<T: TryFrom<u64>>(&mut self, field: &'static str) -> Result<T, ContentError> {
        let v = self.uint(field)?;
        T::try_from(v).map_err(|_| ContentError::IntegerOutOfRange { field })
    }
}
