//! What a commit or proposal changes in a room, in terms of who: the bridge between OpenMLS's
//! staged objects and [`crate::policy`]. The hub (on a `PublicGroup`) and every client (on an
//! `MlsGroup`) run this same code between staging and merging, then ask the policy engine.

use openmls::prelude::{
    Credential, CredentialType, LeafNodeIndex, Proposal, QueuedProposal, Sender, StagedCommit,
};

use crate::credential::{ClientIdentity, ProviderCredential};
use crate::error::WireError;
use crate::ids::PROVIDER_CREDENTIAL_TYPE;

/// Whom a client trusts to issue credentials: its provider's domain and Ed25519 key.
/// (Federation adds one entry per provider; the skeleton knows one.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    /// The provider's domain.
    pub domain: String,
    /// The provider's Ed25519 public key.
    pub provider_key: Vec<u8>,
}

impl Trust {
    /// Verifies an MLS credential with the leaf's signature key and names the client and user.
    pub fn identify(
        &self,
        credential: &Credential,
        signature_key: &[u8],
    ) -> Result<ClientIdentity, WireError> {
        if credential.credential_type() != CredentialType::Other(PROVIDER_CREDENTIAL_TYPE) {
            return Err(WireError::Unsupported {
                what: "credential type",
                detail: format!("{:?}", credential.credential_type()),
            });
        }
        ProviderCredential::from_bytes(credential.serialized_content())?.verify(
            &self.domain,
            &self.provider_key,
            signature_key,
        )
    }
}

/// One change a handshake makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A client joins.
    Add(ClientIdentity),
    /// A client is removed.
    Remove(ClientIdentity),
    /// A client updates its own leaf.
    Update,
    /// A client removes itself (MLSEXT §6.3).
    SelfRemove,
    /// The GroupContext extensions change.
    GroupContextExtensions,
    /// Application component updates (MLSEXT §4.7).
    AppDataUpdate,
    /// Anything else, by name; the policy refuses what it does not know.
    Other(&'static str),
}

/// A change and who proposed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedChange {
    /// The proposer; `None` for an external sender (the hub).
    pub proposer: Option<ClientIdentity>,
    /// The change.
    pub change: Change,
}

/// Looks up the identity of a current member by leaf index.
pub trait Roster {
    /// The identity at `leaf`, if a member sits there.
    fn member(&self, leaf: LeafNodeIndex) -> Option<ClientIdentity>;
}

fn proposer_of(
    sender: &Sender,
    committer: Option<&ClientIdentity>,
    roster: &dyn Roster,
) -> Result<Option<ClientIdentity>, WireError> {
    match sender {
        Sender::Member(idx) => {
            roster
                .member(*idx)
                .map(Some)
                .ok_or_else(|| WireError::Unsupported {
                    what: "proposal sender",
                    detail: format!("no member at leaf {}", idx.u32()),
                })
        }
        Sender::External(_) => Ok(None),
        Sender::NewMemberCommit | Sender::NewMemberProposal => Ok(committer.cloned()),
    }
}

/// Translates one proposal.
pub fn proposal_change(
    qp: &QueuedProposal,
    committer: Option<&ClientIdentity>,
    roster: &dyn Roster,
    trust: &Trust,
) -> Result<ProposedChange, WireError> {
    let proposer = proposer_of(qp.sender(), committer, roster)?;
    let change =
        match qp.proposal() {
            Proposal::Add(add) => {
                let kp = add.key_package();
                let leaf = kp.leaf_node();
                Change::Add(trust.identify(leaf.credential(), leaf.signature_key().as_slice())?)
            }
            Proposal::Remove(r) => Change::Remove(roster.member(r.removed()).ok_or_else(|| {
                WireError::Unsupported {
                    what: "remove",
                    detail: format!("no member at leaf {}", r.removed().u32()),
                }
            })?),
            Proposal::Update(_) => Change::Update,
            Proposal::SelfRemove => Change::SelfRemove,
            Proposal::GroupContextExtensions(_) => Change::GroupContextExtensions,
            Proposal::AppDataUpdate(_) => Change::AppDataUpdate,
            Proposal::PreSharedKey(_) => Change::Other("PreSharedKey"),
            Proposal::ReInit(_) => Change::Other("ReInit"),
            Proposal::ExternalInit(_) => Change::Other("ExternalInit"),
            _ => Change::Other("unknown proposal"),
        };
    Ok(ProposedChange { proposer, change })
}

/// Every change a staged commit makes, with its proposer. The committer's identity (from its leaf
/// before the commit) is the proposer of inline proposals. Fails if any new or updated leaf carries
/// a credential that does not verify.
pub fn commit_changes(
    staged: &StagedCommit,
    committer: &ClientIdentity,
    roster: &dyn Roster,
    trust: &Trust,
) -> Result<Vec<ProposedChange>, WireError> {
    if let Some(leaf) = staged.update_path_leaf_node() {
        let id = trust.identify(leaf.credential(), leaf.signature_key().as_slice())?;
        if &id != committer {
            return Err(WireError::Unsupported {
                what: "update path",
                detail: "the committer's new leaf names another client".into(),
            });
        }
    }
    staged
        .queued_proposals()
        .map(|qp| proposal_change(qp, Some(committer), roster, trust))
        .collect()
}
