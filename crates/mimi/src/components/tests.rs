//! Known-answer bytes for every component struct, written by hand from the draft layouts
//! (POLICY §3–§5 and Appendix B, PROTO §7.5–§7.6), and the participant-list update rules.

use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    ::hex::decode(s).unwrap()
}

fn vl(b: &[u8]) -> VLBytes {
    b.to_vec().into()
}

/// Encodes to `want`, decodes back to itself, and refuses a truncated or extended copy.
fn known_answer<T>(
    value: &T,
    want: &str,
    to: fn(&T) -> Vec<u8>,
    from: fn(&[u8]) -> Result<T, WireError>,
) where
    T: PartialEq + std::fmt::Debug,
{
    let want = hex(want);
    let got = to(value);
    assert_eq!(::hex::encode(&got), ::hex::encode(&want));
    assert_eq!(&from(&got).unwrap(), value);
    assert!(from(&got[..got.len() - 1]).is_err(), "truncated");
    let mut longer = got.clone();
    longer.push(0);
    assert!(from(&longer).is_err(), "trailing byte");
}

#[test]
fn room_metadata_bytes_are_the_draft_layout() {
    let m = RoomMetaData::named("mimi://h/r/x", "Hi");
    let b = m.to_bytes();
    // uri<V>, name<V>, descriptions<V> (empty), avatar<V>, subject<V>, mood<V>
    let mut want = vec![12];
    want.extend_from_slice(b"mimi://h/r/x");
    want.extend_from_slice(&[2, b'H', b'i', 0, 0, 0, 0]);
    assert_eq!(b, want);
    assert_eq!(RoomMetaData::from_bytes(&b).unwrap(), m);
    assert_eq!(m.name(), "Hi");
    assert!(RoomMetaData::from_bytes(&b[..5]).is_err());
}

#[test]
fn single_source_role_change_targets_bytes() {
    // uint32 from_role_index; uint32 target_role_indexes<V> (8 bytes of content)
    let v = SingleSourceRoleChangeTargets {
        from_role_index: 2,
        target_role_indexes: vec![0, 1],
    };
    known_answer(
        &v,
        "00000002 08 00000000 00000001",
        SingleSourceRoleChangeTargets::to_bytes,
        SingleSourceRoleChangeTargets::from_bytes,
    );
}

fn banned_like() -> Role {
    Role {
        role_index: 1,
        role_name: vl(b"banned"),
        role_description: vl(b""),
        role_capabilities: vec![Capability(0x0100), Capability(0x000a)],
        minimum_participants_constraint: 0,
        maximum_participants_constraint: None,
        minimum_active_participants_constraint: 1,
        maximum_active_participants_constraint: Some(0),
        authorized_role_changes: vec![SingleSourceRoleChangeTargets {
            from_role_index: 0,
            target_role_indexes: vec![2],
        }],
    }
}

// role_index | name<V> | description<V> | capabilities<V> (uint16 each) | min | optional max |
// min_active | optional max_active | authorized_role_changes<V>
const BANNED_LIKE: &str = "00000001 06 62616e6e6564 00 04 0100 000a 00000000 00 00000001 01 00000000 \
                           09 00000000 04 00000002";

#[test]
fn role_bytes() {
    known_answer(
        &banned_like(),
        BANNED_LIKE,
        Role::to_bytes,
        Role::from_bytes,
    );
}

#[test]
fn role_name_of_64_bytes_takes_a_two_byte_length() {
    let mut r = banned_like();
    r.role_name = vl(&[b'x'; 64]);
    let b = r.to_bytes();
    assert_eq!(&b[4..6], &[0x40, 0x40]);
    assert_eq!(Role::from_bytes(&b).unwrap(), r);
}

#[test]
fn optional_presence_byte_must_be_0_or_1() {
    let mut b = hex(BANNED_LIKE);
    // the presence byte of maximum_participants_constraint
    assert_eq!(b[21], 0);
    b[21] = 2;
    assert!(Role::from_bytes(&b).is_err());
}

#[test]
fn role_data_bytes() {
    // roles<V>: the one role is 41 = 0x29 bytes
    let d = RoleData {
        roles: vec![banned_like()],
    };
    known_answer(
        &d,
        &format!("29 {BANNED_LIKE}"),
        RoleData::to_bytes,
        RoleData::from_bytes,
    );
    assert_eq!(d.role(1), Some(&banned_like()));
    assert_eq!(d.role(2), None);
}

#[test]
fn user_role_pair_and_participant_list_bytes() {
    let pair = UserRolePair {
        user: vl(b"a"),
        role_index: 2,
    };
    known_answer(
        &pair,
        "01 61 00000002",
        UserRolePair::to_bytes,
        UserRolePair::from_bytes,
    );
    let list = ParticipantListData {
        participants: vec![
            pair,
            UserRolePair {
                user: vl(b"bc"),
                role_index: 1,
            },
        ],
    };
    // participants<V>: 6 + 7 = 13 bytes
    known_answer(
        &list,
        "0d 01 61 00000002 02 6263 00000001",
        ParticipantListData::to_bytes,
        ParticipantListData::from_bytes,
    );
}

#[test]
fn participant_list_update_bytes() {
    let idx = UserindexRolePair {
        user_index: 1,
        role_index: 3,
    };
    known_answer(
        &idx,
        "00000001 00000003",
        UserindexRolePair::to_bytes,
        UserindexRolePair::from_bytes,
    );
    let u = ParticipantListUpdate {
        changed_role_participants: vec![UserindexRolePair {
            user_index: 0,
            role_index: 3,
        }],
        removed_indices: vec![1],
        added_participants: vec![UserRolePair {
            user: vl(b"d"),
            role_index: 2,
        }],
    };
    // changedRoleParticipants<V> | removedIndices<V> | addedParticipants<V>
    known_answer(
        &u,
        "08 00000000 00000003 04 00000001 06 01 64 00000002",
        ParticipantListUpdate::to_bytes,
        ParticipantListUpdate::from_bytes,
    );
    assert_eq!(ParticipantListUpdate::default().to_bytes(), vec![0, 0, 0]);
}

#[test]
fn claim_bytes() {
    // CredentialType (uint16) | id<V>
    let id = ClaimId {
        credential_type: 0xf0c0,
        id: vl(b"user"),
    };
    known_answer(
        &id,
        "f0c0 04 75736572",
        ClaimId::to_bytes,
        ClaimId::from_bytes,
    );
    let c = Claim {
        claim_id: ClaimId {
            credential_type: 1,
            id: vl(b"x"),
        },
        claim_value: vl(b"y"),
    };
    known_answer(&c, "0001 01 78 01 79", Claim::to_bytes, Claim::from_bytes);
}

fn enforcer_like() -> Role {
    Role {
        role_index: 5,
        role_name: vl(b"p"),
        role_description: vl(b""),
        role_capabilities: vec![],
        minimum_participants_constraint: 1,
        maximum_participants_constraint: Some(2),
        minimum_active_participants_constraint: 0,
        maximum_active_participants_constraint: Some(0),
        authorized_role_changes: vec![],
    }
}

// 27 bytes
const ENFORCER_LIKE: &str = "00000005 01 70 00 00 00000001 01 00000002 00000000 01 00000000 00";

#[test]
fn preauth_bytes() {
    let entry = PreAuthRoleEntry {
        claimset: vec![Claim {
            claim_id: ClaimId {
                credential_type: 1,
                id: vl(b"x"),
            },
            claim_value: vl(b"y"),
        }],
        target_role: enforcer_like(),
    };
    // claimset<V> (6 bytes) | Role target_role
    let entry_hex = format!("06 0001 01 78 01 79 {ENFORCER_LIKE}");
    known_answer(
        &entry,
        &entry_hex,
        PreAuthRoleEntry::to_bytes,
        PreAuthRoleEntry::from_bytes,
    );
    let data = PreAuthData {
        preauthorized_entries: vec![entry],
    };
    // preauthorized_entries<V>: 7 + 27 = 34 = 0x22 bytes
    known_answer(
        &data,
        &format!("22 {entry_hex}"),
        PreAuthData::to_bytes,
        PreAuthData::from_bytes,
    );
    assert_eq!(PreAuthData::default().to_bytes(), vec![0]);
}

fn base() -> BaseRoomPolicy {
    BaseRoomPolicy {
        fixed_membership: false,
        parent_dependant: false,
        parent_room: vec![],
        multi_device: true,
        max_clients: None,
        max_users: Some(5),
        pseudonyms_allowed: false,
        persistent_room: true,
        discoverable: false,
        policy_component_ids: vec![0x0022, 0x0025, 0x0026],
    }
}

// fixed | parent_dependant | parent_room<V> | multi_device | optional max_clients |
// optional max_users | pseudonyms | persistent | discoverable | policy_component_ids<V>
const BASE: &str = "00 00 00 01 00 01 00000005 00 01 00 06 0022 0025 0026";

#[test]
fn base_room_policy_bytes() {
    known_answer(
        &base(),
        BASE,
        BaseRoomPolicy::to_bytes,
        BaseRoomPolicy::from_bytes,
    );
    assert_eq!(base().tls_serialized_len(), hex(BASE).len());
}

#[test]
fn base_room_policy_parent_room_is_a_vector_of_uri() {
    let mut b = base();
    b.parent_dependant = true;
    b.parent_room = vec![vl(b"r")];
    // parent_room<V> holds one Uri { opaque uri<V> } = 01 72, so the vector is 02 01 72
    known_answer(
        &b,
        "00 01 02 01 72 01 00 01 00000005 00 01 00 06 0022 0025 0026",
        BaseRoomPolicy::to_bytes,
        BaseRoomPolicy::from_bytes,
    );
}

#[test]
fn a_bool_other_than_0_or_1_is_refused() {
    for i in [0usize, 1, 3, 10, 11, 12] {
        let mut b = hex(BASE);
        b[i] = 2;
        assert!(BaseRoomPolicy::from_bytes(&b).is_err(), "byte {i}");
    }
}

fn list(users: &[(&str, u32)]) -> ParticipantListData {
    ParticipantListData {
        participants: users
            .iter()
            .map(|(u, r)| UserRolePair {
                user: vl(u.as_bytes()),
                role_index: *r,
            })
            .collect(),
    }
}

fn update(changed: &[(u32, u32)], removed: &[u32], added: &[(&str, u32)]) -> ParticipantListUpdate {
    ParticipantListUpdate {
        changed_role_participants: changed
            .iter()
            .map(|(i, r)| UserindexRolePair {
                user_index: *i,
                role_index: *r,
            })
            .collect(),
        removed_indices: removed.to_vec(),
        added_participants: list(added).participants,
    }
}

#[test]
fn update_applies_role_changes_then_removals_then_appends_by_old_indices() {
    let before = list(&[("a", 2), ("b", 2), ("c", 3), ("d", 2)]);
    // Change d (index 3), remove a and c (indices 0 and 2, given out of order), append e.
    let after = before
        .apply(&update(&[(3, 1)], &[2, 0], &[("e", 4)]))
        .unwrap();
    assert_eq!(after, list(&[("b", 2), ("d", 1), ("e", 4)]));
    assert_eq!(after.role_of(b"d"), Some(1));
    assert_eq!(after.role_of(b"a"), None);
    assert_eq!(after.index_of(b"e"), Some(2));
    assert_eq!(after.index_of(b"zz"), None);
    assert_eq!(
        before.apply(&ParticipantListUpdate::default()).unwrap(),
        before
    );
}

#[test]
fn update_refuses_what_touches_a_user_twice_or_points_nowhere() {
    let before = list(&[("a", 2), ("b", 2)]);
    let refused = [
        update(&[(2, 3)], &[], &[]),             // index out of range
        update(&[], &[2], &[]),                  // index out of range
        update(&[(0, 3), (0, 4)], &[], &[]),     // changed twice
        update(&[], &[1, 1], &[]),               // removed twice
        update(&[(1, 3)], &[1], &[]),            // changed and removed
        update(&[], &[], &[("a", 2)]),           // already listed
        update(&[], &[0], &[("a", 2)]),          // removed and re-added in one commit
        update(&[], &[], &[("c", 2), ("c", 3)]), // appended twice
        update(&[(0, 0)], &[], &[]),             // role 0 is "not listed"
        update(&[], &[], &[("c", 0)]),           // appended as role 0
    ];
    for u in refused {
        assert!(
            matches!(before.apply(&u), Err(ComponentError::ParticipantList(_))),
            "{u:?}"
        );
    }
    let broken = list(&[("a", 2), ("a", 3)]);
    assert!(broken.apply(&ParticipantListUpdate::default()).is_err());
}
