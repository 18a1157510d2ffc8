//! Message franking and abuse reports: PROTO -06 §5.4.1 and §5.9 (`specs/mimi.md` §5.3–§5.4).
//!
//! Franking lets a receiver prove to the hub that a given sender sent a given message in a given
//! room at a given time, while the hub never sees the content unless the message is reported.
//!
//! 1. **Sender.** The MIMI content carries a fresh 16-byte `salt` and, in its extensions map,
//!    `sender_uri` (key 1) and `room_uri` (key 2). With `application_data` the encoded content,
//!    [`franking_tag`]` = HMAC-SHA256(key = salt, application_data)` goes into the
//!    PrivateMessage AAD as the Safe AAD item [`FRANK_AAD`](crate::ids::FRANK_AAD) ([`FrankAad`]),
//!    where the sender's MLS signature and the AEAD cover it.
//! 2. **Hub.** Only when the GroupContext holds a [`FrankingAgentData`] (component
//!    [`FRANKING_AGENT`](crate::ids::FRANKING_AGENT)). With `context` =
//!    [`ServerFrankingContext`]`{sendingUri, room, accepted_timestamp}`,
//!    [`server_frank`]` = HMAC-SHA256(hub_key, franking_tag || TLS(context))` and the
//!    `franking_integrity_signature` = `SignWithLabel(franking key, "FrankingIntegrityTBS",`
//!    [`FrankingIntegrityTbs`]`)`; [`frank`] makes the [`Frank`] that is
//!    fanned out with the ciphertext and the timestamp. `sender_uri` is never sent in clear.
//! 3. **Receiver.** [`verify_received`] runs the checks of PROTO §5.4.1.3 in the draft's order:
//!    frank present, cipher suite, franking agent of the hub's domain, the hub's signature over
//!    the context rebuilt from the content, the tag, the sender against the leaf credential, the
//!    room. It returns the context, which the caller stores with the frank and the exact bytes
//!    (step 8).
//! 4. **Report.** An [`AbuseReport`] carries [`AbusiveMessage`]s; the hub checks each with
//!    [`verify_reported`] from the reported bytes and its own `hub_key` alone, needing no stored
//!    copy (PROTO §5.9).
//!
//! Choices where the draft is open, written down:
//! - **A failed receiver check** ([`FrankingError`]) does not drop the message here: the caller
//!   shows it marked "unverified", and it cannot be reported (there is nothing the hub could
//!   verify). The draft leaves this to local policy (`specs/mimi.md` §5.4 step 9, \[OPEN\]).
//! - **`message_content` is exactly the bytes that were HMACed**: the MIMI content as received,
//!   never re-encoded, with no MLSEXT `ApplicationFraming` prefix (Conclave does not use content
//!   advertisement, so the application data *is* the MIMI content).
//! - Identifiers are compared byte for byte: Conclave URIs have one spelling
//!   ([`crate::uri`]), and the agent's domain must equal `hub_domain` exactly.
//! - Only the Ed25519 suite [`CIPHERSUITE`](crate::ids::CIPHERSUITE) is verified; a frank
//!   naming another suite is [`FrankingError::UnsupportedCiphersuite`].
//! - `Frank` has no key id, so the hub chooses which `hub_key` to pass to [`verify_reported`]
//!   (for example by `accepted_timestamp` after a rotation).
//! - [`AbuseReport`]: an empty `reporting_user` means "not given" (the draft calls it optional
//!   but gives it no `optional<>`); `reason_code` is kept as sent, since `AbuseType` has no values
//!   yet; `note` must be UTF-8; `abuse_extensions` follow AppDataDictionary's rule of strictly
//!   increasing component ids. Whether `alleged_abuser_uri` matches a message's verified sender is
//!   the hub's call, from [`VerifiedReport::sender_uri`].
//!
//! **Privacy caveat \[ANALYSIS\], not in the draft** (`specs/mimi.md` §5.2): the integrity
//! signature is checked with a public key and `sender_uri` is its only secret input, so a follower
//! provider that sees a Frank, the room URI and the timestamp can try each participant URI and
//! learn the sender from whichever verifies. The earlier HMAC-only designs did not leak this.
//! Do not rely on sender anonymity towards followers until the WG settles it.

mod error;
mod receive;
mod report;
mod wire;

#[cfg(test)]
mod tests;

use ed25519_dalek::SigningKey;
use hmac::digest::Key;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::credential::{sign_with_label, verify_with_label};
use crate::wire::{Frank, encode};

pub use error::FrankingError;
pub use receive::{Received, verify_received};
pub use report::{VerifiedReport, verify_reported};
pub use wire::{
    AbuseReport, AbusiveMessage, ComponentData, FrankAad, FrankingAgentData, FrankingIntegrityTbs,
    ServerFrankingContext,
};

/// The `SignWithLabel` label of the franking integrity signature (PROTO §5.4.1.2).
pub const FRANKING_INTEGRITY_LABEL: &str = "FrankingIntegrityTBS";

type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 keyed with a fixed-size key no longer than the hash's 64-byte block.
fn keyed<const N: usize>(key: &[u8; N]) -> HmacSha256 {
    const { assert!(N <= 64) };
    // RFC 2104 §2: a key shorter than the block is padded with zeros, so the zero-padded block
    // is the same HMAC key. This avoids `new_from_slice`'s (never failing) `Result`.
    let mut block = Key::<HmacSha256>::default();
    block[..N].copy_from_slice(key);
    <HmacSha256 as Mac>::new(&block)
}

/// `franking_tag = HMAC-SHA256(key = salt, data = application_data)` (PROTO §5.4.1.1).
pub fn franking_tag(salt: &[u8; 16], application_data: &[u8]) -> [u8; 32] {
    keyed(salt)
        .chain_update(application_data)
        .finalize()
        .into_bytes()
        .into()
}

/// `server_frank = HMAC-SHA256(hub_key, franking_tag || TLS(context))` (PROTO §5.4.1.2).
pub fn server_frank(
    hub_key: &[u8; 32],
    franking_tag: &[u8; 32],
    context: &ServerFrankingContext,
) -> [u8; 32] {
    server_frank_mac(hub_key, franking_tag, context)
        .finalize()
        .into_bytes()
        .into()
}

fn server_frank_mac(
    hub_key: &[u8; 32],
    franking_tag: &[u8; 32],
    context: &ServerFrankingContext,
) -> HmacSha256 {
    keyed(hub_key)
        .chain_update(franking_tag)
        .chain_update(context.to_bytes())
}

/// Constant-time check of a received `franking_tag` (PROTO §5.4.1.3).
fn tag_matches(salt: &[u8; 16], application_data: &[u8], expected: &[u8; 32]) -> bool {
    keyed(salt)
        .chain_update(application_data)
        .verify_slice(expected)
        .is_ok()
}

/// Constant-time check of a reported `server_frank` (PROTO §5.9).
fn server_frank_matches(
    hub_key: &[u8; 32],
    franking_tag: &[u8; 32],
    context: &ServerFrankingContext,
    expected: &[u8; 32],
) -> bool {
    server_frank_mac(hub_key, franking_tag, context)
        .verify_slice(expected)
        .is_ok()
}

/// The hub's side (PROTO §5.4.1.2): `server_frank` and
/// `SignWithLabel(signing_key, "FrankingIntegrityTBS", FrankingIntegrityTBS)`. `ciphersuite` is
/// the group's current suite, whose signature algorithm `signing_key` must be.
pub fn frank(
    hub_key: &[u8; 32],
    signing_key: &SigningKey,
    ciphersuite: u16,
    franking_tag: &[u8; 32],
    context: &ServerFrankingContext,
) -> Frank {
    let tbs = FrankingIntegrityTbs {
        server_frank: server_frank(hub_key, franking_tag, context),
        franking_signature_ciphersuite: ciphersuite,
        context: context.clone(),
    };
    let signature = sign_with_label(signing_key, FRANKING_INTEGRITY_LABEL, &tbs.to_bytes());
    Frank {
        server_frank: tbs.server_frank,
        franking_signature_ciphersuite: ciphersuite,
        franking_integrity_signature: signature.into(),
    }
}

/// Verifies a frank's integrity signature over `context` with a raw Ed25519 public key
/// (PROTO §5.4.1.3 step 4, §5.9 step 4).
fn check_signature(
    frank: &Frank,
    context: &ServerFrankingContext,
    franking_public_key: &[u8],
) -> Result<(), FrankingError> {
    let suite = frank.franking_signature_ciphersuite;
    if suite != crate::ids::CIPHERSUITE {
        return Err(FrankingError::UnsupportedCiphersuite { suite });
    }
    let tbs = FrankingIntegrityTbs {
        server_frank: frank.server_frank,
        franking_signature_ciphersuite: suite,
        context: context.clone(),
    };
    verify_with_label(
        franking_public_key,
        FRANKING_INTEGRITY_LABEL,
        &encode(&tbs),
        frank.franking_integrity_signature.as_slice(),
        "frank",
    )
    .map_err(|_| FrankingError::BadSignature)
}

/// The sender and room URIs a franked content commits to (extension keys 1 and 2).
fn committed_uris(content: &crate::content::MimiContent) -> Result<(&str, &str), FrankingError> {
    let sender = content
        .sender_uri
        .as_deref()
        .ok_or(FrankingError::MissingSenderUri)?;
    let room = content
        .room_uri
        .as_deref()
        .ok_or(FrankingError::MissingRoomUri)?;
    Ok((sender, room))
}

/// PROTO §5.4.1.2: the `frank_aad` Safe AAD item (0x0020) of a message's authenticated data, if
/// it has one. Outside bytes, so decoded through the reader: tls_codec's byte-slice decoder
/// asserts (in debug builds) on a vector shorter than its length says, instead of refusing it.
pub fn frank_aad_item(authenticated_data: &[u8]) -> Option<Vec<u8>> {
    let mut reader = authenticated_data;
    let aad =
        <openmls::framing::SafeAad as tls_codec::Deserialize>::tls_deserialize(&mut reader).ok()?;
    aad.get(crate::ids::FRANK_AAD).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod aad_tests {
    use super::frank_aad_item;
    use openmls::framing::{SafeAad, SafeAadItem};
    use tls_codec::Serialize as _;

    #[test]
    fn the_frank_item_is_found_and_truncated_or_foreign_aad_is_none_without_panicking() {
        let aad = SafeAad::from_items(vec![SafeAadItem::new(crate::ids::FRANK_AAD, vec![7; 40])])
            .unwrap()
            .tls_serialize_detached()
            .unwrap();
        assert_eq!(frank_aad_item(&aad), Some(vec![7; 40]));
        for cut in 0..aad.len() {
            assert_eq!(frank_aad_item(&aad[..cut]), None, "cut at {cut}");
        }
        // A length prefix that promises far more than follows (a pseudonymous AddAAD, say).
        assert_eq!(frank_aad_item(&[0x6c, 0x50, 0x00, 0x01, 0x02]), None);
    }
}
