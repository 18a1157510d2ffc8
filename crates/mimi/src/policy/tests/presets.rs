//! The presets: valid, shaped as the draft writes them, and with Conclave's additions.

use super::*;
use crate::components::Role;

fn caps(r: &Role) -> Vec<Capability> {
    r.role_capabilities.clone()
}

#[test]
fn every_preset_is_valid_and_starts_with_no_role_and_banned() {
    for p in Preset::ALL {
        let roles = p.roles();
        validate_roles(&roles).unwrap();
        validate_preauth(&p.preauth(), &roles).unwrap();
        validate_base(&p.base_policy()).unwrap();
        let zero = roles.role(0).unwrap();
        assert_eq!(zero.name(), "no_role", "{p}");
        let banned = roles.role(1).unwrap();
        assert_eq!(banned.role_name.as_slice(), b"banned", "{p}");
        assert!(banned.role_capabilities.is_empty(), "{p}");
        assert_eq!(
            banned.maximum_active_participants_constraint,
            Some(0),
            "{p}"
        );
        assert!(banned.authorized_role_changes.is_empty(), "{p}");
        for r in &roles.roles {
            assert!(
                r.role_capabilities.iter().all(|c| c.is_known()),
                "{p} {}",
                r.name()
            );
        }
        let creator = roles.role(p.creator_role()).unwrap();
        assert_ne!(creator.name(), "policy_enforcer");
        assert!(creator.allows_active());
        assert!(
            roles
                .role(p.default_invitee_role())
                .unwrap()
                .allows_active()
        );
        assert_eq!(p.name().parse::<Preset>(), Ok(p));
        assert_eq!(p.to_string(), p.name());
    }
    assert!("Moderated".parse::<Preset>().is_err());
    assert_eq!(
        Preset::ALL.map(Preset::name),
        [
            "cooperative",
            "strict",
            "moderated",
            "multi-organisation",
            "announcement",
            "private"
        ]
    );
}

#[test]
fn base_policy_is_multi_device_unlimited_persistent_and_names_the_policy_components() {
    for p in Preset::ALL {
        let b = p.base_policy();
        assert!(b.multi_device && b.persistent_room);
        assert!(!b.fixed_membership && !b.parent_dependant && b.parent_room.is_empty());
        assert_eq!((b.max_clients, b.max_users), (None, None));
        assert_eq!(b.policy_component_ids, vec![0x0022, 0x0025, 0x0026]);
    }
}

#[test]
fn the_draft_examples_are_kept_as_written() {
    let coop = Preset::Cooperative.roles();
    let names: Vec<String> = coop.roles.iter().map(Role::name).collect();
    assert_eq!(
        names,
        [
            "no_role",
            "banned",
            "ordinary_user",
            "group_admin",
            "super_admin",
            "policy_enforcer"
        ]
    );
    let ga = coop.role(3).unwrap();
    assert_eq!(ga.minimum_participants_constraint, 1);
    let changes: Vec<(u32, Vec<u32>)> = ga
        .authorized_role_changes
        .iter()
        .map(|e| (e.from_role_index, e.target_role_indexes.clone()))
        .collect();
    assert_eq!(
        changes,
        vec![
            (0, vec![1, 2, 3]),
            (1, vec![0, 2, 3]),
            (2, vec![0, 1, 3]),
            (3, vec![0, 1, 2])
        ]
    );
    // canRevokeVoice and canGrantVoice have no code point: 37 + 7 capabilities, not 37 + 9.
    assert_eq!(caps(coop.role(2).unwrap()).len(), 37);
    assert_eq!(caps(ga).len(), 44);
    assert!(!caps(coop.role(4).unwrap()).contains(&Capability::CAN_CHANGE_ROLE_DEFINITIONS));
    let pe = coop.role(5).unwrap();
    assert_eq!(
        (
            pe.minimum_participants_constraint,
            pe.maximum_participants_constraint,
            pe.minimum_active_participants_constraint,
            pe.maximum_active_participants_constraint
        ),
        (1, Some(2), 0, Some(0))
    );
    assert!(caps(pe).contains(&Capability::CAN_CHANGE_MLS_OPERATIONAL_POLICIES));
    // The draft's nine, plus canKick (Conclave: the hub enforcing an upheld report).
    assert!(caps(pe).contains(&Capability::CAN_KICK));
    assert_eq!(caps(pe).len(), 10);

    let strict = Preset::Strict.roles();
    assert_eq!(
        caps(strict.role(0).unwrap()),
        vec![Capability::CAN_USE_JOIN_CODE]
    );
    assert!(!caps(strict.role(2).unwrap()).contains(&Capability::CAN_REPLY_TO_MESSAGE));
    assert!(caps(strict.role(3).unwrap()).contains(&Capability::CAN_CREATE_JOIN_CODE));

    let m = Preset::Moderated.roles();
    assert_eq!(
        m.role(0).unwrap().maximum_active_participants_constraint,
        None
    );
    assert!(m.role(0).unwrap().may_move(0, 2) && m.role(0).unwrap().may_move(0, 3));
    // each A.3 role extends the one below it
    for (lower, upper) in [(2, 3), (3, 4), (4, 5), (5, 6)] {
        let up = caps(m.role(upper).unwrap());
        assert!(
            caps(m.role(lower).unwrap()).iter().all(|c| up.contains(c)),
            "{lower} ⊂ {upper}"
        );
    }
    assert!(!caps(m.role(3).unwrap()).contains(&Capability::CAN_SEND_MESSAGE));
    assert!(caps(m.role(4).unwrap()).contains(&Capability::CAN_SEND_MESSAGE));

    let multi = Preset::MultiOrganisation.roles();
    let b_admin = multi.role(6).unwrap();
    assert_eq!(b_admin.maximum_participants_constraint, Some(3));
    assert!(!caps(b_admin).contains(&Capability::CAN_UNBAN));
    assert!(caps(multi.role(8).unwrap()).contains(&Capability::CAN_UNBAN));
    // A.4's policy_enforcer has no entry from org_a_user
    assert!(!multi.role(9).unwrap().may_move(2, 0));
    assert_eq!(
        multi
            .role(8)
            .unwrap()
            .minimum_active_participants_constraint,
        1
    );
}

#[test]
fn suspended_is_listed_active_and_mute_and_deaf() {
    for p in [Preset::Moderated, Preset::Announcement] {
        let roles = p.roles();
        let s = roles.role(8).unwrap();
        assert_eq!(s.name(), "suspended");
        assert!(s.allows_active());
        assert!(!s.lists(Capability::CAN_SEND_MESSAGE));
        assert!(!s.lists(Capability::CAN_RECEIVE_MESSAGE));
        let moderator = roles.role(5).unwrap();
        for r in [2, 3, 4] {
            assert!(
                moderator.may_move(r, 8) && moderator.may_move(8, r),
                "{p} {r}"
            );
            assert!(moderator.may_move(r, 2) && moderator.may_move(2, r) || r == 2);
        }
    }
}

#[test]
fn announcement_guests_and_attendees_only_receive() {
    let roles = Preset::Announcement.roles();
    for r in [2, 3] {
        let c = caps(roles.role(r).unwrap());
        assert!(c.contains(&Capability::CAN_RECEIVE_MESSAGE));
        for sending in [
            Capability::CAN_SEND_MESSAGE,
            Capability::CAN_REPLY_TO_MESSAGE,
            Capability::CAN_REACT_TO_MESSAGE,
            Capability::CAN_REPLY_IN_TOPIC,
        ] {
            assert!(!c.contains(&sending), "{r} {sending}");
        }
    }
    for r in [4, 5, 6] {
        assert!(roles.role(r).unwrap().lists(Capability::CAN_SEND_MESSAGE));
    }
    assert_eq!(
        roles
            .role(0)
            .unwrap()
            .maximum_active_participants_constraint,
        Some(0)
    );
}

#[test]
fn private_rooms_are_a_group_of_equals_without_bans() {
    let roles = Preset::Private.roles();
    assert_eq!(roles.roles.len(), 3);
    let member = roles.role(2).unwrap();
    assert_eq!(Preset::Private.creator_role(), 2);
    assert!(member.lists(Capability::CAN_ADD_PARTICIPANT));
    assert!(member.lists(Capability::CAN_REMOVE_PARTICIPANT));
    for c in [
        Capability::CAN_BAN,
        Capability::CAN_UNBAN,
        Capability::CAN_KICK,
        Capability::CAN_CHANGE_USER_ROLE,
    ] {
        assert!(!member.lists(c));
    }
    assert!(Preset::Private.preauth().preauthorized_entries.is_empty());
    assert_eq!(
        Preset::Moderated.preauth().preauthorized_entries[0]
            .target_role
            .role_index,
        7
    );
}

#[test]
fn each_preset_is_recognised_by_its_roles_and_an_edited_list_by_none() {
    for p in Preset::ALL {
        assert_eq!(Preset::matching(&p.roles()), Some(p), "{}", p.name());
    }
    let mut edited = Preset::Cooperative.roles();
    edited.roles.pop();
    assert_eq!(Preset::matching(&edited), None);
}
