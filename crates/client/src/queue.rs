//! Reading the durable queues: the client's own and each pseudonym's, each entry processed in
//! one transaction together with its cursor and acknowledged to the hub afterwards. A sync
//! ([`crate::sync`]) and a room action that found the epoch moved on both come here.

use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::group;
use crate::identity::Identity;
use crate::pseudonymous;
use crate::shared::Shared;
use crate::store;
use crate::transport::{Hub, unb64};

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Queue entries processed.
    pub processed: usize,
    /// Entries dropped as unusable.
    pub dropped: usize,
}

impl Shared {
    /// Processes queue entries with the store lock held: the client's own queue, then each
    /// pseudonym's queue. Each entry is processed and its sequence number recorded in one
    /// transaction, so a crash neither loses nor repeats one; entries are acknowledged to the hub
    /// only after that.
    pub(crate) async fn sync_locked(
        &self,
        conn: &mut Connection,
    ) -> Result<(SyncReport, FollowUp)> {
        let mut done = Synced::default();
        let pseudonyms = pseudonymous::all(conn)?;
        let cursor: u64 = store::meta(conn, "queue_cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        self.drain(conn, &self.hub, &self.id, cursor, &mut done)
            .await?;
        for p in pseudonyms {
            // One pseudonym's queue failing does not stop the others, nor the next sync.
            let drained = match pseudonymous::identity(conn, &self.id, &p) {
                Ok(as_p) => {
                    let hub = self.hub.with_token(&p.token);
                    self.drain(conn, &hub, &as_p, p.cursor, &mut done).await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = drained {
                // A pseudonym that never joined a room and that the hub no longer knows (its
                // KeyPackage set was withdrawn by another of the user's devices), or whose leaf
                // key is gone, is of no use: forgotten.
                let useless = matches!(&e, Error::Hub { code, .. } if code == "unauthenticated")
                    || matches!(&e, Error::Mls(_));
                if p.room.is_none() && useless {
                    pseudonymous::forget(conn, &p)?;
                    continue;
                }
                tracing::warn!(pseudonym = %p.client, error = %e, "cannot read a pseudonym's queue");
                if crate::transport::answer_unknown(&e) {
                    // The hub is out of reach: nothing was dropped, the next sync reads it.
                    continue;
                }
                done.report.dropped += 1;
                self.emit([ClientEvent::Dropped {
                    room: p.room.clone(),
                    reason: format!("cannot read the queue of {}: {e}", p.client),
                }]);
            }
        }
        Ok((done.report, done.follow))
    }

    /// Fetches, processes and acknowledges everything in the queue of `id.client` after
    /// `cursor` (the client's own queue, or one of its pseudonyms' with that pseudonym's hub).
    async fn drain(
        &self,
        conn: &mut Connection,
        hub: &Hub,
        id: &Identity,
        mut cursor: u64,
        done: &mut Synced,
    ) -> Result<()> {
        let own = id.client == self.id.client;
        loop {
            let entries = hub
                .fetch(id.client.local(), cursor, Duration::ZERO, &[])
                .await?;
            let Some(last) = entries.last().map(|e| e.seq) else {
                break;
            };
            let mut done_up_to = cursor;
            for e in entries.iter().filter(|e| e.seq > cursor) {
                let tx = conn.transaction()?;
                let outcome = match self.process_entry(&tx, id, e) {
                    Ok(o) => o,
                    Err(err) if err.is_temporary() => {
                        // Not this entry's fault: not acknowledged, tried again by the next
                        // sync; what was processed before it is acknowledged.
                        drop(tx);
                        if done_up_to > cursor {
                            hub.ack(id.client.local(), done_up_to).await?;
                        }
                        return Err(err);
                    }
                    Err(err) => {
                        drop(tx);
                        let tx = conn.transaction()?;
                        let reason = err.to_string();
                        tracing::warn!(seq = e.seq, room = ?e.room, %reason, "a queue entry could not be read");
                        let mut events = vec![ClientEvent::Dropped {
                            room: e.room.clone(),
                            reason: format!("a message could not be read: {reason}"),
                        }];
                        events.extend(unreadable(&tx, id, e, &reason)?);
                        let o = group::Outcome {
                            events,
                            ..Default::default()
                        };
                        if own {
                            store::set_meta(&tx, "queue_cursor", &e.seq.to_string())?;
                        } else {
                            pseudonymous::set_cursor(&tx, &id.client.to_string(), e.seq)?;
                        }
                        tx.commit()?;
                        self.emit(o.events.iter().cloned());
                        done.add(o);
                        done_up_to = e.seq;
                        continue;
                    }
                };
                // Anything the entry was dropped for is kept and shown (RELIABILITY.md).
                let reasons: Vec<String> = outcome
                    .events
                    .iter()
                    .filter_map(|ev| match ev {
                        ClientEvent::Dropped { reason, .. } => Some(reason.clone()),
                        _ => None,
                    })
                    .collect();
                let mut outcome = outcome;
                for reason in reasons {
                    outcome.events.extend(unreadable(&tx, id, e, &reason)?);
                }
                if own {
                    store::set_meta(&tx, "queue_cursor", &e.seq.to_string())?;
                } else {
                    pseudonymous::set_cursor(&tx, &id.client.to_string(), e.seq)?;
                }
                tx.commit()?;
                crate::switches::failpoint("sync:after-store");
                if outcome.joined {
                    self.check_joined(conn, hub, id, &mut outcome).await?;
                }
                // Published as soon as it is stored: a sync dropped halfway (the app drops its
                // long-poll when a command starts) loses no event.
                self.emit(outcome.events.iter().cloned());
                done.add(outcome);
                done_up_to = e.seq;
            }
            hub.ack(id.client.local(), last).await?;
            cursor = cursor.max(last);
        }
        Ok(())
    }

    fn process_entry(
        &self,
        tx: &Connection,
        id: &Identity,
        e: &crate::transport::Entry,
    ) -> Result<group::Outcome> {
        let data = unb64(&e.data)?;
        Ok(match e.kind.as_str() {
            "fanout" => group::process_fanout(tx, id, e.room.as_deref(), &data)?,
            "connection" => group::Outcome {
                events: crate::connections::receive(tx, self.secrets.as_ref(), &self.id, &data)?,
                ..Default::default()
            },
            "consent" => group::Outcome {
                events: consent_event(&data).into_iter().collect(),
                ..Default::default()
            },
            "device" => {
                let v: serde_json::Value = serde_json::from_slice(&data).unwrap_or_default();
                if let Some(c) = v.get("new_client").and_then(|c| c.as_str()) {
                    tx.execute(
                        "INSERT OR IGNORE INTO pending_devices (client_uri) VALUES (?1)",
                        [c],
                    )?;
                }
                group::Outcome::default()
            }
            other => group::Outcome {
                events: vec![ClientEvent::Dropped {
                    room: None,
                    reason: format!("unknown queue entry kind {other:?}"),
                }],
                ..Default::default()
            },
        })
    }

    /// After the hub said `room`'s epoch moved on (`e`): processes what this client missed,
    /// releases the store and tells the UI the action is being tried again.
    pub(crate) async fn catch_up(
        &self,
        mut conn: tokio::sync::MutexGuard<'_, Connection>,
        room: &str,
        e: &Error,
    ) -> Result<()> {
        self.sync_locked(&mut conn).await?;
        drop(conn);
        self.emit(retried(room, e));
        Ok(())
    }
}

pub(crate) fn retried(room: &str, e: &Error) -> Option<ClientEvent> {
    match e {
        Error::Hub { epoch, .. } => Some(ClientEvent::Retried {
            room: room.to_owned(),
            epoch: *epoch,
        }),
        _ => None,
    }
}

/// What a sync did so far.
#[derive(Default)]
pub(crate) struct Synced {
    report: SyncReport,
    follow: FollowUp,
}

impl Synced {
    fn add(&mut self, outcome: group::Outcome) {
        self.report.processed += 1;
        self.report.dropped += outcome
            .events
            .iter()
            .filter(|e| matches!(e, ClientEvent::Dropped { .. }))
            .count();
        self.follow.joined += usize::from(outcome.joined);
        if let Some(r) = outcome.proposals_in
            && !self.follow.proposals_in.contains(&r)
        {
            self.follow.proposals_in.push(r);
        }
        if let Some(r) = outcome.update_leaf_in
            && !self.follow.update_leaf_in.contains(&r)
        {
            self.follow.update_leaf_in.push(r);
        }
    }
}

/// Work a sync leaves for after the store lock is released.
#[derive(Default)]
pub(crate) struct FollowUp {
    pub(crate) joined: usize,
    pub(crate) proposals_in: Vec<String>,
    /// Rooms where another device of this user was removed: this client updates its leaf.
    pub(crate) update_leaf_in: Vec<String>,
}

impl Shared {
    /// Joined by a Welcome: checks that the room joined is the room the hub follows at that
    /// epoch (its published GroupInfo); if not, the room is forgotten again with an event.
    async fn check_joined(
        &self,
        conn: &mut Connection,
        hub: &Hub,
        id: &Identity,
        outcome: &mut group::Outcome,
    ) -> Result<()> {
        let rooms: Vec<String> = outcome
            .events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::RoomJoined(info) => Some(info.uri.clone()),
                _ => None,
            })
            .collect();
        for room in rooms {
            let uri = mimi::uri::RoomUri::parse(&room)?;
            let epoch = group::epoch_of(conn, &room)?;
            let published = match hub.group_info_at(uri.local(), epoch).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(%room, epoch, error = %e, "cannot check the room joined against the hub's GroupInfo");
                    continue;
                }
            };
            if let Some(reason) = group::joined_differs(conn, id, &room, &published)? {
                tracing::warn!(%room, %reason, "left a room that is not the one the hub follows");
                group::forget(conn, &room)?;
                outcome
                    .events
                    .push(ClientEvent::RoomLeft { room: room.clone() });
                outcome.events.push(ClientEvent::Dropped {
                    room: Some(room),
                    reason: format!("refused to join: {reason}"),
                });
            }
        }
        Ok(())
    }
}

/// The most bytes of an unreadable entry kept for diagnosis.
const UNREADABLE_KEPT: usize = 64 * 1024;

/// Records a queue entry this client can never use (or drops for a permanent reason), with its
/// bytes for diagnosis and an event in its room's timeline ("a message could not be read"), so
/// that it is acknowledged instead of stopping every sync. Returns the timeline's event.
fn unreadable(
    tx: &Connection,
    id: &Identity,
    e: &crate::transport::Entry,
    reason: &str,
) -> Result<Vec<ClientEvent>> {
    let data = unb64(&e.data).unwrap_or_else(|_| e.data.as_bytes().to_vec());
    tx.execute(
        "INSERT OR IGNORE INTO unreadable_entries (queue_client, seq, room_uri, reason, data, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            id.client.to_string(),
            e.seq as i64,
            e.room,
            reason,
            &data[..data.len().min(UNREADABLE_KEPT)],
            store::now_ms() as i64
        ],
    )?;
    let mut events = Vec::new();
    if let Some(room) = e.room.as_deref()
        && store::room_group(tx, room)?.is_some()
    {
        let text = format!("A message could not be read ({reason}).");
        let m = store::Message::new(
            room,
            {
                use sha2::Digest as _;
                let key = format!("unreadable {} {} {reason}", id.client, e.seq);
                hex::encode(sha2::Sha256::digest(key.as_bytes()))
            },
            store::MessageKind::Event,
            id.user.to_string(),
            id.client.to_string(),
            Some(text.clone()),
            store::now_ms(),
        );
        if store::insert_message(tx, &m, text.as_bytes(), None)? {
            events.push(ClientEvent::Message(m));
        }
    }
    Ok(events)
}

/// A `consent` queue entry (`{request_from|granted_by, room}`) as the event it is; `None` if it
/// names neither (dropped quietly: the hub wrote it).
fn consent_event(data: &[u8]) -> Option<ClientEvent> {
    let v: serde_json::Value = serde_json::from_slice(data).ok()?;
    let room = v.get("room").and_then(|r| r.as_str()).map(str::to_owned);
    let text = |k: &str| {
        v.get(k)
            .and_then(|u| u.as_str())
            .filter(|u| mimi::uri::UserUri::parse(u).is_ok())
            .map(str::to_owned)
    };
    if let Some(user) = text("request_from") {
        Some(ClientEvent::ConsentRequested { user, room })
    } else {
        text("granted_by").map(|user| ClientEvent::ConsentGranted { user, room })
    }
}
