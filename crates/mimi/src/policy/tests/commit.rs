//! `check_commit` and `apply_component_updates`: what a whole commit may do.

use super::*;
use crate::components::{ComponentError, PreAuthData, RoomMetaData};
use crate::ids::{PARTICIPANT_LIST, ROLES_LIST};

fn by(who: &ClientIdentity, item: Item) -> Proposed {
    Proposed {
        by: Some(who.clone()),
        item,
    }
}

fn hub(item: Item) -> Proposed {
    Proposed { by: None, item }
}

fn refused(
    before: &PolicyState,
    committer: &ClientIdentity,
    items: &[Proposed],
    rule: &str,
) -> String {
    match check_commit(before, committer, items) {
        Err(d) => {
            assert_eq!(d.rule, rule, "{}", d.reason);
            d.reason
        }
        Ok(_) => panic!("the commit was accepted"),
    }
}

fn index(s: &PolicyState, name: &str) -> u32 {
    s.participants.index_of(&user(name).to_bytes()).unwrap() as u32
}

fn change(i: u32, role: u32) -> ParticipantListUpdate {
    ParticipantListUpdate {
        changed_role_participants: vec![UserindexRolePair {
            user_index: i,
            role_index: role,
        }],
        ..Default::default()
    }
}

fn remove(i: u32) -> ParticipantListUpdate {
    ParticipantListUpdate {
        removed_indices: vec![i],
        ..Default::default()
    }
}

fn append(name: &str, role: u32) -> ParticipantListUpdate {
    ParticipantListUpdate {
        added_participants: vec![UserRolePair {
            user: user(name).to_bytes().into(),
            role_index: role,
        }],
        ..Default::default()
    }
}

/// Cooperative room: alice super_admin, gary group_admin, bob ordinary_user with two clients.
fn coop() -> PolicyState {
    room(
        Preset::Cooperative,
        &[("alice", 4, 1), ("gary", 3, 1), ("bob", 2, 2)],
    )
}

#[test]
fn a_ban_that_leaves_one_of_the_targets_clients_is_refused() {
    let s = coop();
    let g = client("gary", "gary-0");
    let reason = refused(
        &s,
        &g,
        &[
            by(&g, Item::ParticipantList(change(index(&s, "bob"), 1))),
            by(&g, Item::RemoveClient(client("bob", "bob-0"))),
        ],
        "canBan",
    );
    assert_eq!(
        reason,
        "a ban must take all of mimi://h/u/bob's clients out of the group, but mimi://h/d/bob-1 stays"
    );
    let after = check_commit(
        &s,
        &g,
        &[
            by(&g, Item::ParticipantList(change(index(&s, "bob"), 1))),
            by(&g, Item::RemoveClient(client("bob", "bob-0"))),
            by(&g, Item::RemoveClient(client("bob", "bob-1"))),
        ],
    )
    .unwrap();
    assert_eq!(after.role_of(&user("bob")), 1);
    assert!(!after.is_active(&user("bob")));
    after.validate().unwrap();
}

#[test]
fn a_removal_or_a_leave_takes_every_client_too() {
    let s = coop();
    let a = client("alice", "alice-0");
    refused(
        &s,
        &a,
        &[by(&a, Item::ParticipantList(remove(index(&s, "bob"))))],
        "canRemoveParticipant",
    );
    let b0 = client("bob", "bob-0");
    let b1 = client("bob", "bob-1");
    // bob leaves: his proposals, someone else commits (POLICY §8.1.2).
    let leave = [
        by(&b0, Item::ParticipantList(remove(index(&s, "bob")))),
        by(&b0, Item::SelfRemove(b0.clone())),
        by(&b1, Item::SelfRemove(b1.clone())),
    ];
    let after = check_commit(&s, &a, &leave).unwrap();
    assert_eq!(after.role_of(&user("bob")), 0);
    refused(&s, &a, &leave[..2], "canRemoveSelf");
    refused(&s, &b0, &leave, "membership");
}

#[test]
fn a_role_update_with_a_participant_list_change_is_refused() {
    let s = coop();
    let a = client("alice", "alice-0");
    let mut roles = s.roles.clone();
    roles.roles[2].role_capabilities.push(Capability::CAN_KICK);
    // A.1 gives super_admin no canChangeRoleDefinitions; grant it for this test
    let mut s2 = s.clone();
    s2.roles.roles[4]
        .role_capabilities
        .push(Capability::CAN_CHANGE_ROLE_DEFINITIONS);
    let reason = refused(
        &s2,
        &a,
        &[
            by(&a, Item::Roles(roles.clone())),
            by(&a, Item::ParticipantList(append("carl", 2))),
        ],
        "RoleUpdate",
    );
    assert!(reason.contains("POLICY §3"));
    assert!(check_commit(&s2, &a, &[by(&a, Item::Roles(roles.clone()))]).is_ok());
    refused(
        &s,
        &a,
        &[by(&a, Item::Roles(roles))],
        "canChangeRoleDefinitions",
    );
}

#[test]
fn a_preauth_update_may_come_only_with_removals() {
    let s = coop();
    let a = client("alice", "alice-0");
    let p = PreAuthData::default();
    refused(
        &s,
        &a,
        &[
            by(&a, Item::Preauth(p.clone())),
            by(&a, Item::ParticipantList(append("carl", 2))),
        ],
        "PreAuthUpdate",
    );
    let ok = check_commit(
        &s,
        &a,
        &[
            by(&a, Item::Preauth(p.clone())),
            by(&a, Item::ParticipantList(remove(index(&s, "bob")))),
            by(&a, Item::RemoveClient(client("bob", "bob-0"))),
            by(&a, Item::RemoveClient(client("bob", "bob-1"))),
        ],
    )
    .unwrap();
    assert_eq!(ok.preauth, p);
}

#[test]
fn unknown_components_and_proposals_are_refused() {
    let s = coop();
    let a = client("alice", "alice-0");
    let reason = refused(
        &s,
        &a,
        &[by(&a, Item::UnknownComponent(0x0028))],
        "unknown_component",
    );
    assert!(reason.contains("status_notification_policy"), "{reason}");
    refused(
        &s,
        &a,
        &[by(&a, Item::UnknownComponent(0x7777))],
        "unknown_component",
    );
    refused(
        &s,
        &a,
        &[by(&a, Item::Other("PreSharedKey"))],
        "unknown_proposal",
    );
    // Update proposals are fine; ReInit needs canSendMLSReinitProposal, which A.1 gives nobody
    // but the policy_enforcer.
    assert!(check_commit(&s, &a, &[by(&a, Item::Update)]).is_ok());
    refused(&s, &a, &[by(&a, Item::ReInit)], "canSendMLSReinitProposal");
}

#[test]
fn clients_of_a_user_whose_role_allows_no_clients_are_refused() {
    let s = coop();
    let a = client("alice", "alice-0");
    // Adding a policy_enforcer-like role with clients: give super_admin the move for the test.
    let mut s2 = s.clone();
    s2.roles.roles[4].authorized_role_changes[0]
        .target_role_indexes
        .push(5);
    let pe = client("pete", "pete-0");
    let reason = refused(
        &s2,
        &a,
        &[
            by(&a, Item::ParticipantList(append("pete", 5))),
            by(&a, Item::AddClient(pe.clone())),
        ],
        "maximum_active_participants_constraint",
    );
    assert!(
        reason.contains("policy_enforcer may not have clients"),
        "{reason}"
    );
    // Listed without clients, pete is fine.
    assert!(check_commit(&s2, &a, &[by(&a, Item::ParticipantList(append("pete", 5)))]).is_ok());
    // A banned user's client is refused the same way.
    let mut banned = coop();
    banned.participants.participants.push(UserRolePair {
        user: user("ben").to_bytes().into(),
        role_index: 1,
    });
    let ben = client("ben", "ben-0");
    refused(
        &banned,
        &ben,
        &[by(&ben, Item::AddClient(ben.clone()))],
        "canAddOwnClient",
    );
}

#[test]
fn an_invitation_lists_the_user_and_adds_their_clients() {
    let s = coop();
    let b = client("bob", "bob-0");
    let c0 = client("carl", "carl-0");
    let c1 = client("carl", "carl-1");
    let after = check_commit(
        &s,
        &b,
        &[
            by(&b, Item::ParticipantList(append("carl", 2))),
            by(&b, Item::AddClient(c0.clone())),
            by(&b, Item::AddClient(c1.clone())),
        ],
    )
    .unwrap();
    assert_eq!(after.role_of(&user("carl")), 2);
    assert_eq!(after.clients_of(&user("carl")).count(), 2);
    after.validate().unwrap();
    // The clients without the listing: carl is not in the list.
    refused(&s, &b, &[by(&b, Item::AddClient(c0.clone()))], "binding");
    // An ordinary_user may only add ordinary users.
    refused(
        &s,
        &b,
        &[by(&b, Item::ParticipantList(append("carl", 3)))],
        "canAddParticipant",
    );
    // Another listed user's client may be let in by someone who could add that user in their
    // role (Conclave's reading: re-adding after a kick), by nobody else.
    let g = client("gary", "gary-0");
    check_commit(&s, &g, &[by(&g, Item::AddClient(client("bob", "bob-2")))]).unwrap();
    let st = room(
        Preset::Strict,
        &[("alice", 4, 1), ("bob", 2, 1), ("dan", 2, 1)],
    );
    let d = client("dan", "dan-0");
    refused(
        &st,
        &d,
        &[by(&d, Item::AddClient(client("bob", "bob-1")))],
        "canAddOwnClient",
    );
    let mine = check_commit(&s, &b, &[by(&b, Item::AddClient(client("bob", "bob-2")))]).unwrap();
    assert_eq!(mine.clients_of(&user("bob")).count(), 3);
}

#[test]
fn kicks_may_take_some_clients_and_need_can_kick() {
    let s = coop();
    let g = client("gary", "gary-0");
    let after = check_commit(
        &s,
        &g,
        &[by(&g, Item::RemoveClient(client("bob", "bob-0")))],
    )
    .unwrap();
    assert_eq!(after.role_of(&user("bob")), 2);
    assert_eq!(after.clients_of(&user("bob")).count(), 1);
    let b = client("bob", "bob-0");
    refused(
        &s,
        &b,
        &[by(&b, Item::RemoveClient(client("gary", "gary-0")))],
        "canKick",
    );
    // One's own client: canRemoveOwnClient, committed by someone else.
    let b1 = client("bob", "bob-1");
    assert!(check_commit(&s, &b, &[by(&b1, Item::SelfRemove(b1.clone()))]).is_ok());
    refused(
        &s,
        &b,
        &[by(&b, Item::SelfRemove(b1.clone()))],
        "membership",
    );
}

#[test]
fn proposers_and_committers_must_be_members() {
    let s = coop();
    let a = client("alice", "alice-0");
    let m = client("mallory", "mallory-0");
    refused(&s, &m, &[by(&m, Item::Update)], "membership");
    refused(&s, &a, &[by(&m, Item::Update)], "membership");
    // a client claiming another user's identity is not the member
    let forged = client("gary", "alice-0");
    refused(&s, &a, &[by(&forged, Item::Update)], "membership");
    assert_eq!(check_commit(&s, &a, &[]).unwrap(), s);
}

#[test]
fn one_update_per_component_and_metadata_field_by_field() {
    let mut s = coop();
    s.metadata = Some(RoomMetaData::named("mimi://h/r/x", "Old"));
    let b = client("bob", "bob-0");
    let renamed = RoomMetaData::named("mimi://h/r/x", "New");
    refused(
        &s,
        &b,
        &[
            by(&b, Item::Metadata(renamed.clone())),
            by(&b, Item::Metadata(renamed.clone())),
        ],
        "AppDataUpdate",
    );
    let after = check_commit(&s, &b, &[by(&b, Item::Metadata(renamed))]).unwrap();
    assert_eq!(after.metadata.unwrap().name(), "New");
    refused(
        &s,
        &b,
        &[by(
            &b,
            Item::Metadata(RoomMetaData::named("mimi://h/r/y", "Old")),
        )],
        "room_uri",
    );
    let mut described = RoomMetaData::named("mimi://h/r/x", "Old");
    described.room_subject = b"topic".to_vec().into();
    described.room_mood = b"calm".to_vec().into();
    assert!(check_commit(&s, &b, &[by(&b, Item::Metadata(described))]).is_ok());
    refused(
        &s,
        &b,
        &[
            by(&b, Item::ParticipantList(append("carl", 2))),
            by(&b, Item::ParticipantList(append("dora", 2))),
        ],
        "AppDataUpdate",
    );
}

#[test]
fn the_hub_acts_as_the_preauthorized_policy_enforcer() {
    let s = coop();
    let a = client("alice", "alice-0");
    let bob = index(&s, "bob");
    let ban = [
        hub(Item::ParticipantList(change(bob, 1))),
        hub(Item::RemoveClient(client("bob", "bob-0"))),
        hub(Item::RemoveClient(client("bob", "bob-1"))),
    ];
    let after = check_commit(&s, &a, &ban).unwrap();
    assert_eq!(after.role_of(&user("bob")), 1);
    // and may take a user's clients out (Conclave's canKick for upheld reports), but may not
    // add anyone
    check_commit(&s, &a, &[hub(Item::RemoveClient(client("bob", "bob-0")))]).unwrap();
    refused(
        &s,
        &a,
        &[hub(Item::ParticipantList(append("carl", 2)))],
        "canAddParticipant",
    );
    // In a private room the hub is preauthorized for nothing.
    let p = room(Preset::Private, &[("alice", 2, 1), ("bob", 2, 2)]);
    refused(
        &p,
        &a,
        &[hub(Item::ParticipantList(remove(1)))],
        "canRemoveParticipant",
    );
}

#[test]
fn an_external_join_by_preauth_or_open_join() {
    let mut s = room(Preset::Strict, &[("alice", 4, 1)]);
    let o = client("olga", "olga-0");
    let join = [
        by(&o, Item::ParticipantList(append("olga", 2))),
        by(&o, Item::AddClient(o.clone())),
    ];
    refused(&s, &o, &join, "canOpenJoin");
    s.preauth
        .preauthorized_entries
        .push(crate::components::PreAuthRoleEntry {
            claimset: vec![claim(CLAIM_DOMAIN, b"h")],
            target_role: s.roles.role(2).unwrap().clone(),
        });
    let after = check_commit(&s, &o, &join).unwrap();
    assert!(after.is_active(&user("olga")));
    // the preauth list names ordinary_user; joining as group_admin is refused with its rule
    let as_admin = [
        by(&o, Item::ParticipantList(append("olga", 3))),
        by(&o, Item::AddClient(o.clone())),
    ];
    refused(&s, &o, &as_admin, "canJoinIfPreauthorized");
}

#[test]
fn the_creation_state_passes_and_an_empty_commit_keeps_it() {
    for preset in Preset::ALL {
        let creator = client("alice", "alice-0");
        let s = PolicyState::create(
            preset,
            &creator,
            Some(RoomMetaData::named("mimi://h/r/x", "Room")),
        );
        s.validate().unwrap();
        assert_eq!(s.role_of(&user("alice")), preset.creator_role());
        assert_eq!(
            check_commit(&s, &creator, &[by(&creator, Item::Update)]).unwrap(),
            s
        );
        // the creator can invite someone with the default role in every preset
        let d = decide_action(
            &s,
            &user("alice"),
            &Action::Add {
                target: user("bob"),
                role: preset.default_invitee_role(),
            },
        );
        assert!(is_allowed(&d), "{preset}: {d:?}");
    }
}

#[test]
fn component_updates_are_applied_in_commit_order() {
    let old = ParticipantListData::default().to_bytes();
    let u1 = append("a", 2).to_bytes();
    let u2 = ParticipantListUpdate {
        changed_role_participants: vec![UserindexRolePair {
            user_index: 0,
            role_index: 3,
        }],
        removed_indices: vec![],
        added_participants: append("b", 2).added_participants,
    }
    .to_bytes();
    let new = apply_component_updates(PARTICIPANT_LIST, Some(&old), &[&u1, &u2]).unwrap();
    let list = ParticipantListData::from_bytes(&new).unwrap();
    assert_eq!(list.role_of(&user("a").to_bytes()), Some(3));
    assert_eq!(list.index_of(&user("b").to_bytes()), Some(1));
    assert_eq!(
        apply_component_updates(PARTICIPANT_LIST, None, &[&u1]).unwrap(),
        {
            ParticipantListData::default()
                .apply(&append("a", 2))
                .unwrap()
                .to_bytes()
        }
    );
    // replacement components: the last update wins, each must decode
    let r1 = Preset::Strict.roles().to_bytes();
    let r2 = Preset::Moderated.roles().to_bytes();
    assert_eq!(
        apply_component_updates(ROLES_LIST, Some(&r1), &[&r1, &r2]).unwrap(),
        r2
    );
    assert!(matches!(
        apply_component_updates(ROLES_LIST, None, &[&r1, &[1, 2, 3]]),
        Err(ComponentError::Wire(_))
    ));
    assert_eq!(
        apply_component_updates(0x0028, None, &[&r1]),
        Err(ComponentError::UnknownComponent(0x0028))
    );
    assert_eq!(
        apply_component_updates(ROLES_LIST, None, &[]),
        Err(ComponentError::NoUpdate(ROLES_LIST))
    );
    // an update that does not fit the list
    assert!(matches!(
        apply_component_updates(PARTICIPANT_LIST, Some(&new), &[&u1]),
        Err(ComponentError::ParticipantList(_))
    ));
}
