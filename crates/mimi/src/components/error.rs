//! Errors of component data and component updates: bytes that do not decode, or an update that
//! cannot be applied. A *denial* (an action the policy forbids) is [`crate::policy::Denied`], not an error.

use thiserror::Error;

use crate::error::WireError;

/// Component data or an update that is malformed or cannot be applied.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComponentError {
    /// The bytes are not a valid encoding of the component's struct.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// A ParticipantListUpdate that does not fit the list it is applied to.
    #[error("the participant list update cannot be applied: {0}")]
    ParticipantList(String),
    /// A component this engine does not interpret, so it cannot apply updates to it.
    #[error("component {0:#06x} is not interpreted by the room policy")]
    UnknownComponent(u16),
    /// An AppDataUpdate list that holds no update (MLSEXT §4.7 needs one or more).
    #[error("no update for component {0:#06x}")]
    NoUpdate(u16),
}
