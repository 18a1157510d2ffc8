//! # conclave-client: the client core
//!
//! Everything a Conclave front end needs, behind a [`Client`] (the account: registration,
//! devices, connections, sync, the rooms list, events) and its [`Room`] handles (what acts on one
//! room: its timeline, members, roles, moderation, reports). OpenMLS rooms are persisted in one
//! SQLite file together with Conclave's own rows ([`store`]), secrets in the OS keyring
//! ([`keystore`]), the HTTP transport to the user's provider ([`transport`]) and an event stream
//! ([`ClientEvent`]) for UIs.
//!
//! Data flows like this. Sending: [`Room::send_text`] builds MIMI content (`mimi::content`),
//! encrypts it as an MLS PrivateMessage ([`group::encrypt`]) and submits it; the hub's timestamp
//! orders it. Receiving: [`Client::sync`] pulls the durable queue; each entry is processed in one
//! SQLite transaction ([`group::process_fanout`]: process → stage → `mimi::policy` → merge, plus
//! the room and timeline rows and the queue cursor) and acknowledged afterwards, so a crash neither
//! loses nor duplicates anything. Handshakes this client makes ([`Room::invite`], [`Room::leave`])
//! are staged, submitted, and merged only once the hub accepted them; on `wrongEpoch` the client
//! catches up and retries.

pub mod account;
pub mod connections;
pub mod content;
pub mod error;
pub mod event;
pub mod group;
pub mod history;
pub mod identity;
pub mod keystore;
mod link;
pub mod pending;
pub mod pseudonymous;
mod queue;
pub mod roles;
pub mod room;
mod settle;
mod shared;
mod siblings;
pub mod store;
mod switches;
pub mod sync;
pub mod transport;
pub mod user_key;

/// Keeping the data directory private (0700 directories, 0600 files), shared with the hub.
pub use conclave_sqlite::private;

pub use account::{Client, Options, change_passphrase};
pub use error::{Error, Result};
pub use event::ClientEvent;
pub use group::MemberInfo;
pub use keystore::{KeystoreKind, Passphrase};
pub use room::Room;
pub use store::{FiledReport, Message, MessageKind, Quote, Reaction, RoomInfo};
pub use sync::SyncReport;
