//! decode(encode(x)) == x for every kind of part and extension, by example and by proptest.

use ciborium::Value;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use super::*;
use crate::content::cbor::encode_value;

const ALICE_FIRST: &str = "017ce54837404c3696e0c747b985cb172716d0ed0a3d249ca63ace7d82a096f4";

fn base(body: NestedPart) -> MimiContent {
    MimiContent::with_body([0x42; 16], &user("alice"), ROOM, body)
}

#[test]
fn null_single_and_external_parts_round_trip() {
    assert_round_trip(&base(NestedPart::null()));
    assert_round_trip(&base(NestedPart::single(
        Disposition::Inline,
        "image/png",
        vec![0u8; 300],
    )));
    assert_round_trip(&base(NestedPart {
        disposition: Disposition::Attachment,
        language: "de".into(),
        part: Part::External {
            content_type: "application/pdf".into(),
            url: "https://files.example/abc".into(),
            expires: u32::MAX,
            size: u64::MAX,
            enc_alg: u16::MAX,
            key: vec![1; 16],
            nonce: vec![2; 12],
            aad: vec![3; 5],
            hash_alg: u8::MAX,
            content_hash: vec![4; 32],
            description: "Quarterly report".into(),
            filename: "q3.pdf".into(),
        },
    }));
}

#[test]
fn multipart_of_every_semantics_round_trips() {
    for semantics in [
        PartSemantics::ChooseOne,
        PartSemantics::SingleUnit,
        PartSemantics::ProcessAll,
    ] {
        let body = NestedPart {
            disposition: Disposition::Render,
            language: "en,fr".into(),
            part: Part::Multi {
                semantics,
                parts: vec![
                    NestedPart::single(Disposition::Render, TEXT_PLAIN, "hi"),
                    NestedPart::single(Disposition::Render, TEXT_MARKDOWN, "*hi*"),
                    NestedPart::null(),
                ],
            },
        };
        assert_round_trip(&base(body));
    }
}

#[test]
fn unknown_dispositions_survive_and_render_like_render() {
    for value in [0u8, 8, 9, 24, 255] {
        let d = Disposition::from_u8(value);
        assert_eq!(d.as_u8(), value);
        assert_round_trip(&base(NestedPart::single(d, TEXT_PLAIN, "x")));
    }
    assert_eq!(Disposition::from_u8(9), Disposition::Other(9));
    assert_eq!(Disposition::Other(9).name(), None);
}

#[test]
fn edit_reply_reaction_and_unlike_round_trip() {
    // Given alice's first message, bob reacts, edits his reaction's target reply, then unlikes.
    let first = id(ALICE_FIRST);
    let mut reaction = MimiContent::with_body(
        [1; 16],
        &user("bob"),
        ROOM,
        NestedPart::single(Disposition::Reaction, TEXT_PLAIN, "👍🏽"),
    );
    reaction.in_reply_to = Some(first);
    let reaction_bytes = assert_round_trip(&reaction);
    let reaction_id = reaction.message_id(&reaction_bytes);
    assert!(reaction_id.is_ok());

    let mut reply = MimiContent::text([2; 16], &user("bob"), ROOM, "nice");
    reply.in_reply_to = Some(first);
    reply.topic_id = b"release-2.0".to_vec();
    let reply_bytes = assert_round_trip(&reply);

    let mut edit = MimiContent::text([3; 16], &user("bob"), ROOM, "very nice");
    edit.replaces = reply.message_id(&reply_bytes).ok();
    edit.in_reply_to = Some(first);
    edit.topic_id = reply.topic_id.clone();
    assert_round_trip(&edit);

    let mut unlike = MimiContent::with_body([4; 16], &user("bob"), ROOM, NestedPart::null());
    unlike.replaces = reaction_id.ok();
    assert_round_trip(&unlike);
}

#[test]
fn expiry_topic_and_extensions_round_trip() {
    let mut content = MimiContent::text([5; 16], &user("carol"), ROOM, "soon gone");
    content.expires = Some(Expiration {
        relative: true,
        time: 3600,
    });
    content.topic_id = vec![0xff; MAX_TOPIC_ID_LEN];
    let ext = &mut content.other_extensions;
    ext.insert(ExtensionKey::Int(-7), Value::Text("private".into()));
    ext.insert(ExtensionKey::Int(MAX_INTEGER_KEY), Value::Null);
    ext.insert(ExtensionKey::Int(-MAX_INTEGER_KEY), Value::Bool(true));
    ext.insert(ExtensionKey::Text("k".repeat(255)), Value::Float(1.5));
    ext.insert(ExtensionKey::Int(3), Value::Float(f64::INFINITY));
    ext.insert(
        ExtensionKey::Int(4),
        Value::Tag(2, Box::new(Value::Bytes(vec![1; 9]))),
    );
    // CONTENT §6.3's example of the deepest allowed extension value.
    ext.insert(
        ExtensionKey::Int(256),
        Value::Array(vec![
            Value::Array(vec![
                Value::Bytes(vec![0x12, 0x34]),
                Value::Tag(32, Box::new(Value::Text("http://example.com".into()))),
            ]),
            Value::Array(vec![
                Value::Bytes(vec![0x34, 0x56]),
                Value::Integer(5771.into()),
            ]),
        ]),
    );
    ext.insert(
        ExtensionKey::Int(257),
        Value::Map(vec![
            (Value::Integer(1.into()), Value::Text("a".into())),
            (Value::Integer((-1).into()), Value::Text("b".into())),
            (Value::Bytes(vec![0]), Value::Text("c".into())),
            (Value::Text("d".into()), Value::Text("d".into())),
        ]),
    );
    assert_round_trip(&content);
}

#[test]
fn encoding_sorts_map_keys_and_uses_the_shortest_forms() {
    let mut content = MimiContent::with_body([0; 16], "s", "r", NestedPart::null());
    content
        .other_extensions
        .insert(ExtensionKey::Text("a".into()), Value::Integer(24.into()));
    content
        .other_extensions
        .insert(ExtensionKey::Int(-1), Value::Integer(500.into()));
    content
        .other_extensions
        .insert(ExtensionKey::Int(24), Value::Null);
    let bytes = content.encode();
    let want = format!(
        "8750{}f640f6f6a5 0161 73 0261 72 1818f6 201901f4 6161 1818 830160 00",
        "00".repeat(16)
    );
    assert_eq!(hex::encode(&bytes), want.replace(' ', ""));
    assert_round_trip(&content);
}

#[test]
fn dedicated_uri_fields_win_over_the_same_keys_in_other_extensions() {
    let mut content = MimiContent::text([0; 16], "mimi://a/u/real", "mimi://a/r/room", "x");
    content.other_extensions.insert(
        ExtensionKey::Int(SENDER_URI_KEY),
        Value::Text("mimi://a/u/forged".into()),
    );
    assert!(matches!(
        content.validate(),
        Err(ContentError::InvalidExtensionKey { .. })
    ));
    let decoded = MimiContent::decode(&content.encode());
    let sender = decoded.ok().and_then(|d| d.sender_uri);
    assert_eq!(sender.as_deref(), Some("mimi://a/u/real"));
}

fn arb_inner_key() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-MAX_INTEGER_KEY..=MAX_INTEGER_KEY).prop_map(|i| Value::Integer(i.into())),
        "[a-z]{0,6}".prop_map(Value::Text),
        vec(any::<u8>(), 0..4).prop_map(Value::Bytes),
    ]
}

/// A map as decode returns it: sorted by encoded key, first of equal keys kept.
fn canonical_map(mut entries: Vec<(Value, Value)>) -> Value {
    entries.sort_by_key(|(k, _)| encode_value(k));
    entries.dedup_by(|later, earlier| encode_value(&later.0) == encode_value(&earlier.0));
    Value::Map(entries)
}

/// Extension values of at most 3 container levels (the extensions map is the 4th).
fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|i| Value::Integer(i.into())),
        any::<u64>().prop_map(|i| Value::Integer(i.into())),
        vec(any::<u8>(), 0..16).prop_map(Value::Bytes),
        "\\PC{0,8}".prop_map(Value::Text),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        any::<f64>()
            .prop_filter("NaN is not equal to itself", |x| !x.is_nan())
            .prop_map(Value::Float),
        any::<i16>().prop_map(|x| Value::Float(f64::from(x) / 4.0)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((arb_inner_key(), inner.clone()), 0..4).prop_map(canonical_map),
            (prop_oneof![0u64..2, 4u64..], inner).prop_map(|(t, v)| Value::Tag(t, Box::new(v))),
        ]
    })
}

fn arb_extension_key() -> impl Strategy<Value = ExtensionKey> {
    prop_oneof![
        (3..=MAX_INTEGER_KEY).prop_map(ExtensionKey::Int),
        (-MAX_INTEGER_KEY..0).prop_map(ExtensionKey::Int),
        "[a-zA-Z0-9-]{1,40}".prop_map(ExtensionKey::Text),
    ]
}

fn arb_message_id() -> impl Strategy<Value = MessageId> {
    any::<[u8; 32]>().prop_map(|mut id| {
        id[0] = MESSAGE_ID_SHA256;
        MessageId(id)
    })
}

fn arb_leaf_part() -> impl Strategy<Value = Part> {
    prop_oneof![
        Just(Part::Null),
        ("[a-z]{1,8}/[a-z]{1,8}", vec(any::<u8>(), 0..64)).prop_map(|(content_type, content)| {
            Part::Single {
                content_type,
                content,
            }
        }),
        (
            ("\\PC{0,12}", "\\PC{0,20}", any::<u32>(), any::<u64>()),
            (
                any::<u16>(),
                vec(any::<u8>(), 0..32),
                vec(any::<u8>(), 0..12)
            ),
            (vec(any::<u8>(), 0..8), any::<u8>(), vec(any::<u8>(), 0..32)),
            ("\\PC{0,12}", "\\PC{0,12}"),
        )
            .prop_map(
                |(
                    (content_type, url, expires, size),
                    (enc_alg, key, nonce),
                    (aad, hash_alg, content_hash),
                    (description, filename),
                )| Part::External {
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
                }
            ),
    ]
}

/// Bodies of up to 4 levels, as CONTENT §6.3 allows.
fn arb_nested_part() -> impl Strategy<Value = NestedPart> {
    let wrap = |part| {
        (any::<u8>(), "[a-z]{0,3}(,[a-z]{2})?").prop_map(move |(d, language)| NestedPart {
            disposition: Disposition::from_u8(d),
            language,
            part: Clone::clone(&part),
        })
    };
    arb_leaf_part()
        .prop_flat_map(wrap)
        .prop_recursive(3, 32, 4, move |inner| {
            let semantics = prop_oneof![
                Just(PartSemantics::ChooseOne),
                Just(PartSemantics::SingleUnit),
                Just(PartSemantics::ProcessAll),
            ];
            (semantics, vec(inner, 2..4))
                .prop_map(|(semantics, parts)| Part::Multi { semantics, parts })
                .prop_flat_map(wrap)
        })
}

fn arb_content() -> impl Strategy<Value = MimiContent> {
    (
        (
            any::<[u8; 16]>(),
            proptest::option::of(arb_message_id()),
            vec(any::<u8>(), 0..40),
            proptest::option::of((any::<bool>(), any::<u32>())),
            proptest::option::of(arb_message_id()),
        ),
        (
            proptest::option::of("mimi://[a-z.]{1,12}/u/[a-z]{1,12}"),
            proptest::option::of("mimi://[a-z.]{1,12}/r/[a-z]{1,12}"),
            btree_map(arb_extension_key(), arb_value(), 0..4),
        ),
        arb_nested_part(),
    )
        .prop_map(
            |(
                (salt, replaces, topic_id, expires, in_reply_to),
                (sender_uri, room_uri, other_extensions),
                body,
            )| MimiContent {
                salt,
                replaces,
                topic_id,
                expires: expires.map(|(relative, time)| Expiration { relative, time }),
                in_reply_to,
                sender_uri,
                room_uri,
                other_extensions,
                body,
            },
        )
}

proptest! {
    #[test]
    fn generated_content_round_trips(content in arb_content()) {
        prop_assert_eq!(content.validate(), Ok(()));
        let bytes = content.encode();
        let decoded = MimiContent::decode(&bytes);
        prop_assert_eq!(decoded.as_ref(), Ok(&content));
        if let Ok(decoded) = decoded {
            prop_assert_eq!(decoded.encode(), bytes);
        }
    }

    /// Every non-deterministic mutation is caught by a specific rule, not only by the final
    /// re-encoding guard, and whatever is accepted re-encodes to the input.
    #[test]
    fn mutated_encodings_are_refused_for_a_reason_or_are_canonical(
        content in arb_content(),
        index in any::<proptest::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = content.encode();
        let at = index.index(bytes.len());
        bytes[at] = byte;
        match MimiContent::decode(&bytes) {
            Ok(decoded) => prop_assert_eq!(decoded.encode(), bytes),
            Err(e) => prop_assert_ne!(e, ContentError::NotDeterministic),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        if let Ok(decoded) = MimiContent::decode(&bytes) {
            prop_assert_eq!(decoded.encode(), bytes);
        }
    }
}
