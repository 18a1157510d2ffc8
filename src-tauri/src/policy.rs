//! What the UI shows of room policy, as IPC types: the engine's answer to "may I?"
//! ([`Verdict`], from `mimi::policy::decide_action` through `Client::can`), the capability
//! registry grouped as POLICY §8 groups it ([`CapabilityInfo`], for the role editor), and the
//! presets a room can start from. The UI decides nothing from these: it shows them.

use conclave_client::roles::RoleInfo;
use mimi::capability::REGISTRY;
use mimi::components::RoleData;
use mimi::policy::{Decision, Preset};
use serde::Serialize;
use ts_rs::TS;

/// The policy engine's answer to one action, as the UI shows it before the user confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Verdict {
    /// The action may be taken now.
    Allowed,
    /// It may not.
    Denied {
        /// The capability or constraint that failed (e.g. `canBan`).
        rule: String,
        /// The engine's sentence (e.g. "… (moderator) cannot ban …: moderator has no canBan").
        reason: String,
    },
}

impl From<Decision> for Verdict {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Allowed => Verdict::Allowed,
            Decision::Denied { rule, reason } => Verdict::Denied {
                rule: rule.to_owned(),
                reason,
            },
        }
    }
}

/// One capability of the MIMI registry (POLICY §8, §10.2).
#[derive(Debug, Clone, Serialize, TS)]
pub struct CapabilityInfo {
    /// The code point.
    pub code: u16,
    /// The draft's name, as role definitions spell it.
    pub name: String,
    /// The POLICY §8 group it belongs to.
    pub group: String,
    /// Reserved: known, but no action consults it, so holding it grants nothing.
    pub reserved: bool,
}

/// The POLICY §8 group of a code point: the registry numbers each group in its own range
/// (`specs/mimi.md` §2.6).
fn group_of(code: u16) -> &'static str {
    match code >> 8 {
        0x00 => "Membership (§8.1)",
        0x01 => "Messages (§8.3)",
        0x02 => "Assets and links (§8.4)",
        0x03 => "Room metadata (§8.2)",
        0x04 => "Real-time media (§8.5)",
        0x05 | 0x06 => "Disruptive policy changes (§8.6)",
        _ => "Private use",
    }
}

/// Every registered capability, in registry order (which keeps each group together).
pub fn capabilities() -> Vec<CapabilityInfo> {
    REGISTRY
        .iter()
        .map(|(c, name, reserved)| CapabilityInfo {
            code: c.0,
            name: (*name).to_owned(),
            group: group_of(c.0).to_owned(),
            reserved: *reserved,
        })
        .collect()
}

/// The preset names a new room can start from, `private` (the default) first.
pub fn presets() -> Vec<String> {
    let mut all = Preset::ALL.to_vec();
    all.sort_by_key(|p| *p != Preset::Private);
    all.into_iter().map(|p| p.name().to_owned()).collect()
}

/// A preset by name.
pub fn preset(name: &str) -> Result<Preset, conclave_client::Error> {
    name.parse().map_err(conclave_client::Error::Usage)
}

/// Role definitions as the role editor sends them, as POLICY §3 `RoleData` (the engine validates
/// them when asked or proposed).
pub fn role_data(roles: &[RoleInfo]) -> Result<RoleData, conclave_client::Error> {
    Ok(RoleData {
        roles: roles
            .iter()
            .map(RoleInfo::to_role)
            .collect::<Result<_, _>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_capability_falls_in_a_policy_group() {
        let caps = capabilities();
        assert_eq!(caps.len(), REGISTRY.len());
        assert!(caps.iter().all(|c| c.group != "Private use"));
        let ban = caps.iter().find(|c| c.name == "canBan").unwrap();
        assert_eq!(ban.group, "Membership (§8.1)");
    }

    #[test]
    fn a_denial_keeps_the_engines_rule_and_sentence() {
        let v = Verdict::from(Decision::Denied {
            rule: "canBan",
            reason: "moderator has no canBan".into(),
        });
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["answer"], "denied");
        assert_eq!(json["rule"], "canBan");
        assert_eq!(
            serde_json::to_value(Verdict::Allowed).unwrap()["answer"],
            "allowed"
        );
    }

    #[test]
    fn every_preset_name_parses_back_and_private_comes_first() {
        let names = presets();
        assert_eq!(names[0], "private");
        assert_eq!(names.len(), Preset::ALL.len());
        for n in &names {
            assert_eq!(preset(n).unwrap().name(), n);
        }
        assert!(preset("chaotic").is_err());
    }
}
