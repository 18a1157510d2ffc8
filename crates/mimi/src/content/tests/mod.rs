//! Tests of MIMI content: the draft's examples as known answers, round trips (with proptest),
//! and one rejection per rule of CONTENT §6 and §9.1.

mod known_answer;
mod rejection;
mod round_trip;

use super::*;

pub(super) const ROOM: &str = "mimi://example.com/r/engineering_team";

pub(super) fn user(name: &str) -> String {
    format!("mimi://example.com/u/{name}")
}

pub(super) fn hex16(s: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    assert!(
        hex::decode_to_slice(s, &mut out).is_ok(),
        "bad test salt {s}"
    );
    out
}

pub(super) fn id(s: &str) -> MessageId {
    let parsed = s.parse();
    assert!(parsed.is_ok(), "bad test id {s}");
    parsed.unwrap_or(MessageId([0; 32]))
}

pub(super) fn unhex(s: &str) -> Vec<u8> {
    let bytes = hex::decode(s.replace([' ', '\n'], ""));
    assert!(bytes.is_ok(), "bad test hex {s}");
    bytes.unwrap_or_default()
}

/// Encodes, decodes, and checks both that nothing changed and that encoding is stable.
#[track_caller]
pub(super) fn assert_round_trip(content: &MimiContent) -> Vec<u8> {
    let bytes = content.encode();
    let decoded = MimiContent::decode(&bytes);
    assert_eq!(
        decoded.as_ref(),
        Ok(content),
        "bytes {}",
        hex::encode(&bytes)
    );
    if let Ok(d) = decoded {
        assert_eq!(d.encode(), bytes);
    }
    bytes
}
