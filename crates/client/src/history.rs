//! The room's history: every membership or role change a merged commit made, as a sentence (who
//! did what to whom), stored as an `event` row beside the messages in the same transaction as the
//! merge, and published as a [`ClientEvent::Message`] of kind `event`.

use mimi::credential::ClientIdentity;
use mimi::policy::{Item, PolicyState, Proposed};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::event::ClientEvent;
use crate::store::{self, Message, MessageKind};

fn user_at(state: &PolicyState, index: u32) -> Option<String> {
    state
        .participants
        .participants
        .get(index as usize)
        .map(|p| String::from_utf8_lossy(p.user.as_slice()).into_owned())
}

/// The sentences describing what `items` did to the room `before` them.
pub fn describe(before: &PolicyState, actor: &ClientIdentity, items: &[Proposed]) -> Vec<String> {
    let who = |p: &Proposed| {
        p.by.as_ref()
            .map(|c| c.user.to_string())
            .unwrap_or_else(|| "the hub".into())
    };
    let mut lines = Vec::new();
    let mut touched_users: Vec<String> = Vec::new();
    for p in items {
        let by = who(p);
        match &p.item {
            Item::ParticipantList(u) => {
                for c in &u.changed_role_participants {
                    let Some(user) = user_at(before, c.user_index) else {
                        continue;
                    };
                    let from = before
                        .participants
                        .participants
                        .get(c.user_index as usize)
                        .map(|p| p.role_index)
                        .unwrap_or(0);
                    let to_name = before.role_name(c.role_index);
                    lines.push(if c.role_index == 1 && to_name == "banned" {
                        format!("{by} banned {user}")
                    } else if from == 1 {
                        format!("{by} unbanned {user} as {to_name}")
                    } else {
                        format!(
                            "{by} changed the role of {user} from {} to {to_name}",
                            before.role_name(from)
                        )
                    });
                    touched_users.push(user);
                }
                for i in &u.removed_indices {
                    let Some(user) = user_at(before, *i) else {
                        continue;
                    };
                    lines.push(if user == by {
                        format!("{user} left the room")
                    } else {
                        format!("{by} removed {user}")
                    });
                    touched_users.push(user);
                }
                for a in &u.added_participants {
                    let user = String::from_utf8_lossy(a.user.as_slice()).into_owned();
                    lines.push(format!(
                        "{by} added {user} as {}",
                        before.role_name(a.role_index)
                    ));
                    touched_users.push(user);
                }
            }
            Item::Roles(_) => lines.push(format!("{by} changed the role definitions")),
            Item::Preauth(_) => lines.push(format!("{by} changed the preauthorized users")),
            Item::Base(_) => lines.push(format!("{by} changed the room's membership policy")),
            Item::Metadata(m) => lines.push(format!("{by} renamed the room to \"{}\"", m.name())),
            _ => {}
        }
    }
    // Client moves of users whose listing did not change: kicks, and devices coming back.
    let mut kicked: Vec<String> = Vec::new();
    let mut returned: Vec<String> = Vec::new();
    for p in items {
        let by = who(p);
        match &p.item {
            Item::RemoveClient(c) => {
                let user = c.user.to_string();
                if user != by && !touched_users.contains(&user) && !kicked.contains(&user) {
                    lines.push(format!("{by} kicked {user}"));
                    kicked.push(user);
                }
            }
            Item::AddClient(c) => {
                let user = c.user.to_string();
                let was_active = before.clients.iter().any(|x| x.user == c.user);
                if !touched_users.contains(&user) && !was_active && !returned.contains(&user) {
                    lines.push(if user == actor.user.to_string() {
                        format!("{user} came back")
                    } else {
                        format!("{by} let {user} back in")
                    });
                    returned.push(user);
                }
            }
            _ => {}
        }
    }
    lines
}

/// Stores the history lines of a merged commit and returns their events.
pub fn record(
    tx: &Connection,
    room: &str,
    epoch: u64,
    timestamp: u64,
    before: &PolicyState,
    actor: &ClientIdentity,
    items: &[Proposed],
) -> Result<Vec<ClientEvent>> {
    let mut events = Vec::new();
    for (i, line) in describe(before, actor, items).into_iter().enumerate() {
        // A history line's ID is derived from where it happened, so reprocessing is idempotent.
        let mut h = Sha256::new();
        h.update(b"conclave history\0");
        h.update(room.as_bytes());
        h.update(epoch.to_be_bytes());
        h.update((i as u32).to_be_bytes());
        let m = Message::new(
            room,
            hex::encode(h.finalize()),
            MessageKind::Event,
            actor.user.to_string(),
            actor.client.to_string(),
            Some(line.clone()),
            timestamp,
        );
        if store::insert_message(tx, &m, line.as_bytes(), None)? {
            events.push(ClientEvent::Message(m));
        }
    }
    Ok(events)
}
