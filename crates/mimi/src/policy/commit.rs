//! The commit-level check the hub and every client run between staging and merging
//! (`specs/mimi.md` §2.8), and the AppDataUpdate interpreter for MIMI's policy components
//! (MLSEXT §4.7).
//!
//! [`check_commit`] works in this order, and the first failure is the answer:
//! 1. Proposers: every proposer is a member client, the external committer, or a client asking to
//!    be added by its own proposal; the committer is a member unless the commit is its own external
//!    join. A client never commits its own removal (POLICY §8.1.2).
//! 2. Shape (POLICY §3, §4; PROTO §7.6): unknown components and unknown proposal kinds are refused;
//!    at most one update per component; a RoleUpdate never shares a commit with a participant-list
//!    update; a PreAuthUpdate shares one only with an update that only removes users.
//! 3. The state after the commit is computed (the participant-list update applied, the roles,
//!    preauth list, base policy and metadata replaced, the clients added and removed).
//! 4. Each participant-list operation is interpreted as an action of its proposer and authorized
//!    against the state *before* the commit (capability and `authorized_role_changes`): a role
//!    change into role 1 "banned" is a ban, out of it an unban, another change a role change
//!    (one's own: canChangeOwnRole); a removal of oneself is leaving, of another a removal; an
//!    append of oneself is a join (canJoinIfPreauthorized, else canOpenJoin), of another an add
//!    (as role 1: a ban).
//! 5. Each client change is interpreted: an added client of a user appended in this commit is
//!    covered by that add (its proposer, or the user itself, adds it); of a user listed before, it
//!    is canAddOwnClient by that user; of anyone else it is refused. A removed client of a user
//!    removed or banned in this commit is part of that; one's own is canRemoveOwnClient; another
//!    listed user's is a kick (canKick; a kick may take some of the clients). Removing a client
//!    whose user is not listed at all is allowed: it only repairs the binding.
//! 6. A removal, ban or leave takes all of the user's clients (POLICY §8.1.2, §8.1.3).
//! 7. Binding (PROTO §4.2): every client after the commit belongs to a listed user whose role
//!    allows clients.
//! 8. Component updates are authorized (canChangeRoleDefinitions, canChangePreauthorizedUserList,
//!    canChangeRoomMembershipStyle, one canChangeRoom* per metadata field that changes; the room
//!    URI never changes) and validated; a ReInit needs canSendMLSReinitProposal.
//! 9. The role constraints and the base policy hold on the counts after the commit.
//!
//! Join codes have no wire form in -03, so a commit cannot show that a joiner used one: a
//! self-append is judged as canJoinIfPreauthorized or canOpenJoin only.

use std::collections::BTreeMap;

use super::Denied;
use super::decide::{
    Actor, Move, authorize_base, authorize_metadata, authorize_move, authorize_preauth,
    authorize_roles, classify, require,
};
use super::preauth::{first_match, user_claims};
use super::state::{Census, PolicyState, check_base, check_counts, has_banned_role, show};
use crate::capability::Capability;
use crate::components::ComponentError;
use crate::components::{
    BaseRoomPolicy, ParticipantListData, ParticipantListUpdate, PreAuthData, RoleData, RoomMetaData,
};
use crate::credential::ClientIdentity;
use crate::ids::{
    BASE_ROOM_POLICY, PARTICIPANT_LIST, PREAUTH_LIST, ROLES_LIST, ROOM_METADATA, component_name,
};

/// One thing a commit does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An AppDataUpdate of `participant_list`.
    ParticipantList(ParticipantListUpdate),
    /// An AppDataUpdate of `roles_list` (a RoleUpdate).
    Roles(RoleData),
    /// An AppDataUpdate of `preauth_list` (a PreAuthUpdate).
    Preauth(PreAuthData),
    /// An AppDataUpdate of `base_room_policy`.
    Base(BaseRoomPolicy),
    /// An AppDataUpdate of `room_metadata`.
    Metadata(RoomMetaData),
    /// An AppDataUpdate (or remove) of a component the policy does not interpret: refused.
    UnknownComponent(u16),
    /// An MLS Add of this client (or the external joiner's own client).
    AddClient(ClientIdentity),
    /// An MLS Remove of this client.
    RemoveClient(ClientIdentity),
    /// A SelfRemove by this client (MLSEXT §6.3).
    SelfRemove(ClientIdentity),
    /// An MLS Update proposal: the proposer refreshes its own leaf. Any member may.
    Update,
    /// An MLS ReInit proposal: canSendMLSReinitProposal.
    ReInit,
    /// Anything else, by name: refused.
    Other(&'static str),
}

/// An item with its proposer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposed {
    /// The proposing client; `None` for an external sender (the hub).
    pub by: Option<ClientIdentity>,
    /// What it proposes.
    pub item: Item,
}

fn actor_of(by: &Option<ClientIdentity>) -> Actor {
    match by {
        Some(c) => Actor::User(c.user.clone()),
        None => Actor::Hub,
    }
}

fn deny<T>(rule: &'static str, reason: impl Into<String>) -> Result<T, Denied> {
    Err(Denied::new(rule, reason))
}

/// Checks a whole commit against the state before it; returns the state after it, or the first
/// denial. `committer` is the committing client (for an external commit, the joiner's client).
pub fn check_commit(
    before: &PolicyState,
    committer: &ClientIdentity,
    items: &[Proposed],
) -> Result<PolicyState, Denied> {
    let census0 = Census::of(before)?;

    // 1. Proposers and committer.
    let is_member = |c: &ClientIdentity| before.clients.contains(c);
    let adds_itself = |c: &ClientIdentity| {
        items
            .iter()
            .any(|p| p.by.as_ref() == Some(c) && p.item == Item::AddClient(c.clone()))
    };
    if !is_member(committer) && !adds_itself(committer) {
        return deny(
            "membership",
            format!("{} is not a member of the room", committer.client),
        );
    }
    for p in items {
        if let Some(by) = &p.by
            && !is_member(by)
            && by != committer
            && p.item != Item::AddClient(by.clone())
        {
            return deny(
                "membership",
                format!("{} is not a member of the room", by.client),
            );
        }
    }

    // 2. Shape.
    let mut list = None;
    let mut roles = None;
    let mut preauth = None;
    let mut base = None;
    let mut metadata = None;
    let mut added: Vec<(&Option<ClientIdentity>, &ClientIdentity)> = Vec::new();
    let mut removed: Vec<(&Option<ClientIdentity>, &ClientIdentity)> = Vec::new();
    fn once<'a, T>(
        slot: &mut Option<(&'a Option<ClientIdentity>, &'a T)>,
        by: &'a Option<ClientIdentity>,
        v: &'a T,
        id: u16,
    ) -> Result<(), Denied> {
        if slot.replace((by, v)).is_some() {
            return deny(
                "AppDataUpdate",
                format!(
                    "the commit updates {} twice; one update per component per commit",
                    component_name(id).unwrap_or("a component")
                ),
            );
        }
        Ok(())
    }
    for p in items {
        match &p.item {
            Item::ParticipantList(u) => once(&mut list, &p.by, u, PARTICIPANT_LIST)?,
            Item::Roles(r) => once(&mut roles, &p.by, r, ROLES_LIST)?,
            Item::Preauth(r) => once(&mut preauth, &p.by, r, PREAUTH_LIST)?,
            Item::Base(b) => once(&mut base, &p.by, b, BASE_ROOM_POLICY)?,
            Item::Metadata(m) => once(&mut metadata, &p.by, m, ROOM_METADATA)?,
            Item::UnknownComponent(id) => {
                return deny(
                    "unknown_component",
                    format!(
                        "the commit changes component {id:#06x}{}, which this room's policy does not interpret",
                        component_name(*id)
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    ),
                );
            }
            Item::Other(what) => {
                return deny(
                    "unknown_proposal",
                    format!("{what} proposals are not allowed in this room"),
                );
            }
            Item::AddClient(c) => added.push((&p.by, c)),
            Item::RemoveClient(c) => removed.push((&p.by, c)),
            Item::SelfRemove(c) => {
                if p.by.as_ref() != Some(c) {
                    return deny(
                        "membership",
                        format!("a SelfRemove of {} must come from that client", c.client),
                    );
                }
                removed.push((&p.by, c));
            }
            Item::Update | Item::ReInit => {}
        }
    }
    if let Some((_, u)) = list {
        if roles.is_some() {
            return deny(
                "RoleUpdate",
                "a RoleUpdate may not share a commit with a participant-list change (POLICY §3)",
            );
        }
        if preauth.is_some() && !u.only_removes() {
            return deny(
                "PreAuthUpdate",
                "a PreAuthUpdate may share a commit only with participant-list removals (POLICY §4)",
            );
        }
    }

    // 3. The state after.
    for (i, (_, c)) in added.iter().enumerate() {
        if before.clients.iter().any(|d| d.client == c.client)
            || added[..i].iter().any(|(_, d)| d.client == c.client)
        {
            return deny(
                "membership",
                format!("{} is added but already in the group", c.client),
            );
        }
    }
    for (i, (_, c)) in removed.iter().enumerate() {
        if !is_member(c) {
            return deny(
                "membership",
                format!("{} is removed but not in the group", c.client),
            );
        }
        if removed[..i].iter().any(|(_, d)| d == c) {
            return deny("membership", format!("{} is removed twice", c.client));
        }
    }
    if removed.iter().any(|(_, c)| *c == committer) {
        return deny(
            "membership",
            format!(
                "{} cannot commit its own removal (POLICY §8.1.2)",
                committer.client
            ),
        );
    }
    let mut after = before.clone();
    if let Some((_, u)) = list {
        after.participants = before
            .participants
            .apply(u)
            .map_err(|e| Denied::new("participant_list", e.to_string()))?;
    }
    if let Some((_, r)) = roles {
        after.roles = r.clone();
    }
    if let Some((_, p)) = preauth {
        after.preauth = p.clone();
    }
    if let Some((_, b)) = base {
        after.base = b.clone();
    }
    if let Some((_, m)) = metadata {
        after.metadata = Some(m.clone());
    }
    after
        .clients
        .retain(|c| !removed.iter().any(|(_, d)| *d == c));
    after
        .clients
        .extend(added.iter().map(|(_, c)| (*c).clone()));
    let census1 = Census::of(&after)?;

    // 4. Participant-list operations, authorized against the state before.
    let mut gone: BTreeMap<Vec<u8>, Move> = BTreeMap::new();
    let mut appended: Vec<&[u8]> = Vec::new();
    if let Some((by, u)) = list {
        let actor = actor_of(by);
        let me = actor.user_bytes();
        let old = &before.participants.participants;
        for c in &u.changed_role_participants {
            let Some(p) = old.get(c.user_index as usize) else {
                return deny("participant_list", "a role change names no participant");
            };
            let user = p.user.as_slice();
            let (from, to) = (p.role_index, c.role_index);
            if from == to {
                return deny(
                    "participant_list",
                    format!(
                        "the commit changes {} to the role they already have",
                        show(user)
                    ),
                );
            }
            let kind = classify(before, me.as_deref() == Some(user), from, to);
            authorize_move(before, &actor, user, from, to, kind)?;
            if kind == Move::Ban {
                gone.insert(user.to_vec(), kind);
            }
        }
        for &i in &u.removed_indices {
            let Some(p) = old.get(i as usize) else {
                return deny("participant_list", "a removal names no participant");
            };
            let user = p.user.as_slice();
            let kind = classify(before, me.as_deref() == Some(user), p.role_index, 0);
            authorize_move(before, &actor, user, p.role_index, 0, kind)?;
            gone.insert(user.to_vec(), kind);
        }
        for a in &u.added_participants {
            let user = a.user.as_slice();
            let to = a.role_index;
            if me.as_deref() == Some(user) {
                self_join(before, &actor, user, to)?;
            } else {
                let kind = classify(before, false, 0, to);
                authorize_move(before, &actor, user, 0, to, kind)?;
            }
            appended.push(user);
        }
    }

    // 5. Client changes.
    let list_by = list.map(|(by, _)| by);
    for (by, c) in &added {
        let user = c.user.to_bytes();
        let by_owner = by.as_ref().is_some_and(|b| b.user == c.user);
        if appended.contains(&user.as_slice()) {
            if list_by != Some(*by) && !by_owner {
                return deny(
                    "canAddParticipant",
                    format!(
                        "{} may be added only by whoever lists {} or by {} themselves",
                        c.client, c.user, c.user
                    ),
                );
            }
        } else if gone.contains_key(&user) {
            return deny(
                "binding",
                format!(
                    "{} cannot join: {} leaves the list in this commit",
                    c.client, c.user
                ),
            );
        } else if let Some(entry) = census0.users.get(&user) {
            if by_owner {
                require(
                    before,
                    &actor_of(by),
                    Capability::CAN_ADD_OWN_CLIENT,
                    "add a client",
                )?;
            } else {
                // Conclave's reading where POLICY §8.1 is silent: letting a listed user's clients
                // back in (after a kick) is adding that user's clients, which canAddParticipant
                // authorizes when the adder could have added the user in their current role.
                let adder = by
                    .as_ref()
                    .and_then(|b| before.role(before.role_of(&b.user)));
                let may = adder.is_some_and(|r| {
                    r.lists(Capability::CAN_ADD_PARTICIPANT) && r.may_move(0, entry.role)
                });
                if !may {
                    return deny(
                        "canAddOwnClient",
                        format!(
                            "{} may be added only by {} themselves, or by someone who may add {} as {}",
                            c.client,
                            c.user,
                            c.user,
                            before.role_name(entry.role)
                        ),
                    );
                }
            }
        } else {
            return deny(
                "binding",
                format!("{} cannot join: {} is not listed", c.client, c.user),
            );
        }
    }
    for (by, c) in &removed {
        let user = c.user.to_bytes();
        let by_owner = by.as_ref().is_some_and(|b| b.user == c.user);
        if gone.contains_key(&user) || !census0.users.contains_key(&user) {
            continue;
        }
        if by_owner {
            require(
                before,
                &actor_of(by),
                Capability::CAN_REMOVE_OWN_CLIENT,
                "remove a client",
            )?;
        } else {
            require(
                before,
                &actor_of(by),
                Capability::CAN_KICK,
                &format!("kick {}", c.user),
            )?;
        }
    }

    // 6. Removals, bans and leaving take every client of the user.
    for (user, kind) in &gone {
        if let Some(c) = after.clients.iter().find(|c| c.user.to_bytes() == *user) {
            let what = match kind {
                Move::Ban => "a ban",
                Move::Leave => "leaving",
                _ => "a removal",
            };
            return deny(
                kind.capability().rule(),
                format!(
                    "{what} must take all of {}'s clients out of the group, but {} stays",
                    show(user),
                    c.client
                ),
            );
        }
    }

    // 7. Binding.
    for c in &after.clients {
        let Some(e) = census1.users.get(&c.user.to_bytes()) else {
            return deny(
                "binding",
                format!("{} is in the group, but {} is not listed", c.client, c.user),
            );
        };
        match after.roles.role(e.role) {
            None => {
                return deny(
                    "roles_list",
                    format!("{} has role {}, which is not defined", c.user, e.role),
                );
            }
            Some(r) if !r.allows_active() => {
                return deny(
                    "maximum_active_participants_constraint",
                    format!(
                        "{} cannot be in the group: {} is {}, and {} may not have clients in the room",
                        c.client,
                        c.user,
                        r.name(),
                        r.name()
                    ),
                );
            }
            Some(_) => {}
        }
    }

    // 8. Component updates and other proposals.
    if let Some((by, r)) = roles {
        authorize_roles(before, &actor_of(by), r, &census1, &after.preauth)?;
    }
    if let Some((by, p)) = preauth {
        authorize_preauth(before, &actor_of(by), p, &after.roles)?;
    }
    if let Some((by, b)) = base {
        authorize_base(before, &actor_of(by), b, &census1)?;
    }
    if let Some((by, m)) = metadata {
        authorize_metadata(before, &actor_of(by), m)?;
    }
    for p in items {
        if p.item == Item::ReInit {
            require(
                before,
                &actor_of(&p.by),
                Capability::CAN_SEND_MLS_REINIT_PROPOSAL,
                "reinitialize the group",
            )?;
        }
    }

    // 9. Constraints and base policy on the counts after.
    let context = "the commit is refused";
    check_counts(&after.roles, &census0, &census1, context)?;
    check_base(
        &before.base,
        &after.base,
        &census0,
        &census1,
        has_banned_role(&after.roles),
        context,
    )?;
    Ok(after)
}

/// An unlisted actor appending itself: canJoinIfPreauthorized if a preauth entry matches, else
/// canOpenJoin. The denial reported is the preauth one when an entry matched.
fn self_join(state: &PolicyState, actor: &Actor, user: &[u8], to: u32) -> Result<(), Denied> {
    let preauthorized = authorize_move(state, actor, user, 0, to, Move::JoinIfPreauthorized);
    if preauthorized.is_ok() {
        return Ok(());
    }
    let open = authorize_move(state, actor, user, 0, to, Move::OpenJoin);
    if open.is_ok() {
        return Ok(());
    }
    let matched = match actor {
        Actor::User(u) => first_match(&state.preauth, &user_claims(u)).is_some(),
        Actor::Hub => false,
    };
    if matched { preauthorized } else { open }
}

/// The AppDataUpdate interpreter (MLSEXT §4.7): the new data of component `id` from its old data
/// and the updates, in commit order. `participant_list` applies each ParticipantListUpdate in
/// turn (no old data = an empty list); `roles_list`, `preauth_list`, `base_room_policy` and
/// `room_metadata` are replaced by each update, each decoded strictly. Any other component is
/// refused. This is structure only: who may make the update is [`check_commit`]'s question.
pub fn apply_component_updates(
    id: u16,
    old: Option<&[u8]>,
    updates: &[&[u8]],
) -> Result<Vec<u8>, ComponentError> {
    let Some(last) = updates.last() else {
        return Err(ComponentError::NoUpdate(id));
    };
    match id {
        PARTICIPANT_LIST => {
            let mut list = match old {
                Some(b) => ParticipantListData::from_bytes(b)?,
                None => ParticipantListData::default(),
            };
            for u in updates {
                list = list.apply(&ParticipantListUpdate::from_bytes(u)?)?;
            }
            Ok(list.to_bytes())
        }
        ROLES_LIST | PREAUTH_LIST | BASE_ROOM_POLICY | ROOM_METADATA => {
            for u in updates {
                match id {
                    ROLES_LIST => {
                        RoleData::from_bytes(u)?;
                    }
                    PREAUTH_LIST => {
                        PreAuthData::from_bytes(u)?;
                    }
                    BASE_ROOM_POLICY => {
                        BaseRoomPolicy::from_bytes(u)?;
                    }
                    _ => {
                        RoomMetaData::from_bytes(u)?;
                    }
                }
            }
            Ok(last.to_vec())
        }
        _ => Err(ComponentError::UnknownComponent(id)),
    }
}
