//! The room-policy engine: one pure function, run by the hub and by every client between staging
//! and merging a handshake (DESIGN "One policy engine, two enforcement points").
//!
//! This is the walking skeleton's seam. It already refuses what no room allows (a non-member
//! acting, an unknown kind of change) and allows what any member may do; POLICY -03's roles and
//! capabilities (§2.3 of `specs/mimi.md`) replace the body of [`decide`] without changing callers.

use crate::credential::ClientIdentity;
use crate::room::{Change, ProposedChange};
use crate::uri::UserUri;

/// The part of a room's state the policy reads.
#[derive(Debug, Clone, Default)]
pub struct RoomState {
    /// Every member client with its user, before the change.
    pub members: Vec<ClientIdentity>,
}

impl RoomState {
    /// Whether the user has at least one client in the room.
    pub fn has_user(&self, user: &UserUri) -> bool {
        self.members.iter().any(|m| &m.user == user)
    }
}

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

/// Decides one proposed change against the room state before it.
pub fn decide(room: &RoomState, proposed: &ProposedChange) -> Decision {
    let Some(actor) = &proposed.proposer else {
        return Decision::Denied {
            rule: "externalSender",
            reason: "changes by external senders are not allowed in this room".into(),
        };
    };
    if !room.members.iter().any(|m| m == actor) {
        return Decision::Denied {
            rule: "membership",
            reason: format!("{} is not a member of the room", actor.client),
        };
    }
    match &proposed.change {
        Change::Add(_) | Change::Remove(_) | Change::Update | Change::SelfRemove => {
            Decision::Allowed
        }
        Change::GroupContextExtensions => Decision::Denied {
            rule: "groupContextExtensions",
            reason: "room state changes only through MIMI components".into(),
        },
        Change::AppDataUpdate => Decision::Denied {
            rule: "appDataUpdate",
            reason: "this room has no components that may change yet".into(),
        },
        Change::Other(what) => Decision::Denied {
            rule: "unknownProposal",
            reason: format!("{what} proposals are not allowed"),
        },
    }
}

/// Decides a whole handshake: the first denial wins.
pub fn decide_all(room: &RoomState, changes: &[ProposedChange]) -> Decision {
    changes
        .iter()
        .map(|c| decide(room, c))
        .find(|d| d != &Decision::Allowed)
        .unwrap_or(Decision::Allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uri::ClientUri;

    fn id(c: &str, u: &str) -> ClientIdentity {
        ClientIdentity {
            client: ClientUri::parse(&format!("mimi://h/d/{c}")).unwrap(),
            user: UserUri::parse(&format!("mimi://h/u/{u}")).unwrap(),
        }
    }

    #[test]
    fn a_member_may_add_and_remove_in_the_skeleton() {
        let room = RoomState {
            members: vec![id("a1", "alice"), id("b1", "bob")],
        };
        for change in [
            Change::Add(id("c1", "carol")),
            Change::Remove(id("b1", "bob")),
            Change::SelfRemove,
        ] {
            let p = ProposedChange {
                proposer: Some(id("a1", "alice")),
                change,
            };
            assert_eq!(decide(&room, &p), Decision::Allowed);
        }
    }

    #[test]
    fn non_members_external_senders_and_unknown_changes_are_refused() {
        let room = RoomState {
            members: vec![id("a1", "alice")],
        };
        let by = |p: Option<ClientIdentity>, change| ProposedChange {
            proposer: p,
            change,
        };
        let cases = [
            (by(Some(id("m1", "mallory")), Change::Update), "membership"),
            (by(None, Change::Update), "externalSender"),
            (
                by(Some(id("a1", "alice")), Change::Other("ReInit")),
                "unknownProposal",
            ),
            (
                by(Some(id("a1", "alice")), Change::GroupContextExtensions),
                "groupContextExtensions",
            ),
        ];
        for (p, rule) in cases {
            match decide(&room, &p) {
                Decision::Denied { rule: r, .. } => assert_eq!(r, rule),
                d => panic!("{p:?} gave {d:?}"),
            }
        }
        let all = decide_all(
            &room,
            &[
                by(Some(id("a1", "alice")), Change::Update),
                by(None, Change::Update),
            ],
        );
        assert!(matches!(
            all,
            Decision::Denied {
                rule: "externalSender",
                ..
            }
        ));
    }
}
