//! Role definitions as people read and write them: the JSON of `room roles --json` and of
//! `role define --from-file`, converted to and from POLICY §3's `RoleData`.
//!
//! ```json
//! { "roles": [
//!   { "index": 2, "name": "member", "description": "",
//!     "capabilities": ["canSendMessage", "canReceiveMessage"],
//!     "min_participants": 0, "max_participants": null,
//!     "min_active": 0, "max_active": null,
//!     "authorized_role_changes": [ { "from": 0, "to": [2] }, { "from": 2, "to": [0] } ] } ] }
//! ```
//! Capabilities are the draft's names (or `0x…` code points for private-use ones); `null` means
//! no maximum.

use mimi::components::{Role, RoleData, SingleSourceRoleChangeTargets};
use mimi::policy::Capability;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One role.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct RoleInfo {
    /// `role_index`.
    pub index: u32,
    /// `role_name`.
    pub name: String,
    /// `role_description`.
    #[serde(default)]
    pub description: String,
    /// `role_capabilities`, by name.
    pub capabilities: Vec<String>,
    /// `minimum_participants_constraint`.
    #[serde(default)]
    pub min_participants: u32,
    /// `maximum_participants_constraint` (none: unlimited).
    #[serde(default)]
    pub max_participants: Option<u32>,
    /// `minimum_active_participants_constraint`.
    #[serde(default)]
    pub min_active: u32,
    /// `maximum_active_participants_constraint` (none: unlimited).
    #[serde(default)]
    pub max_active: Option<u32>,
    /// `authorized_role_changes`.
    #[serde(default)]
    pub authorized_role_changes: Vec<RoleChanges>,
}

/// One `SingleSourceRoleChangeTargets`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct RoleChanges {
    /// `from_role_index`.
    pub from: u32,
    /// `target_role_indexes`.
    pub to: Vec<u32>,
}

/// The file of `role define --from-file`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RolesFile {
    /// The roles.
    pub roles: Vec<RoleInfo>,
}

fn capability_name(c: Capability) -> String {
    c.name()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:#06x}", c.0))
}

fn parse_capability(s: &str) -> Result<Capability> {
    if let Some(hex) = s.strip_prefix("0x")
        && let Ok(v) = u16::from_str_radix(hex, 16)
    {
        return Ok(Capability(v));
    }
    Capability::from_name(s).ok_or_else(|| {
        Error::Usage(format!(
            "unknown capability {s:?} (POLICY §8 names, or 0x… code points)"
        ))
    })
}

impl From<&Role> for RoleInfo {
    fn from(r: &Role) -> Self {
        RoleInfo {
            index: r.role_index,
            name: r.name(),
            description: String::from_utf8_lossy(r.role_description.as_slice()).into_owned(),
            capabilities: r
                .role_capabilities
                .iter()
                .map(|c| capability_name(*c))
                .collect(),
            min_participants: r.minimum_participants_constraint,
            max_participants: r.maximum_participants_constraint,
            min_active: r.minimum_active_participants_constraint,
            max_active: r.maximum_active_participants_constraint,
            authorized_role_changes: r
                .authorized_role_changes
                .iter()
                .map(|c| RoleChanges {
                    from: c.from_role_index,
                    to: c.target_role_indexes.clone(),
                })
                .collect(),
        }
    }
}

impl RoleInfo {
    /// The POLICY §3 `Role`.
    pub fn to_role(&self) -> Result<Role> {
        Ok(Role {
            role_index: self.index,
            role_name: self.name.as_bytes().to_vec().into(),
            role_description: self.description.as_bytes().to_vec().into(),
            role_capabilities: self
                .capabilities
                .iter()
                .map(|c| parse_capability(c))
                .collect::<Result<_>>()?,
            minimum_participants_constraint: self.min_participants,
            maximum_participants_constraint: self.max_participants,
            minimum_active_participants_constraint: self.min_active,
            maximum_active_participants_constraint: self.max_active,
            authorized_role_changes: self
                .authorized_role_changes
                .iter()
                .map(|c| SingleSourceRoleChangeTargets {
                    from_role_index: c.from,
                    target_role_indexes: c.to.clone(),
                })
                .collect(),
        })
    }
}

/// Every role of a room.
pub fn describe(roles: &RoleData) -> Vec<RoleInfo> {
    roles.roles.iter().map(RoleInfo::from).collect()
}

/// Reads a roles file; the engine validates the result when it is proposed.
pub fn parse_file(json: &str) -> Result<RoleData> {
    let f: RolesFile =
        serde_json::from_str(json).map_err(|e| Error::Usage(format!("not a roles file: {e}")))?;
    Ok(RoleData {
        roles: f
            .roles
            .iter()
            .map(RoleInfo::to_role)
            .collect::<Result<_>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mimi::policy::Preset;

    #[test]
    fn every_preset_survives_the_json_round_trip() {
        for p in Preset::ALL {
            let roles = p.roles();
            let json = serde_json::to_string(&RolesFile {
                roles: describe(&roles),
            })
            .unwrap();
            assert_eq!(parse_file(&json).unwrap(), roles, "{p}");
        }
    }

    #[test]
    fn unknown_capabilities_and_fields_are_refused_with_the_reason() {
        let e = parse_file(r#"{"roles":[{"index":2,"name":"x","capabilities":["canFly"]}]}"#)
            .unwrap_err();
        assert!(e.to_string().contains("canFly"), "{e}");
        let e = parse_file(r#"{"roles":[{"index":2,"name":"x","capabilities":[],"colour":1}]}"#)
            .unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        let ok =
            parse_file(r#"{"roles":[{"index":2,"name":"x","capabilities":["0xf001"]}]}"#).unwrap();
        assert_eq!(ok.roles[0].role_capabilities, vec![Capability(0xf001)]);
    }
}
