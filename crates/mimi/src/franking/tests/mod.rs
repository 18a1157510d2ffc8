//! Tests of franking: known answers computed outside Rust, strict round trips of every struct,
//! one failure per receiver check of PROTO §5.4.1.3 and per report check of §5.9.

mod codec;
mod known_answer;
mod receive;
mod report;

use ed25519_dalek::SigningKey;
use openmls::prelude::{BasicCredential, Credential};

use super::*;
use crate::content::MimiContent;
use crate::uri::MimiUri;
use crate::wire::IdentifierUri;

/// The known answers: `crates/mimi/tests/data/franking_kat.json`, written by
/// `franking_kat.py` next to it with Python's `hmac`/`hashlib` and the `cryptography` package's
/// Ed25519, the TLS and CBOR bytes spelled out by hand from the drafts. No Rust code of this
/// crate took part in computing them.
const KAT_JSON: &str = include_str!("../../../tests/data/franking_kat.json");

pub(super) struct Kat(serde_json::Value);

impl Kat {
    pub(super) fn load() -> Self {
        Kat(serde_json::from_str(KAT_JSON).expect("franking_kat.json is JSON"))
    }
    pub(super) fn str(&self, field: &str) -> &str {
        self.0[field]
            .as_str()
            .unwrap_or_else(|| panic!("franking_kat.json has no string {field}"))
    }
    pub(super) fn bytes(&self, field: &str) -> Vec<u8> {
        hex::decode(self.str(field)).unwrap_or_else(|e| panic!("{field} is not hex: {e}"))
    }
    pub(super) fn array<const N: usize>(&self, field: &str) -> [u8; N] {
        self.bytes(field)
            .try_into()
            .unwrap_or_else(|_| panic!("{field} is not {N} bytes"))
    }
    pub(super) fn u64(&self, field: &str) -> u64 {
        self.0[field]
            .as_u64()
            .unwrap_or_else(|| panic!("franking_kat.json has no integer {field}"))
    }
    pub(super) fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&self.array("signing_key_seed"))
    }
    pub(super) fn context(&self) -> ServerFrankingContext {
        ServerFrankingContext::new(
            self.str("sender_uri"),
            self.str("room_uri"),
            self.u64("accepted_timestamp"),
        )
    }
    pub(super) fn frank(&self) -> Frank {
        crate::wire::decode(&self.bytes("frank"), "Frank").expect("the KAT frank decodes")
    }
    pub(super) fn agent(&self) -> FrankingAgentData {
        FrankingAgentData {
            franking_signature_key: self.bytes("franking_public_key").into(),
            credential: BasicCredential::new(self.str("agent_identity").as_bytes().to_vec()).into(),
        }
    }
}

/// How Conclave's tests read an agent's domain: a basic credential holding a MIMI URI.
pub(super) fn domain_of_basic(c: &Credential) -> Option<String> {
    let uri = std::str::from_utf8(c.serialized_content()).ok()?;
    Some(MimiUri::parse(uri).ok()?.domain().to_owned())
}

pub(super) const HUB: &str = "hub.example";
pub(super) const ALICE: &str = "mimi://b.example/u/alice";
pub(super) const ROOM: &str = "mimi://hub.example/r/Rl33FWLCYWOwxHrYnpWDQg";

/// A text message as Alice's client encodes it.
pub(super) fn text(salt: [u8; 16], sender: &str, room: &str, body: &str) -> Vec<u8> {
    MimiContent::text(salt, sender, room, body).encode()
}
