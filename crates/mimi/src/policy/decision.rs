//! The engine's answer to one question.

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The change may be made.
    Allowed,
    /// It may not; `rule` names the capability or constraint that failed.
    Denied {
        /// The capability or constraint.
        rule: &'static str,
        /// A sentence a person understands.
        reason: String,
    },
}

impl Decision {
    /// Turns a denial into an error value.
    pub fn into_result(self) -> Result<(), (&'static str, String)> {
        match self {
            Decision::Allowed => Ok(()),
            Decision::Denied { rule, reason } => Err((rule, reason)),
        }
    }
}
