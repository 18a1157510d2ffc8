//! Round trips of every franking struct, and strict decoding.

use super::*;
use crate::error::WireError;

fn report(kat: &Kat) -> AbuseReport {
    AbuseReport::from_bytes(&kat.bytes("abuse_report")).expect("the KAT report decodes")
}

/// A struct's name, its good bytes, and whether its decoder refuses some bytes.
type Case = (&'static str, Vec<u8>, fn(&[u8]) -> bool);

fn with_trailing_byte(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.push(0);
    bytes
}

fn truncated(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.pop();
    bytes
}

#[test]
fn every_franking_struct_round_trips_and_refuses_extra_or_missing_bytes() {
    let kat = Kat::load();
    let aad = FrankAad {
        franking_tag: kat.array("franking_tag"),
    };
    let agent = kat.agent();
    let context = kat.context();
    let tbs = FrankingIntegrityTbs {
        server_frank: kat.array("server_frank"),
        franking_signature_ciphersuite: 1,
        context: context.clone(),
    };
    let report = report(&kat);
    let message = report.messages[0].clone();

    assert_eq!(FrankAad::from_bytes(&aad.to_bytes()), Ok(aad));
    assert_eq!(
        FrankingAgentData::from_bytes(&agent.to_bytes()),
        Ok(agent.clone())
    );
    assert_eq!(
        ServerFrankingContext::from_bytes(&context.to_bytes()),
        Ok(context.clone())
    );
    assert_eq!(
        FrankingIntegrityTbs::from_bytes(&tbs.to_bytes()),
        Ok(tbs.clone())
    );
    assert_eq!(
        AbusiveMessage::from_bytes(&message.to_bytes()),
        Ok(message.clone())
    );
    assert_eq!(
        AbuseReport::from_bytes(&report.to_bytes()),
        Ok(report.clone())
    );

    let cases: [Case; 6] = [
        ("FrankAAD", aad.to_bytes(), |b| {
            FrankAad::from_bytes(b).is_err()
        }),
        ("FrankingAgentData", agent.to_bytes(), |b| {
            FrankingAgentData::from_bytes(b).is_err()
        }),
        ("ServerFrankingContext", context.to_bytes(), |b| {
            ServerFrankingContext::from_bytes(b).is_err()
        }),
        ("FrankingIntegrityTBS", tbs.to_bytes(), |b| {
            FrankingIntegrityTbs::from_bytes(b).is_err()
        }),
        ("AbusiveMessage", message.to_bytes(), |b| {
            AbusiveMessage::from_bytes(b).is_err()
        }),
        ("AbuseReport", report.to_bytes(), |b| {
            AbuseReport::from_bytes(b).is_err()
        }),
    ];
    for (what, bytes, refused) in cases {
        assert!(
            refused(&with_trailing_byte(bytes.clone())),
            "{what} + 1 byte"
        );
        assert!(refused(&truncated(bytes)), "{what} - 1 byte");
        assert!(refused(&[]), "{what} empty");
    }
}

#[test]
fn frank_aad_must_be_exactly_32_bytes() {
    for len in [0, 1, 31, 33, 64] {
        assert!(
            matches!(
                FrankAad::from_bytes(&vec![7; len]),
                Err(WireError::Malformed {
                    what: "FrankAAD",
                    ..
                })
            ),
            "{len} bytes"
        );
    }
    assert_eq!(
        FrankAad::from_bytes(&[7; 32]),
        Ok(FrankAad {
            franking_tag: [7; 32]
        })
    );
}

#[test]
fn non_minimal_vector_lengths_are_refused() {
    // RFC 9420 §2.1.2: the sender URI's length 24 written as the two-byte varint 0x4018.
    let kat = Kat::load();
    let mut bytes = vec![0x40];
    bytes.extend(kat.context().to_bytes());
    assert!(ServerFrankingContext::from_bytes(&bytes).is_err());
    let mut bytes = kat.context().to_bytes();
    bytes[0] = 0x40;
    bytes.insert(1, 0x18);
    assert!(ServerFrankingContext::from_bytes(&bytes).is_err());
}

#[test]
fn abuse_report_extensions_must_be_sorted_and_unique() {
    let kat = Kat::load();
    let ext = |id: u16| ComponentData {
        component_id: id,
        data: vec![1].into(),
    };
    for (ids, ok) in [
        (vec![], true),
        (vec![0x0020, 0x8001], true),
        (vec![0x8001, 0x0020], false),
        (vec![0x8001, 0x8001], false),
    ] {
        let mut r = report(&kat);
        r.abuse_extensions = ids.iter().map(|&i| ext(i)).collect();
        assert_eq!(
            AbuseReport::from_bytes(&r.to_bytes()).is_ok(),
            ok,
            "{ids:?}"
        );
    }
}

#[test]
fn abuse_report_refuses_a_non_utf8_note_or_no_accused() {
    let kat = Kat::load();
    let mut r = report(&kat);
    r.note = vec![0xff, 0xfe].into();
    assert!(matches!(
        AbuseReport::from_bytes(&r.to_bytes()),
        Err(WireError::Malformed {
            what: "AbuseReport",
            ..
        })
    ));

    let mut r = report(&kat);
    r.alleged_abuser_uri = IdentifierUri { uri: vec![].into() };
    assert!(AbuseReport::from_bytes(&r.to_bytes()).is_err());

    // An anonymous report (empty reportingUser) with no messages is well formed.
    let mut r = report(&kat);
    r.reporting_user = IdentifierUri { uri: vec![].into() };
    r.messages.clear();
    r.note = Vec::new().into();
    assert_eq!(AbuseReport::from_bytes(&r.to_bytes()), Ok(r.clone()));
    assert_eq!(r.note(), Ok(""));
}

#[test]
fn context_with_non_utf8_uri_is_refused() {
    let bad = ServerFrankingContext {
        sender_uri: IdentifierUri {
            uri: vec![0xc3].into(),
        },
        room_uri: IdentifierUri::new(&ROOM),
        accepted_timestamp: 1,
    };
    assert!(ServerFrankingContext::from_bytes(&bad.to_bytes()).is_err());
}
