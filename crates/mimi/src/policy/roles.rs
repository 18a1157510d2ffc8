//! Validity of the policy components themselves: what a RoleUpdate, PreAuthUpdate or
//! BaseRoomUpdate must satisfy before the engine asks who proposed it. Everything here fails
//! closed: what the engine could not enforce exactly is refused, not ignored.

use std::collections::BTreeSet;

use super::Denied;
use crate::capability::Capability;
use crate::components::{BaseRoomPolicy, PreAuthData, RoleData};
use crate::ids::{PARTICIPANT_LIST, PREAUTH_LIST, ROLES_LIST};

/// The components `policy_component_ids` may name: the ones this engine enforces.
const ENFORCED_COMPONENTS: [u16; 3] = [PARTICIPANT_LIST, ROLES_LIST, PREAUTH_LIST];

/// Checks a `RoleData` on its own: unique role indexes; only registered capabilities (an unknown
/// code point is refused, because members could not agree on what it grants); canOpenJoin only on
/// role 0 (POLICY §8.1.1); no minimum above its maximum; `authorized_role_changes` with one entry
/// per source role and only indexes of defined roles (or 0).
pub fn validate_roles(roles: &RoleData) -> Result<(), Denied> {
    let bad = |s: String| Err(Denied::new("roles_list", s));
    let mut indexes = BTreeSet::new();
    for r in &roles.roles {
        if !indexes.insert(r.role_index) {
            return bad(format!("role index {} is defined twice", r.role_index));
        }
    }
    for r in &roles.roles {
        let name = r.name();
        if let Some(c) = r.role_capabilities.iter().find(|c| !c.is_known()) {
            return bad(format!(
                "{name} lists {c}, which is not a registered MIMI capability"
            ));
        }
        if r.role_index != 0 && r.lists(Capability::CAN_OPEN_JOIN) {
            return bad(format!(
                "{name} holds canOpenJoin, which only role 0 may hold"
            ));
        }
        if let Some(max) = r.maximum_participants_constraint
            && r.minimum_participants_constraint > max
        {
            return bad(format!("{name} needs more participants than it allows"));
        }
        if let Some(max) = r.maximum_active_participants_constraint
            && r.minimum_active_participants_constraint > max
        {
            return bad(format!(
                "{name} needs more active participants than it allows"
            ));
        }
        let mut sources = BTreeSet::new();
        for e in &r.authorized_role_changes {
            if !sources.insert(e.from_role_index) {
                return bad(format!(
                    "{name} has two authorized_role_changes entries from role {}",
                    e.from_role_index
                ));
            }
            let undefined = std::iter::once(&e.from_role_index)
                .chain(&e.target_role_indexes)
                .find(|i| **i != 0 && !indexes.contains(*i));
            if let Some(i) = undefined {
                return bad(format!(
                    "{name}'s authorized_role_changes name role {i}, which is not defined"
                ));
            }
        }
    }
    Ok(())
}

/// Checks a `PreAuthData` against the roles: every entry grants a defined, non-zero role.
pub fn validate_preauth(preauth: &PreAuthData, roles: &RoleData) -> Result<(), Denied> {
    for e in &preauth.preauthorized_entries {
        let i = e.target_role.role_index;
        if i == 0 || roles.role(i).is_none() {
            return Err(Denied::new(
                "preauth_list",
                format!(
                    "a preauthorized entry grants role {i}, which is not a defined listed role"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a `BaseRoomPolicy` on its own. Parent-dependent rooms are refused: the engine cannot
/// see the parent's participant list, so it could not enforce "a strict subset of the parent's".
/// `policy_component_ids` may name only the components this engine enforces (0x0022, 0x0025,
/// 0x0026), each once.
pub fn validate_base(base: &BaseRoomPolicy) -> Result<(), Denied> {
    if base.parent_dependant {
        return Err(Denied::new(
            "parent_dependant",
            "parent-dependent rooms are not supported",
        ));
    }
    if !base.parent_room.is_empty() {
        return Err(Denied::new(
            "parent_dependant",
            "parent_room must be empty in a room that does not depend on a parent",
        ));
    }
    let mut seen = BTreeSet::new();
    for id in &base.policy_component_ids {
        if !ENFORCED_COMPONENTS.contains(id) {
            return Err(Denied::new(
                "policy_component_ids",
                format!("component {id:#06x} is not a policy component this room can enforce"),
            ));
        }
        if !seen.insert(*id) {
            return Err(Denied::new(
                "policy_component_ids",
                format!("component {id:#06x} is listed twice"),
            ));
        }
    }
    Ok(())
}
