//! The TLS presentation-language structs of PROTO §5 that Conclave puts on the wire.
//!
//! MLS objects inside them (MLSMessage, Welcome, GroupInfo, KeyPackage, Credential, the ratchet
//! tree) are carried as [`Inline`]: parsed with OpenMLS to find where they end and to prove they
//! are well formed, but kept as the exact bytes received, so the hub never re-encodes MIMI bytes on
//! their way (DESIGN "Wire format"). `select` arms that depend on an inner message's content type
//! (HandshakeBundle, FanoutMessage) are decoded by looking at that message.
//!
//! Choices where the draft is open, written down:
//! - `RatchetTreeOption.full` carries the RFC 9420 `optional<Node> ratchet_tree<V>` encoding
//!   (what OpenMLS's `RatchetTreeIn` reads); only `full` and `distributionService` are supported.
//! - `GroupInfoOption` supports only `full`.
//! - `SubmitMessageResponse`'s `case success` is read as `case accepted` (PROTO §5.4 typo).

use std::io::{Read, Write};
use std::marker::PhantomData;

use openmls::messages::group_info::VerifiableGroupInfo;
use openmls::prelude::{
    ContentType, Credential, KeyPackageIn, MlsMessageBodyIn, MlsMessageIn, RatchetTreeIn,
    RequiredCapabilitiesExtension, Welcome,
};
use tls_codec::{Deserialize, Serialize, Size, TlsDeserialize, TlsSerialize, TlsSize, VLBytes};

use crate::error::WireError;

/// An MLS structure carried inline, kept as the exact bytes it was received as.
pub struct Inline<T> {
    bytes: Vec<u8>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Inline<T> {
    fn clone(&self) -> Self {
        Self::raw(self.bytes.clone())
    }
}
impl<T> PartialEq for Inline<T> {
    fn eq(&self, o: &Self) -> bool {
        self.bytes == o.bytes
    }
}
impl<T> Eq for Inline<T> {}
impl<T> std::fmt::Debug for Inline<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Inline({} bytes)", self.bytes.len())
    }
}

impl<T> Inline<T> {
    fn raw(bytes: Vec<u8>) -> Self {
        Inline {
            bytes,
            _t: PhantomData,
        }
    }
    /// The exact bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// Takes the bytes out.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl<T: Deserialize> Inline<T> {
    /// Wraps bytes that must be exactly one well-formed `T`.
    pub fn from_bytes(bytes: Vec<u8>, what: &'static str) -> Result<Self, WireError> {
        T::tls_deserialize_exact(&bytes).map_err(|e| WireError::malformed(what, e))?;
        Ok(Self::raw(bytes))
    }
    /// Parses the bytes into the OpenMLS type.
    pub fn parse(&self, what: &'static str) -> Result<T, WireError> {
        T::tls_deserialize_exact(&self.bytes).map_err(|e| WireError::malformed(what, e))
    }
    fn read_parsed<R: Read>(r: &mut R) -> Result<(Self, T), tls_codec::Error> {
        let mut rec = Recorder {
            inner: r,
            seen: Vec::new(),
        };
        let t = T::tls_deserialize(&mut rec)?;
        Ok((Self::raw(rec.seen), t))
    }
}

/// Keeps every byte a decoder reads.
struct Recorder<'a, R> {
    inner: &'a mut R,
    seen: Vec<u8>,
}

impl<R: Read> Read for Recorder<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl<T> Size for Inline<T> {
    fn tls_serialized_len(&self) -> usize {
        self.bytes.len()
    }
}
impl<T> Serialize for Inline<T> {
    fn tls_serialize<W: Write>(&self, w: &mut W) -> Result<usize, tls_codec::Error> {
        w.write_all(&self.bytes)?;
        Ok(self.bytes.len())
    }
}
impl<T: Deserialize> Deserialize for Inline<T> {
    fn tls_deserialize<R: Read>(r: &mut R) -> Result<Self, tls_codec::Error> {
        Ok(Self::read_parsed(r)?.0)
    }
}

/// An `MLSMessage` (RFC 9420 §6).
pub type MlsMessage = Inline<MlsMessageIn>;

/// What an `MLSMessage` is, as far as the `select`s of PROTO care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A PrivateMessage with application content.
    Application,
    /// A PublicMessage proposal.
    Proposal,
    /// A PublicMessage commit.
    Commit,
    /// A Welcome.
    Welcome,
    /// A GroupInfo.
    GroupInfo,
    /// A KeyPackage.
    KeyPackage,
}

/// Classifies a parsed message; handshakes must be PublicMessage and application messages
/// PrivateMessage (DESIGN "MLS").
pub fn message_kind(m: &MlsMessageIn) -> Result<MessageKind, WireError> {
    let bad = |d: &str| WireError::Unsupported {
        what: "MLSMessage",
        detail: d.to_owned(),
    };
    match m.clone().extract() {
        MlsMessageBodyIn::PrivateMessage(p) => match p.content_type() {
            ContentType::Application => Ok(MessageKind::Application),
            _ => Err(bad("handshake messages must be PublicMessage")),
        },
        MlsMessageBodyIn::PublicMessage(p) => match p.content_type() {
            ContentType::Commit => Ok(MessageKind::Commit),
            ContentType::Proposal => Ok(MessageKind::Proposal),
            ContentType::Application => Err(bad("application messages must be PrivateMessage")),
        },
        MlsMessageBodyIn::Welcome(_) => Ok(MessageKind::Welcome),
        MlsMessageBodyIn::GroupInfo(_) => Ok(MessageKind::GroupInfo),
        MlsMessageBodyIn::KeyPackage(_) => Ok(MessageKind::KeyPackage),
        #[allow(unreachable_patterns)]
        _ => Err(bad("unknown wire format")),
    }
}

impl MlsMessage {
    /// Parses and classifies the message.
    pub fn kind(&self) -> Result<MessageKind, WireError> {
        message_kind(&self.parse("MLSMessage")?)
    }

    /// Wraps a bare Welcome struct into an MLSMessage (version mls10, wire_format welcome).
    pub fn from_welcome(w: &Inline<Welcome>) -> Self {
        let mut b = vec![0x00, 0x01, 0x00, 0x03];
        b.extend_from_slice(w.as_bytes());
        Self::raw(b)
    }
}

/// PROTO §5: `enum { reserved(0), mls10(1), (255) } Protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
#[repr(u8)]
pub enum Protocol {
    /// Reserved.
    Reserved = 0,
    /// MLS 1.0.
    Mls10 = 1,
}

/// PROTO §5.2 `IdentifierUri`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct IdentifierUri {
    /// The URI as UTF-8 bytes.
    pub uri: VLBytes,
}

impl IdentifierUri {
    /// From any displayable URI.
    pub fn new(uri: &impl std::fmt::Display) -> Self {
        IdentifierUri {
            uri: uri.to_string().into_bytes().into(),
        }
    }
    /// The URI as text.
    pub fn as_str(&self) -> Result<&str, WireError> {
        std::str::from_utf8(self.uri.as_slice()).map_err(|_| crate::error::UriError::Utf8.into())
    }
}

fn read_u8<R: Read>(r: &mut R) -> Result<u8, tls_codec::Error> {
    u8::tls_deserialize(r)
}

fn decode_err(s: &str) -> tls_codec::Error {
    tls_codec::Error::DecodingError(s.to_owned())
}

// ---------------------------------------------------------------------------------------------
// §5.2 key material

/// PROTO §5.2 `KeyMaterialRequest` (protocol mls10 only).
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct KeyMaterialRequest {
    /// Always `mls10`.
    pub protocol: Protocol,
    /// Who asks.
    pub requesting_user: IdentifierUri,
    /// Whose key material.
    pub target_user: IdentifierUri,
    /// The room the KeyPackages are for.
    pub room_id: IdentifierUri,
    /// Acceptable cipher suites.
    pub acceptable_ciphersuites: Vec<u16>,
    /// The room's required capabilities.
    pub required_capabilities: Inline<RequiredCapabilitiesExtension>,
    /// The requesting client's signature key.
    pub requester_signature_key: VLBytes,
    /// The requesting client's credential.
    pub requester_credential: Inline<Credential>,
    /// `SignWithLabel(requesterSignatureKey, "KeyMaterialRequestTBS", TBS)`.
    pub signature: VLBytes,
}

/// Label of the key material request signature.
pub const KEY_MATERIAL_REQUEST_LABEL: &str = "KeyMaterialRequestTBS";

impl KeyMaterialRequest {
    /// The to-be-signed bytes: the struct without its signature field.
    pub fn tbs(&self) -> Vec<u8> {
        let mut v = self.tls_serialize_detached().unwrap_or_default();
        v.truncate(v.len() - self.signature.tls_serialized_len());
        v
    }
}

/// PROTO §5.2 `KeyMaterialUserCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
#[repr(u8)]
pub enum KeyMaterialUserCode {
    /// Every client has material.
    Success = 0,
    /// Some clients have material.
    PartialSuccess = 1,
    /// Protocol not supported.
    IncompatibleProtocol = 2,
    /// Nothing compatible.
    NoCompatibleMaterial = 3,
    /// No such user.
    UserUnknown = 4,
    /// No consent.
    NoConsent = 5,
    /// No consent for this room.
    NoConsentForThisRoom = 6,
    /// The user was deleted.
    UserDeleted = 7,
}

/// PROTO §5.2 `ClientKeyMaterial`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKeyMaterial {
    /// The client.
    pub client_uri: IdentifierUri,
    /// Its status and material.
    pub status: ClientMaterial,
}

/// The `select` of `ClientKeyMaterial` on `KeyMaterialClientCode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMaterial {
    /// success(0): one KeyPackage.
    Success(Inline<KeyPackageIn>),
    /// keyMaterialExhausted(1).
    Exhausted,
    /// nothingCompatible(2), with the client's capabilities if known (always omitted by Conclave).
    NothingCompatible,
}

impl Size for ClientKeyMaterial {
    fn tls_serialized_len(&self) -> usize {
        1 + self.client_uri.tls_serialized_len()
            + match &self.status {
                ClientMaterial::Success(k) => k.tls_serialized_len(),
                ClientMaterial::Exhausted => 0,
                ClientMaterial::NothingCompatible => 1,
            }
    }
}
impl Serialize for ClientKeyMaterial {
    fn tls_serialize<W: Write>(&self, w: &mut W) -> Result<usize, tls_codec::Error> {
        let code: u8 = match self.status {
            ClientMaterial::Success(_) => 0,
            ClientMaterial::Exhausted => 1,
            ClientMaterial::NothingCompatible => 2,
        };
        let mut n = code.tls_serialize(w)?;
        n += self.client_uri.tls_serialize(w)?;
        n += match &self.status {
            ClientMaterial::Success(k) => k.tls_serialize(w)?,
            ClientMaterial::Exhausted => 0,
            ClientMaterial::NothingCompatible => 0u8.tls_serialize(w)?,
        };
        Ok(n)
    }
}
impl Deserialize for ClientKeyMaterial {
    fn tls_deserialize<R: Read>(r: &mut R) -> Result<Self, tls_codec::Error> {
        let code = read_u8(r)?;
        let client_uri = IdentifierUri::tls_deserialize(r)?;
        let status = match code {
            0 => ClientMaterial::Success(Inline::tls_deserialize(r)?),
            1 => ClientMaterial::Exhausted,
            2 => {
                if read_u8(r)? != 0 {
                    return Err(decode_err("client capabilities are not supported"));
                }
                ClientMaterial::NothingCompatible
            }
            _ => return Err(decode_err("unknown KeyMaterialClientCode")),
        };
        Ok(ClientKeyMaterial { client_uri, status })
    }
}

/// PROTO §5.2 `KeyMaterialResponse`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct KeyMaterialResponse {
    /// Always `mls10`.
    pub protocol: Protocol,
    /// Overall status.
    pub user_status: KeyMaterialUserCode,
    /// The target user.
    pub user_uri: IdentifierUri,
    /// One entry per client.
    pub clients: Vec<ClientKeyMaterial>,
}

// ---------------------------------------------------------------------------------------------
// §5.3 handshakes

/// RTO `RatchetTreeOption` (the supported arms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatchetTreeOption {
    /// full(1): the whole tree.
    Full(Inline<RatchetTreeIn>),
    /// distributionService(4): the hub rebuilds the tree from public handshakes.
    DistributionService,
}

impl Size for RatchetTreeOption {
    fn tls_serialized_len(&self) -> usize {
        1 + match self {
            RatchetTreeOption::Full(t) => t.tls_serialized_len(),
            RatchetTreeOption::DistributionService => 0,
        }
    }
}
impl Serialize for RatchetTreeOption {
    fn tls_serialize<W: Write>(&self, w: &mut W) -> Result<usize, tls_codec::Error> {
        match self {
            RatchetTreeOption::Full(t) => Ok(1u8.tls_serialize(w)? + t.tls_serialize(w)?),
            RatchetTreeOption::DistributionService => 4u8.tls_serialize(w),
        }
    }
}
impl Deserialize for RatchetTreeOption {
    fn tls_deserialize<R: Read>(r: &mut R) -> Result<Self, tls_codec::Error> {
        match read_u8(r)? {
            1 => Ok(RatchetTreeOption::Full(Inline::tls_deserialize(r)?)),
            4 => Ok(RatchetTreeOption::DistributionService),
            _ => Err(decode_err("unsupported RatchetTreeRepresentation")),
        }
    }
}

/// PROTO §5.3 `GroupInfoOption` (full only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfoOption(pub Inline<VerifiableGroupInfo>);

impl Size for GroupInfoOption {
    fn tls_serialized_len(&self) -> usize {
        1 + self.0.tls_serialized_len()
    }
}
impl Serialize for GroupInfoOption {
    fn tls_serialize<W: Write>(&self, w: &mut W) -> Result<usize, tls_codec::Error> {
        Ok(1u8.tls_serialize(w)? + self.0.tls_serialize(w)?)
    }
}
impl Deserialize for GroupInfoOption {
    fn tls_deserialize<R: Read>(r: &mut R) -> Result<Self, tls_codec::Error> {
        match read_u8(r)? {
            1 => Ok(GroupInfoOption(Inline::tls_deserialize(r)?)),
            _ => Err(decode_err("only full GroupInfo is supported")),
        }
    }
}

/// PROTO §5.3 `HandshakeBundle`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeBundle {
    /// A commit with what goes with it.
    Commit {
        /// The PublicMessage commit.
        commit: MlsMessage,
        /// The Welcome for added members (without ratchet tree).
        welcome: Option<Inline<Welcome>>,
        /// The committer's GroupInfo for the new epoch.
        group_info: GroupInfoOption,
        /// Where the tree comes from.
        ratchet_tree: RatchetTreeOption,
    },
    /// A proposal (and more proposals).
    Proposal {
        /// The PublicMessage proposal.
        proposal: MlsMessage,
        /// Further proposals.
        more_proposals: Vec<MlsMessage>,
    },
}

impl HandshakeBundle {
    /// Conclave's idempotency key for a bundle (RELIABILITY.md): the SHA-256 of its first
    /// MLSMessage, the commit or the first proposal, exactly as sent. A retry sends the same
    /// bytes, so the hub answers it with what it answered the first time.
    pub fn key(&self) -> [u8; 32] {
        match self {
            HandshakeBundle::Commit { commit, .. } => message_key(commit),
            HandshakeBundle::Proposal { proposal, .. } => message_key(proposal),
        }
    }
}

/// The SHA-256 of an MLSMessage's exact bytes: how the hub and a client name one handshake or
/// application message when they reconcile after a lost answer.
pub fn message_key(m: &MlsMessage) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(m.as_bytes()).into()
}

impl Size for HandshakeBundle {
    fn tls_serialized_len(&self) -> usize {
        match self {
            HandshakeBundle::Commit {
                commit,
                welcome,
                group_info,
                ratchet_tree,
            } => {
                commit.tls_serialized_len()
                    + welcome.tls_serialized_len()
                    + group_info.tls_serialized_len()
                    + ratchet_tree.tls_serialized_len()
            }
            HandshakeBundle::Proposal {
                proposal,
                more_proposals,
            } => proposal.tls_serialized_len() + more_proposals.tls_serialized_len(),
        }
    }
}
impl Serialize for HandshakeBundle {
    fn tls_serialize<W: Write>(&self, w: &mut W) -> Result<usize, tls_codec::Error> {
        match self {
            HandshakeBundle::Commit {
                commit,
                welcome,
                group_info,
                ratchet_tree,
            } => Ok(commit.tls_serialize(w)?
                + welcome.tls_serialize(w)?
                + group_info.tls_serialize(w)?
                + ratchet_tree.tls_serialize(w)?),
            HandshakeBundle::Proposal {
                proposal,
                more_proposals,
            } => Ok(proposal.tls_serialize(w)? + more_proposals.tls_serialize(w)?),
        }
    }
}
impl Deserialize for HandshakeBundle {
    fn tls_deserialize<R: Read>(r: &mut R) -> Result<Self, tls_codec::Error> {
        let (msg, parsed) = MlsMessage::read_parsed(r)?;
        match message_kind(&parsed).map_err(|e| decode_err(&e.to_string()))? {
            MessageKind::Commit => Ok(HandshakeBundle::Commit {
                commit: msg,
                welcome: Option::tls_deserialize(r)?,
                group_info: GroupInfoOption::tls_deserialize(r)?,
                ratchet_tree: RatchetTreeOption::tls_deserialize(r)?,
            }),
            MessageKind::Proposal => Ok(HandshakeBundle::Proposal {
                proposal: msg,
                more_proposals: Vec::tls_deserialize(r)?,
            }),
            _ => Err(decode_err(
                "a HandshakeBundle carries a PublicMessage commit or proposal",
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §5.4 submit message

/// PROTO §5.4 `SubmitMessageRequest`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct SubmitMessageRequest {
    /// Always `mls10`.
    pub protocol: Protocol,
    /// The PrivateMessage.
    pub app_message: MlsMessage,
    /// The sender's user URI (or pseudonym).
    pub sending_uri: IdentifierUri,
}

/// PROTO §5.4 `Frank`.
#[derive(Debug, Clone, PartialEq, Eq, TlsSerialize, TlsDeserialize, TlsSize)]
pub struct Frank {
    /// The hub's server frank.
    pub server_frank: [u8; 32],
    /// The franking signature cipher suite.
    pub franking_signature_ciphersuite: u16,
    /// The hub's signature.
    pub franking_integrity_signature: VLBytes,
}

/// PROTO §5.4 `SubmitMessageResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitMessageResponse {
    /// accepted(0).
    Accepted {
        /// Hub acceptance time, ms since the UNIX epoch.
        accepted_timestamp: u64,
        /// The frank, when the room franks.
        frank: Option<Frank>,
    },
    /// notAllowed(1).
    NotAllowed,
    /// epochTooOld(2).
    EpochTooOld {
        /// The hub's epoch.
        current_epoch: u64,
    },
}

impl Size for SubmitMessageResponse {
    fn tls_serialized_len(&self) -> usize {
        2 + match self {
            SubmitMessageResponse::Accepted { frank, .. } => 8 + frank.tls_serialized_len(),
            SubmitMessageResponse::NotAllowed => 0,
            SubmitMessageResponse::EpochTooOld { .. } => 8,
        }
    }
}
impl Serialize for SubmitMessageResponse {
    fn tls_serialize<W: Write>(&self, w: &mut W) -> Result<usize, tls_codec::Error> {
        let mut n = Protocol::Mls10.tls_serialize(w)?;
        match self {
            SubmitMessageResponse::Accepted {
                accepted_timestamp,
                frank,
            } => {
                n += 0u8.tls_serialize(w)?;
                n += accepted_timestamp.tls_serialize(w)?;
                n += frank.tls_serialize(w)?;
            }
            SubmitMessageResponse::NotAllowed => n += 1u8.tls_serialize(w)?,
            SubmitMessageResponse::EpochTooOld { current_epoch } => {
                n += 2u8.tls_serialize(w)?;
                n += current_epoch.tls_serialize(w)?;
            }
        }
        Ok(n)
    }
}
impl Deserialize for SubmitMessageResponse {
    fn tls_deserialize<R: Read>(r: &mut R) -> Result<Self, tls_codec::Error> {
        if Protocol::tls_deserialize(r)? != Protocol::Mls10 {
            return Err(decode_err("protocol must be mls10"));
        }
        match read_u8(r)? {
            0 => Ok(SubmitMessageResponse::Accepted {
                accepted_timestamp: u64::tls_deserialize(r)?,
                frank: Option::tls_deserialize(r)?,
            }),
            1 => Ok(SubmitMessageResponse::NotAllowed),
            2 => Ok(SubmitMessageResponse::EpochTooOld {
                current_epoch: u64::tls_deserialize(r)?,
            }),
            _ => Err(decode_err("unknown SubmitResponseCode")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §5.5 fanout

/// The `select` of `FanoutMessage` on the carried message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FanoutExtra {
    /// An application message, with its frank if any.
    Application {
        /// The hub's frank.
        frank: Option<Frank>,
    },
    /// A Welcome, with the ratchet tree the joiner needs.
    Welcome {
        /// The tree.
        ratchet_tree: RatchetTreeOption,
    },
    /// A proposal, with the HandshakeBundle's further proposals.
    Proposal {
        /// Further proposals.
        more_proposals: Vec<MlsMessage>,
    },
    /// A commit, with hub proposals re-issued after an external commit.
    Commit {
        /// External proposals.
        external_proposals: Vec<MlsMessage>,
    },
}

/// PROTO §5.5 `FanoutMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanoutMessage {
    /// Hub acceptance time, ms since the UNIX epoch.
    pub timestamp: u64,
    /// The message.
    pub message: MlsMessage,
    /// The arm that goes with it.
    pub extra: FanoutExtra,
}

impl Size for FanoutMessage {
    fn tls_serialized_len(&self) -> usize {
        8 + self.message.tls_serialized_len()
            + match &self.extra {
                FanoutExtra::Application { frank } => frank.tls_serialized_len(),
                FanoutExtra::Welcome { ratchet_tree } => ratchet_tree.tls_serialized_len(),
                FanoutExtra::Proposal { more_proposals } => more_proposals.tls_serialized_len(),
                FanoutExtra::Commit { external_proposals } => {
                    external_proposals.tls_serialized_len()
                }
            }
    }
}
impl Serialize for FanoutMessage {
    fn tls_serialize<W: Write>(&self, w: &mut W) -> Result<usize, tls_codec::Error> {
        Ok(self.timestamp.tls_serialize(w)?
            + self.message.tls_serialize(w)?
            + match &self.extra {
                FanoutExtra::Application { frank } => frank.tls_serialize(w)?,
                FanoutExtra::Welcome { ratchet_tree } => ratchet_tree.tls_serialize(w)?,
                FanoutExtra::Proposal { more_proposals } => more_proposals.tls_serialize(w)?,
                FanoutExtra::Commit { external_proposals } => {
                    external_proposals.tls_serialize(w)?
                }
            })
    }
}
impl Deserialize for FanoutMessage {
    fn tls_deserialize<R: Read>(r: &mut R) -> Result<Self, tls_codec::Error> {
        let timestamp = u64::tls_deserialize(r)?;
        let (message, parsed) = MlsMessage::read_parsed(r)?;
        let extra = match message_kind(&parsed).map_err(|e| decode_err(&e.to_string()))? {
            MessageKind::Application => FanoutExtra::Application {
                frank: Option::tls_deserialize(r)?,
            },
            MessageKind::Welcome => FanoutExtra::Welcome {
                ratchet_tree: RatchetTreeOption::tls_deserialize(r)?,
            },
            MessageKind::Proposal => FanoutExtra::Proposal {
                more_proposals: Vec::tls_deserialize(r)?,
            },
            MessageKind::Commit => FanoutExtra::Commit {
                external_proposals: Vec::tls_deserialize(r)?,
            },
            _ => return Err(decode_err("a FanoutMessage cannot carry this message")),
        };
        Ok(FanoutMessage {
            timestamp,
            message,
            extra,
        })
    }
}

/// Encodes any wire struct.
pub fn encode<T: Serialize>(t: &T) -> Vec<u8> {
    t.tls_serialize_detached().unwrap_or_default()
}

/// Decodes exactly one wire struct, naming it in the error.
pub fn decode<T: Deserialize>(bytes: &[u8], what: &'static str) -> Result<T, WireError> {
    T::tls_deserialize_exact(bytes).map_err(|e| WireError::malformed(what, e))
}

#[cfg(test)]
mod tests;
