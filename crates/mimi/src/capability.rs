//! The MIMI Role Capabilities registry (POLICY §8, §10.2; `specs/mimi.md` §2.6).
//!
//! A capability is a `uint16` code point. Conclave compares capabilities by code point only,
//! never by name: the draft spells 0x000b `canUnBan` in its IANA table and `canUnban` in its
//! text, and a name is only for people.
//!
//! Unknown code points fail closed:
//! - a role that holds one is granted nothing by it ([`Capability::is_known`] is false, and the
//!   engine only ever asks about registered code points);
//! - a `RoleData` that contains one is rejected when it is proposed as a RoleUpdate (see
//!   `policy::roles::validate_roles`), because the room could not agree on what it means.
//!
//! Reserved capabilities (`canCreateJoinCode`, `canChangeOwnName`, …) are known, so a RoleData may
//! carry them (the draft's own examples do), but no action of the engine consults them: holding
//! one grants nothing special.

use std::fmt;
use std::io::{Read, Write};

use tls_codec::{Deserialize, Serialize, Size};

/// A MIMI role capability, by its `CapabilityType` code point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Capability(pub u16);

macro_rules! registry {
    ($($(#[$doc:meta])* $konst:ident = $value:literal, $name:literal, $reserved:literal;)*) => {
        impl Capability {
            $($(#[$doc])* pub const $konst: Capability = Capability($value);)*
        }

        /// Every registered capability: code point, the draft's name, and whether it is reserved.
        pub const REGISTRY: &[(Capability, &str, bool)] = &[
            $((Capability($value), $name, $reserved),)*
        ];
    };
}

registry! {
    /// Add another, unlisted user (POLICY §8.1.1).
    CAN_ADD_PARTICIPANT = 0x0000, "canAddParticipant", false;
    /// Remove another user and all of their clients (§8.1.2).
    CAN_REMOVE_PARTICIPANT = 0x0001, "canRemoveParticipant", false;
    /// Add one's own client (§8.1.1).
    CAN_ADD_OWN_CLIENT = 0x0002, "canAddOwnClient", false;
    /// Remove one's own client without leaving the list (§8.1.2).
    CAN_REMOVE_OWN_CLIENT = 0x0003, "canRemoveOwnClient", false;
    /// On role 0 only: anyone unlisted may join (§8.1.1).
    CAN_OPEN_JOIN = 0x0004, "canOpenJoin", false;
    /// On the target role: join as the first matching preauthorized role (§8.1.1).
    CAN_JOIN_IF_PREAUTHORIZED = 0x0005, "canJoinIfPreauthorized", false;
    /// Leave the participant list (§8.1.2).
    CAN_REMOVE_SELF = 0x0006, "canRemoveSelf", false;
    /// Reserved.
    CAN_CREATE_JOIN_CODE = 0x0007, "canCreateJoinCode", true;
    /// Reserved.
    CAN_DELETE_JOIN_CODE = 0x0008, "canDeleteJoinCode", true;
    /// Join with a valid join code (§8.1.1).
    CAN_USE_JOIN_CODE = 0x0009, "canUseJoinCode", false;
    /// Move another user to role 1 "banned" and remove their clients (§8.1.3).
    CAN_BAN = 0x000a, "canBan", false;
    /// Move a banned user to a non-zero role (§8.1.3). IANA spells it `canUnBan`.
    CAN_UNBAN = 0x000b, "canUnban", false;
    /// Remove another participant's clients, keeping their role (§8.1.2).
    CAN_KICK = 0x000c, "canKick", false;
    /// Reserved.
    CAN_KNOCK = 0x000d, "canKnock", true;
    /// Reserved.
    CAN_ACCEPT_KNOCK = 0x000e, "canAcceptKnock", true;
    /// Change another participant's role (§8.1.3).
    CAN_CHANGE_USER_ROLE = 0x000f, "canChangeUserRole", false;
    /// Change one's own role to the first preauthorized match (§8.1.3).
    CAN_CHANGE_OWN_ROLE = 0x0010, "canChangeOwnRole", false;
    /// Reserved.
    CAN_CREATE_SUBGROUP = 0x0011, "canCreateSubgroup", true;
    /// Send instant messages (§8.3).
    CAN_SEND_MESSAGE = 0x0100, "canSendMessage", false;
    /// Receive instant messages (§8.3).
    CAN_RECEIVE_MESSAGE = 0x0101, "canReceiveMessage", false;
    /// Copy content from a received message.
    CAN_COPY_MESSAGE = 0x0102, "canCopyMessage", false;
    /// Report a franked message as abusive.
    CAN_REPORT_ABUSE = 0x0103, "canReportAbuse", false;
    /// Reply to a message.
    CAN_REPLY_TO_MESSAGE = 0x0104, "canReplyToMessage", false;
    /// React to a message.
    CAN_REACT_TO_MESSAGE = 0x0105, "canReactToMessage", false;
    /// Replace one's own reaction.
    CAN_EDIT_REACTION = 0x0106, "canEditReaction", false;
    /// Retract one's own reaction.
    CAN_DELETE_OWN_REACTION = 0x0107, "canDeleteOwnReaction", false;
    /// Delete another user's reaction.
    CAN_DELETE_OTHER_REACTION = 0x0108, "canDeleteOtherReaction", false;
    /// Edit one's own message.
    CAN_EDIT_OWN_MESSAGE = 0x0109, "canEditOwnMessage", false;
    /// Retract one's own message.
    CAN_DELETE_OWN_MESSAGE = 0x010a, "canDeleteOwnMessage", false;
    /// Retract other users' messages.
    CAN_DELETE_OTHER_MESSAGE = 0x010b, "canDeleteOtherMessage", false;
    /// Set the topic of a message.
    CAN_START_TOPIC = 0x010c, "canStartTopic", false;
    /// Reply within a topic.
    CAN_REPLY_IN_TOPIC = 0x010d, "canReplyInTopic", false;
    /// Change the topic of one's own message.
    CAN_EDIT_OWN_TOPIC = 0x010e, "canEditOwnTopic", false;
    /// Change the topic of another user's message.
    CAN_EDIT_OTHER_TOPIC = 0x010f, "canEditOtherTopic", false;
    /// Reserved.
    CAN_SEND_DIRECT_MESSAGE = 0x0110, "canSendDirectMessage", true;
    /// Reserved.
    CAN_TARGET_MESSAGE = 0x0111, "canTargetMessage", true;
    /// Upload an image (§8.4).
    CAN_UPLOAD_IMAGE = 0x0200, "canUploadImage", false;
    /// Upload audio.
    CAN_UPLOAD_AUDIO = 0x0201, "canUploadAudio", false;
    /// Upload video.
    CAN_UPLOAD_VIDEO = 0x0202, "canUploadVideo", false;
    /// Upload an attachment.
    CAN_UPLOAD_ATTACHMENT = 0x0203, "canUploadAttachment", false;
    /// Download an image.
    CAN_DOWNLOAD_IMAGE = 0x0204, "canDownloadImage", false;
    /// Download audio.
    CAN_DOWNLOAD_AUDIO = 0x0205, "canDownloadAudio", false;
    /// Download video.
    CAN_DOWNLOAD_VIDEO = 0x0206, "canDownloadVideo", false;
    /// Download an attachment.
    CAN_DOWNLOAD_ATTACHMENT = 0x0207, "canDownloadAttachment", false;
    /// Send an inline link (§8.3).
    CAN_SEND_LINK = 0x0208, "canSendLink", false;
    /// Send a link with a preview.
    CAN_SEND_LINK_PREVIEW = 0x0209, "canSendLinkPreview", false;
    /// Open a sent link.
    CAN_FOLLOW_LINK = 0x020a, "canFollowLink", false;
    /// Copy a sent link's URL.
    CAN_COPY_LINK = 0x020b, "canCopyLink", false;
    /// Change `room_metadata.room_name` (§8.2).
    CAN_CHANGE_ROOM_NAME = 0x0300, "canChangeRoomName", false;
    /// Change `room_metadata.room_descriptions`.
    CAN_CHANGE_ROOM_DESCRIPTION = 0x0301, "canChangeRoomDescription", false;
    /// Change `room_metadata.room_avatar`.
    CAN_CHANGE_ROOM_AVATAR = 0x0302, "canChangeRoomAvatar", false;
    /// Change `room_metadata.room_subject`.
    CAN_CHANGE_ROOM_SUBJECT = 0x0303, "canChangeRoomSubject", false;
    /// Change `room_metadata.room_mood`.
    CAN_CHANGE_ROOM_MOOD = 0x0304, "canChangeRoomMood", false;
    /// Reserved.
    CAN_CHANGE_OWN_NAME = 0x0380, "canChangeOwnName", true;
    /// Reserved.
    CAN_CHANGE_OWN_PRESENCE = 0x0381, "canChangeOwnPresence", true;
    /// Reserved.
    CAN_CHANGE_OWN_MOOD = 0x0382, "canChangeOwnMood", true;
    /// Reserved.
    CAN_CHANGE_OWN_AVATAR = 0x0383, "canChangeOwnAvatar", true;
    /// Start a call (§8.5; placeholder).
    CAN_START_CALL = 0x0400, "canStartCall", false;
    /// Join a call.
    CAN_JOIN_CALL = 0x0401, "canJoinCall", false;
    /// Send audio in a call.
    CAN_SEND_AUDIO = 0x0402, "canSendAudio", false;
    /// Receive audio in a call.
    CAN_RECEIVE_AUDIO = 0x0403, "canReceiveAudio", false;
    /// Send video in a call.
    CAN_SEND_VIDEO = 0x0404, "canSendVideo", false;
    /// Receive video in a call.
    CAN_RECEIVE_VIDEO = 0x0405, "canReceiveVideo", false;
    /// Share a screen.
    CAN_SHARE_SCREEN = 0x0406, "canShareScreen", false;
    /// View a shared screen.
    CAN_VIEW_SHARED_SCREEN = 0x0407, "canViewSharedScreen", false;
    /// Reserved.
    CAN_CREATE_ROOM = 0x0500, "canCreateRoom", true;
    /// Destroy the room (§8.6).
    CAN_DESTROY_ROOM = 0x0501, "canDestroyRoom", false;
    /// Change `base_room_policy` (§8.6).
    CAN_CHANGE_ROOM_MEMBERSHIP_STYLE = 0x0502, "canChangeRoomMembershipStyle", false;
    /// Replace `roles_list` (§8.6).
    CAN_CHANGE_ROLE_DEFINITIONS = 0x0503, "canChangeRoleDefinitions", false;
    /// Replace `preauth_list` (§8.6).
    CAN_CHANGE_PREAUTHORIZED_USER_LIST = 0x0504, "canChangePreauthorizedUserList", false;
    /// Reserved.
    CAN_CHANGE_OTHER_POLICY_ATTRIBUTE = 0x0505, "canChangeOtherPolicyAttribute", true;
    /// Reserved (although the draft's policy_enforcer examples hold it).
    CAN_CHANGE_MLS_OPERATIONAL_POLICIES = 0x0600, "canChangeMlsOperationalPolicies", true;
    /// Send an MLS ReInit proposal (§8.6).
    CAN_SEND_MLS_REINIT_PROPOSAL = 0x0601, "canSendMLSReinitProposal", false;
    /// Reserved.
    CAN_SEND_MLS_UPDATE_PROPOSAL = 0x0602, "canSendMLSUpdateProposal", true;
    /// Reserved.
    CAN_SEND_MLS_PSK_PROPOSAL = 0x0603, "canSendMLSPSKProposal", true;
    /// Reserved.
    CAN_SEND_MLS_EXTERNAL_PROPOSAL = 0x0604, "canSendMLSExternalProposal", true;
    /// Reserved.
    CAN_SEND_MLS_EXTERNAL_COMMIT = 0x0605, "canSendMLSExternalCommit", true;
}

impl Capability {
    fn entry(self) -> Option<&'static (Capability, &'static str, bool)> {
        REGISTRY.iter().find(|(c, _, _)| *c == self)
    }

    /// The draft's name, or `None` for an unregistered code point. 0x000b is `canUnban`.
    pub fn name(self) -> Option<&'static str> {
        self.entry().map(|(_, n, _)| *n)
    }

    /// The capability with this name. Accepts IANA's `canUnBan` spelling as well as `canUnban`.
    pub fn from_name(name: &str) -> Option<Capability> {
        if name == "canUnBan" {
            return Some(Capability::CAN_UNBAN);
        }
        REGISTRY
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(c, _, _)| *c)
    }

    /// Whether the code point is in the registry (reserved ones included).
    pub fn is_known(self) -> bool {
        self.entry().is_some()
    }

    /// Whether the registry marks it reserved: known, but no action consults it.
    pub fn is_reserved(self) -> bool {
        self.entry().is_some_and(|(_, _, r)| *r)
    }

    /// Whether it is in the private-use range 0xF000–0xFFFF (POLICY §10.2). Conclave defines
    /// none, so these are unknown too.
    pub fn is_private_use(self) -> bool {
        self.0 >= 0xF000
    }

    /// Whether it governs content rather than membership or policy: the message, asset, link and
    /// real-time families (0x01xx, 0x02xx, 0x04xx), which [`crate::policy::Action::Message`] asks
    /// about.
    pub fn is_content(self) -> bool {
        matches!(self.0 >> 8, 0x01 | 0x02 | 0x04)
    }

    /// The name for denials: the draft's name, or `"unknownCapability"`.
    pub(crate) fn rule(self) -> &'static str {
        self.name().unwrap_or("unknownCapability")
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "capability {:#06x}", self.0),
        }
    }
}

impl std::str::FromStr for Capability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Capability::from_name(s).ok_or_else(|| format!("{s} is not a registered MIMI capability"))
    }
}

impl Size for Capability {
    fn tls_serialized_len(&self) -> usize {
        2
    }
}

impl Serialize for Capability {
    fn tls_serialize<W: Write>(&self, writer: &mut W) -> Result<usize, tls_codec::Error> {
        self.0.tls_serialize(writer)
    }
}

impl Deserialize for Capability {
    fn tls_deserialize<R: Read>(bytes: &mut R) -> Result<Self, tls_codec::Error> {
        u16::tls_deserialize(bytes).map(Capability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_has_every_code_point_of_the_draft_once() {
        let mut points: Vec<u16> = REGISTRY.iter().map(|(c, _, _)| c.0).collect();
        let n = points.len();
        points.sort_unstable();
        points.dedup();
        assert_eq!(points.len(), n, "duplicate code point");
        // POLICY §10.2 Table 1 has 18 + 18 + 12 + 9 + 8 + 6 + 6 = 77 rows.
        assert_eq!(n, 77);
        assert_eq!(Capability::CAN_ADD_PARTICIPANT.0, 0x0000);
        assert_eq!(Capability::CAN_SEND_MLS_EXTERNAL_COMMIT.0, 0x0605);
        let mut names: Vec<&str> = REGISTRY.iter().map(|(_, n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate name");
    }

    #[test]
    fn names_round_trip_and_unban_has_both_spellings() {
        for (c, n, _) in REGISTRY {
            assert_eq!(c.name(), Some(*n));
            assert_eq!(Capability::from_name(n), Some(*c));
            assert_eq!(n.parse::<Capability>(), Ok(*c));
        }
        assert_eq!(Capability(0x000b).name(), Some("canUnban"));
        assert_eq!(
            Capability::from_name("canUnBan"),
            Some(Capability::CAN_UNBAN)
        );
        assert_eq!(Capability::from_name("canRevokeVoice"), None);
        assert_eq!(Capability::from_name("cansendmessage"), None);
    }

    #[test]
    fn unknown_and_reserved_code_points() {
        for unknown in [
            0x0012, 0x00ff, 0x0112, 0x0305, 0x0506, 0x0606, 0xf000, 0xffff,
        ] {
            let c = Capability(unknown);
            assert!(!c.is_known(), "{c}");
            assert_eq!(c.name(), None);
            assert_eq!(c.rule(), "unknownCapability");
        }
        assert!(Capability(0xf123).is_private_use());
        assert_eq!(Capability(0x0abc).to_string(), "capability 0x0abc");
        assert!(Capability::CAN_KNOCK.is_known() && Capability::CAN_KNOCK.is_reserved());
        assert!(Capability::CAN_CHANGE_MLS_OPERATIONAL_POLICIES.is_reserved());
        assert!(!Capability::CAN_BAN.is_reserved());
        assert!(Capability::CAN_SEND_MESSAGE.is_content());
        assert!(Capability::CAN_UPLOAD_IMAGE.is_content());
        assert!(Capability::CAN_JOIN_CALL.is_content());
        assert!(!Capability::CAN_CHANGE_ROOM_NAME.is_content());
        assert!(!Capability::CAN_BAN.is_content());
    }

    #[test]
    fn capability_is_a_big_endian_uint16_on_the_wire() {
        let b = Capability::CAN_SEND_MESSAGE
            .tls_serialize_detached()
            .unwrap();
        assert_eq!(b, vec![0x01, 0x00]);
        assert_eq!(
            Capability::tls_deserialize_exact([0x00, 0x0b]).unwrap(),
            Capability::CAN_UNBAN
        );
        assert!(Capability::tls_deserialize_exact([0x00]).is_err());
    }
}
