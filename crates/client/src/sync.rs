//! Syncing: reading the durable queues (the client's own and each pseudonym's), processing each
//! entry in one transaction with its cursor, acknowledging, then doing what the entries asked for
//! (adding a new own device, committing pending proposals, restocking KeyPackages).

use std::time::Duration;

use mimi::uri::RoomUri;

use crate::account::Client;
use crate::error::Result;
use crate::event::ClientEvent;
use crate::group::Plan;
use crate::pseudonymous;
use crate::store;

use crate::queue::FollowUp;
pub use crate::queue::SyncReport;

impl Client {
    /// Fetches and processes everything pending, then does what it asked for (adding a new own
    /// device to every room, committing pending proposals, restocking KeyPackages).
    pub async fn sync(&self) -> Result<SyncReport> {
        self.sync_waiting(Duration::ZERO).await
    }

    /// Like [`Client::sync`], but first waits up to `wait` for something to arrive.
    ///
    /// The wait does not hold the local store: commands (sending, inviting) run meanwhile, and
    /// dropping the future while it waits loses nothing. What arrived is then read again and
    /// processed with the store held.
    pub async fn sync_waiting(&self, wait: Duration) -> Result<SyncReport> {
        match self.sync_once(wait).await {
            // Away past the token's life: renewed with the device key, then synced.
            Err(e) if crate::transport::is_token_expired(&e) => {
                self.renew_expired_token().await?;
                self.sync_once(wait).await
            }
            other => other,
        }
    }

    async fn sync_once(&self, wait: Duration) -> Result<SyncReport> {
        self.ensure_token().await?;
        self.prepare_siblings().await?;
        self.ensure_key_packages().await?;
        if !wait.is_zero() {
            let (cursor, wake_on) = {
                let conn = self.c.conn.lock().await;
                let cursor: u64 = store::meta(&conn, "queue_cursor")?
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let tokens: Vec<String> = pseudonymous::all(&conn)?
                    .into_iter()
                    .map(|p| p.token)
                    .collect();
                (cursor, tokens)
            };
            // Only to wait: the entries are fetched again below, under the store's lock.
            self.c
                .hub
                .fetch(self.c.id.client.local(), cursor, wait, &wake_on)
                .await?;
        }
        let mut conn = self.c.conn.lock().await;
        let (report, follow_up) = self.c.sync_locked(&mut conn).await?;
        // What this client sent without an answer: settled now that the queue (which may echo
        // an accepted commit) is read (RELIABILITY.md).
        self.c.settle_all(&mut conn).await?;
        drop(conn);
        self.follow_up(follow_up).await?;
        Ok(report)
    }

    async fn follow_up(&self, f: FollowUp) -> Result<()> {
        if f.joined > 0 {
            self.publish_key_packages(f.joined, false).await?;
        }
        let pending: Vec<String> = {
            let conn = self.c.conn.lock().await;
            let mut st = conn.prepare("SELECT client_uri FROM pending_devices")?;
            st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        if !pending.is_empty() {
            // The user has a new device: KeyPackage sets are sized anew.
            self.c
                .device_count
                .store(0, std::sync::atomic::Ordering::Relaxed);
        }
        self.restock_pseudonymous().await?;
        for device in pending {
            // Announced by the hub; added only where its user's key approved it (claims leave
            // out a device it did not: SECURITY.md "Devices").
            let mut added = false;
            let rooms = self.rooms().await?;
            let in_no_room = rooms.is_empty();
            for r in rooms {
                let room = self.room(&RoomUri::parse(&r.uri)?);
                // A pseudonymous room takes it as a client pseudonym of this user's pseudonym
                // there, from the KeyPackage it left (`crate::siblings`).
                if room.policy_state().await?.base.pseudonyms_allowed {
                    match room.add_sibling_pseudonyms().await {
                        Ok(n) => added |= n > 0,
                        Err(e) => {
                            tracing::warn!(room = %r.uri, error = %e, "could not add a new device")
                        }
                    }
                    continue;
                }
                let adds = room.claim(&self.c.id.user).await?;
                added |= adds.iter().any(|(who, _)| who.client.to_string() == device);
                room.commit(&Plan {
                    adds,
                    ..Default::default()
                })
                .await?;
            }
            self.c.conn.lock().await.execute(
                "DELETE FROM pending_devices WHERE client_uri = ?1",
                [&device],
            )?;
            if added || in_no_room {
                self.c.emit([ClientEvent::DeviceAdded { client: device }]);
            }
        }
        for room in f.update_leaf_in {
            // Another device of this user was removed: what it knew of this leaf's keys is
            // made useless by fresh ones (post-compromise security).
            let still_in = self.rooms().await?.iter().any(|r| r.uri == room);
            if let (true, Ok(room)) = (still_in, RoomUri::parse(&room)) {
                let plan = Plan {
                    update_own_leaf: true,
                    ..Default::default()
                };
                if let Err(e) = self.room(&room).commit(&plan).await {
                    tracing::warn!(%room, error = %e, "could not update this device's leaf");
                }
            }
        }
        for room in f.proposals_in {
            // Anyone may commit pending proposals; the first commit wins and the rest catch up.
            let still_in = self.rooms().await?.iter().any(|r| r.uri == room);
            if let (true, Ok(room)) = (still_in, RoomUri::parse(&room)) {
                self.room(&room).commit(&Plan::default()).await?;
            }
        }
        Ok(())
    }
}
