//! The one table of MIMI code points Conclave uses. All of MIMI's are "suggested" values that
//! IANA has not assigned yet (`specs/mimi.md` §1.6), so they live here and nowhere else.

/// An MLS application component ID (MLSEXT §4.1).
pub type ComponentId = u16;

/// PROTO §10.1: franking tag in Safe AAD.
pub const FRANK_AAD: ComponentId = 0x0020;
/// PROTO §10.2: the hub's franking signature key (the text calls it `franking_agent`).
pub const FRANKING_AGENT: ComponentId = 0x0021;
/// PROTO §10.3: participant list.
pub const PARTICIPANT_LIST: ComponentId = 0x0022;
/// PROTO §10.4: room metadata.
pub const ROOM_METADATA: ComponentId = 0x0023;
/// POLICY §10.1.1.
pub const MLS_OPERATIONAL_POLICY: ComponentId = 0x0024;
/// POLICY §10.1.2.
pub const ROLES_LIST: ComponentId = 0x0025;
/// POLICY §10.1.3.
pub const PREAUTH_LIST: ComponentId = 0x0026;
/// POLICY §10.1.4.
pub const BASE_ROOM_POLICY: ComponentId = 0x0027;
/// POLICY §10.1.5.
pub const STATUS_NOTIFICATION_POLICY: ComponentId = 0x0028;
/// POLICY §10.1.6.
pub const JOIN_LINK_POLICY: ComponentId = 0x0029;
/// POLICY §10.1.7.
pub const JOIN_LINKS: ComponentId = 0x002A;
/// POLICY §10.1.8.
pub const LINK_PREVIEW_POLICY: ComponentId = 0x002B;
/// POLICY §10.1.9.
pub const ASSET_POLICY: ComponentId = 0x002C;
/// POLICY §10.1.10.
pub const LOGGING_POLICY: ComponentId = 0x002D;
/// POLICY §10.1.11.
pub const CHAT_HISTORY_POLICY: ComponentId = 0x002E;
/// POLICY §10.1.12.
pub const BOT_POLICY: ComponentId = 0x002F;
/// POLICY §10.1.13.
pub const MESSAGE_EXPIRATION_POLICY: ComponentId = 0x0030;

/// Every MIMI component with its name, for logs and debugging tools.
pub const COMPONENTS: &[(ComponentId, &str)] = &[
    (FRANK_AAD, "frank_aad"),
    (FRANKING_AGENT, "franking_agent"),
    (PARTICIPANT_LIST, "participant_list"),
    (ROOM_METADATA, "room_metadata"),
    (MLS_OPERATIONAL_POLICY, "mls_operational_policy"),
    (ROLES_LIST, "roles_list"),
    (PREAUTH_LIST, "preauth_list"),
    (BASE_ROOM_POLICY, "base_room_policy"),
    (STATUS_NOTIFICATION_POLICY, "status_notification_policy"),
    (JOIN_LINK_POLICY, "join_link_policy"),
    (JOIN_LINKS, "join_links"),
    (LINK_PREVIEW_POLICY, "link_preview_policy"),
    (ASSET_POLICY, "asset_policy"),
    (LOGGING_POLICY, "logging_policy"),
    (CHAT_HISTORY_POLICY, "chat_history_policy"),
    (BOT_POLICY, "bot_policy"),
    (MESSAGE_EXPIRATION_POLICY, "message_expiration_policy"),
];

/// The name of a MIMI component, if it is one.
pub fn component_name(id: ComponentId) -> Option<&'static str> {
    COMPONENTS.iter().find(|(c, _)| *c == id).map(|(_, n)| *n)
}

/// A private-use component (MLSEXT §4.1 range 0x8000–0xFFFF) in `AbuseReport.abuse_extensions`:
/// the reporter's reason as UTF-8 text (PROTO §5.9's `AbuseType` has no values yet).
pub const REPORT_REASON: ComponentId = 0x8001;

/// The MLS credential type of a provider-issued Conclave client credential (RFC 9420 private use
/// range; not GREASE). See [`crate::credential`].
pub const PROVIDER_CREDENTIAL_TYPE: u16 = 0xF0C0;

/// The MLS credential type reserved for PROTO §6.1 pseudonymous credentials.
pub const PSEUDONYMOUS_CREDENTIAL_TYPE: u16 = 0xF0C1;

/// The GroupInfo extension type of MIMIMI §4.1's `IdentityLinkExtension` (private use): it
/// rides only in a Welcome's encrypted GroupInfo, never in an exported one.
pub const IDENTITY_LINK_EXTENSION_TYPE: u16 = 0xF0C2;

/// The one cipher suite Conclave speaks: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519.
pub const CIPHERSUITE: u16 = 0x0001;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_ids_are_unique_and_named() {
        let mut ids: Vec<_> = COMPONENTS.iter().map(|(i, _)| *i).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), COMPONENTS.len());
        assert_eq!(component_name(0x0025), Some("roles_list"));
        assert_eq!(component_name(0x0001), None);
    }

    #[test]
    fn private_code_points_are_not_grease() {
        for t in [PROVIDER_CREDENTIAL_TYPE, PSEUDONYMOUS_CREDENTIAL_TYPE] {
            assert!(t >= 0xF000);
            assert_ne!(t & 0x0F0F, 0x0A0A, "{t:#x} is a GREASE value");
        }
    }
}
