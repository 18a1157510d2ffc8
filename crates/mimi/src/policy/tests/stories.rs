//! Stories: given a room, when someone acts, then the engine answers.

use super::*;
use crate::components::{Role, RoomMetaData, SingleSourceRoleChangeTargets};

fn allowed(s: &PolicyState, who: &str, a: Action) {
    let d = decide_action(s, &user(who), &a);
    assert!(is_allowed(&d), "{who} {a:?}: {d:?}");
}

fn denied(s: &PolicyState, who: &str, a: Action, rule: &str) -> String {
    match decide_action(s, &user(who), &a) {
        Decision::Denied { rule: r, reason } => {
            assert_eq!(r, rule, "{who} {a:?}: {reason}");
            reason
        }
        Decision::Allowed => panic!("{who} {a:?} was allowed"),
    }
}

/// Commits `items`, all proposed and committed by `by`'s first client, and returns the state.
fn commit_by(s: &PolicyState, by: &str, items: Vec<Item>) -> PolicyState {
    let c = client(by, &format!("{by}-0"));
    let items: Vec<Proposed> = items
        .into_iter()
        .map(|item| Proposed {
            by: Some(c.clone()),
            item,
        })
        .collect();
    check_commit(s, &c, &items).unwrap()
}

fn moderated() -> PolicyState {
    // 6 super_admin, 5 moderator, 4 speaker, 3 attendee, 2 guest
    room(
        Preset::Moderated,
        &[
            ("alice", 6, 1),
            ("mod", 5, 1),
            ("sam", 4, 1),
            ("bob", 3, 2),
            ("gus", 2, 1),
        ],
    )
}

#[test]
fn moderator_moves_an_attendee_to_guest_and_to_suspended_and_back() {
    let s = moderated();
    for to in [2, 8] {
        allowed(
            &s,
            "mod",
            Action::ChangeRole {
                target: user("bob"),
                role: to,
            },
        );
    }
    let mut s = s;
    let bob = s.participants.index_of(&user("bob").to_bytes()).unwrap() as u32;
    s = commit_by(
        &s,
        "mod",
        vec![Item::ParticipantList(ParticipantListUpdate {
            changed_role_participants: vec![UserindexRolePair {
                user_index: bob,
                role_index: 8,
            }],
            ..Default::default()
        })],
    );
    assert_eq!(s.role_of(&user("bob")), 8);
    // suspended: still in the group, but neither sends nor receives
    assert_eq!(s.clients_of(&user("bob")).count(), 2);
    denied(&s, "bob", Action::SendMessage, "canSendMessage");
    denied(&s, "bob", Action::ReceiveMessage, "canReceiveMessage");
    allowed(&s, "bob", Action::Leave);
    for back in [2, 3, 4] {
        allowed(
            &s,
            "mod",
            Action::ChangeRole {
                target: user("bob"),
                role: back,
            },
        );
    }
    // but a moderator cannot make a suspended user a moderator
    denied(
        &s,
        "mod",
        Action::ChangeRole {
            target: user("bob"),
            role: 5,
        },
        "canChangeUserRole",
    );
}

#[test]
fn attendee_tries_to_ban_the_moderator() {
    let s = moderated();
    let reason = denied(
        &s,
        "bob",
        Action::Ban {
            target: user("mod"),
        },
        "canBan",
    );
    assert_eq!(
        reason,
        "mimi://h/u/bob (attendee) cannot ban mimi://h/u/mod: attendee has no canBan"
    );
}

#[test]
fn the_last_super_admin_cannot_leave_or_demote_themselves_below_the_minimum() {
    // A.4's super_admin needs at least 1 participant and 1 active participant.
    let mut s = room(
        Preset::MultiOrganisation,
        &[("alice", 8, 1), ("ann", 2, 1), ("bea", 6, 1)],
    );
    // alice's credential matches a preauth entry for org_a_admin (5): canChangeOwnRole's target.
    s.preauth
        .preauthorized_entries
        .push(crate::components::PreAuthRoleEntry {
            claimset: vec![claim(CLAIM_DOMAIN, b"h")],
            target_role: s.roles.role(5).unwrap().clone(),
        });
    let reason = denied(
        &s,
        "alice",
        Action::Leave,
        "minimum_participants_constraint",
    );
    assert_eq!(
        reason,
        "mimi://h/u/alice (super_admin) cannot leave: super_admin needs at least 1 participant"
    );
    denied(
        &s,
        "alice",
        Action::ChangeOwnRole,
        "minimum_participants_constraint",
    );
    denied(
        &s,
        "alice",
        Action::RemoveOwnClient,
        "minimum_active_participants_constraint",
    );
    // Nor can the last org_b_admin be removed by anyone: org_b_admin needs at least 1.
    denied(
        &s,
        "alice",
        Action::Remove {
            target: user("bea"),
        },
        "minimum_participants_constraint",
    );
    // With a second super_admin, alice may go.
    let mut two = s.clone();
    two.participants.participants.push(UserRolePair {
        user: user("carl").to_bytes().into(),
        role_index: 8,
    });
    two.clients.push(client("carl", "carl-0"));
    allowed(&two, "alice", Action::Leave);
    allowed(&two, "alice", Action::ChangeOwnRole);
    allowed(&two, "alice", Action::RemoveOwnClient);
}

#[test]
fn the_last_moderator_cannot_leave_but_the_drafts_super_admin_can() {
    let s = moderated();
    denied(&s, "mod", Action::Leave, "minimum_participants_constraint");
    denied(
        &s,
        "alice",
        Action::ChangeRole {
            target: user("mod"),
            role: 3,
        },
        "minimum_participants_constraint",
    );
    // POLICY A.3 gives super_admin minimum_participants_constraint = 0: kept as written.
    allowed(&s, "alice", Action::Leave);
}

#[test]
fn a_banned_user_cannot_be_re_added_nor_join_through_preauth() {
    let mut s = moderated();
    s.preauth
        .preauthorized_entries
        .push(crate::components::PreAuthRoleEntry {
            claimset: vec![claim(CLAIM_DOMAIN, b"h")],
            target_role: s.roles.role(3).unwrap().clone(),
        });
    // An outsider from h joins through the preauth list…
    allowed(&s, "olga", Action::JoinIfPreauthorized);
    // …but once bob is banned he is listed, so the list is never consulted for him.
    allowed(
        &s,
        "mod",
        Action::Ban {
            target: user("bob"),
        },
    );
    let bob = s.participants.index_of(&user("bob").to_bytes()).unwrap() as u32;
    let mut after = s.clone();
    after.participants.participants[bob as usize].role_index = 1;
    after.clients.retain(|c| c.user != user("bob"));
    after.validate().unwrap();
    let reason = denied(
        &after,
        "bob",
        Action::JoinIfPreauthorized,
        "canJoinIfPreauthorized",
    );
    assert!(reason.contains("listed as banned"), "{reason}");
    // canAddParticipant only moves users from role 0; bob is in role 1.
    let reason = denied(
        &after,
        "mod",
        Action::Add {
            target: user("bob"),
            role: 3,
        },
        "canAddParticipant",
    );
    assert!(reason.contains("already listed as banned"), "{reason}");
    // Banned users have no capabilities at all.
    denied(&after, "bob", Action::AddOwnClient, "canAddOwnClient");
    denied(
        &after,
        "bob",
        Action::JoinWithCode { role: 3 },
        "canUseJoinCode",
    );
    // A moderator may unban him to attendee; that does not bring his clients back.
    allowed(
        &after,
        "mod",
        Action::Unban {
            target: user("bob"),
            role: 3,
        },
    );
}

#[test]
fn a_kicked_user_stays_listed_and_may_re_add_their_own_client() {
    let s = moderated();
    allowed(
        &s,
        "mod",
        Action::Kick {
            target: user("bob"),
        },
    );
    let kicked = commit_by(
        &s,
        "mod",
        vec![
            Item::RemoveClient(client("bob", "bob-0")),
            Item::RemoveClient(client("bob", "bob-1")),
        ],
    );
    assert_eq!(kicked.role_of(&user("bob")), 3);
    assert!(!kicked.is_active(&user("bob")));
    allowed(&kicked, "bob", Action::AddOwnClient);
    // bob's new client joins by external commit.
    let new = client("bob", "bob-2");
    let back = check_commit(
        &kicked,
        &new,
        &[Proposed {
            by: Some(new.clone()),
            item: Item::AddClient(new.clone()),
        }],
    )
    .unwrap();
    assert!(back.is_active(&user("bob")));
    // A guest has no canAddOwnClient in A.3: a kicked guest stays out.
    let kicked_guest = commit_by(&s, "mod", vec![Item::RemoveClient(client("gus", "gus-0"))]);
    denied(
        &kicked_guest,
        "gus",
        Action::AddOwnClient,
        "canAddOwnClient",
    );
}

#[test]
fn a_custom_role_update_applies_to_the_next_action_at_once() {
    let s = moderated();
    denied(&s, "bob", Action::SendMessage, "canSendMessage");
    let mut roles = s.roles.clone();
    roles.roles[3]
        .role_capabilities
        .push(Capability::CAN_SEND_MESSAGE);
    allowed(&s, "alice", Action::UpdateRoles(roles.clone()));
    denied(
        &s,
        "mod",
        Action::UpdateRoles(roles.clone()),
        "canChangeRoleDefinitions",
    );
    let after = commit_by(&s, "alice", vec![Item::Roles(roles)]);
    allowed(&after, "bob", Action::SendMessage);
}

#[test]
fn role_updates_that_the_room_could_not_agree_on_are_refused() {
    let s = moderated();
    let mut unknown = s.roles.clone();
    unknown.roles[3].role_capabilities.push(Capability(0x0abc));
    denied(&s, "alice", Action::UpdateRoles(unknown), "roles_list");
    let mut open_join_on_2 = s.roles.clone();
    open_join_on_2.roles[2]
        .role_capabilities
        .push(Capability::CAN_OPEN_JOIN);
    denied(
        &s,
        "alice",
        Action::UpdateRoles(open_join_on_2),
        "roles_list",
    );
    let mut dangling = s.roles.clone();
    dangling.roles[5]
        .authorized_role_changes
        .push(SingleSourceRoleChangeTargets {
            from_role_index: 42,
            target_role_indexes: vec![0],
        });
    denied(&s, "alice", Action::UpdateRoles(dangling), "roles_list");
    // dropping the attendee role while bob is an attendee
    let mut dropped = s.roles.clone();
    dropped.roles.retain(|r| r.role_index != 3);
    for r in &mut dropped.roles {
        for e in &mut r.authorized_role_changes {
            e.target_role_indexes.retain(|i| *i != 3);
        }
        r.authorized_role_changes.retain(|e| e.from_role_index != 3);
    }
    denied(&s, "alice", Action::UpdateRoles(dropped), "roles_list");
    // a maximum below what the room has now
    let mut tight = s.roles.clone();
    tight.roles[3].maximum_participants_constraint = Some(0);
    denied(
        &s,
        "alice",
        Action::UpdateRoles(tight),
        "maximum_participants_constraint",
    );
}

#[test]
fn an_unknown_capability_on_a_role_grants_nothing() {
    let mut s = moderated();
    s.roles.roles[3].role_capabilities.push(Capability(0x0abc));
    denied(
        &s,
        "bob",
        Action::Message(Capability(0x0abc)),
        "unknownCapability",
    );
    denied(
        &s,
        "bob",
        Action::Message(Capability::CAN_KNOCK),
        "canKnock",
    );
    allowed(&s, "bob", Action::Message(Capability::CAN_REPLY_IN_TOPIC));
    denied(
        &s,
        "gus",
        Action::Message(Capability::CAN_REPLY_IN_TOPIC),
        "canReplyInTopic",
    );
    denied(&s, "alice", Action::Message(Capability::CAN_BAN), "canBan");
}

#[test]
fn ban_removes_from_any_role_the_actor_may_and_outsiders_can_be_banned_ahead() {
    let s = room(
        Preset::Cooperative,
        &[("alice", 4, 1), ("bob", 2, 1), ("gary", 3, 1)],
    );
    allowed(
        &s,
        "gary",
        Action::Ban {
            target: user("bob"),
        },
    );
    allowed(
        &s,
        "gary",
        Action::Ban {
            target: user("mallory"),
        },
    );
    denied(
        &s,
        "gary",
        Action::Ban {
            target: user("alice"),
        },
        "canBan",
    );
    denied(
        &s,
        "bob",
        Action::Ban {
            target: user("mallory"),
        },
        "canBan",
    );
    denied(
        &s,
        "gary",
        Action::Ban {
            target: user("gary"),
        },
        "canBan",
    );
    // Role 1 must be named exactly "banned".
    let mut renamed = s.clone();
    renamed.roles.roles[1].role_name = b"Banned".to_vec().into();
    let reason = denied(
        &renamed,
        "gary",
        Action::Ban {
            target: user("bob"),
        },
        "canBan",
    );
    assert!(reason.contains("no role 1 named banned"), "{reason}");
}

#[test]
fn fixed_membership_rooms_let_nobody_in_or_out_but_clients_come_and_go() {
    let mut s = room(Preset::Private, &[("alice", 2, 1), ("bob", 2, 1)]);
    s.base.fixed_membership = true;
    denied(&s, "alice", Action::Leave, "fixed_membership");
    denied(
        &s,
        "alice",
        Action::Remove {
            target: user("bob"),
        },
        "fixed_membership",
    );
    denied(
        &s,
        "alice",
        Action::Add {
            target: user("carl"),
            role: 2,
        },
        "fixed_membership",
    );
    allowed(&s, "alice", Action::AddOwnClient);
    allowed(&s, "alice", Action::RemoveOwnClient);
}

#[test]
fn base_policy_limits_users_clients_and_devices() {
    let mut s = room(
        Preset::Cooperative,
        &[("alice", 4, 1), ("bob", 2, 1), ("ben", 1, 0)],
    );
    s.base.max_users = Some(2);
    // ben is banned and does not count: alice and bob fill the room.
    let reason = denied(
        &s,
        "alice",
        Action::Add {
            target: user("carl"),
            role: 2,
        },
        "max_users",
    );
    assert!(
        reason.ends_with("the room allows at most 2 users who are not banned"),
        "{reason}"
    );
    allowed(
        &s,
        "alice",
        Action::Ban {
            target: user("carl"),
        },
    );
    s.base.max_users = None;
    s.base.max_clients = Some(2);
    denied(&s, "alice", Action::AddOwnClient, "max_clients");
    denied(
        &s,
        "alice",
        Action::Add {
            target: user("carl"),
            role: 2,
        },
        "max_clients",
    );
    s.base.max_clients = None;
    s.base.multi_device = false;
    denied(&s, "alice", Action::AddOwnClient, "multi_device");
    // A base policy the room already breaks is refused.
    let mut strict_base = s.base.clone();
    strict_base.max_users = Some(1);
    denied(
        &s,
        "alice",
        Action::UpdateBasePolicy(strict_base),
        "max_users",
    );
    let mut parent = s.base.clone();
    parent.parent_dependant = true;
    denied(
        &s,
        "alice",
        Action::UpdateBasePolicy(parent),
        "parent_dependant",
    );
    denied(
        &s,
        "bob",
        Action::UpdateBasePolicy(s.base.clone()),
        "canChangeRoomMembershipStyle",
    );
}

#[test]
fn unbanning_counts_against_max_users() {
    let mut s = room(
        Preset::Cooperative,
        &[("alice", 4, 1), ("bob", 2, 1), ("ben", 1, 0)],
    );
    s.base.max_users = Some(2);
    denied(
        &s,
        "alice",
        Action::Unban {
            target: user("ben"),
            role: 2,
        },
        "max_users",
    );
}

#[test]
fn metadata_changes_need_one_capability_per_field() {
    let mut s = room(Preset::Cooperative, &[("alice", 4, 1), ("bob", 2, 1)]);
    s.metadata = Some(RoomMetaData::named("mimi://h/r/x", "Old"));
    allowed(
        &s,
        "bob",
        Action::UpdateMetadata(RoomMetaData::named("mimi://h/r/x", "New")),
    );
    let mut described = RoomMetaData::named("mimi://h/r/x", "Old");
    described
        .room_descriptions
        .push(crate::components::RichDescription {
            media_type: Vec::new().into(),
            language_tag: b"en".to_vec().into(),
            description_content: b"about".to_vec().into(),
        });
    denied(
        &s,
        "bob",
        Action::UpdateMetadata(described.clone()),
        "canChangeRoomDescription",
    );
    allowed(&s, "alice", Action::UpdateMetadata(described));
    denied(
        &s,
        "alice",
        Action::UpdateMetadata(RoomMetaData::named("mimi://h/r/y", "Old")),
        "room_uri",
    );
    // Nothing changes: nothing to authorize.
    allowed(
        &s,
        "bob",
        Action::UpdateMetadata(RoomMetaData::named("mimi://h/r/x", "Old")),
    );
}

#[test]
fn joins_by_open_join_code_and_preauth() {
    // strict: role 0 holds canUseJoinCode with (0,[2])
    let mut s = room(Preset::Strict, &[("alice", 4, 1)]);
    allowed(&s, "olga", Action::JoinWithCode { role: 2 });
    denied(
        &s,
        "olga",
        Action::JoinWithCode { role: 3 },
        "canUseJoinCode",
    );
    denied(
        &s,
        "alice",
        Action::JoinWithCode { role: 2 },
        "canUseJoinCode",
    );
    denied(&s, "olga", Action::OpenJoin { role: 2 }, "canOpenJoin");
    denied(
        &s,
        "olga",
        Action::JoinIfPreauthorized,
        "canJoinIfPreauthorized",
    );
    // canOpenJoin on role 0
    s.roles.roles[0]
        .role_capabilities
        .push(Capability::CAN_OPEN_JOIN);
    allowed(&s, "olga", Action::OpenJoin { role: 2 });
    denied(&s, "olga", Action::OpenJoin { role: 3 }, "canOpenJoin");
    // preauth: the first matching entry wins, and the joined role must hold canJoinIfPreauthorized
    let entry =
        |claims: Vec<crate::components::Claim>, role: &Role| crate::components::PreAuthRoleEntry {
            claimset: claims,
            target_role: role.clone(),
        };
    let group_admin = s.roles.role(3).unwrap().clone();
    let ordinary = s.roles.role(2).unwrap().clone();
    s.preauth.preauthorized_entries = vec![
        entry(vec![claim(CLAIM_USER, b"mimi://h/u/olga")], &group_admin),
        entry(vec![claim(CLAIM_DOMAIN, b"h")], &ordinary),
    ];
    allowed(&s, "pete", Action::JoinIfPreauthorized);
    // olga's first match is group_admin; A.2's group_admin holds canJoinIfPreauthorized too
    // (it includes every ordinary_user capability).
    allowed(&s, "olga", Action::JoinIfPreauthorized);
    s.preauth.preauthorized_entries[0]
        .claimset
        .push(claim(CLAIM_DOMAIN, b"other"));
    allowed(&s, "olga", Action::JoinIfPreauthorized);
    // A.3's guest does not hold canJoinIfPreauthorized, so a guest entry lets nobody in.
    let mut m = moderated();
    m.preauth.preauthorized_entries = vec![entry(
        vec![claim(CLAIM_DOMAIN, b"h")],
        m.roles.role(2).unwrap(),
    )];
    let reason = denied(
        &m,
        "olga",
        Action::JoinIfPreauthorized,
        "canJoinIfPreauthorized",
    );
    assert!(
        reason.ends_with("guest has no canJoinIfPreauthorized"),
        "{reason}"
    );
}

#[test]
fn change_own_role_goes_to_the_first_preauthorized_role() {
    let mut s = room(Preset::Strict, &[("alice", 4, 1), ("bob", 2, 1)]);
    denied(&s, "bob", Action::ChangeOwnRole, "canChangeOwnRole");
    s.preauth
        .preauthorized_entries
        .push(crate::components::PreAuthRoleEntry {
            claimset: vec![claim(CLAIM_USER, b"mimi://h/u/bob")],
            target_role: s.roles.role(3).unwrap().clone(),
        });
    allowed(&s, "bob", Action::ChangeOwnRole);
    // canChangeUserRole never changes one's own role
    denied(
        &s,
        "alice",
        Action::ChangeRole {
            target: user("alice"),
            role: 3,
        },
        "canChangeUserRole",
    );
}

#[test]
fn kick_needs_another_participant_with_clients_and_respects_min_active() {
    let s = room(
        Preset::MultiOrganisation,
        &[("alice", 8, 1), ("bea", 6, 1), ("bo", 3, 1), ("bob", 6, 1)],
    );
    allowed(&s, "bea", Action::Kick { target: user("bo") });
    // org_b_admin needs one active participant; two are active, so one may be kicked…
    allowed(
        &s,
        "alice",
        Action::Kick {
            target: user("bea"),
        },
    );
    let mut one = s.clone();
    one.clients.retain(|c| c.user != user("bob"));
    // …but not the last active one.
    denied(
        &one,
        "alice",
        Action::Kick {
            target: user("bea"),
        },
        "minimum_active_participants_constraint",
    );
    denied(
        &s,
        "bea",
        Action::Kick {
            target: user("bea"),
        },
        "canKick",
    );
    denied(
        &s,
        "bo",
        Action::Kick {
            target: user("bea"),
        },
        "canKick",
    );
}

#[test]
fn remove_of_oneself_is_leaving() {
    let s = room(Preset::Cooperative, &[("alice", 4, 1), ("bob", 2, 1)]);
    assert_eq!(
        decide_action(
            &s,
            &user("bob"),
            &Action::Remove {
                target: user("bob")
            }
        ),
        decide_action(&s, &user("bob"), &Action::Leave)
    );
    allowed(&s, "bob", Action::Leave);
}

#[test]
fn pseudonyms_allowed_is_fixed_at_creation() {
    let s = room(Preset::Cooperative, &[("alice", 4, 1), ("bob", 2, 1)]);
    let mut flipped = s.base.clone();
    flipped.pseudonyms_allowed = !flipped.pseudonyms_allowed;
    denied(
        &s,
        "alice",
        Action::UpdateBasePolicy(flipped),
        "pseudonyms_allowed",
    );
    // Any other change the admin may make still goes through.
    let mut other = s.base.clone();
    other.max_users = Some(10);
    allowed(&s, "alice", Action::UpdateBasePolicy(other));
}

/// A joiner judges its inviter on the room as joined (`crate::room::check_inviter`): moderated
/// roles 3 = attendee (adds no one), 5 = moderator (adds attendees).
#[test]
fn a_joiner_refuses_a_welcome_from_someone_who_may_not_have_added_it() {
    let after = room(
        Preset::Moderated,
        &[("mod", 5, 1), ("att", 3, 1), ("new", 3, 1), ("old", 3, 2)],
    );
    let joiner = client("new", "new-0");
    // A moderator may have listed an attendee
    assert!(crate::room::check_inviter(&after, &client("mod", "mod-0"), &joiner).is_ok());
    // An attendee may not have: the joiner says who and why
    let d = crate::room::check_inviter(&after, &client("att", "att-0"), &joiner).unwrap_err();
    assert_eq!(d.rule, "canAddParticipant");
    assert!(d.reason.contains("att"), "{}", d.reason);
    // A user's own new device, or a device of a user already in the room, is the members' to
    // judge (they saw the commit)
    assert!(crate::room::check_inviter(&after, &client("new", "new-9"), &joiner).is_ok());
    assert!(
        crate::room::check_inviter(&after, &client("att", "att-0"), &client("old", "old-1"))
            .is_ok()
    );
    // A joiner the room does not list at all was not added to it
    let stray = client("stray", "stray-0");
    assert_eq!(
        crate::room::check_inviter(&after, &client("mod", "mod-0"), &stray)
            .unwrap_err()
            .rule,
        "participant_list"
    );
}
