//! Random sequences of actions, each applied only if `decide_action` allows it, with the effect
//! computed here (not by the engine) and checked by an invariant checker written independently of
//! the engine: no step may break a minimum (below both the minimum and the count before), a
//! maximum, the base policy, or the binding of clients to listed users. Every step that a commit
//! can express is also replayed through `check_commit`, which must agree with `decide_action`
//! and produce the same state.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::components::{PreAuthRoleEntry, RoleData};

const USERS: [&str; 6] = ["u0", "u1", "u2", "u3", "u4", "u5"];

/// One listed user in the checker's view: role and number of clients.
type View = BTreeMap<String, (u32, usize)>;

fn view(s: &PolicyState) -> View {
    let mut v = View::new();
    for p in &s.participants.participants {
        let u = String::from_utf8(p.user.as_slice().to_vec()).unwrap();
        assert!(
            v.insert(u, (p.role_index, 0)).is_none(),
            "a user is listed twice"
        );
    }
    for c in &s.clients {
        let e = v
            .get_mut(&c.user.to_string())
            .unwrap_or_else(|| panic!("{} is in the group but not listed", c.client));
        e.1 += 1;
    }
    v
}

fn count(v: &View, role: u32, active: bool) -> usize {
    v.values()
        .filter(|(r, c)| *r == role && (!active || *c > 0))
        .count()
}

/// The independent checker: `after` must be a state the room may reach from `before`.
fn check_step(before: &PolicyState, after: &PolicyState, what: &str) {
    let (v0, v1) = (view(before), view(after));
    let roles: &RoleData = &after.roles;
    let mut clients: Vec<&str> = after.clients.iter().map(|c| c.client.local()).collect();
    clients.sort_unstable();
    clients.dedup();
    assert_eq!(clients.len(), after.clients.len(), "{what}: a client twice");
    for (u, (r, c)) in &v1 {
        assert_ne!(*r, 0, "{what}: {u} listed with role 0");
        let role = roles
            .role(*r)
            .unwrap_or_else(|| panic!("{what}: {u} has undefined role {r}"));
        if *c > 0 {
            assert_ne!(
                role.maximum_active_participants_constraint,
                Some(0),
                "{what}: {u} is {} and has clients",
                role.name()
            );
        }
    }
    for role in roles.roles.iter().filter(|r| r.role_index != 0) {
        let r = role.role_index;
        for (active, min, max) in [
            (
                false,
                role.minimum_participants_constraint,
                role.maximum_participants_constraint,
            ),
            (
                true,
                role.minimum_active_participants_constraint,
                role.maximum_active_participants_constraint,
            ),
        ] {
            let (n0, n1) = (count(&v0, r, active), count(&v1, r, active));
            assert!(
                n1 >= (min as usize).min(n0),
                "{what}: {} fell to {n1} below its minimum {min} (active: {active})",
                role.name()
            );
            if let Some(max) = max {
                assert!(
                    n1 <= (max as usize).max(n0),
                    "{what}: {} rose to {n1} above its maximum {max} (active: {active})",
                    role.name()
                );
            }
        }
    }
    let same_base = before.base == after.base;
    let banned = roles
        .role(1)
        .is_some_and(|r| r.role_name.as_slice() == b"banned");
    let users = |v: &View| v.values().filter(|(r, _)| !(banned && *r == 1)).count();
    if let Some(max) = after.base.max_users {
        let (n0, n1) = (users(&v0), users(&v1));
        assert!(
            n1 <= max as usize || (same_base && n1 <= n0),
            "{what}: max_users"
        );
    }
    if let Some(max) = after.base.max_clients {
        let (n0, n1) = (before.clients.len(), after.clients.len());
        assert!(
            n1 <= max as usize || (same_base && n1 <= n0),
            "{what}: max_clients"
        );
    }
    if !after.base.multi_device {
        for (u, (_, c)) in &v1 {
            let c0 = v0.get(u).map_or(0, |e| e.1);
            assert!(*c <= 1 || (same_base && *c <= c0), "{what}: multi_device");
        }
    }
    if before.base.fixed_membership || after.base.fixed_membership {
        assert!(v0.keys().eq(v1.keys()), "{what}: fixed_membership");
    }
}

/// The test's own model of what an allowed action does. `fresh` names new clients.
struct Model {
    state: PolicyState,
    fresh: usize,
}

fn idx(s: &PolicyState, u: &UserUri) -> Option<u32> {
    s.participants.index_of(&u.to_bytes()).map(|i| i as u32)
}

fn preauth_role(s: &PolicyState, u: &UserUri, nonzero: bool) -> Option<u32> {
    let claims = user_claims(u);
    s.preauth
        .preauthorized_entries
        .iter()
        .filter(|e| !nonzero || e.target_role.role_index != 0)
        .find(|e| e.claimset.iter().all(|c| claims.contains(c)))
        .map(|e| e.target_role.role_index)
}

impl Model {
    fn new_client(&mut self, u: &UserUri) -> ClientIdentity {
        self.fresh += 1;
        client(u.local(), &format!("{}-n{}", u.local(), self.fresh))
    }

    fn set_role(s: &mut PolicyState, u: &UserUri, role: u32) {
        match idx(s, u) {
            Some(i) => s.participants.participants[i as usize].role_index = role,
            None => s.participants.participants.push(UserRolePair {
                user: u.to_bytes().into(),
                role_index: role,
            }),
        }
    }

    fn drop_user(s: &mut PolicyState, u: &UserUri) {
        s.participants
            .participants
            .retain(|p| p.user.as_slice() != u.to_bytes());
        s.clients.retain(|c| &c.user != u);
    }

    /// The state after an allowed action, and the commit that carries it out (committer and
    /// items), when a commit can express it.
    fn apply(
        &mut self,
        actor: &UserUri,
        a: &Action,
    ) -> (PolicyState, Option<(ClientIdentity, Vec<Proposed>)>) {
        if matches!(a, Action::Remove { target } if target == actor) {
            return self.apply(actor, &Action::Leave);
        }
        let before = self.state.clone();
        let mut s = before.clone();
        let mine: Vec<ClientIdentity> = before.clients_of(actor).cloned().collect();
        let by_me = mine.first().cloned();
        let p = |c: &ClientIdentity, item: Item| Proposed {
            by: Some(c.clone()),
            item,
        };
        let banned = before.has_banned_role();
        let mut list = ParticipantListUpdate::default();
        let mut items = Vec::new();
        let mut committer = by_me.clone();
        let outgoing =
            |u: &UserUri| -> Vec<ClientIdentity> { before.clients_of(u).cloned().collect() };
        match a {
            Action::Add { target, role } => {
                Self::set_role(&mut s, target, *role);
                list.added_participants.push(UserRolePair {
                    user: target.to_bytes().into(),
                    role_index: *role,
                });
                let allows = s.roles.role(*role).is_some_and(|r| r.allows_active());
                if allows && !(banned && *role == 1) {
                    let c = self.new_client(target);
                    s.clients.push(c.clone());
                    items.push(Item::AddClient(c));
                }
            }
            Action::Remove { target }
            | Action::Ban { target }
            | Action::ChangeRole { target, .. }
            | Action::Unban { target, .. } => {
                let to = match a {
                    Action::Remove { .. } => 0,
                    Action::Ban { .. } => 1,
                    Action::ChangeRole { role, .. } | Action::Unban { role, .. } => *role,
                    _ => unreachable!(),
                };
                let gone = to == 0 || (banned && to == 1);
                match idx(&before, target) {
                    Some(i) if to == 0 => list.removed_indices.push(i),
                    Some(i) => list.changed_role_participants.push(UserindexRolePair {
                        user_index: i,
                        role_index: to,
                    }),
                    None => list.added_participants.push(UserRolePair {
                        user: target.to_bytes().into(),
                        role_index: to,
                    }),
                }
                if to == 0 {
                    Self::drop_user(&mut s, target);
                } else {
                    Self::set_role(&mut s, target, to);
                }
                if gone {
                    for c in outgoing(target) {
                        s.clients.retain(|d| d != &c);
                        items.push(Item::RemoveClient(c));
                    }
                }
            }
            Action::Kick { target } => {
                for c in outgoing(target) {
                    s.clients.retain(|d| d != &c);
                    items.push(Item::RemoveClient(c));
                }
            }
            Action::ChangeOwnRole => {
                let (Some(to), Some(i)) = (preauth_role(&before, actor, true), idx(&before, actor))
                else {
                    return (s, None);
                };
                Self::set_role(&mut s, actor, to);
                list.changed_role_participants.push(UserindexRolePair {
                    user_index: i,
                    role_index: to,
                });
            }
            Action::Leave => {
                let Some(i) = idx(&before, actor) else {
                    return (s, None);
                };
                list.removed_indices.push(i);
                Self::drop_user(&mut s, actor);
                committer = before.clients.iter().find(|c| &c.user != actor).cloned();
                let Some(first) = by_me.clone() else {
                    return (s, None);
                };
                let Some(k) = committer.clone() else {
                    return (s, None);
                };
                let mut ps = vec![p(&first, Item::ParticipantList(list))];
                ps.extend(mine.iter().map(|c| p(c, Item::SelfRemove(c.clone()))));
                return (s, Some((k, ps)));
            }
            Action::AddOwnClient => {
                let c = self.new_client(actor);
                s.clients.push(c.clone());
                let proposer = by_me.clone().unwrap_or_else(|| c.clone());
                return (
                    s,
                    Some((proposer.clone(), vec![p(&proposer, Item::AddClient(c))])),
                );
            }
            Action::RemoveOwnClient => {
                let Some(c) = mine.last().cloned() else {
                    return (s, None);
                };
                s.clients.retain(|d| d != &c);
                let Some(k) = before.clients.iter().find(|d| **d != c).cloned() else {
                    return (s, None);
                };
                return (s, Some((k, vec![p(&c, Item::SelfRemove(c.clone()))])));
            }
            Action::OpenJoin { role } | Action::JoinWithCode { role } => {
                let c = self.new_client(actor);
                Self::set_role(&mut s, actor, *role);
                s.clients.push(c.clone());
                // a join code leaves no trace in a commit, so only an open join is replayed
                if matches!(a, Action::JoinWithCode { .. }) {
                    return (s, None);
                }
                return (s, Some((c.clone(), join(&c, *role))));
            }
            Action::JoinIfPreauthorized => {
                let Some(role) = preauth_role(&before, actor, false) else {
                    return (s, None);
                };
                let c = self.new_client(actor);
                Self::set_role(&mut s, actor, role);
                s.clients.push(c.clone());
                return (s, Some((c.clone(), join(&c, role))));
            }
            Action::UpdateBasePolicy(b) => {
                s.base = b.clone();
                items.push(Item::Base(b.clone()));
            }
            _ => return (s, None),
        }
        let Some(k) = committer else {
            return (s, None);
        };
        let mut ps = Vec::new();
        if list != ParticipantListUpdate::default() {
            ps.push(p(&k, Item::ParticipantList(list)));
        }
        ps.extend(items.into_iter().map(|i| p(&k, i)));
        (s, Some((k, ps)))
    }
}

fn join(c: &ClientIdentity, role: u32) -> Vec<Proposed> {
    let by = Some(c.clone());
    vec![
        Proposed {
            by: by.clone(),
            item: Item::ParticipantList(ParticipantListUpdate {
                added_participants: vec![UserRolePair {
                    user: c.user.to_bytes().into(),
                    role_index: role,
                }],
                ..Default::default()
            }),
        },
        Proposed {
            by,
            item: Item::AddClient(c.clone()),
        },
    ]
}

/// Whether a commit can express the action at all (the target in the state the verb needs).
fn expressible(s: &PolicyState, actor: &UserUri, a: &Action) -> bool {
    let listed = |u: &UserUri| idx(s, u).is_some();
    let role = |u: &UserUri| s.role_of(u);
    match a {
        Action::Add { target, role: r } => target != actor && !listed(target) && *r != 0,
        Action::Remove { target } => target != actor && listed(target),
        Action::Kick { target } => target != actor && listed(target) && s.is_active(target),
        Action::Ban { target } => target != actor && role(target) != 1,
        Action::Unban { target, role: r } => target != actor && role(target) == 1 && *r > 1,
        Action::ChangeRole { target, role: r } => {
            target != actor && listed(target) && *r != 0 && *r != role(target)
        }
        Action::ChangeOwnRole => {
            listed(actor) && preauth_role(s, actor, true).is_some_and(|r| r != role(actor))
        }
        Action::Leave => listed(actor),
        Action::AddOwnClient | Action::UpdateBasePolicy(_) => true,
        Action::RemoveOwnClient => s.is_active(actor),
        _ => false,
    }
}

fn sorted(mut v: Vec<ClientIdentity>) -> Vec<String> {
    let mut out: Vec<String> = v.drain(..).map(|c| c.client.to_string()).collect();
    out.sort();
    out
}

fn action(kind: u8, target: &UserUri, role: u32, knob: u8) -> Action {
    let target = target.clone();
    match kind % 20 {
        0..=3 => Action::Add { target, role },
        4 => Action::Remove { target },
        5 => Action::Kick { target },
        6 => Action::Ban { target },
        7 => Action::Unban { target, role },
        8..=10 => Action::ChangeRole { target, role },
        11 => Action::ChangeOwnRole,
        12 => Action::Leave,
        13 => Action::AddOwnClient,
        14 => Action::RemoveOwnClient,
        15 => Action::OpenJoin { role },
        16 => Action::JoinWithCode { role },
        17 => Action::JoinIfPreauthorized,
        18 => Action::SendMessage,
        _ => {
            let mut b = Preset::Cooperative.base_policy();
            b.max_users = (knob & 1 == 1).then_some(u32::from(knob >> 4) % 5 + 1);
            b.max_clients = (knob & 2 == 2).then_some(u32::from(knob >> 2) % 7 + 1);
            b.multi_device = knob & 4 == 0;
            b.fixed_membership = knob & 0xf8 == 0x08;
            Action::UpdateBasePolicy(b)
        }
    }
}

fn run(preset_i: usize, knob: u8, preauth_role_i: u32, steps: &[(usize, u8, usize, u32, u8)]) {
    let preset = Preset::ALL[preset_i % Preset::ALL.len()];
    let creator = client("u0", "u0-0");
    let mut state = PolicyState::create(preset, &creator, None);
    state.base.max_users = (knob & 1 == 1).then_some(4);
    state.base.max_clients = (knob & 2 == 2).then_some(5);
    state.base.multi_device = knob & 4 == 0;
    let n = state.roles.roles.len() as u32;
    let pre = 2 + preauth_role_i % (n - 2);
    if knob & 8 == 8 {
        let target_role = state.roles.role(pre).unwrap().clone();
        state.preauth.preauthorized_entries.push(PreAuthRoleEntry {
            claimset: vec![claim(CLAIM_DOMAIN, b"h")],
            target_role,
        });
    }
    state.validate().unwrap();
    let mut model = Model { state, fresh: 0 };
    for (step, (actor_i, kind, target_i, role, knob)) in steps.iter().enumerate() {
        // Mostly the actor is a listed user (often the creator), and so is the target of a verb that
        // needs one, so that the room fills up and most verbs meet a plausible target.
        let listed: Vec<UserUri> = model
            .state
            .participants
            .participants
            .iter()
            .filter_map(|p| UserUri::from_bytes(p.user.as_slice()).ok())
            .collect();
        let pick = |i: usize| {
            if i % 5 == 1 && !listed.is_empty() {
                // the creator, who holds the most capabilities
                listed[0].clone()
            } else if !i.is_multiple_of(3) && !listed.is_empty() {
                listed[i / 3 % listed.len()].clone()
            } else {
                user(USERS[i % USERS.len()])
            }
        };
        let actor = pick(*actor_i);
        let target = if kind % 20 <= 3 {
            user(USERS[target_i % USERS.len()])
        } else {
            pick(*target_i)
        };
        let a = action(*kind, &target, role % (n + 1), *knob);
        let before = model.state.clone();
        let decision = decide_action(&before, &actor, &a);
        let what = format!("{preset} step {step}: {actor} {a:?} -> {decision:?}");
        let can_express = expressible(&before, &actor, &a);
        let (after, commit) = model.apply(&actor, &a);
        if is_allowed(&decision) {
            check_step(&before, &after, &what);
            after.validate().unwrap_or_else(|d| panic!("{what}: {d:?}"));
            if let Some((committer, items)) = &commit {
                let replayed = check_commit(&before, committer, items)
                    .unwrap_or_else(|d| panic!("{what}: check_commit refused: {d:?}"));
                assert_eq!(replayed.participants, after.participants, "{what}");
                assert_eq!(
                    sorted(replayed.clients.clone()),
                    sorted(after.clients.clone()),
                    "{what}"
                );
                assert_eq!(replayed.base, after.base, "{what}");
            }
            model.state = after;
        } else if can_express && let Some((committer, items)) = &commit {
            assert!(
                check_commit(&before, committer, items).is_err(),
                "{what}: check_commit accepted what decide_action refused"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_allowed_actions_never_break_the_constraints(
        preset in 0usize..6,
        knob in any::<u8>(),
        preauth_role in 0u32..8,
        steps in proptest::collection::vec(
            (0usize..60, any::<u8>(), 0usize..60, 0u32..11, any::<u8>()),
            1..80,
        ),
    ) {
        run(preset, knob, preauth_role, &steps);
    }
}

#[test]
fn a_busy_cooperative_room() {
    // A hand-picked sequence that reaches bans, unbans and leaves.
    let steps = [
        (0, 0, 1, 2, 0),  // u0 adds u1 as ordinary_user
        (0, 0, 2, 3, 0),  // u0 adds u2 as group_admin
        (1, 0, 3, 2, 0),  // u1 adds u3
        (2, 4, 3, 0, 0),  // u2 bans u3
        (2, 5, 3, 2, 0),  // u2 unbans u3 as ordinary_user
        (3, 10, 3, 0, 0), // u3 adds a client
        (2, 3, 1, 0, 0),  // u2 kicks u1
        (1, 10, 1, 0, 0), // u1 comes back
        (1, 9, 1, 0, 0),  // u1 leaves
        (2, 9, 2, 0, 0),  // u2, the only group_admin, cannot leave
    ];
    run(0, 0, 0, &steps);
}
