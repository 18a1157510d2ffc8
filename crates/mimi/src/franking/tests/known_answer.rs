//! Known answers from `tests/data/franking_kat.json` (see [`super::KAT_JSON`] for how they were
//! computed), and the TLS layouts written out byte for byte.

use super::*;
use crate::credential::sign_content;
use crate::wire::encode;

fn hex_of(s: &str) -> String {
    hex::encode(s)
}

#[test]
fn the_kat_content_is_what_the_content_codec_encodes() {
    // The hand-written CBOR of the generator and the crate's codec agree, so the receiver and
    // report tests below run on exactly the KAT bytes.
    let kat = Kat::load();
    assert_eq!(
        text(kat.array("salt"), ALICE, ROOM, kat.str("text")),
        kat.bytes("application_data")
    );
    assert_eq!((kat.str("sender_uri"), kat.str("room_uri")), (ALICE, ROOM));
}

#[test]
fn franking_tag_matches_the_known_answer() {
    let kat = Kat::load();
    let tag = franking_tag(&kat.array("salt"), &kat.bytes("application_data"));
    assert_eq!(hex::encode(tag), kat.str("franking_tag"));
    assert_eq!(
        hex::encode(tag),
        "99a645cae7813512469c02e82d760e2513623343fdb2cf137debdd4174a32ff4"
    );
    // FrankAAD is the bare 32 bytes: a fixed array takes no length prefix.
    let aad = FrankAad { franking_tag: tag };
    assert_eq!(aad.to_bytes(), kat.bytes("frank_aad"));
    assert_eq!(aad.to_bytes(), tag.to_vec());
}

#[test]
fn server_franking_context_layout_byte_for_byte() {
    let kat = Kat::load();
    let expected = [
        // IdentifierUri sender_uri: opaque uri<V>, 24 bytes, one-byte varint length
        "18",
        &hex_of(ALICE),
        // IdentifierUri room_uri: 43 bytes
        "2b",
        &hex_of(ROOM),
        // uint64 accepted_timestamp = 1_700_000_000_123, big-endian
        "0000018bcfe5687b",
    ]
    .concat();
    let bytes = kat.context().to_bytes();
    assert_eq!(hex::encode(&bytes), expected);
    assert_eq!(hex::encode(&bytes), kat.str("context"));
    assert_eq!(bytes.len(), 1 + 24 + 1 + 43 + 8);
}

#[test]
fn server_frank_matches_the_known_answer() {
    let kat = Kat::load();
    let sf = server_frank(
        &kat.array("hub_key"),
        &kat.array("franking_tag"),
        &kat.context(),
    );
    assert_eq!(hex::encode(sf), kat.str("server_frank"));
    assert_eq!(
        hex::encode(sf),
        "b41f0af9bef733140067269f9a5bad93d1f5d7b972005050a674e5b3d26d29cf"
    );
}

#[test]
fn franking_integrity_tbs_layout_byte_for_byte() {
    let kat = Kat::load();
    let tbs = FrankingIntegrityTbs {
        server_frank: kat.array("server_frank"),
        franking_signature_ciphersuite: 0x0001,
        context: kat.context(),
    };
    let expected = [
        // opaque server_frank[32]: fixed, no length prefix
        kat.str("server_frank"),
        // CipherSuite franking_signature_ciphersuite: uint16
        "0001",
        // ServerFrankingContext context
        kat.str("context"),
    ]
    .concat();
    assert_eq!(hex::encode(tbs.to_bytes()), expected);
    assert_eq!(tbs.to_bytes(), kat.bytes("tbs"));
    // RFC 9420 §5.1.2 SignContent: label<V> "MLS 1.0 FrankingIntegrityTBS" (28 bytes), then
    // content<V> of 111 bytes, which takes a two-byte varint (0x406f).
    let sc = sign_content(FRANKING_INTEGRITY_LABEL, &tbs.to_bytes());
    assert_eq!(hex::encode(&sc[..1]), "1c");
    assert_eq!(&sc[1..29], b"MLS 1.0 FrankingIntegrityTBS");
    assert_eq!(hex::encode(&sc[29..31]), "406f");
    assert_eq!(sc, kat.bytes("sign_content"));
}

#[test]
fn hub_frank_matches_the_known_answer_signature() {
    // Ed25519 is deterministic, so the whole Frank is a known answer.
    let kat = Kat::load();
    let signing_key = kat.signing_key();
    assert_eq!(
        signing_key.verifying_key().to_bytes().to_vec(),
        kat.bytes("franking_public_key")
    );
    let f = frank(
        &kat.array("hub_key"),
        &signing_key,
        0x0001,
        &kat.array("franking_tag"),
        &kat.context(),
    );
    assert_eq!(
        f.franking_integrity_signature.as_slice(),
        kat.bytes("signature").as_slice()
    );
    // Frank: server_frank[32] || uint16 suite || signature<V> (64 bytes: varint 0x4040).
    let expected = [
        kat.str("server_frank"),
        "0001",
        "4040",
        kat.str("signature"),
    ]
    .concat();
    assert_eq!(hex::encode(encode(&f)), expected);
    assert_eq!(f, kat.frank());
}

#[test]
fn franking_agent_data_layout_byte_for_byte() {
    let kat = Kat::load();
    let expected = [
        // SignaturePublicKey franking_signature_key: opaque<V>, 32 bytes
        "20",
        kat.str("franking_public_key"),
        // Credential: credential_type basic(1), opaque identity<V> (18 bytes)
        "0001",
        "12",
        &hex_of("mimi://hub.example"),
    ]
    .concat();
    assert_eq!(hex::encode(kat.agent().to_bytes()), expected);
    assert_eq!(kat.agent().to_bytes(), kat.bytes("franking_agent_data"));
}

#[test]
fn abuse_report_matches_the_known_answer() {
    let kat = Kat::load();
    let message = AbusiveMessage {
        message_content: kat.bytes("application_data").into(),
        frank: kat.frank(),
        accepted_timestamp: kat.u64("accepted_timestamp"),
    };
    // message_content<V> is 137 bytes: two-byte varint 0x4089.
    assert_eq!(hex::encode(&message.to_bytes()[..2]), "4089");
    assert_eq!(message.to_bytes(), kat.bytes("abusive_message"));
    let report = AbuseReport {
        reporting_user: IdentifierUri::new(&kat.str("reporting_user")),
        alleged_abuser_uri: IdentifierUri::new(&ALICE),
        reason_code: 0,
        note: kat.str("note").as_bytes().to_vec().into(),
        messages: vec![message],
        abuse_extensions: vec![ComponentData {
            component_id: 0x8001,
            data: b"x".to_vec().into(),
        }],
    };
    assert_eq!(report.to_bytes(), kat.bytes("abuse_report"));
    // AppDataDictionary: component_data<V> of one ComponentData { 0x8001, "x" }.
    assert!(hex::encode(report.to_bytes()).ends_with("0480010178"));
}
