//! The hub's checks of a reported message (PROTO §5.9), and the whole flow from sender to report.

use super::*;

fn reported() -> AbusiveMessage {
    let kat = Kat::load();
    AbusiveMessage::from_bytes(&kat.bytes("abusive_message")).expect("the KAT message decodes")
}

fn hub_verifies(m: &AbusiveMessage) -> Result<VerifiedReport, FrankingError> {
    let kat = Kat::load();
    verify_reported(
        m,
        &kat.array("hub_key"),
        &kat.bytes("franking_public_key"),
        ROOM,
    )
}

#[test]
fn genuine_report_verifies_with_the_exact_text() {
    assert_eq!(
        hub_verifies(&reported()),
        Ok(VerifiedReport {
            sender_uri: ALICE.into(),
            room_uri: ROOM.into(),
            accepted_timestamp: 1_700_000_000_123,
            text: Some("hello, hub".into()),
        })
    );
}

#[test]
fn report_with_tampered_content_is_refused() {
    // The reporter rewrites what Alice said, keeping salt, sender and room.
    let kat = Kat::load();
    let mut m = reported();
    m.message_content = text(kat.array("salt"), ALICE, ROOM, "hello, hug").into();
    assert_eq!(hub_verifies(&m), Err(FrankingError::ServerFrankMismatch));
}

#[test]
fn report_pinning_the_message_on_someone_else_is_refused() {
    let kat = Kat::load();
    let mut m = reported();
    m.message_content = text(
        kat.array("salt"),
        "mimi://b.example/u/carol",
        ROOM,
        kat.str("text"),
    )
    .into();
    assert_eq!(hub_verifies(&m), Err(FrankingError::ServerFrankMismatch));
}

#[test]
fn report_with_another_timestamp_is_refused() {
    let mut m = reported();
    m.accepted_timestamp -= 1;
    assert_eq!(hub_verifies(&m), Err(FrankingError::ServerFrankMismatch));
}

#[test]
fn report_checked_with_another_hub_key_is_refused() {
    let kat = Kat::load();
    assert_eq!(
        verify_reported(
            &reported(),
            &[0x55; 32],
            &kat.bytes("franking_public_key"),
            ROOM
        ),
        Err(FrankingError::ServerFrankMismatch)
    );
}

#[test]
fn report_of_a_message_from_another_room_is_refused() {
    let kat = Kat::load();
    assert_eq!(
        verify_reported(
            &reported(),
            &kat.array("hub_key"),
            &kat.bytes("franking_public_key"),
            "mimi://hub.example/r/other",
        ),
        Err(FrankingError::RoomMismatch {
            content: ROOM.into(),
            expected: "mimi://hub.example/r/other".into()
        })
    );
}

#[test]
fn report_with_forged_signature_is_refused() {
    let mut m = reported();
    let mut sig = m.frank.franking_integrity_signature.as_slice().to_vec();
    sig[10] ^= 0x80;
    m.frank.franking_integrity_signature = sig.into();
    assert_eq!(hub_verifies(&m), Err(FrankingError::BadSignature));

    // A correct server frank signed by another key does not pass either.
    let kat = Kat::load();
    let mut m = reported();
    m.frank = frank(
        &kat.array("hub_key"),
        &SigningKey::from_bytes(&[9; 32]),
        0x0001,
        &kat.array("franking_tag"),
        &kat.context(),
    );
    assert_eq!(hub_verifies(&m), Err(FrankingError::BadSignature));
}

#[test]
fn report_of_a_frank_in_an_unsupported_suite_is_refused() {
    let mut m = reported();
    m.frank.franking_signature_ciphersuite = 0x0003;
    assert_eq!(
        hub_verifies(&m),
        Err(FrankingError::UnsupportedCiphersuite { suite: 0x0003 })
    );
}

#[test]
fn report_of_content_without_sender_uri_is_refused() {
    let kat = Kat::load();
    let mut content = MimiContent::text(kat.array("salt"), ALICE, ROOM, "x");
    content.sender_uri = None;
    let mut m = reported();
    m.message_content = content.encode().into();
    assert_eq!(hub_verifies(&m), Err(FrankingError::MissingSenderUri));

    m.message_content = b"\x80".to_vec().into();
    assert!(matches!(hub_verifies(&m), Err(FrankingError::Content(_))));
}

#[test]
fn alice_sends_the_hub_franks_bob_verifies_and_reports_from_what_he_stored() {
    // Given a hub with its keys, and Alice's message in its room.
    let hub_key = [0x77; 32];
    let hub_signer = SigningKey::from_bytes(&[0x33; 32]);
    let agent = FrankingAgentData {
        franking_signature_key: hub_signer.verifying_key().to_bytes().to_vec().into(),
        credential: BasicCredential::new(b"mimi://hub.example".to_vec()).into(),
    };
    let room = "mimi://hub.example/r/lobby";
    let sent = text([0xa5; 16], ALICE, room, "you again?");

    // When Alice's client tags it, the hub franks it and fans it out to Bob,
    let aad = FrankAad {
        franking_tag: franking_tag(&[0xa5; 16], &sent),
    };
    let accepted = 1_712_345_678_901;
    let context = ServerFrankingContext::new(ALICE, room, accepted);
    let fanned = frank(
        &hub_key,
        &hub_signer,
        crate::ids::CIPHERSUITE,
        &aad.franking_tag,
        &context,
    );
    let stored = verify_received(&Received {
        application_data: &sent,
        frank_aad: Some(&aad.to_bytes()),
        frank: Some(&fanned),
        accepted_timestamp: accepted,
        group_ciphersuite: crate::ids::CIPHERSUITE,
        agent: Some(&agent),
        hub_domain: HUB,
        agent_domain_of: &domain_of_basic,
        sender_identity: ALICE,
        room_uri: room,
    });
    assert_eq!(stored, Ok(context));

    // and Bob reports it from the bytes and frank he stored,
    let report = AbuseReport {
        reporting_user: IdentifierUri::new(&"mimi://c.example/u/bob"),
        alleged_abuser_uri: IdentifierUri::new(&ALICE),
        reason_code: 0,
        note: b"harassment".to_vec().into(),
        messages: vec![AbusiveMessage {
            message_content: sent.clone().into(),
            frank: fanned,
            accepted_timestamp: accepted,
        }],
        abuse_extensions: vec![],
    };
    let received = AbuseReport::from_bytes(&report.to_bytes()).expect("the report decodes");

    // then the hub verifies it with nothing but its keys.
    let verified = verify_reported(
        &received.messages[0],
        &hub_key,
        hub_signer.verifying_key().as_bytes(),
        room,
    );
    assert_eq!(
        verified.map(|v| (v.sender_uri, v.text)),
        Ok((ALICE.to_owned(), Some("you again?".to_owned())))
    );
}
