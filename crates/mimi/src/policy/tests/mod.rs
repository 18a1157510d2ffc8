//! Tests of the policy engine: the written-out tables over every preset (`table/`), stories
//! (`stories.rs`), commits (`commit.rs`), presets (`presets.rs`) and random action sequences
//! against an independent invariant checker (`props.rs`).

mod commit;
mod presets;
mod props;
mod stories;
mod table;

use super::*;
use crate::components::{
    ParticipantListData, ParticipantListUpdate, UserRolePair, UserindexRolePair,
};
use crate::credential::ClientIdentity;
use crate::uri::{ClientUri, UserUri};

pub(super) fn user(name: &str) -> UserUri {
    UserUri::parse(&format!("mimi://h/u/{name}")).unwrap()
}

/// Client `device` of user `name`.
pub(super) fn client(name: &str, device: &str) -> ClientIdentity {
    ClientIdentity {
        client: ClientUri::parse(&format!("mimi://h/d/{device}")).unwrap(),
        user: user(name),
    }
}

/// A room of `preset` with the given users: `(name, role, number of clients)`. Client `k` of
/// user `u` is `mimi://h/d/u-k`.
pub(super) fn room(preset: Preset, users: &[(&str, u32, usize)]) -> PolicyState {
    let mut s = PolicyState {
        roles: preset.roles(),
        participants: ParticipantListData::default(),
        base: preset.base_policy(),
        preauth: preset.preauth(),
        metadata: None,
        clients: Vec::new(),
    };
    for (name, role, n) in users {
        s.participants.participants.push(UserRolePair {
            user: user(name).to_bytes().into(),
            role_index: *role,
        });
        for k in 0..*n {
            s.clients.push(client(name, &format!("{name}-{k}")));
        }
    }
    s
}

pub(super) fn is_allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allowed)
}

/// The rule of a denial, or "allowed".
pub(super) fn rule_of(d: &Decision) -> &'static str {
    match d {
        Decision::Allowed => "allowed",
        Decision::Denied { rule, .. } => rule,
    }
}
