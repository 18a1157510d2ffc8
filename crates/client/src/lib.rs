//! # conclave-client: the client core
//!
//! Everything a Conclave front end needs, behind one [`Client`]: OpenMLS rooms persisted in one
//! SQLite file together with Conclave's own rows ([`store`]), secrets in the OS keyring
//! ([`keystore`]), the HTTP transport to the user's provider ([`transport`]) and an event stream
//! ([`ClientEvent`]) for UIs.
//!
//! Data flows like this. Sending: [`Client::send_text`] builds MIMI content (`mimi::content`),
//! encrypts it as an MLS PrivateMessage ([`room::encrypt`]) and submits it; the hub's timestamp
//! orders it. Receiving: [`Client::sync`] pulls the durable queue; each entry is processed in one
//! SQLite transaction ([`room::process_fanout`]: process → stage → `mimi::policy` → merge, plus the
//! room and timeline rows and the queue cursor) and acknowledged afterwards, so a crash neither loses
//! nor duplicates anything. Handshakes this client makes ([`Client::invite`], [`Client::leave`]) are
//! staged, submitted, and merged only once the hub accepted them; on `wrongEpoch` the client
//! catches up and retries.

pub mod client;
pub mod connections;
pub mod content;
pub mod error;
pub mod event;
pub mod history;
pub mod identity;
pub mod keystore;
pub mod pseudonymous;
pub mod roles;
pub mod room;
pub mod store;
mod switches;
pub mod transport;

/// Keeping the data directory private (0700 directories, 0600 files), shared with the hub.
pub use conclave_sqlite::private;

pub use client::{Client, Options, SyncReport};
pub use error::{Error, Result};
pub use event::ClientEvent;
pub use keystore::KeystoreKind;
pub use room::MemberInfo;
pub use store::{FiledReport, Message, MessageKind, Quote, Reaction, RoomInfo};
