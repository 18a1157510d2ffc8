//! Why a frank or a reported message did not verify.

use thiserror::Error;

use crate::content::ContentError;

/// One failed check of PROTO §5.4.1.3 (receiver) or §5.9 (hub, on a report). A receiver marks
/// the message "unverified" and does not offer to report it; the hub refuses the report.
/// [`FrankingError::code`] gives a stable snake_case code per variant.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrankingError {
    /// Step 1: the PrivateMessage AAD has no `frank_aad` item.
    #[error("the message is not franked: its AAD has no frank_aad (0x0020) item")]
    MissingFrankAad,
    /// Step 1: the `frank_aad` item is not a 32-byte `FrankAAD`.
    #[error("the frank_aad item is {len} bytes long; a FrankAAD is exactly 32")]
    MalformedFrankAad {
        /// The length received.
        len: usize,
    },
    /// Step 1: the fanout carried no `Frank`.
    #[error("the message is not franked: the hub sent no Frank with it")]
    MissingFrank,
    /// Step 2: the frank names another cipher suite than the group's.
    #[error("the frank uses cipher suite {frank:#06x} but the group uses {group:#06x}")]
    CiphersuiteMismatch {
        /// The frank's `franking_signature_ciphersuite`.
        frank: u16,
        /// The group's cipher suite.
        group: u16,
    },
    /// Step 4 / report step 4: Conclave verifies only Ed25519 (suite 0x0001) signatures.
    #[error("the frank uses cipher suite {suite:#06x}, whose signatures Conclave cannot verify")]
    UnsupportedCiphersuite {
        /// The frank's `franking_signature_ciphersuite`.
        suite: u16,
    },
    /// Step 3: the GroupContext has no `franking_agent` (0x0021).
    #[error("the room has no franking agent in its GroupContext, so no frank can be verified")]
    MissingFrankingAgent,
    /// Step 3: the franking agent's credential names no domain the caller can read.
    #[error("the franking agent's credential names no domain")]
    AgentDomainUnknown,
    /// Step 3: the franking agent is not the hub.
    #[error("the franking agent belongs to {agent_domain}, not to the room's hub {hub_domain}")]
    AgentNotHub {
        /// The domain of the agent's credential.
        agent_domain: String,
        /// The hub's domain.
        hub_domain: String,
    },
    /// Step 4 / report step 1: the franked bytes are not valid MIMI content.
    #[error("the franked message is not valid MIMI content: {0}")]
    Content(ContentError),
    /// Step 4 / report step 1: the content commits to no sender URI (extension key 1).
    #[error("the franked content has no sender URI (extension key 1)")]
    MissingSenderUri,
    /// Step 4 / report step 1: the content commits to no room URI (extension key 2).
    #[error("the franked content has no room URI (extension key 2)")]
    MissingRoomUri,
    /// Step 4 / report step 4: the hub's integrity signature does not verify over the server
    /// frank and the context (sender, room, timestamp): forged or altered on the way.
    #[error(
        "the frank's integrity signature does not verify: the server frank, sender, room or \
         timestamp was altered, or another key signed it"
    )]
    BadSignature,
    /// Step 5: the content does not hash to the `franking_tag` the sender put in the AAD.
    #[error("the content does not match the franking tag in the AAD")]
    TagMismatch,
    /// Step 6: the content's sender URI is not the identity in the sender's leaf credential.
    #[error("the content claims sender {content} but the leaf credential is {credential}")]
    SenderMismatch {
        /// The sender URI in the content.
        content: String,
        /// The identity in the sender's leaf credential.
        credential: String,
    },
    /// Step 7 / report: the content's room URI is not the room it arrived in or was reported in.
    #[error("the content claims room {content} but it belongs to {expected}")]
    RoomMismatch {
        /// The room URI in the content.
        content: String,
        /// The room of the received message or of the report.
        expected: String,
    },
    /// Report step 3: the reported message, timestamp and context do not give the reported
    /// `server_frank` under this hub key.
    #[error(
        "the reported server frank does not match the message, sender, room and timestamp under \
         this hub's key"
    )]
    ServerFrankMismatch,
}

impl FrankingError {
    /// A stable snake_case code for logs and API answers.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingFrankAad => "frank_aad_missing",
            Self::MalformedFrankAad { .. } => "frank_aad_malformed",
            Self::MissingFrank => "frank_missing",
            Self::CiphersuiteMismatch { .. } => "frank_ciphersuite_mismatch",
            Self::UnsupportedCiphersuite { .. } => "frank_ciphersuite_unsupported",
            Self::MissingFrankingAgent => "franking_agent_missing",
            Self::AgentDomainUnknown => "franking_agent_domain_unknown",
            Self::AgentNotHub { .. } => "franking_agent_not_hub",
            Self::Content(_) => "frank_content_invalid",
            Self::MissingSenderUri => "frank_sender_uri_missing",
            Self::MissingRoomUri => "frank_room_uri_missing",
            Self::BadSignature => "frank_bad_signature",
            Self::TagMismatch => "frank_tag_mismatch",
            Self::SenderMismatch { .. } => "frank_sender_mismatch",
            Self::RoomMismatch { .. } => "frank_room_mismatch",
            Self::ServerFrankMismatch => "server_frank_mismatch",
        }
    }
}
