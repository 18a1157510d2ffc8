//! Replies, reactions, edits and deletes: what a MIMI content document does to a room's timeline
//! (CONTENT §3, §4.3, §9.3) and which capability its sender needs for it (POLICY §8.3).
//!
//! The hub cannot read content, so these capabilities are enforced by every receiving client
//! (and checked by the sender before it sends): a document whose sender lacks the capability is
//! ignored — not stored, not shown — and reported as [`ClientEvent::Dropped`]. Every application
//! message also needs canSendMessage, which the hub enforces (PROTO §5.4).
//!
//! Stored rows (migration 0009): each document keeps its own row with its exact bytes and frank;
//! `reply_to` and `replaces` always name *first versions* (CONTENT §3: `replaces` points to the
//! first version; `inReplyTo` names the exact version answered, which this module maps back).

use mimi::content::{Disposition, MimiContent, Part};
use mimi::policy::Capability;
use rusqlite::Connection;

use crate::error::Result;
use crate::event::ClientEvent;
use crate::store::{self, Message, RowKind, Stored};

/// What a document does, resolved against the stored messages of its room.
#[derive(Debug, Clone)]
pub enum Effect {
    /// A new timeline message: plain, or a reply to the first version `reply_to`.
    Post {
        /// What it answers.
        reply_to: Option<Vec<u8>>,
    },
    /// A reaction (disposition `reaction`) to the first version `to` (CONTENT §4.3).
    React {
        /// What it reacts to.
        to: Vec<u8>,
    },
    /// An edit (a new body) or a delete (a NullPart body) of a stored message or reaction; the
    /// delete of a reaction is an unlike.
    Replace {
        /// The first version replaced.
        target: Stored,
        /// The body is a NullPart.
        delete: bool,
    },
    /// Replaces something this client never stored (it may predate the join, CONTENT §6.4):
    /// kept, nothing to apply.
    ReplaceUnknown {
        /// What it names.
        target: Vec<u8>,
    },
}

impl Effect {
    /// Classifies `content` in `room` (CONTENT §3: `replaces` wins over `inReplyTo`; a reaction
    /// is a document with `inReplyTo` and disposition `reaction`).
    pub fn of(conn: &Connection, room: &str, content: &MimiContent) -> Result<Effect> {
        if let Some(r) = &content.replaces {
            let id = first_version(conn, room, r.as_bytes())?;
            return Ok(match store::stored(conn, room, &id)? {
                Some(target) => Effect::Replace {
                    target,
                    delete: matches!(content.body.part, Part::Null),
                },
                None => Effect::ReplaceUnknown { target: id },
            });
        }
        let reply_to = match &content.in_reply_to {
            Some(id) => Some(first_version(conn, room, id.as_bytes())?),
            None => None,
        };
        Ok(match reply_to {
            Some(to) if content.body.disposition == Disposition::Reaction => Effect::React { to },
            reply_to => Effect::Post { reply_to },
        })
    }

    /// The capability `sender` needs for this beyond canSendMessage, or why nobody may do it.
    pub fn needs(&self, sender: &str) -> std::result::Result<Option<Capability>, String> {
        Ok(Some(match self {
            Effect::Post { reply_to: None } | Effect::ReplaceUnknown { .. } => return Ok(None),
            Effect::Post { reply_to: Some(_) } => Capability::CAN_REPLY_TO_MESSAGE,
            Effect::React { .. } => Capability::CAN_REACT_TO_MESSAGE,
            Effect::Replace { target, delete } => {
                let own = target.sender == sender;
                match (target.kind, delete, own) {
                    (RowKind::Message, true, true) => Capability::CAN_DELETE_OWN_MESSAGE,
                    (RowKind::Message, true, false) => Capability::CAN_DELETE_OTHER_MESSAGE,
                    (RowKind::Message, false, true) => Capability::CAN_EDIT_OWN_MESSAGE,
                    (RowKind::Reaction, true, true) => Capability::CAN_DELETE_OWN_REACTION,
                    (RowKind::Reaction, true, false) => Capability::CAN_DELETE_OTHER_REACTION,
                    (RowKind::Reaction, false, true) => Capability::CAN_EDIT_REACTION,
                    // CONTENT §9.3: only the original sender may change a message's body.
                    (RowKind::Message | RowKind::Reaction, false, false) => {
                        return Err(format!(
                            "only its sender {} may edit a message (CONTENT §9.3)",
                            target.sender
                        ));
                    }
                    (RowKind::Event, ..) => {
                        return Err("a history event cannot be replaced".into());
                    }
                    (RowKind::Edit, ..) => {
                        return Err("an edit cannot be replaced; replace the first version".into());
                    }
                }
            }
        }))
    }

    /// The kind of row the document is stored as.
    pub fn row_kind(&self) -> RowKind {
        match self {
            Effect::Post { .. } => RowKind::Message,
            Effect::React { .. } => RowKind::Reaction,
            Effect::Replace { .. } | Effect::ReplaceUnknown { .. } => RowKind::Edit,
        }
    }

    /// Whether the document is itself a timeline message.
    pub fn is_post(&self) -> bool {
        matches!(self, Effect::Post { .. })
    }
}

/// The first version of the message `id` names: an edit row names what it replaces.
fn first_version(conn: &Connection, room: &str, id: &[u8]) -> Result<Vec<u8>> {
    Ok(match store::stored(conn, room, id)? {
        Some(Stored {
            kind: RowKind::Edit,
            replaces: Some(first),
            ..
        }) => first,
        _ => id.to_vec(),
    })
}

/// Stores the document `row` (its sender, time, text and verification; `content` its exact
/// bytes) with `effect` and applies the effect. Returns the events to publish: the new timeline
/// message, or the message whose view changed; `None` if the row was already stored.
pub fn store(
    tx: &Connection,
    row: &Message,
    effect: &Effect,
    content: &[u8],
    frank: Option<&[u8]>,
) -> Result<Option<Vec<ClientEvent>>> {
    let room = row.room.as_str();
    let (reply_to, replaces) = match effect {
        Effect::Post { reply_to } => (reply_to.as_deref(), None),
        Effect::React { to } => (Some(to.as_slice()), None),
        Effect::Replace { target, .. } => (None, Some(target.id.as_slice())),
        Effect::ReplaceUnknown { target } => (None, Some(target.as_slice())),
    };
    if !store::insert_row(
        tx,
        row,
        effect.row_kind(),
        reply_to,
        replaces,
        content,
        frank,
    )? {
        return Ok(None);
    }
    let changed = match effect {
        Effect::Post { .. } => Some(row.id.clone()),
        Effect::React { to } => Some(hex::encode(to)),
        Effect::Replace { target, delete } => {
            let by = hex::decode(&row.id).map_err(|e| crate::Error::Io(e.to_string()))?;
            let text = if *delete { None } else { row.text.as_deref() };
            // An edit's body may hold no text part; it then shows as empty, not as the old text.
            let text = text.or(if *delete { None } else { Some("") });
            store::apply_replacement(tx, room, &target.id, &by, text, row.timestamp)?;
            match target.kind {
                RowKind::Reaction => target.reply_to.as_ref().map(hex::encode),
                _ => Some(hex::encode(&target.id)),
            }
        }
        Effect::ReplaceUnknown { .. } => None,
    };
    let Some(id) = changed else {
        return Ok(Some(Vec::new()));
    };
    Ok(Some(match store::message(tx, room, &id)? {
        Some(m) if effect.is_post() => vec![ClientEvent::Message(m)],
        Some(m) => vec![ClientEvent::MessageUpdated(m)],
        None => Vec::new(),
    }))
}
