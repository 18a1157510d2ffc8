//! Events to the UI: every [`ClientEvent`] is forwarded as a typed Tauri event, and a background
//! task long-polls the hub (`Client::sync_waiting`) so that they keep coming.
//!
//! Each event name has one payload type; `bindings` writes the pairs into the TypeScript
//! bindings ([`EVENTS`]), and the UI's `ipc` module is the only code that listens.

use std::sync::Arc;
use std::time::Duration;

use conclave_client::{Client, ClientEvent, Message};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;
use ts_rs::TS;

use crate::notify::Notifier;
use crate::session::{App, Gate, LastSyncState, SyncState};

/// Declares the event names with their payload types, once for both the emitting code and the
/// TypeScript bindings.
macro_rules! events {
    ($($(#[doc = $doc:literal])+ $konst:ident = $name:literal: $payload:ty;)*) => {
        $($(#[doc = $doc])+ pub const $konst: &str = $name;)*

        /// Each event name with the TypeScript type of its payload.
        pub fn payloads(cfg: &ts_rs::Config) -> Vec<(&'static str, String)> {
            vec![$(($name, <$payload as TS>::name(cfg))),*]
        }

        /// Visits every payload type, for the TypeScript bindings.
        pub fn visit_payloads(v: &mut impl ts_rs::TypeVisitor) {
            $(v.visit::<$payload>();)*
        }
    };
}

events! {
    /// A [`ClientEvent`]: a message stored, a room joined or left, members changed.
    CLIENT_EVENT = "client-event": ClientEvent;
    /// A [`SyncState`]: whether the long-poll reaches the hub.
    SYNC_STATE = "sync-state": SyncState;
    /// A [`Resync`]: events were missed; the UI reloads what it shows.
    RESYNC = "resync": Resync;
    /// An [`OpenRoom`]: the user clicked a notification; the UI opens its room.
    OPEN_ROOM = "open-room": OpenRoom;
}

/// The UI fell behind the event stream and must reload its rooms and the open timeline.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Resync {
    /// How many events were missed.
    pub missed: u32,
}

/// The user asked, from outside the window (a notification), to see a room.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OpenRoom {
    /// The room's URI.
    pub room: String,
}

/// How long one long-poll waits for the hub to have something.
const LONG_POLL: Duration = Duration::from_secs(25);
/// The longest pause between attempts while the hub is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Starts forwarding the client's events and long-polling the hub (on the client thread): what
/// the app does with each client it opens ([`App::new`]'s `on_open`).
pub fn start(state: &App, client: Arc<Client>) {
    let (app, gate, last) = (
        state.handle().clone(),
        state.gate(),
        state.last_sync_state(),
    );
    // Subscribe before the first sync, so that nothing it emits is missed.
    let events = client.subscribe();
    tauri::async_runtime::spawn(forward(app.clone(), events));
    drop(
        state
            .worker()
            .spawn_pinned(move || sync_loop(app, client, gate, last)),
    );
}

async fn forward(app: AppHandle, mut events: tokio::sync::broadcast::Receiver<ClientEvent>) {
    loop {
        match events.recv().await {
            Ok(ev) => {
                if let ClientEvent::Message(m) = &ev
                    && app.state::<Notifier>().wanted(m)
                {
                    tauri::async_runtime::spawn(notify(app.clone(), m.clone()));
                }
                emit(&app, CLIENT_EVENT, ev)
            }
            Err(RecvError::Lagged(n)) => emit(
                &app,
                RESYNC,
                Resync {
                    missed: u32::try_from(n).unwrap_or(u32::MAX),
                },
            ),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Shows an OS notification for someone else's message (see [`crate::notify`]).
async fn notify(app: AppHandle, m: Message) {
    let state = app.state::<App>();
    let room = m.room.clone();
    let looked_up = state
        .peek_client(|c| async move {
            let own = c.is_own(&m).await?;
            let info = c.rooms().await?.into_iter().find(|r| r.uri == room);
            Ok((m, own, info))
        })
        .await;
    let (m, info) = match looked_up {
        Ok((_, true, _)) | Ok((_, _, None)) => return,
        Ok((m, false, Some(info))) => (m, info),
        Err(e) => {
            tracing::info!("no notification: {}", e.message);
            return;
        }
    };
    let notifier = app.state::<Notifier>();
    let room_name = if info.name.is_empty() {
        "a room".to_owned()
    } else {
        info.name
    };
    let sender = crate::notify::sender_name(&m.sender, info.pseudonymous);
    if let Some(note) = notifier.note(&m, &room_name, &sender) {
        let app = app.clone();
        let _ = tauri::async_runtime::spawn_blocking(move || {
            let opener = app.clone();
            app.state::<Notifier>()
                .show(note, move || open_room(&opener, m.room))
        })
        .await;
    }
}

/// Brings the window forward on `room` (a notification was clicked).
fn open_room(app: &AppHandle, room: String) {
    if let Some(w) = app.get_webview_window("main") {
        for (what, done) in [
            ("unminimize", w.unminimize()),
            ("show", w.show()),
            ("focus", w.set_focus()),
        ] {
            if let Err(e) = done {
                tracing::info!("cannot {what} the window: {e}");
            }
        }
    }
    emit(app, OPEN_ROOM, OpenRoom { room });
}

/// Long-polls the hub for as long as the app runs.
///
/// `Client::sync_waiting` holds the client's store lock while it waits for the hub, so every
/// command would queue behind a 25 s long-poll. The [`Gate`] counts commands in flight: the
/// long-poll only starts when none is running, and is dropped as soon as one starts. Dropping it
/// while it waits is harmless; dropping it while it processes is safe too (each queue entry is
/// processed and its cursor recorded in one transaction, and the hub resends what was not
/// acknowledged). The one loss: if it is dropped during the follow-up work of a sync (restocking
/// KeyPackages, committing others' proposals), that work waits for the next occasion. A client
/// method that waits without holding the lock would remove all of this (reported in issue 7).
async fn sync_loop(app: AppHandle, client: Arc<Client>, gate: Arc<Gate>, last: LastSyncState) {
    let report = |state: SyncState| {
        if let Ok(mut l) = last.lock() {
            *l = Some(state.clone());
        }
        emit(&app, SYNC_STATE, state);
    };
    let mut backoff = Duration::from_secs(1);
    let mut online = None;
    loop {
        gate.until(|busy| busy == 0).await;
        // Until a sync has succeeded, do not wait at the hub: the UI hears "online" at once.
        let wait = if online == Some(true) {
            LONG_POLL
        } else {
            Duration::ZERO
        };
        let synced = tokio::select! {
            r = client.sync_waiting(wait) => r,
            () = gate.until(|busy| busy > 0) => continue,
        };
        match synced {
            Ok(_) => {
                backoff = Duration::from_secs(1);
                if online != Some(true) {
                    online = Some(true);
                    report(SyncState::Online);
                }
            }
            Err(e) => {
                tracing::warn!("sync failed: {e}");
                online = Some(false);
                report(SyncState::Offline {
                    error: e.into(),
                    retry_in: backoff.as_secs() as u32,
                });
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn emit(app: &AppHandle, name: &str, payload: impl Serialize + Clone) {
    if let Err(e) = app.emit(name, payload) {
        tracing::warn!("cannot emit {name}: {e}");
    }
}
