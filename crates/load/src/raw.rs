//! The raw baselines: plain OpenMLS groups with Basic credentials, the same cipher suite as
//! Conclave, and OpenMLS's in-memory storage. No policy, no franking, no SQLite.

use anyhow::{Result, anyhow};
use openmls::group::ProposalStore;
use openmls::prelude::{
    BasicCredential, CredentialWithKey, KeyPackage, MlsGroup, MlsGroupCreateConfig,
    MlsGroupJoinConfig, MlsMessageBodyIn, MlsMessageIn, PURE_PLAINTEXT_WIRE_FORMAT_POLICY,
    ProcessedMessageContent, ProtocolMessage, PublicGroup, RatchetTreeIn, SignatureScheme,
    StagedWelcome,
};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::{MemoryStorage, OpenMlsRustCrypto};
use openmls_traits::OpenMlsProvider as _;
use tls_codec::{Deserialize as _, Serialize as _};

use crate::OrDebug as _;

/// Conclave's one cipher suite.
pub use conclave_client::identity::CIPHERSUITE;

/// A raw client: an in-memory provider, a signature key and a Basic credential.
pub struct RawMember {
    /// Crypto and in-memory storage.
    pub provider: OpenMlsRustCrypto,
    /// The signature key.
    pub signer: SignatureKeyPair,
    /// The Basic credential with the key.
    pub cwk: CredentialWithKey,
}

impl RawMember {
    /// A new raw client named `name`.
    pub fn new(name: &str) -> Result<Self> {
        let signer = SignatureKeyPair::new(SignatureScheme::ED25519).or_debug("signature key")?;
        let cwk = CredentialWithKey {
            credential: BasicCredential::new(name.as_bytes().to_vec()).into(),
            signature_key: signer.public().into(),
        };
        Ok(RawMember {
            provider: OpenMlsRustCrypto::default(),
            signer,
            cwk,
        })
    }

    /// A KeyPackage whose private keys go into this client's storage.
    pub fn key_package(&self) -> Result<KeyPackage> {
        Ok(KeyPackage::builder()
            .build(CIPHERSUITE, &self.provider, &self.signer, self.cwk.clone())
            .or_debug("KeyPackage")?
            .key_package()
            .clone())
    }
}

/// A KeyPackage of a member that never reads the group (its private keys are dropped).
pub fn ghost(name: &str) -> Result<KeyPackage> {
    RawMember::new(name)?.key_package()
}

/// A raw client and its group.
pub struct RawGroup {
    /// The client.
    pub member: RawMember,
    /// Its group state.
    pub group: MlsGroup,
}

impl RawGroup {
    /// Adds `kps` in one commit and merges it; returns the Welcome. Like Conclave's invitations,
    /// the commit has no update path (nothing in it requires one).
    pub fn add(&mut self, kps: &[KeyPackage]) -> Result<MlsMessageIn> {
        let (_commit, welcome, _) = self
            .group
            .add_members_without_update(&self.member.provider, &self.member.signer, kps)
            .or_debug("add_members")?;
        self.group
            .merge_pending_commit(&self.member.provider)
            .or_debug("merge")?;
        reparse(&welcome.to_bytes().or_debug("Welcome")?)
    }

    /// A commit adding `kp`, without an update path (merged here); returns the commit's bytes.
    pub fn commit_add(&mut self, kp: KeyPackage) -> Result<Vec<u8>> {
        let (commit, _welcome, _) = self
            .group
            .add_members_without_update(&self.member.provider, &self.member.signer, &[kp])
            .or_debug("add_members")?;
        self.group
            .merge_pending_commit(&self.member.provider)
            .or_debug("merge")?;
        commit.to_bytes().or_debug("commit")
    }

    /// The application message bytes for `payload`.
    pub fn encrypt(&mut self, payload: &[u8]) -> Result<Vec<u8>> {
        self.group
            .create_message(&self.member.provider, &self.member.signer, payload)
            .or_debug("create_message")?
            .to_bytes()
            .or_debug("message")
    }

    /// Decrypts and verifies one application message; returns its payload.
    pub fn decrypt(&mut self, bytes: &[u8]) -> Result<Vec<u8>> {
        let msg = protocol_message(bytes)?;
        match self
            .group
            .process_message(&self.member.provider, msg)
            .or_debug("process_message")?
            .into_content()
        {
            ProcessedMessageContent::ApplicationMessage(app) => Ok(app.into_bytes()),
            _ => Err(anyhow!("not an application message")),
        }
    }

    /// The GroupInfo and ratchet tree a follower (the hub) starts from.
    pub fn public_group(&self) -> Result<(PublicGroup, MemoryStorage)> {
        let gi = self
            .group
            .export_group_info(self.member.provider.crypto(), &self.member.signer, false)
            .or_debug("GroupInfo")?
            .to_bytes()
            .or_debug("GroupInfo")?;
        let vgi = match reparse(&gi)?.extract() {
            MlsMessageBodyIn::GroupInfo(g) => g,
            _ => return Err(anyhow!("not a GroupInfo")),
        };
        let tree = RatchetTreeIn::tls_deserialize_exact(
            self.group
                .export_ratchet_tree()
                .tls_serialize_detached()
                .or_debug("tree")?,
        )
        .or_debug("tree")?;
        let storage = MemoryStorage::default();
        let (group, _) = PublicGroup::from_external(
            self.member.provider.crypto(),
            &storage,
            tree,
            vgi,
            ProposalStore::new(),
        )
        .or_debug("PublicGroup")?;
        Ok((group, storage))
    }
}

/// The group configuration of the baselines: handshakes as PublicMessage so that a follower (the
/// hub) can process them, and the tree beside the Welcome, as in Conclave.
pub fn create_config() -> MlsGroupCreateConfig {
    MlsGroupCreateConfig::builder()
        .ciphersuite(CIPHERSUITE)
        .wire_format_policy(PURE_PLAINTEXT_WIRE_FORMAT_POLICY)
        .use_ratchet_tree_extension(false)
        .build()
}

/// How members join: handshakes in the clear, as Conclave's hub needs them.
pub fn join_config() -> MlsGroupJoinConfig {
    MlsGroupJoinConfig::builder()
        .wire_format_policy(PURE_PLAINTEXT_WIRE_FORMAT_POLICY)
        .use_ratchet_tree_extension(false)
        .build()
}

/// Parses MLSMessage bytes.
pub fn reparse(bytes: &[u8]) -> Result<MlsMessageIn> {
    MlsMessageIn::tls_deserialize_exact(bytes).or_debug("MLSMessage")
}

/// Parses the bytes of a PublicMessage or PrivateMessage.
pub fn protocol_message(bytes: &[u8]) -> Result<ProtocolMessage> {
    reparse(bytes)?
        .try_into_protocol_message()
        .or_debug("protocol message")
}

/// A group of `n`: the creator, `joiners` members that joined from the Welcome, and ghosts, all
/// added in one commit.
pub fn build(n: usize, joiners: usize) -> Result<(RawGroup, Vec<RawGroup>)> {
    anyhow::ensure!(n > joiners, "a group of {n} cannot have {joiners} joiners");
    let member = RawMember::new("creator")?;
    let group = MlsGroup::new(
        &member.provider,
        &member.signer,
        &create_config(),
        member.cwk.clone(),
    )
    .or_debug("MlsGroup::new")?;
    let mut creator = RawGroup { member, group };
    let members = (0..joiners)
        .map(|i| RawMember::new(&format!("member-{i}")))
        .collect::<Result<Vec<_>>>()?;
    let mut kps = members
        .iter()
        .map(RawMember::key_package)
        .collect::<Result<Vec<_>>>()?;
    for i in joiners..n - 1 {
        kps.push(ghost(&format!("ghost-{i}"))?);
    }
    if kps.is_empty() {
        return Ok((creator, Vec::new()));
    }
    let welcome = creator.add(&kps)?;
    let MlsMessageBodyIn::Welcome(welcome) = welcome.extract() else {
        return Err(anyhow!("not a Welcome"));
    };
    let tree = creator.group.export_ratchet_tree();
    let mut joined = Vec::new();
    for member in members {
        let group = StagedWelcome::new_from_welcome(
            &member.provider,
            &join_config(),
            welcome.clone(),
            Some(tree.clone().into()),
        )
        .or_debug("Welcome")?
        .into_group(&member.provider)
        .or_debug("join")?;
        joined.push(RawGroup { member, group });
    }
    Ok((creator, joined))
}

/// A follower's `process_message` + `merge_commit` of one commit (the hub's raw work).
pub fn follow(
    crypto: &openmls_rust_crypto::RustCrypto,
    group: &mut PublicGroup,
    storage: &MemoryStorage,
    commit: &[u8],
) -> Result<()> {
    let msg = protocol_message(commit)?;
    let processed = group
        .process_message(crypto, msg)
        .or_debug("process_message")?;
    let ProcessedMessageContent::StagedCommitMessage(staged) = processed.into_content() else {
        return Err(anyhow!("not a commit"));
    };
    group
        .merge_commit(storage, *staged)
        .or_debug("merge_commit")
}
