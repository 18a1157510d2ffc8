//! A room's members as users see them, with pseudonyms resolved where they can be.

use mimi::uri::{ClientUri, UserUri};
use rusqlite::Connection;
use serde::Serialize;

use super::*;
use crate::error::Result;
use crate::identity::Identity;

/// A member as listed to users: a listed user, its role and its clients in the room.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberInfo {
    /// The user URI.
    pub user: String,
    /// Its client URIs in the room (none for a kicked or banned user).
    pub clients: Vec<String>,
    /// Its role's name.
    pub role: String,
    /// Its role's index in `roles_list`.
    pub role_index: u32,
    /// Pseudonymous rooms (`user` is then a user pseudonym): the real user behind it, if every
    /// one of its clients resolved (`specs/mimi.md` §4.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_user: Option<String>,
    /// Pseudonymous rooms: whether the pseudonym resolved to a real user; `None` elsewhere (and
    /// for a listed pseudonym with no client in the room).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Why the pseudonym is unverified: the first failed check's sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why it is unverified, as a stable code (`mimi::identity::Unresolved::code`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// Another member whose name looks like this one's (`mimi::display::confusable_with`): its
    /// verified real user, else its user URI. Both are marked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusable_with: Option<String>,
}

impl MemberInfo {
    /// The URI whose name the member is shown by: the verified real user, else the user.
    fn shown_as(&self) -> &str {
        match (&self.real_user, self.verified) {
            (Some(real), Some(true)) => real,
            _ => &self.user,
        }
    }
}

/// Marks the members whose shown names can be taken for one another.
fn mark_confusables(members: &mut [MemberInfo]) {
    let names: Vec<String> = members
        .iter()
        .map(|m| {
            UserUri::parse(m.shown_as())
                .map_or_else(|_| m.shown_as().to_owned(), |u| u.local().to_owned())
        })
        .collect();
    let others: Vec<Option<String>> = mimi::display::confusable_with(&names)
        .into_iter()
        .map(|j| j.map(|j| members[j].shown_as().to_owned()))
        .collect();
    for (m, other) in members.iter_mut().zip(others) {
        m.confusable_with = other;
    }
}

/// Whether a room is pseudonymous (its base policy's `pseudonyms_allowed`).
pub fn is_pseudonymous(conn: &Connection, id: &Identity, room: &str) -> Result<bool> {
    Ok(state_of(&load_group(conn, room)?, &id.trust)?
        .base
        .pseudonyms_allowed)
}

/// The client pseudonyms of a pseudonymous room's leaves.
pub fn leaf_pseudonyms(conn: &Connection, id: &Identity, room: &str) -> Result<Vec<ClientUri>> {
    Ok(identities(&load_group(conn, room)?, &id.trust)
        .into_iter()
        .map(|c| c.client)
        .collect())
}

/// The participants of a room in participant-list order, with their roles and clients; in a
/// pseudonymous room, with the real user each pseudonym resolves to (or why it does not).
pub fn members(conn: &Connection, id: &Identity, room: &str) -> Result<Vec<MemberInfo>> {
    let group = load_group(conn, room)?;
    let state = state_of(&group, &id.trust)?;
    let resolutions = if state.base.pseudonyms_allowed {
        let leaves: Vec<crate::pseudonymous::Leaf> = group
            .members()
            .map(|m| crate::pseudonymous::Leaf {
                credential: m.credential,
                signature_key: m.signature_key,
            })
            .collect();
        let participants: Vec<UserUri> = state
            .participants
            .participants
            .iter()
            .filter_map(|p| UserUri::from_bytes(p.user.as_slice()).ok())
            .collect();
        Some(crate::pseudonymous::resolve_room(
            conn,
            id,
            room,
            &leaves,
            &participants,
        )?)
    } else {
        None
    };
    let mut list: Vec<MemberInfo> = state
        .participants
        .participants
        .iter()
        .map(|p| {
            let user = String::from_utf8_lossy(p.user.as_slice()).into_owned();
            let mut m = MemberInfo {
                clients: state
                    .clients
                    .iter()
                    .filter(|c| c.user.to_string() == user)
                    .map(|c| c.client.to_string())
                    .collect(),
                user,
                role: state.role_name(p.role_index),
                role_index: p.role_index,
                real_user: None,
                verified: None,
                reason: None,
                reason_code: None,
                confusable_with: None,
            };
            if let Some(rs) = &resolutions {
                let mine: Vec<_> = rs
                    .iter()
                    .filter(|r| r.user_pseudonym().to_string() == m.user)
                    .collect();
                if let Some(first) = mine.first() {
                    match mine.iter().find_map(|r| r.reason()) {
                        Some(why) => {
                            m.verified = Some(false);
                            m.reason = Some(why.to_string());
                            m.reason_code = Some(why.code().to_owned());
                        }
                        None => {
                            m.verified = Some(true);
                            m.real_user = first.real().map(|r| r.user.to_string());
                        }
                    }
                }
            }
            m
        })
        .collect();
    mark_confusables(&mut list);
    Ok(list)
}
