//! One refused input per rule, each asserting the specific error.
//!
//! Hand-written inputs patch this minimal document (byte offsets on the right):
//! ```text
//! 87                 array(7)                 0
//! 50 11…11           salt                     1
//! f6                 replaces = null         18
//! 40                 topicId = h''           19
//! f6 f6              expires, inReplyTo      20
//! a0                 extensions = {}         22
//! 83 01 60 00        [render, "", NullPart]  23
//! ```

use ciborium::Value;

use super::*;

const HEAD: &str = "8750 11111111111111111111111111111111 f6 40 f6 f6";

/// The minimal document with `extensions` and `body` as given (hex, spaces allowed).
fn doc(extensions: &str, body: &str) -> Vec<u8> {
    unhex(&format!("{HEAD} {extensions} {body}"))
}

fn minimal() -> Vec<u8> {
    doc("a0", "83016000")
}

fn decode(bytes: &[u8]) -> Result<MimiContent, ContentError> {
    MimiContent::decode(bytes)
}

fn plain() -> MimiContent {
    MimiContent::text([0x11; 16], &user("alice"), ROOM, "hi")
}

#[test]
fn the_minimal_document_is_accepted() {
    let content = decode(&minimal());
    assert!(content.is_ok(), "{content:?}");
    assert_eq!(content.map(|c| c.body), Ok(NestedPart::null()));
}

#[test]
fn non_shortest_integer_is_refused() {
    assert_eq!(
        decode(&doc("a0", "8301601800")),
        Err(ContentError::NonShortestForm { offset: 26 })
    );
}

#[test]
fn non_shortest_length_is_refused() {
    let bytes = unhex(&format!("87 5810 {} f640f6f6a0 83016000", "11".repeat(16)));
    assert_eq!(
        decode(&bytes),
        Err(ContentError::NonShortestForm { offset: 1 })
    );
}

#[test]
fn indefinite_length_array_is_refused() {
    assert_eq!(
        decode(&doc("a0", "9f016000ff")),
        Err(ContentError::IndefiniteLength { offset: 23 })
    );
}

#[test]
fn indefinite_length_text_is_refused() {
    assert_eq!(
        decode(&doc("a0", "83 01 7f6165ff 00")),
        Err(ContentError::IndefiniteLength { offset: 25 })
    );
}

#[test]
fn unsorted_map_keys_are_refused() {
    assert_eq!(
        decode(&doc("a2 026162 016161", "83016000")),
        Err(ContentError::UnsortedMapKeys { offset: 26 })
    );
}

#[test]
fn rfc7049_canonical_length_first_order_is_refused() {
    // {-1: 0, 24: 0}: length-first puts the 1-byte key -1 (0x20) before 24 (0x1818);
    // RFC 8949 §4.2.1 sorts bytewise, so 24 must come first.
    assert_eq!(
        decode(&doc("a2 2000 181800", "83016000")),
        Err(ContentError::UnsortedMapKeys { offset: 25 })
    );
    assert!(decode(&doc("a2 181800 2000", "83016000")).is_ok());
}

#[test]
fn duplicate_map_keys_are_refused() {
    assert_eq!(
        decode(&doc("a2 016161 016162", "83016000")),
        Err(ContentError::DuplicateMapKey { offset: 26 })
    );
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = minimal();
    bytes.push(0x00);
    assert_eq!(
        decode(&bytes),
        Err(ContentError::TrailingBytes {
            offset: 27,
            count: 1
        })
    );
}

#[test]
fn truncated_input_is_refused() {
    let bytes = minimal();
    assert_eq!(
        decode(&bytes[..bytes.len() - 1]),
        Err(ContentError::Truncated { offset: 23 })
    );
    assert_eq!(decode(&[]), Err(ContentError::Truncated { offset: 0 }));
}

fn nested(depth: usize) -> NestedPart {
    if depth == 1 {
        return NestedPart::single(Disposition::Render, TEXT_PLAIN, "leaf");
    }
    NestedPart {
        disposition: Disposition::Render,
        language: String::new(),
        part: Part::Multi {
            semantics: PartSemantics::ProcessAll,
            parts: vec![nested(depth - 1), NestedPart::null()],
        },
    }
}

#[test]
fn parts_nested_five_deep_are_refused() {
    let mut content = plain();
    content.body = nested(4);
    assert_round_trip(&content);
    content.body = nested(5);
    let expected = ContentError::PartsTooDeep {
        limit: MAX_PART_DEPTH,
    };
    assert_eq!(content.validate(), Err(expected.clone()));
    assert_eq!(decode(&content.encode()).err(), Some(expected.clone()));
}

fn flat(parts: usize) -> NestedPart {
    NestedPart {
        disposition: Disposition::Render,
        language: String::new(),
        part: Part::Multi {
            semantics: PartSemantics::ProcessAll,
            parts: vec![NestedPart::null(); parts],
        },
    }
}

#[test]
fn more_than_1024_parts_are_refused() {
    // The container counts, as it has partIndex 0: 1 + 1023 = 1024 parts is the most allowed.
    let mut content = plain();
    content.body = flat(1023);
    assert_round_trip(&content);
    content.body = flat(1024);
    let expected = ContentError::TooManyParts { limit: MAX_PARTS };
    assert_eq!(content.validate(), Err(expected.clone()));
    assert_eq!(decode(&content.encode()).err(), Some(expected.clone()));
}

#[test]
fn topic_id_of_4097_bytes_is_refused() {
    let mut content = plain();
    content.topic_id = vec![7; 4097];
    assert_eq!(
        decode(&content.encode()),
        Err(ContentError::TopicIdTooLong {
            len: 4097,
            limit: 4096
        })
    );
}

#[test]
fn salt_of_the_wrong_length_is_refused() {
    let short = unhex(&format!("87 4f {} f640f6f6a0 83016000", "11".repeat(15)));
    assert_eq!(decode(&short), Err(ContentError::BadSaltLength { len: 15 }));
    let long = unhex(&format!("87 51 {} f640f6f6a0 83016000", "11".repeat(17)));
    assert_eq!(decode(&long), Err(ContentError::BadSaltLength { len: 17 }));
}

#[test]
fn message_id_with_unknown_hash_byte_is_refused() {
    let mut content = plain();
    let mut bad = [0x33; 32];
    bad[0] = 0x02;
    content.replaces = Some(MessageId(bad));
    assert_eq!(
        decode(&content.encode()),
        Err(ContentError::UnknownMessageIdHash { byte: 0x02 })
    );
    content.replaces = None;
    content.in_reply_to = Some(MessageId(bad));
    assert_eq!(
        decode(&content.encode()),
        Err(ContentError::UnknownMessageIdHash { byte: 0x02 })
    );
}

#[test]
fn message_id_of_31_bytes_is_refused() {
    let bytes = unhex(&format!(
        "8750 {} 581f {} 40f6f6a0 83016000",
        "11".repeat(16),
        "01".repeat(31)
    ));
    assert_eq!(
        decode(&bytes),
        Err(ContentError::BadMessageIdLength { len: 31 })
    );
}

#[test]
fn unknown_part_semantics_is_refused() {
    assert_eq!(
        decode(&doc("a0", "85 01 60 03 03 82 83016000 83016000")),
        Err(ContentError::UnknownPartSemantics { value: 3 })
    );
    assert!(decode(&doc("a0", "85 01 60 03 02 82 83016000 83016000")).is_ok());
}

#[test]
fn unknown_cardinality_is_refused() {
    assert_eq!(
        decode(&doc("a0", "83 01 60 04")),
        Err(ContentError::UnknownCardinality { value: 4 })
    );
}

#[test]
fn multipart_with_one_part_is_refused() {
    assert_eq!(
        decode(&doc("a0", "85 01 60 03 02 81 83016000")),
        Err(ContentError::TooFewParts { count: 1 })
    );
}

#[test]
fn parts_with_the_wrong_number_of_fields_are_refused() {
    assert!(matches!(
        decode(&doc("a0", "84 01 60 00 00")),
        Err(ContentError::WrongShape { .. })
    ));
    assert!(matches!(
        decode(&doc("a0", "84 01 60 01 60")),
        Err(ContentError::WrongShape { .. })
    ));
    assert!(matches!(
        decode(&doc("a0", "82 01 60")),
        Err(ContentError::WrongShape { .. })
    ));
}

#[test]
fn invalid_utf8_in_a_text_string_is_refused() {
    assert_eq!(
        decode(&doc("a0", "83 01 61ff 00")),
        Err(ContentError::InvalidUtf8 { offset: 25 })
    );
}

#[test]
fn wrong_shapes_are_refused() {
    let six = unhex(&format!("86 50 {} f640f6f6a0", "11".repeat(16)));
    assert!(matches!(decode(&six), Err(ContentError::WrongShape { .. })));
    assert!(matches!(
        decode(&doc("80", "83016000")),
        Err(ContentError::WrongShape { .. })
    ));
    // senderUri must be text
    assert!(matches!(
        decode(&doc("a1 01 00", "83016000")),
        Err(ContentError::WrongShape { .. })
    ));
    // expires time is uint .size 4
    let bytes = unhex(&format!(
        "8750 {} f6 40 82f41b0000000100000000 f6 a0 83016000",
        "11".repeat(16)
    ));
    assert!(matches!(
        decode(&bytes),
        Err(ContentError::IntegerOutOfRange { .. })
    ));
    // disposition is at most 255
    assert!(matches!(
        decode(&doc("a0", "83 190100 60 00")),
        Err(ContentError::IntegerOutOfRange { .. })
    ));
}

#[test]
fn extension_keys_follow_the_data_model() {
    assert_eq!(
        decode(&doc("a1 00 00", "83016000")),
        Err(ContentError::ReservedExtensionKey)
    );
    // 2^53 does not fit a double exactly; 2^53 - 1 does
    assert_eq!(
        decode(&doc("a1 1b0020000000000000 00", "83016000")),
        Err(ContentError::IntegerKeyOutOfRange { key: 1 << 53 })
    );
    assert!(decode(&doc("a1 1b001fffffffffffff 00", "83016000")).is_ok());
    assert_eq!(
        decode(&doc("a1 3b0020000000000000 00", "83016000")),
        Err(ContentError::IntegerKeyOutOfRange {
            key: -(1 << 53) - 1
        })
    );
    assert!(matches!(
        decode(&doc("a1 4100 00", "83016000")),
        Err(ContentError::InvalidExtensionKey { .. })
    ));
    assert!(matches!(
        decode(&doc("a1 60 00", "83016000")),
        Err(ContentError::InvalidExtensionKey { .. })
    ));
    let long_key = format!("a1 790100 {} 00", "61".repeat(256));
    assert!(matches!(
        decode(&doc(&long_key, "83016000")),
        Err(ContentError::InvalidExtensionKey { .. })
    ));
    // inside values, maps may use byte-string keys but not others, and integer keys fit 53 bits
    assert!(decode(&doc("a1 03 a1 4100 00", "83016000")).is_ok());
    assert_eq!(
        decode(&doc("a1 03 a1 f5 00", "83016000")),
        Err(ContentError::InvalidMapKey)
    );
    assert_eq!(
        decode(&doc("a1 03 a1 1b0020000000000000 00", "83016000")),
        Err(ContentError::IntegerKeyOutOfRange { key: 1 << 53 })
    );
}

#[test]
fn extension_values_deeper_than_four_levels_are_refused() {
    let mut content = plain();
    let deep =
        |levels: usize| (0..levels).fold(Value::Integer(1.into()), |v, _| Value::Array(vec![v]));
    // the extensions map is level 1, so a value may hold 3 more levels
    content
        .other_extensions
        .insert(ExtensionKey::Int(300), deep(3));
    assert_round_trip(&content);
    content
        .other_extensions
        .insert(ExtensionKey::Int(300), deep(4));
    let expected = ContentError::ExtensionTooDeep {
        limit: MAX_EXTENSION_DEPTH,
    };
    assert_eq!(content.validate(), Err(expected.clone()));
    assert_eq!(decode(&content.encode()).err(), Some(expected.clone()));
    let tags = Value::Tag(
        1,
        Box::new(Value::Tag(
            1,
            Box::new(Value::Tag(1, Box::new(Value::Map(vec![])))),
        )),
    );
    content
        .other_extensions
        .insert(ExtensionKey::Int(300), tags);
    assert_eq!(decode(&content.encode()).err(), Some(expected.clone()));
}

#[test]
fn floats_must_be_shortest_and_the_only_nan_is_f97e00() {
    assert!(decode(&doc("a1 03 f93c00", "83016000")).is_ok());
    assert!(decode(&doc("a1 03 f97e00", "83016000")).is_ok());
    assert_eq!(
        decode(&doc("a1 03 fa3f800000", "83016000")),
        Err(ContentError::NonShortestFloat { offset: 24 })
    );
    assert_eq!(
        decode(&doc("a1 03 f97e01", "83016000")),
        Err(ContentError::ForbiddenNaN { offset: 24 })
    );
    assert_eq!(
        decode(&doc("a1 03 fb7ff8000000000000", "83016000")),
        Err(ContentError::ForbiddenNaN { offset: 24 })
    );
}

#[test]
fn undefined_and_small_bignums_are_refused() {
    assert_eq!(
        decode(&doc("a1 03 f7", "83016000")),
        Err(ContentError::UnsupportedSimpleValue {
            offset: 24,
            value: 23
        })
    );
    assert_eq!(
        decode(&doc("a1 03 c24101", "83016000")),
        Err(ContentError::NonShortestBignum { offset: 24 })
    );
}

#[test]
fn absolute_expiry_more_than_a_year_old_is_refused() {
    let now = 1_750_000_000u64;
    let mut content = plain();
    let at = |t: u64| {
        Some(Expiration {
            relative: false,
            time: t as u32,
        })
    };
    content.expires = at(now - MAX_EXPIRY_DISTANCE_SECS);
    assert_eq!(content.check_expiry(now), Ok(()));
    content.expires = at(now - MAX_EXPIRY_DISTANCE_SECS - 1);
    assert_eq!(
        content.check_expiry(now),
        Err(ContentError::ExpiryTooFarInPast {
            expires: now - MAX_EXPIRY_DISTANCE_SECS - 1,
            now
        })
    );
}

#[test]
fn expiry_more_than_a_year_ahead_is_refused() {
    let now = 1_750_000_000u64;
    let mut content = plain();
    content.expires = Some(Expiration {
        relative: false,
        time: (now + MAX_EXPIRY_DISTANCE_SECS) as u32,
    });
    assert_eq!(content.check_expiry(now), Ok(()));
    content.expires = Some(Expiration {
        relative: false,
        time: (now + MAX_EXPIRY_DISTANCE_SECS + 1) as u32,
    });
    assert_eq!(
        content.check_expiry(now),
        Err(ContentError::ExpiryTooFarInFuture {
            seconds_ahead: MAX_EXPIRY_DISTANCE_SECS + 1
        })
    );
    // relative expiry counts from reading, so only the future bound applies
    content.expires = Some(Expiration {
        relative: true,
        time: (MAX_EXPIRY_DISTANCE_SECS + 1) as u32,
    });
    assert_eq!(
        content.check_expiry(now),
        Err(ContentError::ExpiryTooFarInFuture {
            seconds_ahead: MAX_EXPIRY_DISTANCE_SECS + 1
        })
    );
    content.expires = Some(Expiration {
        relative: true,
        time: 60,
    });
    assert_eq!(content.check_expiry(u64::MAX), Ok(()));
    content.expires = None;
    assert_eq!(content.check_expiry(now), Ok(()));
}

#[test]
fn every_error_has_a_distinct_snake_case_code() {
    let errors = [
        ContentError::Truncated { offset: 0 },
        ContentError::TrailingBytes {
            offset: 0,
            count: 1,
        },
        ContentError::MalformedCbor {
            offset: 0,
            reason: "x",
        },
        ContentError::IndefiniteLength { offset: 0 },
        ContentError::NonShortestForm { offset: 0 },
        ContentError::NonShortestFloat { offset: 0 },
        ContentError::NonShortestBignum { offset: 0 },
        ContentError::UnsortedMapKeys { offset: 0 },
        ContentError::DuplicateMapKey { offset: 0 },
        ContentError::ForbiddenNaN { offset: 0 },
        ContentError::UnsupportedSimpleValue {
            offset: 0,
            value: 23,
        },
        ContentError::NestingTooDeep {
            offset: 0,
            limit: 32,
        },
        ContentError::InvalidUtf8 { offset: 0 },
        ContentError::NotDeterministic,
        ContentError::WrongShape { expected: "x" },
        ContentError::IntegerOutOfRange { field: "x" },
        ContentError::BadSaltLength { len: 0 },
        ContentError::BadMessageIdLength { len: 0 },
        ContentError::UnknownMessageIdHash { byte: 2 },
        ContentError::InvalidMessageIdHex,
        ContentError::UnknownCardinality { value: 4 },
        ContentError::UnknownPartSemantics { value: 3 },
        ContentError::TooFewParts { count: 1 },
        ContentError::InvalidExtensionKey { reason: "x" },
        ContentError::ReservedExtensionKey,
        ContentError::IntegerKeyOutOfRange { key: 0 },
        ContentError::InvalidMapKey,
        ContentError::ExtensionTooDeep { limit: 4 },
        ContentError::TopicIdTooLong { len: 0, limit: 0 },
        ContentError::PartsTooDeep { limit: 4 },
        ContentError::TooManyParts { limit: 1024 },
        ContentError::ExpiryTooFarInPast { expires: 0, now: 0 },
        ContentError::ExpiryTooFarInFuture { seconds_ahead: 0 },
        ContentError::MissingSenderUri,
        ContentError::MissingRoomUri,
        ContentError::UriTooLong { len: 0 },
    ];
    let codes: std::collections::BTreeSet<&str> = errors.iter().map(|e| e.code()).collect();
    assert_eq!(codes.len(), errors.len());
    for e in &errors {
        let code = e.code();
        assert!(
            code.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{code}"
        );
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(
        ContentError::UnsortedMapKeys { offset: 26 }.to_string(),
        "not deterministic CBOR: map keys are not sorted (key at byte 26)"
    );
}
