//! A JSON view of content for people (`conclave debug content FILE`); not a wire format.
//!
//! Byte strings are hex. Text parts (`text/*` that are valid UTF-8) show their text under
//! `"text"`; other content shows `"content_hex"`. Extension values are CBOR rendered as JSON:
//! byte strings as `{"bytes": hex}`, tags as `{"tag": n, "value": …}`, maps as
//! `{"map": [[key, value], …]}` because CBOR keys need not be strings.

use ciborium::value::Value;
use serde_json::{Map, Value as Json, json};

use super::MimiContent;
use super::part::{NestedPart, Part, is_text_type};

pub(crate) fn to_json(c: &MimiContent) -> Json {
    let message_id = c
        .message_id(&c.encode())
        .map_or(Json::Null, |id| Json::String(id.to_string()));
    let extensions: Vec<Json> = c
        .other_extensions
        .iter()
        .map(|(key, value)| json!({ "key": cbor(&key.to_value()), "value": cbor(value) }))
        .collect();
    json!({
        "message_id": message_id,
        "salt": hex::encode(c.salt),
        "replaces": c.replaces.map(|id| id.to_string()),
        "topic_id": hex::encode(&c.topic_id),
        "expires": c.expires.map(|e| json!({ "relative": e.relative, "time": e.time })),
        "in_reply_to": c.in_reply_to.map(|id| id.to_string()),
        "sender_uri": c.sender_uri,
        "room_uri": c.room_uri,
        "extensions": extensions,
        "body": part(&c.body),
    })
}

fn part(p: &NestedPart) -> Json {
    let mut o = Map::new();
    o.insert(
        "disposition".into(),
        p.disposition
            .name()
            .map_or_else(|| json!(p.disposition.as_u8()), |name| json!(name)),
    );
    o.insert("language".into(), json!(p.language));
    match &p.part {
        Part::Null => {
            o.insert("cardinality".into(), json!("null"));
        }
        Part::Single {
            content_type,
            content,
        } => {
            o.insert("cardinality".into(), json!("single"));
            o.insert("content_type".into(), json!(content_type));
            content_field(&mut o, content_type, content);
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
            o.insert("cardinality".into(), json!("external"));
            o.insert("content_type".into(), json!(content_type));
            o.insert("url".into(), json!(url));
            o.insert("expires".into(), json!(expires));
            o.insert("size".into(), json!(size));
            o.insert("enc_alg".into(), json!(enc_alg));
            o.insert("key".into(), json!(hex::encode(key)));
            o.insert("nonce".into(), json!(hex::encode(nonce)));
            o.insert("aad".into(), json!(hex::encode(aad)));
            o.insert("hash_alg".into(), json!(hash_alg));
            o.insert("content_hash".into(), json!(hex::encode(content_hash)));
            o.insert("description".into(), json!(description));
            o.insert("filename".into(), json!(filename));
        }
        Part::Multi { semantics, parts } => {
            o.insert("cardinality".into(), json!("multi"));
            o.insert("semantics".into(), json!(semantics.name()));
            o.insert("parts".into(), parts.iter().map(part).collect());
        }
    }
    Json::Object(o)
}

fn content_field(o: &mut Map<String, Json>, content_type: &str, content: &[u8]) {
    match std::str::from_utf8(content) {
        Ok(text) if is_text_type(content_type) => o.insert("text".into(), json!(text)),
        _ => o.insert("content_hex".into(), json!(hex::encode(content))),
    };
}

fn cbor(v: &Value) -> Json {
    match v {
        Value::Integer(i) => {
            let wide = i128::from(*i);
            i64::try_from(wide)
                .map(Json::from)
                .or_else(|_| u64::try_from(wide).map(Json::from))
                .unwrap_or_else(|_| Json::String(wide.to_string()))
        }
        Value::Bytes(b) => json!({ "bytes": hex::encode(b) }),
        Value::Float(x) => serde_json::Number::from_f64(*x)
            .map_or_else(|| Json::String(x.to_string()), Json::Number),
        Value::Text(s) => json!(s),
        Value::Bool(b) => json!(b),
        Value::Null => Json::Null,
        Value::Tag(tag, inner) => json!({ "tag": tag, "value": cbor(inner) }),
        Value::Array(items) => items.iter().map(cbor).collect(),
        Value::Map(entries) => {
            let pairs: Vec<Json> = entries
                .iter()
                .map(|(k, v)| json!([cbor(k), cbor(v)]))
                .collect();
            json!({ "map": pairs })
        }
        _ => Json::Null,
    }
}
