//! The receiver's verification of a franked message (PROTO §5.4.1.3).

use openmls::prelude::Credential;

use super::{
    FrankAad, FrankingAgentData, FrankingError, ServerFrankingContext, check_signature,
    committed_uris, tag_matches,
};
use crate::content::MimiContent;
use crate::wire::Frank;

/// Everything a receiver has after MLS decryption that the checks of PROTO §5.4.1.3 need.
pub struct Received<'a> {
    /// The exact decrypted application data (the MIMI content bytes).
    pub application_data: &'a [u8],
    /// The Safe AAD item 0x0020 bytes, if present.
    pub frank_aad: Option<&'a [u8]>,
    /// The Frank of the FanoutMessage.
    pub frank: Option<&'a Frank>,
    /// `FanoutMessage.timestamp`.
    pub accepted_timestamp: u64,
    /// The group's cipher suite.
    pub group_ciphersuite: u16,
    /// The `franking_agent` component of the GroupContext.
    pub agent: Option<&'a FrankingAgentData>,
    /// The domain of the room URI's hub.
    pub hub_domain: &'a str,
    /// Reads the domain of the agent's credential; the caller verifies credentials.
    pub agent_domain_of: &'a dyn Fn(&Credential) -> Option<String>,
    /// The user URI (or pseudonym) from the sender's leaf credential.
    pub sender_identity: &'a str,
    /// The room the message arrived in.
    pub room_uri: &'a str,
}

/// Runs PROTO §5.4.1.3 steps 1–7 in order and returns the context to store with the message,
/// its frank and its exact bytes (step 8). The first failed check is the error.
pub fn verify_received(r: &Received<'_>) -> Result<ServerFrankingContext, FrankingError> {
    // Step 1: frank_aad in the AAD, Frank (and timestamp) in the fanout.
    let aad = r.frank_aad.ok_or(FrankingError::MissingFrankAad)?;
    let aad = FrankAad::from_bytes(aad)
        .map_err(|_| FrankingError::MalformedFrankAad { len: aad.len() })?;
    let frank = r.frank.ok_or(FrankingError::MissingFrank)?;

    // Step 2.
    if frank.franking_signature_ciphersuite != r.group_ciphersuite {
        return Err(FrankingError::CiphersuiteMismatch {
            frank: frank.franking_signature_ciphersuite,
            group: r.group_ciphersuite,
        });
    }

    // Step 3: the franking agent must be the hub.
    let agent = r.agent.ok_or(FrankingError::MissingFrankingAgent)?;
    let agent_domain =
        (r.agent_domain_of)(&agent.credential).ok_or(FrankingError::AgentDomainUnknown)?;
    if agent_domain != r.hub_domain {
        return Err(FrankingError::AgentNotHub {
            agent_domain,
            hub_domain: r.hub_domain.to_owned(),
        });
    }

    // Step 4: rebuild the context from the content and the fanout timestamp; verify the hub's
    // signature over it.
    let content = MimiContent::decode(r.application_data).map_err(FrankingError::Content)?;
    let (sender, room) = committed_uris(&content)?;
    let context = ServerFrankingContext::new(sender, room, r.accepted_timestamp);
    check_signature(frank, &context, agent.franking_signature_key.as_slice())?;

    // Step 5.
    if !tag_matches(&content.salt, r.application_data, &aad.franking_tag) {
        return Err(FrankingError::TagMismatch);
    }

    // Step 6: in an MMR the leaf identity is the pseudonym (specs/mimi.md §4.7).
    if sender != r.sender_identity {
        return Err(FrankingError::SenderMismatch {
            content: sender.to_owned(),
            credential: r.sender_identity.to_owned(),
        });
    }

    // Step 7.
    if room != r.room_uri {
        return Err(FrankingError::RoomMismatch {
            content: room.to_owned(),
            expected: r.room_uri.to_owned(),
        });
    }

    Ok(context)
}
