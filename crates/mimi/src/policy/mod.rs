//! The room-policy engine (POLICY -03 with PROTO §7.5; `specs/mimi.md` §2): pure functions, run
//! by the hub and by every client between staging and merging a handshake (DESIGN "One policy
//! engine, two enforcement points").
//!
//! # The algorithm (POLICY §8.1, `specs/mimi.md` §2.3)
//!
//! A room's policy state is its `roles_list`, `participant_list`, `base_room_policy`,
//! `preauth_list` and `room_metadata` components plus the clients in its MLS group
//! ([`PolicyState`]). An *actor* (a listed user, an unlisted user, or the hub as external sender)
//! wants to move a *target* user from role `from` (0 = not listed) to role `to` (0 = removed):
//!
//! 1. The actor's role (its listed role, else role 0; the hub's is its first matching preauth
//!    entry) must hold the capability of the kind of move: canAddParticipant (0 → r), canRemove-
//!    Participant (r → 0), canBan (r → 1 "banned"), canUnban (1 → r), canChangeUserRole (r → r'),
//!    canRemoveSelf (own r → 0), canChangeOwnRole (own r → first preauth match), canOpenJoin /
//!    canUseJoinCode (self 0 → r, on role 0), canJoinIfPreauthorized (self 0 → first preauth
//!    match, on that role). Unknown capability code points grant nothing ([`crate::capability`]).
//! 2. The actor's role must have an `authorized_role_changes` entry from `from` containing `to`,
//!    except for canChangeOwnRole and canJoinIfPreauthorized, which use the preauth list instead.
//!    canBan and canUnban also need role 1 to be named exactly `banned`.
//! 3. The role constraints are checked on the counts *after* the change. "Participants" are listed
//!    users; "active" ones have at least one client in the group. A change may not lower a role's
//!    count below its minimum, nor raise it above its maximum. A count already past a bound may
//!    stay there: a fresh room has no policy_enforcer although that role's minimum is 1, and it is
//!    not thereby broken; what the minimum forbids is the last one leaving.
//! 4. The base policy holds after the change: `max_users` (non-banned listed users),
//!    `max_clients`, `multi_device` (at most one client per user), `fixed_membership` (nobody is
//!    added to or removed from the list, leaving included).
//!
//! Client-level moves follow the same pattern: canKick (another user's clients out, role kept),
//! canAddOwnClient, canRemoveOwnClient, each with the active-participant constraints.
//!
//! [`decide_action`] answers this for one high-level [`Action`] (what a UI or CLI asks before it
//! offers a button); [`check_commit`] runs it for a whole commit, interpreting its proposals into
//! actions and adding the commit-level rules of `specs/mimi.md` §2.8 (exclusion rules, "a removal
//! or ban takes all of the user's clients", every client bound to a listed user whose role allows
//! clients). The two agree: an action is allowed by `decide_action` exactly when the commit that
//! carries it out passes `check_commit` (a property test checks this).
//!
//! Denials are [`Denied`] values: `rule` is the draft's name of the capability or constraint that
//! failed (`"canBan"`, `"minimum_participants_constraint"`, `"max_users"`), `reason` a sentence.

mod commit;
mod decide;
mod decision;
mod preauth;
pub mod presets;
mod roles;
mod state;

#[cfg(test)]
mod tests;

use std::fmt;

pub use crate::capability::Capability;
pub use commit::{Item, Proposed, apply_component_updates, check_commit};
pub use decide::{Action, decide_action};
pub use decision::Decision;
pub use preauth::{
    CLAIM_DOMAIN, CLAIM_EXTERNAL_SENDER, CLAIM_USER, claim, first_match, hub_claims, user_claims,
};
pub use presets::Preset;
pub use roles::{validate_base, validate_preauth, validate_roles};
pub use state::PolicyState;

/// A denial: which rule failed, and why, in a sentence a person understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// The capability (the draft's name, e.g. `"canBan"`) or constraint (e.g.
    /// `"minimum_participants_constraint"`, `"max_users"`) that failed.
    pub rule: &'static str,
    /// Why, for people.
    pub reason: String,
}

impl Denied {
    pub(crate) fn new(rule: &'static str, reason: impl Into<String>) -> Self {
        Denied {
            rule,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Denied {}

impl From<Denied> for Decision {
    fn from(d: Denied) -> Self {
        Decision::Denied {
            rule: d.rule,
            reason: d.reason,
        }
    }
}

impl From<Result<(), Denied>> for Decision {
    fn from(r: Result<(), Denied>) -> Self {
        match r {
            Ok(()) => Decision::Allowed,
            Err(d) => d.into(),
        }
    }
}
