//! Settling what this client sent and has no answer for (RELIABILITY.md). A handshake or a
//! message whose answer was lost is sent again with the same bytes, and the hub answers a retry of
//! what it accepted with its original answer; so the client merges or drops a pending commit only
//! on the hub's word, and a message is stored once, with its one frank. A message the hub did not
//! take before the room moved on is encrypted anew: the same content, so the same message ID.

use mimi::content::MimiContent;
use mimi::policy::Action;
use mimi::uri::RoomUri;
use mimi::wire::SubmitMessageResponse;
use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::group;
use crate::pending::{self, HandshakeKind, Outgoing};
use crate::shared::{EPOCH_RETRIES, Shared};
use crate::store::{Message, MessageKind};
use crate::transport::{answer_unknown, is_wrong_epoch};

impl Shared {
    /// Settles the handshake still pending in `room`, if any, before anything new is sent
    /// there: merges a commit the hub accepted, drops one it refused, finishes a leave.
    pub(crate) async fn settle_handshake(&self, conn: &mut Connection, room: &str) -> Result<()> {
        let Some(p) = pending::handshake(conn, room)? else {
            return Ok(());
        };
        let uri = RoomUri::parse(room)?;
        let me = self.in_room(conn, room)?;
        let answer = me
            .hub(self)
            .update_until_answered(uri.local(), &p.bundle)
            .await;
        let events = match (p.kind, answer) {
            (_, Err(e)) if answer_unknown(&e) => return Err(e),
            (HandshakeKind::Commit, Ok(a)) => {
                group::merge_pending(conn, me.id(self), room, a.accepted_timestamp)?
            }
            (HandshakeKind::Commit, Err(e)) => {
                // Not accepted, and it never will be: the hub answers a retry of what it
                // accepted with its original answer.
                tracing::info!(room, error = %e, "a pending commit was not accepted: dropped");
                group::clear_pending(conn, room)?;
                Vec::new()
            }
            (HandshakeKind::Leave, Ok(_)) => {
                group::mark_left(conn, room)?;
                vec![ClientEvent::RoomLeft {
                    room: room.to_owned(),
                }]
            }
            (HandshakeKind::Leave, Err(Error::Hub { code, .. })) if code == "not_member" => {
                // Already out: the room committed the leave.
                group::mark_left(conn, room)?;
                vec![ClientEvent::RoomLeft {
                    room: room.to_owned(),
                }]
            }
            (HandshakeKind::Leave, Err(e)) => {
                // The hub never took it; the user still wants out: a leave for this epoch.
                pending::forget_handshake(conn, room)?;
                if !is_wrong_epoch(&e) {
                    return Err(e);
                }
                let bundle = group::leave_proposals(conn, me.id(self), room)?;
                match me
                    .hub(self)
                    .update_until_answered(uri.local(), &bundle)
                    .await
                {
                    Ok(_) => {
                        group::mark_left(conn, room)?;
                        vec![ClientEvent::RoomLeft {
                            room: room.to_owned(),
                        }]
                    }
                    Err(e) if answer_unknown(&e) => return Err(e),
                    Err(e) => {
                        pending::forget_handshake(conn, room)?;
                        return Err(e);
                    }
                }
            }
        };
        self.emit(events);
        Ok(())
    }

    /// Delivers a message from the outbox: sent with the same bytes until the hub answers,
    /// stored with the hub's timestamp and frank in the transaction that takes it out of the
    /// outbox. If the room moved on before the hub took it, it is encrypted anew and sent again.
    /// A refusal takes it out of the outbox; an unknown answer leaves it there for the next sync.
    pub(crate) async fn deliver(
        &self,
        conn: &mut tokio::sync::MutexGuard<'_, Connection>,
        mut out: Outgoing,
    ) -> Result<()> {
        let uri = RoomUri::parse(&out.room)?;
        for _ in 0..EPOCH_RETRIES {
            let me = self.in_room(conn, &out.room)?;
            let answer = me
                .hub(self)
                .submit_until_answered(uri.local(), &out.request)
                .await;
            let refused = match answer {
                Ok(SubmitMessageResponse::Accepted {
                    accepted_timestamp,
                    frank,
                }) => {
                    crate::switches::failpoint("send:after-accept");
                    let tx = conn.transaction()?;
                    let content = MimiContent::decode(&out.content)
                        .map_err(|e| Error::Mls(format!("an outbox message: {e}")))?;
                    let effect = crate::content::Effect::of(&tx, &out.room, &content)?;
                    let agent = group::franking_agent(&group::load_group(&tx, &out.room)?);
                    let mut m = Message::new(
                        &out.room,
                        out.message_id.clone(),
                        MessageKind::Message,
                        out.sender.clone(),
                        me.id(self).client.to_string(),
                        content.text_body(),
                        accepted_timestamp,
                    );
                    let events = group::store_sent(
                        &tx,
                        me.id(self),
                        agent.as_ref(),
                        &mut m,
                        &effect,
                        &out.content,
                        frank.as_ref(),
                    )?;
                    pending::sent(&tx, out.seq)?;
                    tx.commit()?;
                    self.emit(events);
                    return Ok(());
                }
                Ok(other) => Error::Mls(format!("the hub did not accept: {other:?}")),
                Err(e) if answer_unknown(&e) => return Err(e),
                Err(e) if is_wrong_epoch(&e) => {
                    let (report, _) = self.sync_locked(conn).await?;
                    tracing::debug!(?report, "caught up before encrypting a message anew");
                    self.emit(crate::queue::retried(&out.room, &e));
                    match self.reencrypt(conn, &mut out) {
                        Ok(()) => continue,
                        Err(e) => e,
                    }
                }
                Err(e) => e,
            };
            pending::sent(conn, out.seq)?;
            return Err(refused);
        }
        pending::sent(conn, out.seq)?;
        Err(Shared::kept_moving(&uri))
    }

    /// Encrypts an outbox message's content anew for the room's current epoch, asking the
    /// policy engine again.
    fn reencrypt(&self, conn: &mut Connection, out: &mut Outgoing) -> Result<()> {
        let content = MimiContent::decode(&out.content)
            .map_err(|e| Error::Mls(format!("an outbox message: {e}")))?;
        let effect = crate::content::Effect::of(conn, &out.room, &content)?;
        let extra: Vec<Action> = effect
            .needs(&out.sender)
            .ok()
            .flatten()
            .map(Action::Message)
            .into_iter()
            .collect();
        let precheck = !self.switches.skip_precheck();
        let me = self.in_room(conn, &out.room)?;
        let (request, _) = group::encrypt(
            conn,
            me.id(self),
            &out.room,
            &out.content,
            &out.tagged,
            &out.salt,
            precheck.then_some(extra.as_slice()),
        )?;
        pending::reencrypted(conn, out.seq, &request)?;
        out.request = request;
        Ok(())
    }

    /// After a sync: settles every pending handshake and delivers the outbox. What still has
    /// no answer stays for the next sync; what the hub refused is dropped with an event.
    pub(crate) async fn settle_all(
        &self,
        conn: &mut tokio::sync::MutexGuard<'_, Connection>,
    ) -> Result<()> {
        for p in pending::handshakes(conn)? {
            match self.settle_handshake(conn, &p.room).await {
                Ok(()) => {}
                Err(e) if answer_unknown(&e) => return Ok(()),
                Err(e) => self.emit([ClientEvent::Dropped {
                    room: Some(p.room.clone()),
                    reason: format!("a change you made could not be completed: {e}"),
                }]),
            }
        }
        match self.deliver_outbox(conn, None).await {
            Err(e) if answer_unknown(&e) => Ok(()),
            other => other,
        }
    }

    /// Delivers the outbox (of one room, or all), oldest first, stopping at the first message
    /// whose answer is still unknown (that error is returned); a refused one is dropped with an
    /// event.
    pub(crate) async fn deliver_outbox(
        &self,
        conn: &mut tokio::sync::MutexGuard<'_, Connection>,
        room: Option<&str>,
    ) -> Result<()> {
        for out in pending::outbox(conn)? {
            if room.is_some_and(|r| r != out.room) {
                continue;
            }
            let in_room = out.room.clone();
            match self.deliver(conn, out).await {
                Ok(()) => {}
                Err(e) if answer_unknown(&e) => return Err(e),
                Err(e) => self.emit([ClientEvent::Dropped {
                    room: Some(in_room),
                    reason: format!("a message you sent could not be delivered: {e}"),
                }]),
            }
        }
        Ok(())
    }
}
