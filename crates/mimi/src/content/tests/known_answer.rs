//! The examples of CONTENT §5 (the repository's `examples/*.edn`), rebuilt with this API.
//! Each message id hashes the exact encoding, so a match proves the encoder byte for byte.

use super::*;

const ORIGINAL_ID: &str = "017ce54837404c3696e0c747b985cb172716d0ed0a3d249ca63ace7d82a096f4";
const REPLY_ID: &str = "015354973c2b65ca937bf1e035ae53a5ab80e947afa43d46920d4202e5cc0b27";

fn markdown(text: &str) -> NestedPart {
    NestedPart::single(Disposition::Render, TEXT_MARKDOWN, text.as_bytes())
}

fn original() -> MimiContent {
    MimiContent::with_body(
        hex16("5eed9406c2545547ab6f09f20a18b003"),
        &user("alice-smith"),
        ROOM,
        markdown("Hi everyone, we just shipped release 2.0. __Good  work__!"),
    )
}

/// Checks the id against the draft, and that the bytes decode back to the same content.
#[track_caller]
fn assert_example(content: &MimiContent, want_id: &str) {
    let bytes = assert_round_trip(content);
    let sender = content.sender_uri.as_deref().unwrap_or_default();
    let computed = message_id(sender, ROOM, &bytes, &content.salt);
    assert_eq!(computed.to_string(), want_id);
    assert_eq!(content.message_id(&bytes), Ok(computed));
}

#[test]
fn original_example_has_the_drafts_message_id() {
    // Given the "original" example of CONTENT §5.1
    let content = original();
    // When it is encoded
    let bytes = content.encode();
    // Then the id is the draft's, and the bytes decode to the same content
    let salt = hex16("5eed9406c2545547ab6f09f20a18b003");
    assert_eq!(
        message_id(&user("alice-smith"), ROOM, &bytes, &salt).to_string(),
        ORIGINAL_ID
    );
    assert_eq!(MimiContent::decode(&bytes), Ok(content.clone()));
    assert_eq!(content.message_id(&bytes), Ok(id(ORIGINAL_ID)));
    assert_eq!(
        content.text_body().as_deref(),
        Some("Hi everyone, we just shipped release 2.0. __Good  work__!")
    );
}

#[test]
fn reply_example_points_at_the_original() {
    let mut reply = MimiContent::with_body(
        hex16("11a458c73b8dd2cf404db4b378b8fe4d"),
        &user("bob-jones"),
        ROOM,
        markdown("Right on! _Congratulations_ 'all!"),
    );
    reply.in_reply_to = Some(id(ORIGINAL_ID));
    assert_example(&reply, REPLY_ID);
}

#[test]
fn reaction_example_is_a_heart_in_reply_to_the_original() {
    let mut reaction = MimiContent::with_body(
        hex16("d37bc0e6a8b4f04e9e6382375f587bf6"),
        &user("cathy-washington"),
        ROOM,
        NestedPart::single(Disposition::Reaction, TEXT_PLAIN, "\u{2764}".as_bytes()),
    );
    reaction.in_reply_to = Some(id(ORIGINAL_ID));
    assert_example(
        &reaction,
        "0158c4288911e50a8f6be3f47746b6682f10fd91bc8c05557aa589a3157aff68",
    );
}

#[test]
fn delete_example_replaces_the_reply_with_a_null_part() {
    let mut delete = MimiContent::with_body(
        hex16("0a590d73b2c7761c39168be5ebf7f2e6"),
        &user("bob-jones"),
        ROOM,
        NestedPart::null(),
    );
    delete.replaces = Some(id(REPLY_ID));
    delete.in_reply_to = Some(id(ORIGINAL_ID));
    assert_example(
        &delete,
        "011d9efc78d04d4dcf4d82b07d5199bbef37011c1f0c7e004b6111c6dda504b4",
    );
    assert_eq!(delete.text_body(), None);
}

#[test]
fn edit_example_replaces_the_reply_with_new_text() {
    let mut edit = MimiContent::with_body(
        hex16("b8c2e6d8800ecf45df39be6c45f4c042"),
        &user("bob-jones"),
        ROOM,
        markdown("Right on! _Congratulations_ y'all!"),
    );
    edit.replaces = Some(id(REPLY_ID));
    edit.in_reply_to = Some(id(ORIGINAL_ID));
    assert_example(
        &edit,
        "014028c0deddbdea56bec26172f6ede953d11024cb82b8192b5e2aea62d7fb47",
    );
}

#[test]
fn expiring_example_expires_ten_minutes_after_sending() {
    let mut expiring = MimiContent::with_body(
        hex16("33be993eb39f418f9295afc2ae160d2d"),
        &user("alice-smith"),
        ROOM,
        markdown(
            "__*VPN GOING DOWN*__ I'm rebooting the VPN in ten minutes unless anyone objects.",
        ),
    );
    expiring.expires = Some(Expiration {
        relative: false,
        time: 1_644_390_004,
    });
    assert_example(
        &expiring,
        "01e59db8173939facc2c8a4a0f0ae8d0c7a11a81239626630c9464a8d6717a03",
    );
    assert_eq!(expiring.check_expiry(1_644_389_403), Ok(()));
}

#[test]
fn attachment_example_is_an_encrypted_external_part() {
    let attachment = MimiContent::with_body(
        hex16("18fac6371e4e53f1aeaf8a013155c166"),
        &user("bob-jones"),
        ROOM,
        NestedPart {
            disposition: Disposition::Attachment,
            language: "en".into(),
            part: Part::External {
                content_type: "video/mp4".into(),
                url: "https://example.com/storage/8ksB4bSrrRE.mp4".into(),
                expires: 0,
                size: 708_234_961,
                enc_alg: 1,
                key: unhex("21399320958a6f4c745dde670d95e0d8"),
                nonce: unhex("c86cf2c33f21527d1dd76f5b"),
                aad: Vec::new(),
                hash_alg: 1,
                content_hash: unhex(
                    "9ab17a8cf0890baaae7ee016c7312fcc080ba46498389458ee44f0276e783163",
                ),
                description: "2 hours of key signing video".into(),
                filename: "bigfile.mp4".into(),
            },
        },
    );
    assert_example(
        &attachment,
        "0176180c7d19a925021fe446d241134d05c38e0d999cdc0f39c391d2377ed9d1",
    );
}

fn html(lang: &str, heading: &str, image_index: u8, alt: &str) -> NestedPart {
    let html = format!(
        "<html><body><h1>{heading}</h1>\n<img src=\"cid:{image_index}@local.invalid\" \
         alt=\"{alt}\"/>\n</body></html>"
    );
    NestedPart {
        language: lang.into(),
        ..NestedPart::single(Disposition::Render, "text/html;charset=utf-8", html)
    }
}

fn multi(semantics: PartSemantics, parts: Vec<NestedPart>) -> NestedPart {
    NestedPart {
        disposition: Disposition::Render,
        language: String::new(),
        part: Part::Multi { semantics, parts },
    }
}

/// CONTENT appendix "Complicated Nested Example": 11 parts, 4 levels.
fn nested_example() -> MimiContent {
    let version = |image_index: u8, image_type: &str, image: &str| {
        multi(
            PartSemantics::ProcessAll,
            vec![
                multi(
                    PartSemantics::ChooseOne,
                    vec![
                        html("en", "Welcome!", image_index, "Welcome image"),
                        html("fr", "Bienvenue!", image_index, "Image bienvenue"),
                    ],
                ),
                NestedPart::single(Disposition::Inline, image_type, unhex(image)),
            ],
        )
    };
    MimiContent::with_body(
        hex16("b8362793168d18c049b882d4642a2274"),
        &user("alice-smith"),
        ROOM,
        multi(
            PartSemantics::ChooseOne,
            vec![
                version(5, "image/gif", "dc861ebaa718fd7c3ca159f71a2001a7"),
                version(10, "image/png", "fa444237451a05a72bb0f67037cc1669"),
            ],
        ),
    )
}

#[test]
fn nested_multipart_example_uses_all_four_levels() {
    let content = nested_example();
    assert_example(
        &content,
        "01cfebeadbdb83c1eefb6403ba4852daf8bbbf9cd53bf5035a74d5d741950c9f",
    );
    // partIndex 5 is the GIF that parts 3 and 4 reference as cid:5@local.invalid
    let parts: Vec<&NestedPart> = content.body.iter_depth_first().collect();
    assert_eq!(parts.len(), 11);
    assert!(
        matches!(&parts[5].part, Part::Single { content_type, .. } if content_type == "image/gif")
    );
    assert!(
        content
            .text_body()
            .is_some_and(|t| t.contains("Welcome!") && t.contains("cid:5@local.invalid"))
    );
}

#[test]
fn json_view_shows_text_ids_and_hex() {
    let mut reply = original();
    reply.in_reply_to = Some(id(ORIGINAL_ID));
    reply.other_extensions.insert(
        ExtensionKey::Text("x-client".into()),
        ciborium::Value::Bytes(vec![0xca, 0xfe]),
    );
    let json = reply.to_json();
    assert_eq!(json["salt"], "5eed9406c2545547ab6f09f20a18b003");
    assert_eq!(json["in_reply_to"], ORIGINAL_ID);
    assert_eq!(json["replaces"], serde_json::Value::Null);
    assert_eq!(json["sender_uri"], user("alice-smith"));
    assert_eq!(json["body"]["disposition"], "render");
    assert_eq!(json["body"]["cardinality"], "single");
    assert_eq!(
        json["body"]["text"],
        "Hi everyone, we just shipped release 2.0. __Good  work__!"
    );
    assert_eq!(json["extensions"][0]["key"], "x-client");
    assert_eq!(json["extensions"][0]["value"]["bytes"], "cafe");
    let bytes = reply.encode();
    assert_eq!(
        json["message_id"],
        message_id(&user("alice-smith"), ROOM, &bytes, &reply.salt).to_string()
    );
    let image = NestedPart::single(Disposition::Inline, "image/png", vec![0x89, 0x50]);
    let json = MimiContent::with_body([0; 16], "s", "r", image).to_json();
    assert_eq!(json["body"]["content_hex"], "8950");
    assert_eq!(json["body"]["disposition"], "inline");
}

#[test]
fn text_constructor_builds_a_plain_text_render_part() {
    let content = MimiContent::text([9; 16], &user("alice-smith"), ROOM, "hello");
    assert_eq!(
        content.body,
        NestedPart {
            disposition: Disposition::Render,
            language: String::new(),
            part: Part::Single {
                content_type: "text/plain;charset=utf-8".into(),
                content: b"hello".to_vec(),
            },
        }
    );
    assert_eq!(content.text_body().as_deref(), Some("hello"));
    assert_round_trip(&content);
}

#[test]
fn message_id_needs_both_uris() {
    let mut content = original();
    let bytes = content.encode();
    content.room_uri = None;
    assert_eq!(
        content.message_id(&bytes),
        Err(ContentError::MissingRoomUri)
    );
    content.sender_uri = None;
    assert_eq!(
        content.message_id(&bytes),
        Err(ContentError::MissingSenderUri)
    );
    content.sender_uri = Some("x".repeat(65_536));
    content.room_uri = Some(ROOM.into());
    assert_eq!(
        content.message_id(&bytes),
        Err(ContentError::UriTooLong { len: 65_536 })
    );
}
