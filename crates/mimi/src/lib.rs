//! # mimi: the MIMI protocol as a pure library
//!
//! Conclave's hub and clients speak MIMI (draft-ietf-mimi-protocol and its companions) through
//! this crate, so that both sides run the very same code. It does no I/O, reads no clock and makes
//! no randomness of its own: time and randomness come in as parameters or through OpenMLS's
//! provider traits.
//!
//! Data flows through it like this: a client builds a [`content::MimiContent`], encodes it
//! deterministically and computes its [`content::MessageId`]; the MLS ciphertext travels in a
//! [`wire::SubmitMessageRequest`] to the hub, which fans it out as a [`wire::FanoutMessage`];
//! handshakes travel as a [`wire::HandshakeBundle`]. Identities are [`uri`]s, bound to MLS
//! signature keys by [`credential::ProviderCredential`]s. Every code point lives in [`ids`].

pub mod credential;
pub mod display;
pub mod error;
pub mod ids;
pub mod uri;
pub mod wire;

pub use error::{UriError, WireError};
pub mod capability;
pub mod components;
pub mod content;
pub mod franking;
pub mod identity;
pub mod policy;
pub mod room;
