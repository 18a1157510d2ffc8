//! One action against one state: the POLICY §8.1 algorithm of the module doc, for the verbs a UI
//! or CLI asks about ([`Action`]), and the pieces [`super::check_commit`] reuses for each
//! operation it finds in a commit.

use super::preauth::{first_match, first_nonzero_role, hub_claims, user_claims};
use super::roles::{validate_base, validate_preauth, validate_roles};
use super::state::{
    Census, Entry, PolicyState, check_base, check_counts, has_banned_role, role_name, roles_fit,
    show,
};
use super::{Decision, Denied};
use crate::capability::Capability;
use crate::components::{BaseRoomPolicy, Claim, PreAuthData, RoleData, RoomMetaData};
use crate::uri::UserUri;

/// What a user may ask to do in a room: the high-level verbs of the UI and CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// canAddParticipant: list an unlisted user with `role` (and add their clients if the role
    /// allows any). Adding someone as role 1 "banned" is a ban of an outsider (canBan).
    Add {
        /// Who.
        target: UserUri,
        /// As what.
        role: u32,
    },
    /// canRemoveParticipant: take another user off the list, with all of their clients.
    /// Removing yourself is [`Action::Leave`].
    Remove {
        /// Who.
        target: UserUri,
    },
    /// canKick: take all of another participant's clients out of the group; the role stays.
    Kick {
        /// Who.
        target: UserUri,
    },
    /// canBan: move another user (listed or not) to role 1 "banned", all clients out.
    Ban {
        /// Who.
        target: UserUri,
    },
    /// canUnban: move a banned user to `role`; their clients are not added.
    Unban {
        /// Who.
        target: UserUri,
        /// To what.
        role: u32,
    },
    /// canChangeUserRole: move another listed user to a non-zero `role`. A move into role 1
    /// "banned" is a ban, a move out of it an unban, and they are judged as such.
    ChangeRole {
        /// Who.
        target: UserUri,
        /// To what.
        role: u32,
    },
    /// canChangeOwnRole: move yourself to the first non-zero role you match in `preauth_list`.
    ChangeOwnRole,
    /// canRemoveSelf: leave the list, with all of your clients.
    Leave,
    /// canAddOwnClient: add one more client of yours.
    AddOwnClient,
    /// canRemoveOwnClient: remove one of your clients, staying listed.
    RemoveOwnClient,
    /// canOpenJoin (on role 0): list yourself with `role` and join with a client.
    OpenJoin {
        /// As what.
        role: u32,
    },
    /// canUseJoinCode (on role 0): join as `role` with a join code the caller has verified.
    JoinWithCode {
        /// As what.
        role: u32,
    },
    /// canJoinIfPreauthorized (on the target role): join as your first preauthorized role.
    JoinIfPreauthorized,
    /// canChangeRoleDefinitions: replace `roles_list`.
    UpdateRoles(RoleData),
    /// canChangePreauthorizedUserList: replace `preauth_list`.
    UpdatePreauth(PreAuthData),
    /// canChangeRoomMembershipStyle: replace `base_room_policy`.
    UpdateBasePolicy(BaseRoomPolicy),
    /// canChangeRoomName/Description/Avatar/Subject/Mood for each field that changes.
    UpdateMetadata(RoomMetaData),
    /// canSendMessage.
    SendMessage,
    /// canReceiveMessage.
    ReceiveMessage,
    /// canReportAbuse.
    ReportAbuse,
    /// Any content capability (message, asset, link, real-time: 0x01xx, 0x02xx, 0x04xx).
    Message(Capability),
}

/// Decides whether `actor` may take `action` in the room as it is in `state`.
pub fn decide_action(state: &PolicyState, actor: &UserUri, action: &Action) -> Decision {
    evaluate(state, &Actor::User(actor.clone()), action).into()
}

/// Who acts: a user (listed or not), or the hub as MLS external sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Actor {
    User(UserUri),
    Hub,
}

impl Actor {
    pub fn user_bytes(&self) -> Option<Vec<u8>> {
        match self {
            Actor::User(u) => Some(u.to_bytes()),
            Actor::Hub => None,
        }
    }

    fn claims(&self) -> Vec<Claim> {
        match self {
            Actor::User(u) => user_claims(u),
            Actor::Hub => hub_claims(),
        }
    }

    fn is(&self, user: &[u8]) -> bool {
        self.user_bytes().is_some_and(|u| u == user)
    }
}

/// The role an actor acts with: a user's listed role (0 if unlisted); the hub's first matching
/// preauth role (0 if none).
pub(crate) fn actor_role(state: &PolicyState, actor: &Actor) -> u32 {
    match actor {
        Actor::User(u) => state.role_of(u),
        Actor::Hub => {
            first_match(&state.preauth, &hub_claims()).map_or(0, |e| e.target_role.role_index)
        }
    }
}

/// "mimi://h/u/alice (moderator)" or "the hub (policy_enforcer)".
fn describe(state: &PolicyState, actor: &Actor) -> String {
    let role = state.role_name(actor_role(state, actor));
    match actor {
        Actor::User(u) => format!("{u} ({role})"),
        Actor::Hub => format!("the hub ({role})"),
    }
}

/// Whether a role grants a capability: the role is defined, lists the code point, the code point
/// is registered, and canOpenJoin only counts on role 0.
pub(crate) fn grants(roles: &RoleData, role: u32, cap: Capability) -> bool {
    cap.is_known()
        && (cap != Capability::CAN_OPEN_JOIN || role == 0)
        && roles.role(role).is_some_and(|r| r.lists(cap))
}

/// The kinds of participant-list move (POLICY §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Move {
    Add,
    Remove,
    Ban,
    Unban,
    ChangeRole,
    ChangeOwnRole,
    Leave,
    OpenJoin,
    JoinWithCode,
    JoinIfPreauthorized,
}

impl Move {
    pub fn capability(self) -> Capability {
        match self {
            Move::Add => Capability::CAN_ADD_PARTICIPANT,
            Move::Remove => Capability::CAN_REMOVE_PARTICIPANT,
            Move::Ban => Capability::CAN_BAN,
            Move::Unban => Capability::CAN_UNBAN,
            Move::ChangeRole => Capability::CAN_CHANGE_USER_ROLE,
            Move::ChangeOwnRole => Capability::CAN_CHANGE_OWN_ROLE,
            Move::Leave => Capability::CAN_REMOVE_SELF,
            Move::OpenJoin => Capability::CAN_OPEN_JOIN,
            Move::JoinWithCode => Capability::CAN_USE_JOIN_CODE,
            Move::JoinIfPreauthorized => Capability::CAN_JOIN_IF_PREAUTHORIZED,
        }
    }

    /// Whether the move brings the user in with a client of theirs: joins always (an external
    /// commit adds the joiner's client), an add when the role allows clients (an invitation adds
    /// the user's KeyPackages).
    fn adds_client(self, state: &PolicyState, to: u32) -> bool {
        match self {
            Move::OpenJoin | Move::JoinWithCode | Move::JoinIfPreauthorized => true,
            Move::Add => state.role(to).is_some_and(|r| r.allows_active()),
            _ => false,
        }
    }

    fn verb(self, state: &PolicyState, target: &[u8], to: u32) -> String {
        let (t, r) = (show(target), state.role_name(to));
        match self {
            Move::Add => format!("add {t} as {r}"),
            Move::Remove => format!("remove {t}"),
            Move::Ban => format!("ban {t}"),
            Move::Unban => format!("unban {t} as {r}"),
            Move::ChangeRole => format!("make {t} {r}"),
            Move::ChangeOwnRole => format!("become {r}"),
            Move::Leave => "leave".into(),
            Move::OpenJoin | Move::JoinWithCode | Move::JoinIfPreauthorized => {
                format!("join as {r}")
            }
        }
    }
}

/// The kind of a move of another user (or of oneself, other than joining) from `from` to `to`.
/// Moves into or out of role 1 are bans and unbans whenever role 1 is "banned": only canBan and
/// canUnban authorize them, never canChangeUserRole or canAddParticipant.
pub(crate) fn classify(state: &PolicyState, is_self: bool, from: u32, to: u32) -> Move {
    let banned = state.has_banned_role();
    match (is_self, from, to) {
        (true, _, 0) => Move::Leave,
        (true, _, _) => Move::ChangeOwnRole,
        (false, _, 0) => Move::Remove,
        (false, _, 1) if banned => Move::Ban,
        (false, 0, _) => Move::Add,
        (false, 1, _) if banned => Move::Unban,
        (false, _, _) => Move::ChangeRole,
    }
}

fn from_to(state: &PolicyState, from: u32, to: u32) -> String {
    let side = |i: u32| {
        if i == 0 {
            "outside the list".to_string()
        } else {
            state.role_name(i)
        }
    };
    format!("from {} to {}", side(from), side(to))
}

/// Steps 1 and 2 of the algorithm for one list move: the capability and the
/// `authorized_role_changes` entry (or the preauth match). The constraints are checked on the
/// census after the change by the caller.
pub(crate) fn authorize_move(
    state: &PolicyState,
    actor: &Actor,
    target: &[u8],
    from: u32,
    to: u32,
    kind: Move,
) -> Result<(), Denied> {
    let roles = &state.roles;
    let ar = actor_role(state, actor);
    let cap = kind.capability();
    let deny = |why: String| {
        Err(Denied::new(
            cap.rule(),
            format!(
                "{} cannot {}: {why}",
                describe(state, actor),
                kind.verb(state, target, to)
            ),
        ))
    };
    if to != 0 && roles.role(to).is_none() {
        return deny(format!("role {to} is not defined"));
    }
    if matches!(kind, Move::Ban | Move::Unban) && !has_banned_role(roles) {
        return deny("the room has no role 1 named banned".into());
    }
    // canJoinIfPreauthorized sits on the role joined, every other capability on the actor's.
    let holder = if kind == Move::JoinIfPreauthorized {
        to
    } else {
        ar
    };
    if !grants(roles, holder, cap) {
        return deny(format!("{} has no {cap}", role_name(roles, holder)));
    }
    match kind {
        Move::ChangeOwnRole => match first_nonzero_role(&state.preauth, &actor.claims()) {
            None => deny("no preauthorized role matches the credential".into()),
            Some(m) if m != to => deny(format!(
                "the first preauthorized role it matches is {}",
                state.role_name(m)
            )),
            Some(_) => Ok(()),
        },
        Move::JoinIfPreauthorized => match first_match(&state.preauth, &actor.claims()) {
            None => deny("no preauthorized role matches the credential".into()),
            Some(e) if e.target_role.role_index != to => deny(format!(
                "the first preauthorized role it matches is {}",
                state.role_name(e.target_role.role_index)
            )),
            Some(_) => Ok(()),
        },
        _ if roles.role(ar).is_some_and(|r| r.may_move(from, to)) => Ok(()),
        _ => deny(format!(
            "the authorized_role_changes of {} do not allow moving {}",
            state.role_name(ar),
            from_to(state, from, to)
        )),
    }
}

/// A list move with its canonical effect on the census, then the constraints and base policy.
fn list_move(
    state: &PolicyState,
    census: &Census,
    actor: &Actor,
    target: &[u8],
    from: u32,
    to: u32,
    kind: Move,
) -> Result<(), Denied> {
    authorize_move(state, actor, target, from, to, kind)?;
    let mut after = census.clone();
    if to == 0 {
        after.users.remove(target);
    } else {
        let clients = match after.users.get(target) {
            _ if kind == Move::Ban => 0,
            Some(e) => e.clients,
            None => usize::from(kind.adds_client(state, to)),
        };
        after
            .users
            .insert(target.to_vec(), Entry { role: to, clients });
    }
    let context = format!(
        "{} cannot {}",
        describe(state, actor),
        kind.verb(state, target, to)
    );
    check_counts(&state.roles, census, &after, &context)?;
    check_base(
        &state.base,
        &state.base,
        census,
        &after,
        state.has_banned_role(),
        &context,
    )
}

/// A change of the clients of one listed user (kick, add or remove own client).
fn client_move(
    state: &PolicyState,
    census: &Census,
    actor: &Actor,
    user: &[u8],
    clients: usize,
    verb: &str,
) -> Result<(), Denied> {
    let mut after = census.clone();
    if let Some(e) = after.users.get_mut(user) {
        e.clients = clients;
    }
    let context = format!("{} cannot {verb}", describe(state, actor));
    check_counts(&state.roles, census, &after, &context)?;
    check_base(
        &state.base,
        &state.base,
        census,
        &after,
        state.has_banned_role(),
        &context,
    )
}

/// canChangeRoleDefinitions, then the new roles' validity and fit with the room.
pub(crate) fn authorize_roles(
    state: &PolicyState,
    actor: &Actor,
    new: &RoleData,
    census_after: &Census,
    preauth_after: &PreAuthData,
) -> Result<(), Denied> {
    require(
        state,
        actor,
        Capability::CAN_CHANGE_ROLE_DEFINITIONS,
        "change the roles",
    )?;
    validate_roles(new)?;
    roles_fit(new, census_after, preauth_after)
}

/// canChangePreauthorizedUserList, then the new list's validity.
pub(crate) fn authorize_preauth(
    state: &PolicyState,
    actor: &Actor,
    new: &PreAuthData,
    roles_after: &RoleData,
) -> Result<(), Denied> {
    require(
        state,
        actor,
        Capability::CAN_CHANGE_PREAUTHORIZED_USER_LIST,
        "change the preauthorized users",
    )?;
    validate_preauth(new, roles_after)
}

/// canChangeRoomMembershipStyle, then the new base policy's validity and fit with the room.
pub(crate) fn authorize_base(
    state: &PolicyState,
    actor: &Actor,
    new: &BaseRoomPolicy,
    census_after: &Census,
) -> Result<(), Denied> {
    require(
        state,
        actor,
        Capability::CAN_CHANGE_ROOM_MEMBERSHIP_STYLE,
        "change the room's membership style",
    )?;
    validate_base(new)?;
    let context = format!(
        "{} cannot change the room's membership style",
        describe(state, actor)
    );
    check_base(
        &state.base,
        new,
        census_after,
        census_after,
        state.has_banned_role(),
        &context,
    )
}

/// POLICY §8.2: one capability per field that changes; the room URI never changes.
pub(crate) fn authorize_metadata(
    state: &PolicyState,
    actor: &Actor,
    new: &RoomMetaData,
) -> Result<(), Denied> {
    if let Some(old) = &state.metadata
        && old.room_uri != new.room_uri
    {
        return Err(Denied::new(
            "room_uri",
            "the room's URI in room_metadata never changes",
        ));
    }
    let empty = RoomMetaData::named("", "");
    let old = state.metadata.as_ref().unwrap_or(&empty);
    let fields = [
        (
            old.room_name != new.room_name,
            Capability::CAN_CHANGE_ROOM_NAME,
            "change the room's name",
        ),
        (
            old.room_descriptions != new.room_descriptions,
            Capability::CAN_CHANGE_ROOM_DESCRIPTION,
            "change the room's description",
        ),
        (
            old.room_avatar != new.room_avatar,
            Capability::CAN_CHANGE_ROOM_AVATAR,
            "change the room's avatar",
        ),
        (
            old.room_subject != new.room_subject,
            Capability::CAN_CHANGE_ROOM_SUBJECT,
            "change the room's subject",
        ),
        (
            old.room_mood != new.room_mood,
            Capability::CAN_CHANGE_ROOM_MOOD,
            "change the room's mood",
        ),
    ];
    for (changed, cap, verb) in fields {
        if changed {
            require(state, actor, cap, verb)?;
        }
    }
    Ok(())
}

/// The actor's role must grant `cap`.
pub(crate) fn require(
    state: &PolicyState,
    actor: &Actor,
    cap: Capability,
    verb: &str,
) -> Result<(), Denied> {
    let role = actor_role(state, actor);
    if grants(&state.roles, role, cap) {
        Ok(())
    } else {
        Err(Denied::new(
            cap.rule(),
            format!(
                "{} cannot {verb}: {} has no {cap}",
                describe(state, actor),
                state.role_name(role)
            ),
        ))
    }
}

/// The answer to one action; `Ok` means allowed.
pub(crate) fn evaluate(state: &PolicyState, actor: &Actor, action: &Action) -> Result<(), Denied> {
    let census = Census::of(state)?;
    let me = actor.user_bytes().unwrap_or_default();
    let my_role = actor_role(state, actor);
    let who = describe(state, actor);
    let structural = |cap: Capability, why: String| Err(Denied::new(cap.rule(), why));
    let listed = |u: &[u8]| census.users.get(u).map(|e| e.role);
    let self_only = |cap: Capability| -> Result<(), Denied> {
        match actor {
            Actor::Hub => structural(cap, "the hub is not a participant".into()),
            Actor::User(_) => Ok(()),
        }
    };
    match action {
        Action::Add { target, role } => {
            let t = target.to_bytes();
            let cap = Capability::CAN_ADD_PARTICIPANT;
            if actor.is(&t) {
                return structural(
                    cap,
                    format!("{who} cannot add themselves: canAddParticipant adds other users"),
                );
            }
            if let Some(r) = listed(&t) {
                return structural(
                    cap,
                    format!(
                        "{who} cannot add {target}: they are already listed as {}",
                        state.role_name(r)
                    ),
                );
            }
            if *role == 0 {
                return structural(cap, format!("{who} cannot add {target} as role 0"));
            }
            let kind = classify(state, false, 0, *role);
            list_move(state, &census, actor, &t, 0, *role, kind)
        }
        Action::Remove { target } => {
            let t = target.to_bytes();
            if actor.is(&t) {
                return evaluate(state, actor, &Action::Leave);
            }
            let Some(from) = listed(&t) else {
                return structural(
                    Capability::CAN_REMOVE_PARTICIPANT,
                    format!("{who} cannot remove {target}: they are not listed"),
                );
            };
            list_move(state, &census, actor, &t, from, 0, Move::Remove)
        }
        Action::Ban { target } => {
            let t = target.to_bytes();
            let cap = Capability::CAN_BAN;
            if actor.is(&t) {
                return structural(cap, format!("{who} cannot ban themselves"));
            }
            let from = listed(&t).unwrap_or(0);
            if from == 1 && state.has_banned_role() {
                return structural(
                    cap,
                    format!("{who} cannot ban {target}: they are already banned"),
                );
            }
            list_move(state, &census, actor, &t, from, 1, Move::Ban)
        }
        Action::Unban { target, role } => {
            let t = target.to_bytes();
            let cap = Capability::CAN_UNBAN;
            if listed(&t) != Some(1) || !state.has_banned_role() {
                return structural(
                    cap,
                    format!("{who} cannot unban {target}: they are not banned"),
                );
            }
            if *role <= 1 {
                return structural(
                    cap,
                    format!(
                        "{who} cannot unban {target} as role {role}: an unban moves to a role other than 0 and 1"
                    ),
                );
            }
            list_move(state, &census, actor, &t, 1, *role, Move::Unban)
        }
        Action::ChangeRole { target, role } => {
            let t = target.to_bytes();
            let cap = Capability::CAN_CHANGE_USER_ROLE;
            if actor.is(&t) {
                return structural(
                    cap,
                    format!(
                        "{who} cannot change their own role this way; that is canChangeOwnRole"
                    ),
                );
            }
            let Some(from) = listed(&t) else {
                return structural(
                    cap,
                    format!("{who} cannot change the role of {target}: they are not listed"),
                );
            };
            if *role == 0 {
                return structural(
                    cap,
                    format!("{who} cannot change {target} to role 0: that is a removal"),
                );
            }
            if *role == from {
                return structural(
                    cap,
                    format!(
                        "{who} cannot make {target} {}: they already are",
                        state.role_name(from)
                    ),
                );
            }
            let kind = classify(state, false, from, *role);
            list_move(state, &census, actor, &t, from, *role, kind)
        }
        Action::ChangeOwnRole => {
            let cap = Capability::CAN_CHANGE_OWN_ROLE;
            self_only(cap)?;
            let Some(from) = listed(&me) else {
                return structural(cap, format!("{who} is not listed"));
            };
            let Some(to) = first_nonzero_role(&state.preauth, &actor.claims()) else {
                return structural(
                    cap,
                    format!("{who} cannot change their role: no preauthorized role matches them"),
                );
            };
            if to == from {
                return structural(
                    cap,
                    format!(
                        "{who} cannot change their role: their first preauthorized role is the one they have"
                    ),
                );
            }
            list_move(state, &census, actor, &me, from, to, Move::ChangeOwnRole)
        }
        Action::Leave => {
            let cap = Capability::CAN_REMOVE_SELF;
            self_only(cap)?;
            let Some(from) = listed(&me) else {
                return structural(cap, format!("{who} is not listed"));
            };
            list_move(state, &census, actor, &me, from, 0, Move::Leave)
        }
        Action::OpenJoin { role } | Action::JoinWithCode { role } => {
            let kind = if matches!(action, Action::OpenJoin { .. }) {
                Move::OpenJoin
            } else {
                Move::JoinWithCode
            };
            let cap = kind.capability();
            self_only(cap)?;
            if let Some(r) = listed(&me) {
                return structural(
                    cap,
                    format!(
                        "{who} cannot join: they are already listed as {}",
                        state.role_name(r)
                    ),
                );
            }
            if *role == 0 {
                return structural(cap, format!("{who} cannot join as role 0"));
            }
            list_move(state, &census, actor, &me, 0, *role, kind)
        }
        Action::JoinIfPreauthorized => {
            let cap = Capability::CAN_JOIN_IF_PREAUTHORIZED;
            self_only(cap)?;
            if let Some(r) = listed(&me) {
                return structural(
                    cap,
                    format!(
                        "{who} cannot join through the preauthorized list: they are listed as {}, and the list applies only to users who are not",
                        state.role_name(r)
                    ),
                );
            }
            let Some(entry) = first_match(&state.preauth, &actor.claims()) else {
                return structural(
                    cap,
                    format!("{who} cannot join: no preauthorized role matches them"),
                );
            };
            let to = entry.target_role.role_index;
            if to == 0 {
                return structural(cap, format!("{who} cannot join as role 0"));
            }
            list_move(state, &census, actor, &me, 0, to, Move::JoinIfPreauthorized)
        }
        Action::Kick { target } => {
            let t = target.to_bytes();
            let cap = Capability::CAN_KICK;
            if actor.is(&t) {
                return structural(
                    cap,
                    format!("{who} cannot kick themselves; that is canRemoveOwnClient"),
                );
            }
            if listed(&t).is_none() {
                return structural(
                    cap,
                    format!("{who} cannot kick {target}: they are not listed"),
                );
            }
            if census.clients_of(&t) == 0 {
                return structural(
                    cap,
                    format!("{who} cannot kick {target}: they have no client in the room"),
                );
            }
            require(state, actor, cap, &format!("kick {target}"))?;
            client_move(state, &census, actor, &t, 0, &format!("kick {target}"))
        }
        Action::AddOwnClient => {
            let cap = Capability::CAN_ADD_OWN_CLIENT;
            self_only(cap)?;
            if listed(&me).is_none() {
                return structural(cap, format!("{who} is not listed"));
            }
            require(state, actor, cap, "add a client")?;
            let n = census.clients_of(&me) + 1;
            client_move(state, &census, actor, &me, n, "add a client")
        }
        Action::RemoveOwnClient => {
            let cap = Capability::CAN_REMOVE_OWN_CLIENT;
            self_only(cap)?;
            if listed(&me).is_none() {
                return structural(cap, format!("{who} is not listed"));
            }
            let n = census.clients_of(&me);
            if n == 0 {
                return structural(cap, format!("{who} has no client in the room"));
            }
            require(state, actor, cap, "remove a client")?;
            client_move(state, &census, actor, &me, n - 1, "remove a client")
        }
        Action::UpdateRoles(new) => authorize_roles(state, actor, new, &census, &state.preauth),
        Action::UpdatePreauth(new) => authorize_preauth(state, actor, new, &state.roles),
        Action::UpdateBasePolicy(new) => authorize_base(state, actor, new, &census),
        Action::UpdateMetadata(new) => authorize_metadata(state, actor, new),
        Action::SendMessage => content(state, actor, my_role, Capability::CAN_SEND_MESSAGE),
        Action::ReceiveMessage => content(state, actor, my_role, Capability::CAN_RECEIVE_MESSAGE),
        Action::ReportAbuse => content(state, actor, my_role, Capability::CAN_REPORT_ABUSE),
        Action::Message(cap) => content(state, actor, my_role, *cap),
    }
}

fn content(state: &PolicyState, actor: &Actor, role: u32, cap: Capability) -> Result<(), Denied> {
    let who = describe(state, actor);
    if !cap.is_known() {
        return Err(Denied::new(
            cap.rule(),
            format!("{cap} is not a registered capability, so it grants nothing"),
        ));
    }
    if cap.is_reserved() {
        return Err(Denied::new(
            cap.rule(),
            format!("{cap} is reserved and grants nothing yet"),
        ));
    }
    if !cap.is_content() {
        return Err(Denied::new(
            cap.rule(),
            format!("{cap} is not a message capability; ask with the matching action"),
        ));
    }
    if grants(&state.roles, role, cap) {
        return Ok(());
    }
    let verb = match cap {
        Capability::CAN_SEND_MESSAGE => "send messages".to_string(),
        Capability::CAN_RECEIVE_MESSAGE => "receive messages".to_string(),
        Capability::CAN_REPORT_ABUSE => "report abuse".to_string(),
        _ => format!("use {cap}"),
    };
    Err(Denied::new(
        cap.rule(),
        format!(
            "{who} cannot {verb}: {} has no {cap}",
            state.role_name(role)
        ),
    ))
}
