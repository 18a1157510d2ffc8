//! The GroupContext components (`mimi::components`, `from_bytes`): what a room's creator or any
//! member proposing an AppDataUpdate puts in front of every member and the hub. The first byte
//! picks the struct (`conclave_fuzz::components`).
//!
//! Promises checked: `from_bytes` is strict TLS (exactly one value, minimal lengths, booleans 0
//! or 1), so an accepted input re-encodes to itself; and `ParticipantListData::apply`, the
//! structural half of every participant-list update, keeps each user listed once and gives the
//! list the length its update says.

#![no_main]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use conclave_fuzz::components as sel;
use conclave_fuzz::{round_trip, select};
use libfuzzer_sys::fuzz_target;
use mimi::components::{
    BaseRoomPolicy, ParticipantListData, ParticipantListUpdate, PreAuthData, RoleData, RoomMetaData,
};
use mimi::policy::{Preset, validate_base, validate_preauth, validate_roles};
use tls_codec::Deserialize as _;

/// The roles a preauth list is checked against: POLICY A.2's, whose preauth list is not empty.
static STRICT_ROLES: LazyLock<RoleData> = LazyLock::new(|| Preset::Strict.roles());

fuzz_target!(|data: &[u8]| {
    let Some((selector, bytes)) = select(data, sel::COUNT) else {
        return;
    };
    match selector {
        sel::ROOM_METADATA => {
            if let Some(m) = round_trip!(RoomMetaData, bytes) {
                let _ = m.name();
            }
        }
        sel::ROLE_DATA => {
            if let Some(r) = round_trip!(RoleData, bytes) {
                let _ = Preset::matching(&r);
                let _ = validate_roles(&r);
                for role in &r.roles {
                    let _ = (role.name(), role.allows_active());
                    assert!(r.role(role.role_index).is_some());
                }
            }
        }
        sel::PARTICIPANT_LIST => {
            if let Some(l) = round_trip!(ParticipantListData, bytes) {
                for p in &l.participants {
                    assert!(l.index_of(p.user.as_slice()).is_some());
                    assert!(l.role_of(p.user.as_slice()).is_some());
                }
            }
        }
        sel::PARTICIPANT_LIST_UPDATE => {
            if let Some(u) = round_trip!(ParticipantListUpdate, bytes) {
                let _ = u.only_removes();
            }
        }
        sel::PREAUTH => {
            if let Some(p) = round_trip!(PreAuthData, bytes) {
                let _ = validate_preauth(&p, &STRICT_ROLES);
            }
        }
        sel::BASE_ROOM_POLICY => {
            if let Some(b) = round_trip!(BaseRoomPolicy, bytes) {
                let _ = validate_base(&b);
            }
        }
        sel::APPLY_UPDATE => apply(bytes),
        _ => unreachable!("select() returns less than COUNT"),
    }
});

/// A list, then an update (each a TLS value, back to back), applied.
fn apply(mut bytes: &[u8]) {
    let Ok(list) = ParticipantListData::tls_deserialize(&mut bytes) else {
        return;
    };
    let Ok(update) = ParticipantListUpdate::from_bytes(bytes) else {
        return;
    };
    let Ok(after) = list.apply(&update) else {
        return;
    };
    let users: BTreeSet<&[u8]> = after
        .participants
        .iter()
        .map(|p| p.user.as_slice())
        .collect();
    assert_eq!(
        users.len(),
        after.participants.len(),
        "a user is listed twice"
    );
    assert_eq!(
        after.participants.len(),
        list.participants.len() - update.removed_indices.len() + update.added_participants.len(),
    );
}
