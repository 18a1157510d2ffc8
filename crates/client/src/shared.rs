//! The state a [`Client`] and its [`Room`] handles share, and what both need of it: events,
//! who this client is in a room, names resolved against its hub.

use std::path::PathBuf;

use mimi::uri::{RoomUri, UserUri};
use rusqlite::Connection;
use tokio::sync::{Mutex, broadcast};

use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::identity::Identity;
use crate::keystore::SecretStore;
use crate::pseudonymous;
use crate::transport::Hub;

/// How often a commit or message is retried after the hub said the epoch moved on.
pub(crate) const EPOCH_RETRIES: usize = 5;

/// Who this client is in one room: itself (`None`), or its pseudonym there with the hub
/// reached by the pseudonym's token.
pub(crate) struct InRoom(Option<(Identity, Hub)>);

impl InRoom {
    pub(crate) fn id<'a>(&'a self, c: &'a Shared) -> &'a Identity {
        self.0.as_ref().map_or(&c.id, |(id, _)| id)
    }
    pub(crate) fn hub<'a>(&'a self, c: &'a Shared) -> &'a Hub {
        self.0.as_ref().map_or(&c.hub, |(_, hub)| hub)
    }
}

/// What a [`Client`] and every [`Room`] handle of it share: one store connection (its lock
/// orders all work on the store), the identity, the hub, the event stream and the secrets.
pub(crate) struct Shared {
    pub(crate) conn: Mutex<Connection>,
    pub(crate) id: Identity,
    pub(crate) hub: Hub,
    pub(crate) events: broadcast::Sender<ClientEvent>,
    pub(crate) data_dir: PathBuf,
    pub(crate) switches: crate::switches::Switches,
    pub(crate) secrets: Box<dyn SecretStore>,
    /// How many devices the user has, as last asked (0: ask again); sizes KeyPackage sets.
    pub(crate) device_count: std::sync::atomic::AtomicU32,
    /// The home's shared lock, held while the client is open (`account::passphrase`).
    pub(crate) _home: std::fs::File,
}

impl Shared {
    pub(crate) fn emit(&self, events: impl IntoIterator<Item = ClientEvent>) {
        for e in events {
            let _ = self.events.send(e);
        }
    }

    /// Who this client is in `room` and how it reaches the hub there: itself, or in a
    /// pseudonymous room its pseudonym (leaf key, pseudonymous credential, the pseudonym's token).
    pub(crate) fn in_room(&self, conn: &Connection, room: &str) -> Result<InRoom> {
        Ok(match pseudonymous::in_room(conn, room)? {
            Some(p) => InRoom(Some((
                pseudonymous::identity(conn, &self.id, &p)?,
                self.hub.with_token(&p.token),
            ))),
            None => InRoom(None),
        })
    }

    /// A name on this hub or a user URI.
    pub(crate) fn resolve_user(&self, s: &str) -> Result<UserUri> {
        if s.starts_with("mimi://") {
            Ok(UserUri::parse(s)?)
        } else {
            Ok(UserUri::new(&self.id.trust.domain, s)?)
        }
    }

    /// A room URI, or the id of a room on this client's hub.
    pub(crate) fn resolve_room(&self, s: &str) -> Result<RoomUri> {
        if s.starts_with("mimi://") {
            Ok(RoomUri::parse(s)?)
        } else {
            Ok(RoomUri::new(&self.id.trust.domain, s)?)
        }
    }

    /// The error when a room's epoch kept moving while this client tried to act in it.
    pub(crate) fn kept_moving(room: &RoomUri) -> Error {
        Error::Mls(format!(
            "the room {room} kept moving on; tried {EPOCH_RETRIES} times"
        ))
    }
}
