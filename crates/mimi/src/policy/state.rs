//! The policy state of a room, the census the constraints are counted on, and the checks of
//! constraints and base policy that every change runs on the state after it.

use std::collections::BTreeMap;

use super::Denied;
use super::presets::Preset;
use super::roles::{validate_base, validate_preauth, validate_roles};
use crate::components::{
    BaseRoomPolicy, ParticipantListData, PreAuthData, Role, RoleData, RoomMetaData, UserRolePair,
};
use crate::credential::ClientIdentity;
use crate::uri::UserUri;

/// Everything the room policy reads: the policy components and the clients in the MLS group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyState {
    /// `roles_list`.
    pub roles: RoleData,
    /// `participant_list`.
    pub participants: ParticipantListData,
    /// `base_room_policy`.
    pub base: BaseRoomPolicy,
    /// `preauth_list`.
    pub preauth: PreAuthData,
    /// `room_metadata`, if the room has it.
    pub metadata: Option<RoomMetaData>,
    /// Every client in the MLS group, with its user.
    pub clients: Vec<ClientIdentity>,
}

impl PolicyState {
    /// A new room: the preset's roles, base policy and preauth list, the creator's user listed
    /// with [`Preset::creator_role`] and its one client in the group. It passes
    /// [`PolicyState::validate`].
    pub fn create(
        preset: Preset,
        creator: &ClientIdentity,
        metadata: Option<RoomMetaData>,
    ) -> PolicyState {
        PolicyState {
            roles: preset.roles(),
            participants: ParticipantListData {
                participants: vec![UserRolePair {
                    user: creator.user.to_bytes().into(),
                    role_index: preset.creator_role(),
                }],
            },
            base: preset.base_policy(),
            preauth: preset.preauth(),
            metadata,
            clients: vec![creator.clone()],
        }
    }

    /// A user's role: its listed role, or 0 if it is not listed.
    pub fn role_of(&self, user: &UserUri) -> u32 {
        self.participants.role_of(&user.to_bytes()).unwrap_or(0)
    }

    /// The role with this index.
    pub fn role(&self, index: u32) -> Option<&Role> {
        self.roles.role(index)
    }

    /// A role's name for sentences: its `role_name`, or "role N" if it is not defined.
    pub fn role_name(&self, index: u32) -> String {
        role_name(&self.roles, index)
    }

    /// The user's clients in the group.
    pub fn clients_of<'a>(&'a self, user: &'a UserUri) -> impl Iterator<Item = &'a ClientIdentity> {
        self.clients.iter().filter(move |c| &c.user == user)
    }

    /// Whether the user has at least one client in the group.
    pub fn is_active(&self, user: &UserUri) -> bool {
        self.clients_of(user).next().is_some()
    }

    /// Whether role 1 exists and is named exactly `banned` (POLICY §8.1.3), which canBan and
    /// canUnban need and which `max_users` does not count.
    pub fn has_banned_role(&self) -> bool {
        has_banned_role(&self.roles)
    }

    /// Checks the invariants a room's state keeps between commits: valid components, no user
    /// listed twice or with role 0, every listed role defined, no client twice, every client bound
    /// to a listed user whose role allows clients, every maximum of the roles and of the base
    /// policy respected. Minimums are not invariants (see the module doc of [`crate::policy`]).
    pub fn validate(&self) -> Result<(), Denied> {
        validate_roles(&self.roles)?;
        validate_preauth(&self.preauth, &self.roles)?;
        validate_base(&self.base)?;
        let census = Census::of(self)?;
        if let Some(c) = self
            .clients
            .iter()
            .find(|c| !census.users.contains_key(&c.user.to_bytes()))
        {
            return Err(Denied::new(
                "binding",
                format!("{} is in the group, but {} is not listed", c.client, c.user),
            ));
        }
        for (user, e) in &census.users {
            let Some(role) = self.roles.role(e.role) else {
                return Err(Denied::new(
                    "roles_list",
                    format!("{} has role {}, which is not defined", show(user), e.role),
                ));
            };
            if e.clients > 0 && !role.allows_active() {
                return Err(Denied::new(
                    "maximum_active_participants_constraint",
                    format!(
                        "{} is {} and may not have clients in the room",
                        show(user),
                        role.name()
                    ),
                ));
            }
        }
        check_counts(&self.roles, &Census::default(), &census, "the room")?;
        check_limits(
            &self.base,
            &census,
            &census,
            self.has_banned_role(),
            true,
            "the room",
        )
    }
}

pub(crate) fn has_banned_role(roles: &RoleData) -> bool {
    roles
        .role(1)
        .is_some_and(|r| r.role_name.as_slice() == b"banned")
}

pub(crate) fn role_name(roles: &RoleData, index: u32) -> String {
    match roles.role(index) {
        Some(r) => r.name(),
        None => format!("role {index}"),
    }
}

/// A user identifier for sentences.
pub(crate) fn show(user: &[u8]) -> String {
    String::from_utf8_lossy(user).into_owned()
}

/// One listed user in a census.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub role: u32,
    pub clients: usize,
}

/// Who is listed with which role, and how many clients each has: what constraints count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Census {
    pub users: BTreeMap<Vec<u8>, Entry>,
    /// Clients whose user is not listed (only ever transiently: the binding rule forbids them).
    pub unbound: usize,
}

impl Census {
    /// The census of a state. Refuses a list that names a user twice or a client listed twice.
    pub fn of(state: &PolicyState) -> Result<Census, Denied> {
        let mut users = BTreeMap::new();
        for p in &state.participants.participants {
            if p.role_index == 0 {
                return Err(Denied::new(
                    "participant_list",
                    format!("{} is listed with role 0", show(p.user.as_slice())),
                ));
            }
            let e = Entry {
                role: p.role_index,
                clients: 0,
            };
            if users.insert(p.user.as_slice().to_vec(), e).is_some() {
                return Err(Denied::new(
                    "participant_list",
                    format!("{} is listed twice", show(p.user.as_slice())),
                ));
            }
        }
        let mut census = Census { users, unbound: 0 };
        // A set, not a scan of the clients before: the census is taken for every decision, and
        // rooms have thousands of clients (BENCHMARKS.md, P3).
        let mut seen = std::collections::HashSet::with_capacity(state.clients.len());
        for c in &state.clients {
            if !seen.insert(&c.client) {
                return Err(Denied::new(
                    "membership",
                    format!("{} is in the group twice", c.client),
                ));
            }
            census.add_client(&c.user.to_bytes());
        }
        Ok(census)
    }

    pub fn add_client(&mut self, user: &[u8]) {
        match self.users.get_mut(user) {
            Some(e) => e.clients += 1,
            None => self.unbound += 1,
        }
    }

    pub fn clients_of(&self, user: &[u8]) -> usize {
        self.users.get(user).map_or(0, |e| e.clients)
    }

    pub fn participants(&self, role: u32) -> usize {
        self.users.values().filter(|e| e.role == role).count()
    }

    pub fn active(&self, role: u32) -> usize {
        self.users
            .values()
            .filter(|e| e.role == role && e.clients > 0)
            .count()
    }

    pub fn total_clients(&self) -> usize {
        self.users.values().map(|e| e.clients).sum::<usize>() + self.unbound
    }

    pub fn non_banned(&self, banned_role: bool) -> usize {
        self.users
            .values()
            .filter(|e| !(banned_role && e.role == 1))
            .count()
    }
}

/// Checks that new roles fit the room as it is: every listed user's role stays defined, no
/// maximum is already exceeded, and the preauth list still names defined roles.
pub(crate) fn roles_fit(
    roles: &RoleData,
    census: &Census,
    preauth: &PreAuthData,
) -> Result<(), Denied> {
    for (user, e) in &census.users {
        if roles.role(e.role).is_none() {
            return Err(Denied::new(
                "roles_list",
                format!(
                    "{} has role {}, which the new roles do not define",
                    show(user),
                    e.role
                ),
            ));
        }
    }
    for r in roles.roles.iter().filter(|r| r.role_index != 0) {
        if let Some(max) = r.maximum_participants_constraint
            && census.participants(r.role_index) > max as usize
        {
            return Err(Denied::new(
                "maximum_participants_constraint",
                format!("{} would allow fewer participants than it has", r.name()),
            ));
        }
        if let Some(max) = r.maximum_active_participants_constraint
            && census.active(r.role_index) > max as usize
        {
            return Err(Denied::new(
                "maximum_active_participants_constraint",
                format!(
                    "{} would allow fewer active participants than it has",
                    r.name()
                ),
            ));
        }
    }
    validate_preauth(preauth, roles)
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// POLICY §3 constraints on the counts after a change (see the module doc of
/// [`crate::policy`]): no role's count may drop below its minimum or rise above its maximum.
/// `context` starts the sentence, e.g. "alice (super_admin) cannot leave".
pub(crate) fn check_counts(
    roles: &RoleData,
    before: &Census,
    after: &Census,
    context: &str,
) -> Result<(), Denied> {
    for role in roles.roles.iter().filter(|r| r.role_index != 0) {
        let r = role.role_index;
        let name = role.name();
        let (p0, p1) = (before.participants(r), after.participants(r));
        let (a0, a1) = (before.active(r), after.active(r));
        let min = role.minimum_participants_constraint;
        if p1 < min as usize && p1 < p0 {
            return Err(Denied::new(
                "minimum_participants_constraint",
                format!(
                    "{context}: {name} needs at least {}",
                    plural(min, "participant", "participants")
                ),
            ));
        }
        if let Some(max) = role.maximum_participants_constraint
            && p1 > max as usize
            && p1 > p0
        {
            return Err(Denied::new(
                "maximum_participants_constraint",
                format!(
                    "{context}: {name} allows at most {}",
                    plural(max, "participant", "participants")
                ),
            ));
        }
        let min = role.minimum_active_participants_constraint;
        if a1 < min as usize && a1 < a0 {
            return Err(Denied::new(
                "minimum_active_participants_constraint",
                format!(
                    "{context}: {name} needs at least {} with a client in the room",
                    plural(min, "participant", "participants")
                ),
            ));
        }
        if let Some(max) = role.maximum_active_participants_constraint
            && a1 > max as usize
            && a1 > a0
        {
            let why = if max == 0 {
                format!("{name} may not have clients in the room")
            } else {
                format!(
                    "{name} allows at most {} with a client in the room",
                    plural(max, "participant", "participants")
                )
            };
            return Err(Denied::new(
                "maximum_active_participants_constraint",
                format!("{context}: {why}"),
            ));
        }
    }
    Ok(())
}

/// POLICY §5 base policy on the state after a change. Limits bind when a count grows or when the
/// base policy itself changes; `fixed_membership` (before or after) forbids any change to who is
/// listed.
pub(crate) fn check_base(
    base_before: &BaseRoomPolicy,
    base_after: &BaseRoomPolicy,
    before: &Census,
    after: &Census,
    banned_role: bool,
    context: &str,
) -> Result<(), Denied> {
    // PROTO §6.1: in a minimal-metadata room every leaf is pseudonymous, in any other room none
    // is, so the switch is fixed for the room's lifetime (Conclave's reading: flipping it would
    // leave leaves of the wrong kind in the tree).
    if base_before.pseudonyms_allowed != base_after.pseudonyms_allowed {
        return Err(Denied::new(
            "pseudonyms_allowed",
            format!("{context}: pseudonyms_allowed is fixed when the room is created"),
        ));
    }
    if (base_before.fixed_membership || base_after.fixed_membership)
        && !before.users.keys().eq(after.users.keys())
    {
        return Err(Denied::new(
            "fixed_membership",
            format!(
                "{context}: this is a fixed-membership room, so nobody may be added, removed or leave"
            ),
        ));
    }
    check_limits(
        base_after,
        before,
        after,
        banned_role,
        base_before != base_after,
        context,
    )
}

/// The limits of a base policy on the census after a change: they bind on every count that grows,
/// and on every count when `strict` (the base policy itself changes, or a state is validated).
pub(crate) fn check_limits(
    base_after: &BaseRoomPolicy,
    before: &Census,
    after: &Census,
    banned_role: bool,
    changed: bool,
    context: &str,
) -> Result<(), Denied> {
    if let Some(max) = base_after.max_users {
        let (n0, n1) = (
            before.non_banned(banned_role),
            after.non_banned(banned_role),
        );
        if n1 > max as usize && (n1 > n0 || changed) {
            return Err(Denied::new(
                "max_users",
                format!(
                    "{context}: the room allows at most {} who are not banned",
                    plural(max, "user", "users")
                ),
            ));
        }
    }
    if let Some(max) = base_after.max_clients {
        let (n0, n1) = (before.total_clients(), after.total_clients());
        if n1 > max as usize && (n1 > n0 || changed) {
            return Err(Denied::new(
                "max_clients",
                format!(
                    "{context}: the room allows at most {}",
                    plural(max, "client", "clients")
                ),
            ));
        }
    }
    if !base_after.multi_device {
        for (user, e) in &after.users {
            if e.clients > 1 && (e.clients > before.clients_of(user) || changed) {
                return Err(Denied::new(
                    "multi_device",
                    format!(
                        "{context}: the room allows one client per user, and {} would have {}",
                        show(user),
                        e.clients
                    ),
                ));
            }
        }
    }
    Ok(())
}
