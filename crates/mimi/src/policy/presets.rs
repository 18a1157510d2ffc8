//! Room presets: the four example role sets of POLICY Appendix A, written out as the draft writes
//! them, and two of Conclave's own (announcement, private).
//!
//! Choices, written down where the draft is loose:
//! - Capabilities are code points. `canRevokeVoice` and `canGrantVoice` (A.1 group_admin) have no
//!   code point in the registry, so they are left out; voice is granted and revoked by moving a
//!   user between roles. Reserved capabilities the examples list (`canCreateJoinCode`,
//!   `canChangeOwnName`, `canChangeMlsOperationalPolicies`, …) are kept: they are registered, so
//!   the roles stay valid, and they grant nothing.
//! - A.3 says speaker includes "all the capabilities authorized for a speaker" (itself) and
//!   moderator "all the capabilities authorized for an ordinary_user" (A.3 has none). Read as
//!   attendee and speaker: each role of A.3 extends the one below it.
//! - The draft's super_admin has `minimum_participants_constraint = 0` in A.1–A.3, so the last
//!   super_admin may leave those rooms; only A.4's super_admin (minimum 1, minimum active 1) is
//!   kept from leaving. Kept as written.
//! - A.4's policy_enforcer has no entry from org_a_user (2) although it has one from every other
//!   listed role. Kept as written: it cannot remove or ban org_a_users.
//! - Moderated and Announcement add a role 8 `suspended`: listed, allowed clients, but with
//!   neither canSendMessage nor canReceiveMessage (a timeout that keeps the user's devices in the
//!   group). Moderators may move guests, attendees and speakers to and from guest and suspended;
//!   super_admins may move anyone but themselves there; the policy_enforcer may remove or ban a
//!   suspended user.
//! - Announcement is Moderated with every "sending" capability (reply, react, reply in topic)
//!   moved up to speaker: guests and attendees only receive; joiners with a code come in as
//!   attendees; outsiders may not have clients (role 0 `maximum_active` = 0).
//! - Private is a small group of equals: one role, `member`, which may add and remove members,
//!   change every metadata field and leave; nobody can ban, kick or change roles or policy. The
//!   creator is a member like everyone else. Roles 0 and 1 exist as in every preset.
//! - Every preset except Private preauthorizes the hub (see [`crate::policy::hub_claims`]) as its
//!   policy_enforcer, the draft's "a preauthorized role could allow the Hub to remove participants
//!   and to ban them". Private has no enforcer, so the hub may do nothing there.

use std::fmt;
use std::str::FromStr;

use super::preauth::hub_claims;
use crate::capability::Capability as C;
use crate::components::{
    BaseRoomPolicy, PreAuthData, PreAuthRoleEntry, Role, RoleData, SingleSourceRoleChangeTargets,
};
use crate::ids::{PARTICIPANT_LIST, PREAUTH_LIST, ROLES_LIST};

/// A room preset: roles, base policy and preauth list a creator can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// POLICY A.1: friends, family, small peer groups; everybody adds and removes.
    Cooperative,
    /// POLICY A.2: only admins add and remove; outsiders may join with a code.
    Strict,
    /// POLICY A.3, plus `suspended`: guests, attendees, speakers, moderators.
    Moderated,
    /// POLICY A.4: per-organisation users and admins under a host super_admin.
    MultiOrganisation,
    /// Conclave: only speakers and moderators send; attendees receive.
    Announcement,
    /// Conclave: a small group of equals, no bans.
    Private,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 6] = [
        Preset::Cooperative,
        Preset::Strict,
        Preset::Moderated,
        Preset::MultiOrganisation,
        Preset::Announcement,
        Preset::Private,
    ];

    /// The name the CLI and UI use.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Cooperative => "cooperative",
            Preset::Strict => "strict",
            Preset::Moderated => "moderated",
            Preset::MultiOrganisation => "multi-organisation",
            Preset::Announcement => "announcement",
            Preset::Private => "private",
        }
    }

    /// The preset whose role definitions `roles` are exactly, if any (a room whose roles were
    /// edited since it was created matches none).
    pub fn matching(roles: &RoleData) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| &p.roles() == roles)
    }

    /// The roles.
    pub fn roles(self) -> RoleData {
        let roles = match self {
            Preset::Cooperative => cooperative(),
            Preset::Strict => strict(),
            Preset::Moderated => moderated(false),
            Preset::MultiOrganisation => multi_organisation(),
            Preset::Announcement => moderated(true),
            Preset::Private => private(),
        };
        RoleData { roles }
    }

    /// The base policy: not fixed, no parent, several devices per user, no limits, persistent,
    /// pseudonyms not allowed, not discoverable, enforcing participant_list, roles_list and
    /// preauth_list.
    pub fn base_policy(self) -> BaseRoomPolicy {
        BaseRoomPolicy {
            fixed_membership: false,
            parent_dependant: false,
            parent_room: Vec::new(),
            multi_device: true,
            max_clients: None,
            max_users: None,
            pseudonyms_allowed: false,
            persistent_room: true,
            discoverable: false,
            policy_component_ids: vec![PARTICIPANT_LIST, ROLES_LIST, PREAUTH_LIST],
        }
    }

    /// The preauth list: the hub as policy_enforcer, where the preset has one.
    pub fn preauth(self) -> PreAuthData {
        let roles = self.roles();
        let enforcer = roles
            .roles
            .iter()
            .find(|r| r.role_name.as_slice() == b"policy_enforcer");
        PreAuthData {
            preauthorized_entries: enforcer
                .map(|r| PreAuthRoleEntry {
                    claimset: hub_claims(),
                    target_role: r.clone(),
                })
                .into_iter()
                .collect(),
        }
    }

    /// The creator's role: the most powerful role that is not the policy enforcer.
    pub fn creator_role(self) -> u32 {
        match self {
            Preset::Cooperative | Preset::Strict => 4,
            Preset::Moderated | Preset::Announcement => 6,
            Preset::MultiOrganisation => 8,
            Preset::Private => 2,
        }
    }

    /// The role an invited user gets by default.
    pub fn default_invitee_role(self) -> u32 {
        match self {
            Preset::Cooperative | Preset::Strict | Preset::Private => 2,
            Preset::Moderated | Preset::Announcement => 3,
            Preset::MultiOrganisation => 2,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown preset {s:?}; choose one of {}",
                    Preset::ALL.map(Preset::name).join(", ")
                )
            })
    }
}

/// `(min participants, max participants, min active, max active)`.
type Limits = (u32, Option<u32>, u32, Option<u32>);
/// No constraint at all.
const FREE: Limits = (0, None, 0, None);
/// Nobody may have clients: role 0 and `banned` in the draft.
const NO_CLIENTS: Limits = (0, None, 0, Some(0));
/// At least one: group_admin, moderator.
const AT_LEAST_ONE: Limits = (1, None, 0, None);
/// The draft's policy_enforcer: 1–2, never with clients.
const ENFORCER_LIMITS: Limits = (1, Some(2), 0, Some(0));

fn role(
    index: u32,
    name: &str,
    caps: &[&[C]],
    (min, max, min_active, max_active): Limits,
    changes: &[(u32, &[u32])],
) -> Role {
    let mut role_capabilities: Vec<C> = Vec::new();
    for c in caps.iter().flat_map(|p| p.iter()) {
        if !role_capabilities.contains(c) {
            role_capabilities.push(*c);
        }
    }
    Role {
        role_index: index,
        role_name: name.as_bytes().to_vec().into(),
        role_description: Vec::new().into(),
        role_capabilities,
        minimum_participants_constraint: min,
        maximum_participants_constraint: max,
        minimum_active_participants_constraint: min_active,
        maximum_active_participants_constraint: max_active,
        authorized_role_changes: changes
            .iter()
            .map(|(from, to)| SingleSourceRoleChangeTargets {
                from_role_index: *from,
                target_role_indexes: to.to_vec(),
            })
            .collect(),
    }
}

fn no_role(caps: &[C], limits: Limits, changes: &[(u32, &[u32])]) -> Role {
    role(0, "no_role", &[caps], limits, changes)
}

fn banned() -> Role {
    role(1, "banned", &[], NO_CLIENTS, &[])
}

const ENFORCER: &[C] = &[
    C::CAN_REMOVE_PARTICIPANT,
    // Conclave addition: the hub, enforcing an upheld abuse report, proposes removing the
    // abuser's clients (external Remove proposals); OpenMLS 0.9 cannot frame an external
    // AppDataUpdate, so the participant-list half of a ban is a member's to commit.
    C::CAN_KICK,
    C::CAN_CHANGE_USER_ROLE,
    C::CAN_BAN,
    C::CAN_UNBAN,
    C::CAN_CHANGE_ROLE_DEFINITIONS,
    C::CAN_CHANGE_PREAUTHORIZED_USER_LIST,
    C::CAN_CHANGE_MLS_OPERATIONAL_POLICIES,
    C::CAN_DESTROY_ROOM,
    C::CAN_SEND_MLS_REINIT_PROPOSAL,
];

// A.1 ordinary_user.
const COOP_ORDINARY: &[C] = &[
    C::CAN_ADD_PARTICIPANT,
    C::CAN_REMOVE_PARTICIPANT,
    C::CAN_ADD_OWN_CLIENT,
    C::CAN_REMOVE_OWN_CLIENT,
    C::CAN_REMOVE_SELF,
    C::CAN_SEND_MESSAGE,
    C::CAN_RECEIVE_MESSAGE,
    C::CAN_COPY_MESSAGE,
    C::CAN_REPORT_ABUSE,
    C::CAN_REPLY_TO_MESSAGE,
    C::CAN_REACT_TO_MESSAGE,
    C::CAN_DELETE_OWN_REACTION,
    C::CAN_EDIT_OWN_MESSAGE,
    C::CAN_DELETE_OWN_MESSAGE,
    C::CAN_START_TOPIC,
    C::CAN_REPLY_IN_TOPIC,
    C::CAN_EDIT_OWN_TOPIC,
    C::CAN_UPLOAD_IMAGE,
    C::CAN_UPLOAD_VIDEO,
    C::CAN_UPLOAD_AUDIO,
    C::CAN_UPLOAD_ATTACHMENT,
    C::CAN_DOWNLOAD_IMAGE,
    C::CAN_DOWNLOAD_VIDEO,
    C::CAN_DOWNLOAD_AUDIO,
    C::CAN_DOWNLOAD_ATTACHMENT,
    C::CAN_SEND_LINK,
    C::CAN_SEND_LINK_PREVIEW,
    C::CAN_FOLLOW_LINK,
    C::CAN_COPY_LINK,
    C::CAN_CHANGE_ROOM_NAME,
    C::CAN_CHANGE_ROOM_AVATAR,
    C::CAN_CHANGE_ROOM_SUBJECT,
    C::CAN_CHANGE_ROOM_MOOD,
    C::CAN_CHANGE_OWN_NAME,
    C::CAN_CHANGE_OWN_PRESENCE,
    C::CAN_CHANGE_OWN_MOOD,
    C::CAN_CHANGE_OWN_AVATAR,
];

// A.1 group_admin on top of ordinary_user (canRevokeVoice, canGrantVoice: unregistered).
const COOP_GROUP_ADMIN: &[C] = &[
    C::CAN_BAN,
    C::CAN_UNBAN,
    C::CAN_KICK,
    C::CAN_CHANGE_USER_ROLE,
    C::CAN_DELETE_OTHER_MESSAGE,
    C::CAN_EDIT_OTHER_TOPIC,
    C::CAN_CHANGE_ROOM_DESCRIPTION,
];

// A.1 super_admin on top of group_admin.
const COOP_SUPER_ADMIN: &[C] = &[
    C::CAN_CHANGE_ROOM_MEMBERSHIP_STYLE,
    C::CAN_CHANGE_PREAUTHORIZED_USER_LIST,
    C::CAN_DESTROY_ROOM,
];

fn cooperative() -> Vec<Role> {
    vec![
        no_role(&[], NO_CLIENTS, &[]),
        banned(),
        role(
            2,
            "ordinary_user",
            &[COOP_ORDINARY],
            FREE,
            &[(0, &[2]), (2, &[0])],
        ),
        role(
            3,
            "group_admin",
            &[COOP_ORDINARY, COOP_GROUP_ADMIN],
            AT_LEAST_ONE,
            &[
                (0, &[1, 2, 3]),
                (1, &[0, 2, 3]),
                (2, &[0, 1, 3]),
                (3, &[0, 1, 2]),
            ],
        ),
        role(
            4,
            "super_admin",
            &[COOP_ORDINARY, COOP_GROUP_ADMIN, COOP_SUPER_ADMIN],
            FREE,
            &[
                (0, &[1, 2, 3, 4]),
                (1, &[0, 2, 3, 4]),
                (2, &[0, 1, 3, 4]),
                (3, &[0, 1, 2, 4]),
                (4, &[0, 1, 2, 3]),
            ],
        ),
        role(
            5,
            "policy_enforcer",
            &[ENFORCER],
            ENFORCER_LIMITS,
            &[
                (0, &[1]),
                (1, &[0]),
                (2, &[0, 1]),
                (3, &[0, 1]),
                (4, &[0, 1]),
            ],
        ),
    ]
}

// A.2 ordinary_user.
const STRICT_ORDINARY: &[C] = &[
    C::CAN_ADD_OWN_CLIENT,
    C::CAN_JOIN_IF_PREAUTHORIZED,
    C::CAN_REMOVE_OWN_CLIENT,
    C::CAN_REMOVE_SELF,
    C::CAN_CHANGE_OWN_ROLE,
    C::CAN_SEND_MESSAGE,
    C::CAN_RECEIVE_MESSAGE,
    C::CAN_COPY_MESSAGE,
    C::CAN_REPORT_ABUSE,
    C::CAN_REACT_TO_MESSAGE,
    C::CAN_DELETE_OWN_REACTION,
    C::CAN_EDIT_OWN_MESSAGE,
    C::CAN_DELETE_OWN_MESSAGE,
    C::CAN_START_TOPIC,
    C::CAN_REPLY_IN_TOPIC,
    C::CAN_UPLOAD_IMAGE,
    C::CAN_UPLOAD_VIDEO,
    C::CAN_UPLOAD_AUDIO,
    C::CAN_UPLOAD_ATTACHMENT,
    C::CAN_DOWNLOAD_IMAGE,
    C::CAN_DOWNLOAD_VIDEO,
    C::CAN_DOWNLOAD_AUDIO,
    C::CAN_DOWNLOAD_ATTACHMENT,
    C::CAN_SEND_LINK,
    C::CAN_SEND_LINK_PREVIEW,
    C::CAN_FOLLOW_LINK,
    C::CAN_COPY_LINK,
    C::CAN_CHANGE_OWN_NAME,
    C::CAN_CHANGE_OWN_PRESENCE,
    C::CAN_CHANGE_OWN_MOOD,
    C::CAN_CHANGE_OWN_AVATAR,
];

// A.2 group_admin on top of ordinary_user.
const STRICT_GROUP_ADMIN: &[C] = &[
    C::CAN_ADD_PARTICIPANT,
    C::CAN_REMOVE_PARTICIPANT,
    C::CAN_BAN,
    C::CAN_UNBAN,
    C::CAN_KICK,
    C::CAN_CHANGE_USER_ROLE,
    C::CAN_CREATE_JOIN_CODE,
    C::CAN_DELETE_JOIN_CODE,
    C::CAN_DELETE_OTHER_REACTION,
    C::CAN_DELETE_OTHER_MESSAGE,
    C::CAN_EDIT_OWN_TOPIC,
    C::CAN_EDIT_OTHER_TOPIC,
    C::CAN_CHANGE_ROOM_DESCRIPTION,
    C::CAN_CHANGE_ROOM_NAME,
    C::CAN_CHANGE_ROOM_AVATAR,
    C::CAN_CHANGE_ROOM_SUBJECT,
    C::CAN_CHANGE_ROOM_MOOD,
];

// A.2 super_admin on top of group_admin.
const STRICT_SUPER_ADMIN: &[C] = &[
    C::CAN_CHANGE_ROOM_MEMBERSHIP_STYLE,
    C::CAN_CHANGE_ROLE_DEFINITIONS,
    C::CAN_CHANGE_PREAUTHORIZED_USER_LIST,
    C::CAN_DESTROY_ROOM,
    C::CAN_SEND_MLS_REINIT_PROPOSAL,
];

fn strict() -> Vec<Role> {
    vec![
        no_role(&[C::CAN_USE_JOIN_CODE], NO_CLIENTS, &[(0, &[2])]),
        banned(),
        role(
            2,
            "ordinary_user",
            &[STRICT_ORDINARY],
            FREE,
            &[(0, &[2]), (2, &[0])],
        ),
        role(
            3,
            "group_admin",
            &[STRICT_ORDINARY, STRICT_GROUP_ADMIN],
            AT_LEAST_ONE,
            &[
                (0, &[1, 2, 3]),
                (1, &[0, 2, 3]),
                (2, &[0, 1, 3]),
                (3, &[0, 1, 2]),
            ],
        ),
        role(
            4,
            "super_admin",
            &[STRICT_ORDINARY, STRICT_GROUP_ADMIN, STRICT_SUPER_ADMIN],
            FREE,
            &[
                (0, &[1, 2, 3, 4]),
                (1, &[0, 2, 3, 4]),
                (2, &[0, 1, 3, 4]),
                (3, &[0, 1, 2, 4]),
                (4, &[0, 1, 2, 3]),
            ],
        ),
        role(
            5,
            "policy_enforcer",
            &[ENFORCER],
            ENFORCER_LIMITS,
            &[
                (0, &[1]),
                (1, &[0]),
                (2, &[0, 1]),
                (3, &[0, 1]),
                (4, &[0, 1]),
            ],
        ),
    ]
}

// A.3 guest.
const GUEST: &[C] = &[
    C::CAN_REMOVE_SELF,
    C::CAN_RECEIVE_MESSAGE,
    C::CAN_COPY_MESSAGE,
    C::CAN_REACT_TO_MESSAGE,
    C::CAN_DELETE_OWN_REACTION,
    C::CAN_FOLLOW_LINK,
    C::CAN_COPY_LINK,
    C::CAN_DOWNLOAD_IMAGE,
    C::CAN_DOWNLOAD_VIDEO,
    C::CAN_DOWNLOAD_AUDIO,
];

// A.3 attendee on top of guest.
const ATTENDEE: &[C] = &[
    C::CAN_ADD_OWN_CLIENT,
    C::CAN_JOIN_IF_PREAUTHORIZED,
    C::CAN_REMOVE_OWN_CLIENT,
    C::CAN_CHANGE_OWN_ROLE,
    C::CAN_REPORT_ABUSE,
    C::CAN_REPLY_IN_TOPIC,
    C::CAN_DOWNLOAD_ATTACHMENT,
    C::CAN_CHANGE_OWN_NAME,
    C::CAN_CHANGE_OWN_PRESENCE,
    C::CAN_CHANGE_OWN_AVATAR,
];

// A.3 speaker on top of attendee.
const SPEAKER: &[C] = &[
    C::CAN_SEND_MESSAGE,
    C::CAN_EDIT_OWN_MESSAGE,
    C::CAN_DELETE_OWN_MESSAGE,
    C::CAN_START_TOPIC,
    C::CAN_UPLOAD_IMAGE,
    C::CAN_UPLOAD_VIDEO,
    C::CAN_UPLOAD_AUDIO,
    C::CAN_UPLOAD_ATTACHMENT,
    C::CAN_SEND_LINK,
    C::CAN_SEND_LINK_PREVIEW,
];

// A.3 moderator on top of speaker.
const MODERATOR: &[C] = &[
    C::CAN_ADD_PARTICIPANT,
    C::CAN_REMOVE_PARTICIPANT,
    C::CAN_BAN,
    C::CAN_UNBAN,
    C::CAN_KICK,
    C::CAN_CHANGE_USER_ROLE,
    C::CAN_CREATE_JOIN_CODE,
    C::CAN_DELETE_JOIN_CODE,
    C::CAN_DELETE_OTHER_REACTION,
    C::CAN_DELETE_OTHER_MESSAGE,
    C::CAN_EDIT_OWN_TOPIC,
    C::CAN_EDIT_OTHER_TOPIC,
    C::CAN_CHANGE_ROOM_NAME,
    C::CAN_CHANGE_ROOM_AVATAR,
    C::CAN_CHANGE_ROOM_SUBJECT,
    C::CAN_CHANGE_ROOM_MOOD,
];

// A.3 super_admin on top of moderator.
const MODERATED_SUPER_ADMIN: &[C] = &[
    C::CAN_CHANGE_ROOM_DESCRIPTION,
    C::CAN_CHANGE_ROOM_MEMBERSHIP_STYLE,
    C::CAN_CHANGE_ROLE_DEFINITIONS,
    C::CAN_CHANGE_PREAUTHORIZED_USER_LIST,
    C::CAN_DESTROY_ROOM,
    C::CAN_SEND_MLS_REINIT_PROPOSAL,
];

// Conclave: a suspended user may still leave and drop a device.
const SUSPENDED: &[C] = &[C::CAN_REMOVE_SELF, C::CAN_REMOVE_OWN_CLIENT];

// Announcement: what A.3's guest and attendee may send moves up to speaker.
const SENDING: &[C] = &[
    C::CAN_REPLY_TO_MESSAGE,
    C::CAN_REACT_TO_MESSAGE,
    C::CAN_DELETE_OWN_REACTION,
    C::CAN_REPLY_IN_TOPIC,
];

fn without(caps: &[C], drop: &[C]) -> Vec<C> {
    caps.iter().filter(|c| !drop.contains(c)).copied().collect()
}

/// A.3 with `suspended` (8); with `announcement`, guests and attendees only receive.
fn moderated(announcement: bool) -> Vec<Role> {
    let (guest, attendee) = if announcement {
        (without(GUEST, SENDING), without(ATTENDEE, SENDING))
    } else {
        (GUEST.to_vec(), ATTENDEE.to_vec())
    };
    let speaker: Vec<C> = if announcement {
        [SPEAKER, SENDING].concat()
    } else {
        SPEAKER.to_vec()
    };
    let (outsiders, joins): (Limits, &[u32]) = if announcement {
        (NO_CLIENTS, &[3])
    } else {
        (FREE, &[2, 3])
    };
    vec![
        no_role(&[C::CAN_USE_JOIN_CODE], outsiders, &[(0, joins)]),
        banned(),
        role(2, "guest", &[&guest], FREE, &[(0, &[2]), (2, &[0])]),
        role(
            3,
            "attendee",
            &[&guest, &attendee],
            FREE,
            &[(0, &[3]), (3, &[0])],
        ),
        role(
            4,
            "speaker",
            &[&guest, &attendee, &speaker],
            FREE,
            &[(0, &[4]), (4, &[0])],
        ),
        role(
            5,
            "moderator",
            &[&guest, &attendee, &speaker, MODERATOR],
            AT_LEAST_ONE,
            &[
                (0, &[1, 2, 3, 4, 5]),
                (1, &[0, 2, 3, 4, 5]),
                (2, &[0, 1, 3, 4, 5, 8]),
                (3, &[0, 1, 2, 4, 5, 8]),
                (4, &[0, 1, 2, 3, 5, 8]),
                (5, &[0, 1, 2, 3, 4]),
                (8, &[0, 1, 2, 3, 4]),
            ],
        ),
        role(
            6,
            "super_admin",
            &[
                &guest,
                &attendee,
                &speaker,
                MODERATOR,
                MODERATED_SUPER_ADMIN,
            ],
            FREE,
            &[
                (0, &[1, 2, 3, 4, 5, 6]),
                (1, &[0, 2, 3, 4, 5, 6]),
                (2, &[0, 1, 3, 4, 5, 6, 8]),
                (3, &[0, 1, 2, 4, 5, 6, 8]),
                (4, &[0, 1, 2, 3, 5, 6, 8]),
                (5, &[0, 1, 2, 3, 4, 6, 8]),
                (6, &[0, 1, 2, 3, 4, 5, 8]),
                (8, &[0, 1, 2, 3, 4, 5, 6]),
            ],
        ),
        role(
            7,
            "policy_enforcer",
            &[ENFORCER],
            ENFORCER_LIMITS,
            &[
                (0, &[1]),
                (1, &[0]),
                (2, &[0, 1]),
                (3, &[0, 1]),
                (4, &[0, 1]),
                (5, &[0, 1]),
                (6, &[0, 1]),
                (8, &[0, 1]),
            ],
        ),
        role(8, "suspended", &[SUSPENDED], FREE, &[(0, &[8]), (8, &[0])]),
    ]
}

// A.4 org_b_user (and org_c_user).
const ORG_USER: &[C] = &[
    C::CAN_REMOVE_SELF,
    C::CAN_ADD_OWN_CLIENT,
    C::CAN_REMOVE_OWN_CLIENT,
    C::CAN_SEND_MESSAGE,
    C::CAN_RECEIVE_MESSAGE,
    C::CAN_COPY_MESSAGE,
    C::CAN_REPORT_ABUSE,
    C::CAN_REPLY_IN_TOPIC,
    C::CAN_REACT_TO_MESSAGE,
    C::CAN_DELETE_OWN_REACTION,
    C::CAN_EDIT_OWN_MESSAGE,
    C::CAN_SEND_LINK,
    C::CAN_SEND_LINK_PREVIEW,
    C::CAN_FOLLOW_LINK,
    C::CAN_COPY_LINK,
    C::CAN_DOWNLOAD_IMAGE,
    C::CAN_DOWNLOAD_VIDEO,
    C::CAN_DOWNLOAD_AUDIO,
    C::CAN_DOWNLOAD_ATTACHMENT,
    C::CAN_CHANGE_OWN_NAME,
    C::CAN_CHANGE_OWN_PRESENCE,
    C::CAN_CHANGE_OWN_AVATAR,
];

// A.4 the host organisation's extras (org_a_user, org_a_admin).
const HOST_ORG: &[C] = &[C::CAN_CHANGE_OWN_ROLE, C::CAN_JOIN_IF_PREAUTHORIZED];

// A.4 org_b_admin on top of org_b_user.
const ORG_ADMIN: &[C] = &[
    C::CAN_DELETE_OWN_MESSAGE,
    C::CAN_START_TOPIC,
    C::CAN_UPLOAD_IMAGE,
    C::CAN_UPLOAD_VIDEO,
    C::CAN_UPLOAD_AUDIO,
    C::CAN_UPLOAD_ATTACHMENT,
    C::CAN_ADD_PARTICIPANT,
    C::CAN_REMOVE_PARTICIPANT,
    C::CAN_BAN,
    C::CAN_KICK,
    C::CAN_CHANGE_USER_ROLE,
];

// A.4 super_admin on top of org_a_admin.
const MULTI_SUPER_ADMIN: &[C] = &[
    C::CAN_UNBAN,
    C::CAN_DELETE_OTHER_REACTION,
    C::CAN_DELETE_OTHER_MESSAGE,
    C::CAN_EDIT_OWN_TOPIC,
    C::CAN_EDIT_OTHER_TOPIC,
    C::CAN_CHANGE_ROOM_DESCRIPTION,
    C::CAN_CHANGE_ROOM_NAME,
    C::CAN_CHANGE_ROOM_AVATAR,
    C::CAN_CHANGE_ROOM_SUBJECT,
    C::CAN_CHANGE_ROOM_MOOD,
    C::CAN_CHANGE_ROOM_MEMBERSHIP_STYLE,
    C::CAN_CHANGE_ROLE_DEFINITIONS,
    C::CAN_CHANGE_PREAUTHORIZED_USER_LIST,
    C::CAN_DESTROY_ROOM,
    C::CAN_SEND_MLS_REINIT_PROPOSAL,
];

fn multi_organisation() -> Vec<Role> {
    let org_admin: Limits = (1, Some(3), 1, None);
    vec![
        no_role(&[], NO_CLIENTS, &[]),
        banned(),
        role(
            2,
            "org_a_user",
            &[ORG_USER, HOST_ORG],
            FREE,
            &[(0, &[2]), (2, &[0])],
        ),
        role(3, "org_b_user", &[ORG_USER], FREE, &[(0, &[3]), (3, &[0])]),
        role(4, "org_c_user", &[ORG_USER], FREE, &[(0, &[4]), (4, &[0])]),
        role(
            5,
            "org_a_admin",
            &[ORG_USER, ORG_ADMIN, HOST_ORG],
            FREE,
            &[(0, &[2, 5]), (2, &[0, 1, 5]), (5, &[0, 1, 2])],
        ),
        role(
            6,
            "org_b_admin",
            &[ORG_USER, ORG_ADMIN],
            org_admin,
            &[(0, &[3, 6]), (3, &[0, 1, 6]), (6, &[0, 1, 3])],
        ),
        role(
            7,
            "org_c_admin",
            &[ORG_USER, ORG_ADMIN],
            org_admin,
            &[(0, &[4, 7]), (4, &[0, 1, 7]), (7, &[0, 1, 4])],
        ),
        role(
            8,
            "super_admin",
            &[ORG_USER, ORG_ADMIN, HOST_ORG, MULTI_SUPER_ADMIN],
            (1, None, 1, None),
            &[
                (0, &[1, 2, 3, 4, 5, 6, 7, 8]),
                (1, &[0, 2, 3, 4, 5, 6, 7, 8]),
                (2, &[0, 1, 5, 8]),
                (3, &[0, 1, 6]),
                (4, &[0, 1, 7]),
                (5, &[0, 1, 2, 8]),
                (6, &[0, 1, 3]),
                (7, &[0, 1, 4]),
                (8, &[0, 1, 2, 5]),
            ],
        ),
        role(
            9,
            "policy_enforcer",
            &[ENFORCER],
            ENFORCER_LIMITS,
            &[
                (0, &[1]),
                (1, &[0]),
                (3, &[0, 1]),
                (4, &[0, 1]),
                (5, &[0, 1]),
                (6, &[0, 1]),
                (7, &[0, 1]),
                (8, &[0, 1]),
            ],
        ),
    ]
}

fn private() -> Vec<Role> {
    vec![
        no_role(&[], NO_CLIENTS, &[]),
        banned(),
        role(
            2,
            "member",
            &[COOP_ORDINARY, &[C::CAN_CHANGE_ROOM_DESCRIPTION]],
            FREE,
            &[(0, &[2]), (2, &[0])],
        ),
    ]
}
