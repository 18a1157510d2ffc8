//! The TLS presentation-language structs of franking (PROTO §5.4, §5.4.1, §5.9).
//!
//! ```text
//! struct { uint8 franking_tag[32]; } FrankAAD;
//! struct { SignaturePublicKey franking_signature_key; Credential credential; } FrankingAgentData;
//! struct { IdentifierUri sender_uri; IdentifierUri room_uri; uint64 accepted_timestamp; }
//!     ServerFrankingContext;
//! struct { opaque server_frank[32]; CipherSuite franking_signature_ciphersuite;
//!          ServerFrankingContext context; } FrankingIntegrityTBS;
//! struct { opaque message_content<V>; Frank frank; uint64 accepted_timestamp; } AbusiveMessage;
//! struct { IdentifierUri reportingUser; IdentifierUri allegedAbuserUri; AbuseType reasonCode;
//!          opaque note<V>; AbusiveMessage messages<V>; AppDataDictionary abuse_extensions; }
//!     AbuseReport;
//! ```
//!
//! Every `from_bytes` is strict: exactly one struct, no trailing bytes, minimal vector lengths.

use openmls::prelude::Credential;
use tls_codec::{TlsDeserialize, TlsSerialize, TlsSize, VLBytes};

use crate::error::WireError;
use crate::wire::{Frank, IdentifierUri, decode, encode};

/// PROTO §5.4 `FrankAAD`: the Safe AAD item [`FRANK_AAD`](crate::ids::FRANK_AAD) (0x0020).
#[derive(Debug, Clone, Copy, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct FrankAad {
    /// `HMAC-SHA256(salt, application_data)`.
    pub franking_tag: [u8; 32],
}

impl FrankAad {
    /// The `aad_item_data` bytes: the 32-byte tag.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }
    /// Decodes exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        decode(bytes, "FrankAAD")
    }
}

/// PROTO §5.4.1 `FrankingAgentData`: the GroupContext component
/// [`FRANKING_AGENT`](crate::ids::FRANKING_AGENT) (0x0021), also the `FrankingAgentUpdate`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct FrankingAgentData {
    /// The hub's franking signature public key, of the group cipher suite's algorithm.
    pub franking_signature_key: VLBytes,
    /// The hub's credential; receivers check its domain is the hub's.
    pub credential: Credential,
}

impl FrankingAgentData {
    /// The component data bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }
    /// Decodes exactly one `FrankingAgentData`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        decode(bytes, "FrankingAgentData")
    }
}

/// PROTO §5.4.1.2 `ServerFrankingContext`: what the hub vouches for besides the tag.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct ServerFrankingContext {
    /// The sender's user URI (or pseudonym), as the sending provider asserted it.
    pub sender_uri: IdentifierUri,
    /// The room.
    pub room_uri: IdentifierUri,
    /// The hub's acceptance time, ms since the UNIX epoch.
    pub accepted_timestamp: u64,
}

impl ServerFrankingContext {
    /// A context from the URIs as text.
    pub fn new(sender_uri: &str, room_uri: &str, accepted_timestamp: u64) -> Self {
        ServerFrankingContext {
            sender_uri: IdentifierUri::new(&sender_uri),
            room_uri: IdentifierUri::new(&room_uri),
            accepted_timestamp,
        }
    }
    /// The TLS serialization, as HMACed into `server_frank`.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }
    /// Decodes exactly one context whose URIs are UTF-8.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let c: Self = decode(bytes, "ServerFrankingContext")?;
        c.sender_uri.as_str()?;
        c.room_uri.as_str()?;
        Ok(c)
    }
}

/// PROTO §5.4.1.2 `FrankingIntegrityTBS`: what the franking key signs.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct FrankingIntegrityTbs {
    /// The server frank.
    pub server_frank: [u8; 32],
    /// The group's cipher suite when franked.
    pub franking_signature_ciphersuite: u16,
    /// The context.
    pub context: ServerFrankingContext,
}

impl FrankingIntegrityTbs {
    /// The to-be-signed bytes (before RFC 9420 `SignContent` wraps them).
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }
    /// Decodes exactly one TBS.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        decode(bytes, "FrankingIntegrityTBS")
    }
}

/// PROTO §5.9 `AbusiveMessage`: one reported message.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct AbusiveMessage {
    /// Exactly the bytes that were HMACed into the franking tag (the MIMI content as received).
    pub message_content: VLBytes,
    /// The frank the receiver got and verified.
    pub frank: Frank,
    /// The fanout timestamp it came with.
    pub accepted_timestamp: u64,
}

impl AbusiveMessage {
    /// Encodes one message.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }
    /// Decodes exactly one message.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        decode(bytes, "AbusiveMessage")
    }
}

/// MLSEXT `ComponentData`, one entry of an AppDataDictionary:
/// `struct { ComponentID component_id; opaque data<V>; }`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct ComponentData {
    /// The component.
    pub component_id: u16,
    /// Its data.
    pub data: VLBytes,
}

/// PROTO §5.9 `AbuseReport`, the body of `POST /reportAbuse/{roomId}`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct AbuseReport {
    /// Who reports; empty for "not given".
    pub reporting_user: IdentifierUri,
    /// Whom the report accuses.
    pub alleged_abuser_uri: IdentifierUri,
    /// `AbuseType`; the draft defines no values yet, so Conclave sends 0 and keeps what it gets.
    pub reason_code: u8,
    /// A UTF-8 note, possibly empty.
    pub note: VLBytes,
    /// The reported messages.
    pub messages: Vec<AbusiveMessage>,
    /// The AppDataDictionary of extensions: its `component_data<V>` list.
    pub abuse_extensions: Vec<ComponentData>,
}

impl AbuseReport {
    /// Encodes the report.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes exactly one report and [`validates`](Self::validate) it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let r: Self = decode(bytes, "AbuseReport")?;
        r.validate()?;
        Ok(r)
    }

    /// The note as text.
    pub fn note(&self) -> Result<&str, WireError> {
        std::str::from_utf8(self.note.as_slice())
            .map_err(|_| WireError::malformed("AbuseReport", "the note is not UTF-8"))
    }

    /// Checks what TLS decoding does not: UTF-8 URIs (the accused one not empty), a UTF-8 note,
    /// and extensions sorted by strictly increasing component id (MLSEXT AppDataDictionary).
    pub fn validate(&self) -> Result<(), WireError> {
        self.reporting_user.as_str()?;
        if self.alleged_abuser_uri.as_str()?.is_empty() {
            return Err(WireError::malformed(
                "AbuseReport",
                "allegedAbuserUri is empty",
            ));
        }
        self.note()?;
        let sorted = self
            .abuse_extensions
            .windows(2)
            .all(|w| w[0].component_id < w[1].component_id);
        if !sorted {
            return Err(WireError::malformed(
                "AbuseReport",
                "abuse_extensions must be sorted by component id, each id at most once",
            ));
        }
        Ok(())
    }
}
