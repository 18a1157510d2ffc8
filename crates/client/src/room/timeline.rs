//! A room's timeline: reading it, and sending, replying, reacting, editing and deleting.

use mimi::content::{Disposition, MessageId, MimiContent, NestedPart, TEXT_PLAIN, message_id};
use rand::RngCore;
use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::group;
use crate::pending;
use crate::room::Room;
use crate::store::{self, Message};

impl Room {
    /// The last `limit` messages of a room, in hub order.
    pub async fn messages(&self, limit: u32) -> Result<Vec<Message>> {
        let room = &self.uri;
        let conn = self.c.conn.lock().await;
        if store::room_group(&conn, &room.to_string())?.is_none() {
            return Err(Error::UnknownRoom(room.to_string()));
        }
        store::messages(&conn, &room.to_string(), limit)
    }

    /// Sends a text message; returns its message ID (hex).
    pub async fn send_text(&self, text: &str) -> Result<String> {
        self.send_content(|_, salt, user, r| Ok(MimiContent::text(salt, user, r, text)))
            .await
    }

    /// Replies to the message `to` (hex ID) with text (CONTENT §4.1 inReplyTo, POLICY §8.3
    /// canReplyToMessage); returns the reply's ID.
    pub async fn reply(&self, to: &str, text: &str) -> Result<String> {
        self.send_content(|conn, salt, user, r| {
            let mut c = MimiContent::text(salt, user, r, text);
            c.in_reply_to = Some(newest_version(conn, r, to)?);
            Ok(c)
        })
        .await
    }

    /// Reacts to the message `to` (hex ID) with `emoji` (CONTENT §4.3: disposition reaction,
    /// one text part; POLICY §8.3 canReactToMessage); returns the reaction's ID.
    pub async fn react(&self, to: &str, emoji: &str) -> Result<String> {
        let emoji = check_reaction(emoji)?;
        self.send_content(|conn, salt, user, r| {
            let first = first_version_of(conn, r, to)?;
            let mine = store::my_reactions(conn, r, first.as_bytes(), user)?;
            if mine.iter().any(|(_, t)| t.as_deref() == Some(emoji)) {
                return Err(Error::Usage(format!(
                    "you already reacted {emoji} to message {to}"
                )));
            }
            let mut c = MimiContent::with_body(
                salt,
                user,
                r,
                NestedPart::single(Disposition::Reaction, TEXT_PLAIN, emoji.as_bytes()),
            );
            c.in_reply_to = Some(newest_version(conn, r, to)?);
            Ok(c)
        })
        .await
    }

    /// Withdraws this user's `emoji` reaction to the message `to` (an unlike: a NullPart that
    /// replaces the reaction, CONTENT §3; canDeleteOwnReaction).
    pub async fn unreact(&self, to: &str, emoji: &str) -> Result<String> {
        self.send_content(|conn, salt, user, r| {
            let target = message_id_arg(to)?;
            let mine = store::my_reactions(conn, r, &target, user)?;
            let Some((id, _)) = mine.into_iter().find(|(_, t)| t.as_deref() == Some(emoji)) else {
                return Err(Error::Usage(format!(
                    "you have no {emoji:?} reaction to message {to} in this room"
                )));
            };
            let mut c = MimiContent::with_body(salt, user, r, NestedPart::null());
            c.replaces = Some(MessageId(id_array(&id)?));
            Ok(c)
        })
        .await
    }

    /// Replaces the text of this user's message `id` (hex ID of any version; CONTENT §3
    /// replaces names the first; canEditOwnMessage). Returns the edit's ID.
    pub async fn edit(&self, id: &str, text: &str) -> Result<String> {
        let body = NestedPart::single(Disposition::Render, TEXT_PLAIN, text.as_bytes());
        self.replace(id, body).await
    }

    /// Deletes the message `id` (hex ID): a NullPart that replaces it (CONTENT §3). The user's
    /// own needs canDeleteOwnMessage, anyone else's canDeleteOtherMessage (POLICY §8.3).
    pub async fn delete_message(&self, id: &str) -> Result<String> {
        self.replace(id, NestedPart::null()).await
    }

    /// Sends a document with `body` that replaces the first version of the message `id` names.
    async fn replace(&self, id: &str, body: NestedPart) -> Result<String> {
        self.send_content(|conn, salt, user, r| {
            let mut c = MimiContent::with_body(salt, user, r, body.clone());
            c.replaces = Some(first_version_of(conn, r, id)?);
            Ok(c)
        })
        .await
    }

    /// Builds a document with `make(store, salt, sender, room)`, checks locally that the room's
    /// policy lets this user send it, encrypts and submits it, stores it and publishes its
    /// events. Returns its message ID (hex).
    async fn send_content(
        &self,
        make: impl Fn(&Connection, [u8; 16], &str, &str) -> Result<MimiContent>,
    ) -> Result<String> {
        let r = self.uri.to_string();
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let user = self.me_as().await?.to_string();
        let precheck = !self.c.switches.skip_precheck();
        let mut conn = self.c.conn.lock().await;
        // Older messages of this room still in the outbox go first, in order: receivers keep
        // only a few past generations of a sender's ratchet, and the room's order is the hub's.
        self.c.deliver_outbox(&mut conn, Some(&r)).await?;
        let content = make(&conn, salt, &user, &r)?;
        content
            .validate()
            .map_err(|e| Error::Usage(format!("cannot send this: {e}")))?;
        let bytes = content.encode();
        let mid = message_id(&user, &r, &bytes, &salt);
        let effect = crate::content::Effect::of(&conn, &r, &content)?;
        let needs = match effect.needs(&user) {
            Ok(cap) => cap,
            Err(reason) if precheck => {
                return Err(Error::NotAllowed {
                    rule: "content".into(),
                    reason,
                });
            }
            Err(_) => None,
        };
        let extra: Vec<mimi::policy::Action> = needs
            .map(mimi::policy::Action::Message)
            .into_iter()
            .collect();
        let tagged = if self.c.switches.forge_franking_tag() {
            let mut other = bytes.clone();
            if let Some(last) = other.last_mut() {
                *last ^= 1;
            }
            other
        } else {
            bytes.clone()
        };
        let me = self.c.in_room(&conn, &r)?;
        let (request, _) = group::encrypt(
            &mut conn,
            me.id(&self.c),
            &r,
            &bytes,
            &tagged,
            &salt,
            precheck.then_some(extra.as_slice()),
        )?;
        // Durable before it is sent: a lost answer or a crash leaves it in the outbox, sent
        // again with the same bytes (RELIABILITY.md).
        let mut out = pending::Outgoing {
            seq: 0,
            room: r,
            message_id: mid.to_string(),
            sender: user,
            salt,
            content: bytes,
            tagged,
            request,
        };
        out.seq = pending::queue_message(&conn, &out)?;
        crate::switches::failpoint("send:after-queue");
        self.c.deliver(&mut conn, out).await?;
        Ok(mid.to_string())
    }
}

/// A message ID given on the command line or by the UI: 64 hex digits.
fn message_id_arg(id: &str) -> Result<Vec<u8>> {
    match hex::decode(id) {
        Ok(b) if b.len() == 32 => Ok(b),
        _ => Err(Error::Usage(format!(
            "{id:?} is not a message ID (64 hex digits, as `messages --json` shows)"
        ))),
    }
}

fn id_array(id: &[u8]) -> Result<[u8; 32]> {
    id.try_into()
        .map_err(|_| Error::Io("a stored message ID is not 32 bytes".into()))
}

/// The stored message `id` names (a first version, a reaction or an edit), or a usage error.
fn stored_arg(conn: &Connection, room: &str, id: &str) -> Result<store::Stored> {
    store::stored(conn, room, &message_id_arg(id)?)?
        .ok_or_else(|| Error::Usage(format!("there is no message {id} in this room")))
}

/// The first version of the message `id` names (CONTENT §3: `replaces` names the first).
fn first_version_of(conn: &Connection, room: &str, id: &str) -> Result<MessageId> {
    let s = stored_arg(conn, room, id)?;
    let first = match (s.kind, s.replaces) {
        (store::RowKind::Edit, Some(first)) => first,
        _ => s.id,
    };
    Ok(MessageId(id_array(&first)?))
}

/// The newest version of the message `id` names (CONTENT §4.1: inReplyTo SHOULD name the newest).
fn newest_version(conn: &Connection, room: &str, id: &str) -> Result<MessageId> {
    let first = first_version_of(conn, room, id)?;
    let s = stored_arg(conn, room, &hex::encode(first.as_bytes()))?;
    if s.deleted {
        return Err(Error::Usage(format!("message {id} was deleted")));
    }
    Ok(MessageId(id_array(&s.latest.unwrap_or(s.id))?))
}

/// A reaction's text: one short non-empty grapheme sequence (CONTENT §4.3 "usually one emoji").
fn check_reaction(emoji: &str) -> Result<&str> {
    let e = emoji.trim();
    if e.is_empty() || e.len() > 64 || e.chars().any(char::is_control) {
        return Err(Error::Usage(
            "a reaction is a short text, usually one emoji (at most 64 bytes, no line breaks)"
                .into(),
        ));
    }
    Ok(e)
}
