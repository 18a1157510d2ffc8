//! MIMI application components that live in the GroupContext `app_data_dictionary`
//! (MLSEXT §4.6), as TLS-PL structs laid out byte for byte as the drafts write them:
//! `room_metadata` (PROTO §7.6), `participant_list` (PROTO §7.5), `roles_list` (POLICY §3),
//! `preauth_list` (POLICY §4) and `base_room_policy` (POLICY §5).
//!
//! Every struct has `to_bytes()` and a strict `from_bytes()` (`tls_deserialize_exact`: trailing
//! bytes are an error). Encoding notes, written down because the draft leaves them to the reader:
//! - `T name<V>` is an MLS variable-length vector (RFC 9420 §2.1.2), here a `Vec<T>` or `VLBytes`.
//! - `optional uint32` is a presence byte (0 or 1) followed by the value when present.
//! - `bool` is one byte, 0 or 1; any other value is refused.
//! - POLICY's `Component policy_component_ids<V>` is read as a vector of uint16 `ComponentID`s.
//! - POLICY's `Uri parent_room<V>` is, read literally, a vector of `Uri` (each an `opaque<V>`);
//!   -03 says it is zero-length unless the room has a parent, so it has zero or one element.
//!
//! What the values mean (who may change what) is [`crate::policy`]'s business; this module only
//! carries them, plus the purely structural [`ParticipantListData::apply`].

use std::collections::BTreeSet;
use std::io::{Read, Write};

use tls_codec::{Deserialize, Serialize, Size, TlsDeserialize, TlsSerialize, TlsSize, VLBytes};

use crate::capability::Capability;
use crate::error::WireError;
use crate::wire::{decode, encode};

mod error;

pub use error::ComponentError;

macro_rules! codec {
    ($($t:ident),* $(,)?) => {
        $(impl $t {
            /// TLS encoding.
            pub fn to_bytes(&self) -> Vec<u8> {
                encode(self)
            }

            /// Strict TLS decoding: exactly one value, no trailing bytes.
            pub fn from_bytes(b: &[u8]) -> Result<Self, WireError> {
                decode(b, stringify!($t))
            }
        })*
    };
}

codec!(
    RoomMetaData,
    SingleSourceRoleChangeTargets,
    Role,
    RoleData,
    UserRolePair,
    ParticipantListData,
    UserindexRolePair,
    ParticipantListUpdate,
    ClaimId,
    Claim,
    PreAuthRoleEntry,
    PreAuthData,
    BaseRoomPolicy,
);

/// PROTO §7.6 `RichDescription`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct RichDescription {
    /// Media type; empty means `text/plain;charset=utf-8`.
    pub media_type: VLBytes,
    /// RFC 5646 language tag.
    pub language_tag: VLBytes,
    /// The description.
    pub description_content: VLBytes,
}

/// PROTO §7.6 `RoomMetaData` (component `room_metadata`, 0x0023). `Uri` and `UTF8String` are
/// one-field structs around `opaque<V>`, so they encode exactly as the `VLBytes` used here.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct RoomMetaData {
    /// The room's URI.
    pub room_uri: VLBytes,
    /// Its display name.
    pub room_name: VLBytes,
    /// Descriptions.
    pub room_descriptions: Vec<RichDescription>,
    /// An https avatar URL, or empty.
    pub room_avatar: VLBytes,
    /// The subject.
    pub room_subject: VLBytes,
    /// The mood.
    pub room_mood: VLBytes,
}

impl RoomMetaData {
    /// Metadata with just a URI and a name.
    pub fn named(room_uri: &str, name: &str) -> Self {
        let empty = || VLBytes::new(Vec::new());
        RoomMetaData {
            room_uri: room_uri.as_bytes().to_vec().into(),
            room_name: name.as_bytes().to_vec().into(),
            room_descriptions: Vec::new(),
            room_avatar: empty(),
            room_subject: empty(),
            room_mood: empty(),
        }
    }

    /// The name as text (lossy).
    pub fn name(&self) -> String {
        String::from_utf8_lossy(self.room_name.as_slice()).into_owned()
    }
}

/// POLICY §3 `SingleSourceRoleChangeTargets`: from one role to any of several.
#[derive(Debug, Clone, PartialEq, Eq, Hash, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct SingleSourceRoleChangeTargets {
    /// The target user's current role (0 = not listed).
    pub from_role_index: u32,
    /// The roles it may be moved to (0 = removed from the list).
    pub target_role_indexes: Vec<u32>,
}

/// POLICY §3 `Role`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct Role {
    /// The index other structures refer to it by (0 = not listed; need not be contiguous).
    pub role_index: u32,
    /// A human-readable name (`banned` is special on role 1).
    pub role_name: VLBytes,
    /// A description, possibly empty.
    pub role_description: VLBytes,
    /// The capabilities, as `CapabilityType` code points.
    pub role_capabilities: Vec<Capability>,
    /// Minimum number of listed users in this role (0 = none).
    pub minimum_participants_constraint: u32,
    /// Maximum number of listed users in this role (absent = unlimited).
    pub maximum_participants_constraint: Option<u32>,
    /// Minimum number of listed users in this role with at least one client in the group.
    pub minimum_active_participants_constraint: u32,
    /// Maximum number of active users in this role (0 = nobody in it may have clients).
    pub maximum_active_participants_constraint: Option<u32>,
    /// The role changes a holder of this role may make.
    pub authorized_role_changes: Vec<SingleSourceRoleChangeTargets>,
}

impl Role {
    /// The name as text (lossy).
    pub fn name(&self) -> String {
        String::from_utf8_lossy(self.role_name.as_slice()).into_owned()
    }

    /// Whether `role_capabilities` lists this code point. This is only membership: whether it
    /// *grants* anything is decided by the policy engine (unknown code points never do).
    pub fn lists(&self, capability: Capability) -> bool {
        self.role_capabilities.contains(&capability)
    }

    /// Whether `authorized_role_changes` has an entry from `from` whose targets contain `to`.
    pub fn may_move(&self, from: u32, to: u32) -> bool {
        self.authorized_role_changes
            .iter()
            .any(|e| e.from_role_index == from && e.target_role_indexes.contains(&to))
    }

    /// Whether users in this role may have clients in the group at all.
    pub fn allows_active(&self) -> bool {
        self.maximum_active_participants_constraint != Some(0)
    }
}

/// POLICY §3 `RoleData` (component `roles_list`, 0x0025; also the `RoleUpdate` payload).
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct RoleData {
    /// The roles.
    pub roles: Vec<Role>,
}

impl RoleData {
    /// The role with this index.
    pub fn role(&self, index: u32) -> Option<&Role> {
        self.roles.iter().find(|r| r.role_index == index)
    }
}

/// PROTO §7.5 `UserRolePair`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct UserRolePair {
    /// The user's identifier: a MIMI user URI (or a pseudonym in a minimal-metadata room).
    pub user: VLBytes,
    /// The user's role.
    pub role_index: u32,
}

/// PROTO §7.5 `ParticipantListData` (component `participant_list`, 0x0022).
#[derive(Debug, Clone, Default, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct ParticipantListData {
    /// The participants, each with exactly one role.
    pub participants: Vec<UserRolePair>,
}

/// PROTO §7.5 `UserindexRolePair`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct UserindexRolePair {
    /// An index into the participant list before the update.
    pub user_index: u32,
    /// The new role.
    pub role_index: u32,
}

/// PROTO §7.5 `ParticipantListUpdate` (the AppDataUpdate payload for `participant_list`).
#[derive(Debug, Clone, Default, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct ParticipantListUpdate {
    /// Role changes, by index (`changedRoleParticipants`).
    pub changed_role_participants: Vec<UserindexRolePair>,
    /// Removals, by index (`removedIndices`).
    pub removed_indices: Vec<u32>,
    /// Appended participants (`addedParticipants`).
    pub added_participants: Vec<UserRolePair>,
}

impl ParticipantListUpdate {
    /// Whether the update only removes users (POLICY §4: a PreAuthUpdate may share a commit with
    /// such an update).
    pub fn only_removes(&self) -> bool {
        self.changed_role_participants.is_empty() && self.added_participants.is_empty()
    }
}

impl ParticipantListData {
    /// The position of a user in the list.
    pub fn index_of(&self, user: &[u8]) -> Option<usize> {
        self.participants
            .iter()
            .position(|p| p.user.as_slice() == user)
    }

    /// A listed user's role; `None` if the user is not listed (the policy reads that as role 0).
    pub fn role_of(&self, user: &[u8]) -> Option<u32> {
        self.participants
            .iter()
            .find(|p| p.user.as_slice() == user)
            .map(|p| p.role_index)
    }

    /// Applies an update (PROTO §7.5): role changes by index, then removals, then appends.
    ///
    /// Every index refers to the list *before* the update (the draft does not say; this is the
    /// reading `specs/mimi.md` §2.4 recommends). The update is refused if an index is out of range
    /// or repeated, if an index is both changed and removed, if an appended user is already
    /// listed (or removed by the same update: one commit may not touch the same user twice), if a
    /// user is appended twice, or if a role change or append names role 0 (which means "not
    /// listed"). Removal indices may come in any order.
    pub fn apply(
        &self,
        update: &ParticipantListUpdate,
    ) -> Result<ParticipantListData, ComponentError> {
        let bad = |s: String| Err(ComponentError::ParticipantList(s));
        let len = self.participants.len();
        let mut seen = BTreeSet::new();
        for u in &self.participants {
            if !seen.insert(u.user.as_slice()) {
                return bad("the list already names a user twice".into());
            }
        }
        let mut out = self.participants.clone();
        let mut changed = BTreeSet::new();
        for c in &update.changed_role_participants {
            let i = c.user_index as usize;
            let Some(slot) = out.get_mut(i) else {
                return bad(format!("role change for index {i}, but the list has {len}"));
            };
            if !changed.insert(i) {
                return bad(format!("index {i} has its role changed twice"));
            }
            if c.role_index == 0 {
                return bad(format!("index {i} changed to role 0; remove it instead"));
            }
            slot.role_index = c.role_index;
        }
        let mut removed = BTreeSet::new();
        for &r in &update.removed_indices {
            let i = r as usize;
            if i >= len {
                return bad(format!("removal of index {i}, but the list has {len}"));
            }
            if !removed.insert(i) {
                return bad(format!("index {i} is removed twice"));
            }
            if changed.contains(&i) {
                return bad(format!("index {i} is both re-roled and removed"));
            }
        }
        for i in removed.iter().rev() {
            out.remove(*i);
        }
        let mut added = BTreeSet::new();
        for a in &update.added_participants {
            if a.role_index == 0 {
                return bad("a participant is appended with role 0".into());
            }
            if seen.contains(a.user.as_slice()) {
                return bad(format!(
                    "{} is already listed",
                    String::from_utf8_lossy(a.user.as_slice())
                ));
            }
            if !added.insert(a.user.as_slice()) {
                return bad(format!(
                    "{} is appended twice",
                    String::from_utf8_lossy(a.user.as_slice())
                ));
            }
            out.push(a.clone());
        }
        Ok(ParticipantListData { participants: out })
    }
}

/// POLICY §4 `ClaimId`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct ClaimId {
    /// The MLS credential type the claim comes from.
    pub credential_type: u16,
    /// An X.509 OID, a JWT claim name or a CWT map key.
    pub id: VLBytes,
}

/// POLICY §4 `Claim`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct Claim {
    /// Which claim.
    pub claim_id: ClaimId,
    /// The value it must have.
    pub claim_value: VLBytes,
}

/// POLICY §4 `PreAuthRoleEntry`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct PreAuthRoleEntry {
    /// All of these must match the requester's credential.
    pub claimset: Vec<Claim>,
    /// The role granted. The draft carries a whole `Role`; only its `role_index` is used, and it
    /// must name a role of `roles_list`.
    pub target_role: Role,
}

/// POLICY §4 `PreAuthData` (component `preauth_list`, 0x0026; also the `PreAuthUpdate` payload).
#[derive(Debug, Clone, Default, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct PreAuthData {
    /// Entries, consulted in order; the first match wins.
    pub preauthorized_entries: Vec<PreAuthRoleEntry>,
}

/// POLICY §5 `BaseRoomPolicy` (component `base_room_policy`, 0x0027).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseRoomPolicy {
    /// A fixed-membership room (a DM): no user may be added, removed or leave.
    pub fixed_membership: bool,
    /// The room depends on a parent room (the draft's spelling).
    pub parent_dependant: bool,
    /// The parent room's URI, or nothing (see the module doc).
    pub parent_room: Vec<VLBytes>,
    /// Whether a user may have more than one client in the group.
    pub multi_device: bool,
    /// The most clients the group may have.
    pub max_clients: Option<u32>,
    /// The most non-banned users the list may have.
    pub max_users: Option<u32>,
    /// Whether credentials may carry pseudonyms.
    pub pseudonyms_allowed: bool,
    /// Whether the room outlives its MLS group.
    pub persistent_room: bool,
    /// Whether the room can be found by searching.
    pub discoverable: bool,
    /// The other policy components in force.
    pub policy_component_ids: Vec<u16>,
}

/// A TLS-PL `bool`: one byte, 0 or 1.
struct Flag(bool);

impl Size for Flag {
    fn tls_serialized_len(&self) -> usize {
        1
    }
}

impl Serialize for Flag {
    fn tls_serialize<W: Write>(&self, w: &mut W) -> Result<usize, tls_codec::Error> {
        u8::from(self.0).tls_serialize(w)
    }
}

impl Deserialize for Flag {
    fn tls_deserialize<R: Read>(r: &mut R) -> Result<Self, tls_codec::Error> {
        match u8::tls_deserialize(r)? {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            b => Err(tls_codec::Error::DecodingError(format!(
                "a bool must be 0 or 1, not {b}"
            ))),
        }
    }
}

impl Size for BaseRoomPolicy {
    fn tls_serialized_len(&self) -> usize {
        6 + self.parent_room.tls_serialized_len()
            + self.max_clients.tls_serialized_len()
            + self.max_users.tls_serialized_len()
            + self.policy_component_ids.tls_serialized_len()
    }
}

impl Serialize for BaseRoomPolicy {
    fn tls_serialize<W: Write>(&self, w: &mut W) -> Result<usize, tls_codec::Error> {
        Ok(Flag(self.fixed_membership).tls_serialize(w)?
            + Flag(self.parent_dependant).tls_serialize(w)?
            + self.parent_room.tls_serialize(w)?
            + Flag(self.multi_device).tls_serialize(w)?
            + self.max_clients.tls_serialize(w)?
            + self.max_users.tls_serialize(w)?
            + Flag(self.pseudonyms_allowed).tls_serialize(w)?
            + Flag(self.persistent_room).tls_serialize(w)?
            + Flag(self.discoverable).tls_serialize(w)?
            + self.policy_component_ids.tls_serialize(w)?)
    }
}

impl Deserialize for BaseRoomPolicy {
    fn tls_deserialize<R: Read>(r: &mut R) -> Result<Self, tls_codec::Error> {
        Ok(BaseRoomPolicy {
            fixed_membership: Flag::tls_deserialize(r)?.0,
            parent_dependant: Flag::tls_deserialize(r)?.0,
            parent_room: Vec::tls_deserialize(r)?,
            multi_device: Flag::tls_deserialize(r)?.0,
            max_clients: Option::tls_deserialize(r)?,
            max_users: Option::tls_deserialize(r)?,
            pseudonyms_allowed: Flag::tls_deserialize(r)?.0,
            persistent_room: Flag::tls_deserialize(r)?.0,
            discoverable: Flag::tls_deserialize(r)?.0,
            policy_component_ids: Vec::tls_deserialize(r)?,
        })
    }
}

#[cfg(test)]
mod tests;
