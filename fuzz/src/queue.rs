//! `queue_entry` (`fuzz_targets/queue_entry.rs`): the bytes a client's queue hands it, processed
//! by `conclave_client::group::process_fanout` in a store holding a real room.
//!
//! An input is `[flags, data…]`: the low two bits of the first byte pick the `room` the queue
//! entry names ([`room`]); the rest is the entry's data, a TLS `FanoutMessage` when it is honest.
//!
//! The fixture (`fixtures/queue_entry/`, written by the seed generator with the seeds) is the
//! store of `bob`, a member of a room alice created (at its first epoch after bob joined), with a
//! Welcome to a second room waiting in his queue, and his identity. The seeds are the queue
//! entries the hub handed bob next: that Welcome, an application message, a commit and a proposal
//! of alice's, all for exactly that state (the generator processes each in a fresh copy of the
//! fixture and requires it to be used, not dropped), so the fuzzer starts from entries that get
//! past every MLS check. Every input is processed in a transaction that is then rolled back, so
//! every input meets the same state and the seeds stay valid.
//!
//! The Welcome joins only while the KeyPackage leaves of its ratchet tree are within their
//! lifetime (OpenMLS allows at most 12 weeks): after that, rerun the generator.

use std::path::{Path, PathBuf};

use conclave_client::identity::Identity;
use mimi::identity::Trust;
use mimi::uri::{ClientUri, UserUri};
use openmls::prelude::SignatureScheme;
use openmls_basic_credential::SignatureKeyPair;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

/// The fixture's directory name under `fixtures/`.
pub const FIXTURE: &str = "queue_entry";
/// The client's store inside the fixture.
pub const STORE: &str = "client.sqlite3";
/// The identity file inside the fixture.
pub const IDENTITY: &str = "identity.json";

/// The first byte of an input: which room the queue entry names (its low two bits).
pub mod flags {
    /// The mask.
    pub const ROOM: u8 = 0b11;
    /// The room the client is in.
    pub const JOINED: u8 = 0;
    /// None (a Welcome's entry names none).
    pub const NONE: u8 = 1;
    /// The room of the waiting Welcome, which the client is not in.
    pub const WELCOME: u8 = 2;
    /// A room nobody created.
    pub const UNKNOWN: u8 = 3;
}

/// The client's identity and rooms, as the generator records them (keys in hex).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdentityFile {
    /// The user URI.
    pub user: String,
    /// The client URI.
    pub client: String,
    /// The Ed25519 signature key, private half.
    pub signature_private: String,
    /// Its public half.
    pub signature_public: String,
    /// The ProviderCredential bytes.
    pub credential: String,
    /// The credential's type.
    pub credential_type: u16,
    /// The provider domain.
    pub domain: String,
    /// The provider's credential-signing public key.
    pub provider_key: String,
    /// The room the client is in.
    pub joined_room: String,
    /// The room of the Welcome waiting for it.
    pub welcome_room: String,
    /// A room nobody created.
    pub unknown_room: String,
}

impl IdentityFile {
    /// Reads a fixture's identity file.
    pub fn load(fixture: &Path) -> Result<IdentityFile, String> {
        let path = fixture.join(IDENTITY);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The identity it describes.
    pub fn identity(&self) -> Result<Identity, String> {
        let bytes = |what: &str, h: &str| hex::decode(h).map_err(|e| format!("{what}: {e}"));
        Ok(Identity {
            user: UserUri::parse(&self.user).map_err(|e| format!("user: {e}"))?,
            client: ClientUri::parse(&self.client).map_err(|e| format!("client: {e}"))?,
            signer: SignatureKeyPair::from_raw(
                SignatureScheme::ED25519,
                bytes("signature_private", &self.signature_private)?,
                bytes("signature_public", &self.signature_public)?,
            ),
            credential: bytes("credential", &self.credential)?,
            credential_type: self.credential_type,
            trust: Trust {
                domain: self.domain.clone(),
                provider_key: bytes("provider_key", &self.provider_key)?,
            },
        })
    }

    /// Records an identity whose signature key pair was made from the Ed25519 seed
    /// `signature_seed` (the private half as OpenMLS keeps it; its API does not hand it out),
    /// and the rooms.
    pub fn new(
        id: &Identity,
        signature_seed: &[u8; 32],
        joined_room: &str,
        welcome_room: &str,
        unknown_room: &str,
    ) -> Self {
        IdentityFile {
            user: id.user.to_string(),
            client: id.client.to_string(),
            signature_private: hex::encode(signature_seed),
            signature_public: hex::encode(id.signer.public()),
            credential: hex::encode(&id.credential),
            credential_type: id.credential_type,
            domain: id.trust.domain.clone(),
            provider_key: hex::encode(&id.trust.provider_key),
            joined_room: joined_room.to_owned(),
            welcome_room: welcome_room.to_owned(),
            unknown_room: unknown_room.to_owned(),
        }
    }

    /// The room an input's first byte names.
    pub fn room(&self, flags: u8) -> Option<&str> {
        match flags & flags::ROOM {
            flags::JOINED => Some(&self.joined_room),
            flags::NONE => None,
            flags::WELCOME => Some(&self.welcome_room),
            _ => Some(&self.unknown_room),
        }
    }

    /// The first byte naming `room`.
    pub fn flags_for(&self, room: Option<&str>) -> u8 {
        match room {
            None => flags::NONE,
            Some(r) if r == self.joined_room => flags::JOINED,
            Some(r) if r == self.welcome_room => flags::WELCOME,
            Some(_) => flags::UNKNOWN,
        }
    }
}

/// A client opened on a private copy of a fixture's store.
pub struct Client {
    /// Its store.
    pub conn: Connection,
    /// Who it is.
    pub id: Identity,
    /// Its identity file (the rooms).
    pub file: IdentityFile,
    dir: PathBuf,
}

impl Client {
    /// Copies `fixture`'s store into the new directory `into` and opens it.
    pub fn open(fixture: &Path, into: PathBuf) -> Result<Client, String> {
        let file = IdentityFile::load(fixture)?;
        let id = file.identity()?;
        crate::copy_private_dir_files(fixture, &into, &[STORE])?;
        // The store unkeyed: process_fanout is the same on a keyed connection, and the
        // fixture stays readable with the sqlite3 tool.
        let conn = conclave_client::store::open(&into.join(STORE), None)
            .map_err(|e| format!("opening the client's store: {e}"))?;
        Ok(Client {
            conn,
            id,
            file,
            dir: into,
        })
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
