//! The hub's verification of a reported message (PROTO §5.9).

use super::{
    AbusiveMessage, FrankingError, ServerFrankingContext, check_signature, committed_uris,
    franking_tag, server_frank_matches,
};
use crate::content::MimiContent;

/// A reported message whose frank the hub has verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReport {
    /// Who sent it, as the content committed and the hub vouched.
    pub sender_uri: String,
    /// The room.
    pub room_uri: String,
    /// When the hub accepted it, ms since the UNIX epoch.
    pub accepted_timestamp: u64,
    /// The first text part, for the operator.
    pub text: Option<String>,
}

/// PROTO §5.9 steps 1–4 with no stored copy: parse the content (salt, sender, room), check it
/// belongs to `expected_room`, recompute the tag, the context and `server_frank` with `hub_key`,
/// and verify the hub's own signature with `franking_public_key` (raw Ed25519).
pub fn verify_reported(
    m: &AbusiveMessage,
    hub_key: &[u8; 32],
    franking_public_key: &[u8],
    expected_room: &str,
) -> Result<VerifiedReport, FrankingError> {
    // Step 1.
    let bytes = m.message_content.as_slice();
    let content = MimiContent::decode(bytes).map_err(FrankingError::Content)?;
    let (sender, room) = committed_uris(&content)?;
    // The report is posted to /reportAbuse/{roomId}: a message of another room is not this
    // room's business, even when its frank is genuine.
    if room != expected_room {
        return Err(FrankingError::RoomMismatch {
            content: room.to_owned(),
            expected: expected_room.to_owned(),
        });
    }

    // Steps 2 and 3.
    let tag = franking_tag(&content.salt, bytes);
    let context = ServerFrankingContext::new(sender, room, m.accepted_timestamp);
    if !server_frank_matches(hub_key, &tag, &context, &m.frank.server_frank) {
        return Err(FrankingError::ServerFrankMismatch);
    }

    // Step 4.
    check_signature(&m.frank, &context, franking_public_key)?;

    Ok(VerifiedReport {
        sender_uri: sender.to_owned(),
        room_uri: room.to_owned(),
        accepted_timestamp: m.accepted_timestamp,
        text: content.text_body(),
    })
}
