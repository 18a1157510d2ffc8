//! What a handshake changes in a room, in terms of who and which component: the bridge between
//! OpenMLS's staged objects and [`crate::policy`]. The hub (on a `PublicGroup`) and every client
//! (on an `MlsGroup`) run this same code between staging and merging, then ask the policy engine:
//!
//! 1. [`resolve_app_data`] turns a commit's AppDataUpdate proposals into the new component data
//!    (MLSEXT §4.7) with the one shared interpreter, so hub and members compute the same
//!    GroupContext.
//! 2. [`commit_items`] names every proposal of the staged commit with its proposer, verifying each
//!    new credential against the [`Trust`] anchor.
//! 3. [`policy_state`] reads the room's components before the commit; `policy::check_commit`
//!    decides.

use std::collections::BTreeMap;

use openmls::component::{ComponentData, ComponentId};
use openmls::extensions::AppDataDictionary;
use openmls::group::{AppDataDictionaryUpdater, AppDataUpdates};
use openmls::prelude::{
    AppDataUpdateOperation, AppDataUpdateProposal, Credential, CredentialType, LeafNodeIndex,
    Proposal, QueuedProposal, Sender, StagedCommit,
};

use crate::components::{
    BaseRoomPolicy, ParticipantListData, ParticipantListUpdate, PreAuthData, RoleData, RoomMetaData,
};
use crate::credential::ClientIdentity;
use crate::error::WireError;
use crate::identity::Trust;
use crate::ids::{self, PROVIDER_CREDENTIAL_TYPE, PSEUDONYMOUS_CREDENTIAL_TYPE};
use crate::policy::{self, Action, Decision, Denied, Item, PolicyState, Proposed};

/// PROTO §6.1: in a minimal-metadata room (`pseudonyms_allowed`) every leaf MUST carry a
/// pseudonymous credential; Conclave's other rooms take only provider credentials, so a
/// pseudonym cannot slip into a room whose members expect real names.
pub fn check_leaf_kind(credential: &Credential, pseudonymous_room: bool) -> Result<(), WireError> {
    let wanted = if pseudonymous_room {
        PSEUDONYMOUS_CREDENTIAL_TYPE
    } else {
        PROVIDER_CREDENTIAL_TYPE
    };
    if credential.credential_type() == CredentialType::Other(wanted) {
        Ok(())
    } else {
        Err(WireError::Unsupported {
            what: "leaf credential",
            detail: if pseudonymous_room {
                "every member of a pseudonymous room uses a pseudonymous credential (PROTO §6.1)"
                    .into()
            } else {
                "pseudonymous credentials are allowed only in pseudonymous rooms (POLICY §5 pseudonyms_allowed)"
                    .into()
            },
        })
    }
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

/// Names an AppDataUpdate by the component it changes.
pub fn component_item(id: ComponentId, op: &AppDataUpdateOperation) -> Result<Item, WireError> {
    let AppDataUpdateOperation::Update(bytes) = op else {
        return Ok(Item::Other("AppDataUpdate remove"));
    };
    let b = bytes.as_slice();
    Ok(match id {
        ids::PARTICIPANT_LIST => Item::ParticipantList(ParticipantListUpdate::from_bytes(b)?),
        ids::ROLES_LIST => Item::Roles(RoleData::from_bytes(b)?),
        ids::PREAUTH_LIST => Item::Preauth(PreAuthData::from_bytes(b)?),
        ids::BASE_ROOM_POLICY => Item::Base(BaseRoomPolicy::from_bytes(b)?),
        ids::ROOM_METADATA => Item::Metadata(RoomMetaData::from_bytes(b)?),
        other => Item::UnknownComponent(other),
    })
}

/// Names one proposal with its proposer.
pub fn proposal_item(
    qp: &QueuedProposal,
    committer: Option<&ClientIdentity>,
    roster: &dyn Roster,
    trust: &Trust,
) -> Result<Proposed, WireError> {
    let by = proposer_of(qp.sender(), committer, roster)?;
    let item = match qp.proposal() {
        Proposal::Add(add) => {
            let leaf = add.key_package().leaf_node();
            Item::AddClient(trust.identify(leaf.credential(), leaf.signature_key().as_slice())?)
        }
        Proposal::Remove(r) => Item::RemoveClient(roster.member(r.removed()).ok_or_else(|| {
            WireError::Unsupported {
                what: "remove",
                detail: format!("no member at leaf {}", r.removed().u32()),
            }
        })?),
        Proposal::SelfRemove => match &by {
            Some(id) => Item::SelfRemove(id.clone()),
            None => Item::Other("SelfRemove by an external sender"),
        },
        Proposal::AppDataUpdate(p) => component_item(p.component_id(), p.operation())?,
        Proposal::Update(_) => Item::Other("Update"),
        Proposal::GroupContextExtensions(_) => Item::Other("GroupContextExtensions"),
        Proposal::PreSharedKey(_) => Item::Other("PreSharedKey"),
        Proposal::ReInit(_) => Item::Other("ReInit"),
        Proposal::ExternalInit(_) => Item::Other("ExternalInit"),
        _ => Item::Other("unknown proposal"),
    };
    Ok(Proposed { by, item })
}

/// Every item a staged commit carries, with its proposer. The committer (identified from its
/// leaf before the commit) proposes the inline ones. Fails if any new or updated leaf carries a
/// credential that does not verify or is of the wrong kind for the room ([`check_leaf_kind`]),
/// or the committer's new leaf names another client.
pub fn commit_items(
    staged: &StagedCommit,
    committer: &ClientIdentity,
    roster: &dyn Roster,
    trust: &Trust,
    pseudonymous_room: bool,
) -> Result<Vec<Proposed>, WireError> {
    for add in staged.add_proposals() {
        check_leaf_kind(
            add.add_proposal().key_package().leaf_node().credential(),
            pseudonymous_room,
        )?;
    }
    if let Some(leaf) = staged.update_path_leaf_node() {
        check_leaf_kind(leaf.credential(), pseudonymous_room)?;
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
        .map(|qp| proposal_item(qp, Some(committer), roster, trust))
        .collect()
}
// ---------------------------------------------------------------------------------------------
// Room state in MLS: the policy components in the GroupContext app_data_dictionary.

/// Reads a room's policy state from its GroupContext `app_data_dictionary` and its member clients.
/// A room without the policy components is refused: every Conclave room carries them.
pub fn policy_state(
    dict: Option<&AppDataDictionary>,
    clients: Vec<ClientIdentity>,
) -> Result<PolicyState, WireError> {
    let get = |id: ComponentId, what: &'static str| -> Result<&[u8], WireError> {
        dict.and_then(|d| d.get(&id)).ok_or(WireError::Unsupported {
            what,
            detail: "the room has no such component".into(),
        })
    };
    Ok(PolicyState {
        roles: RoleData::from_bytes(get(ids::ROLES_LIST, "roles_list")?)?,
        participants: ParticipantListData::from_bytes(get(
            ids::PARTICIPANT_LIST,
            "participant_list",
        )?)?,
        base: BaseRoomPolicy::from_bytes(get(ids::BASE_ROOM_POLICY, "base_room_policy")?)?,
        preauth: match dict.and_then(|d| d.get(&ids::PREAUTH_LIST)) {
            Some(b) => PreAuthData::from_bytes(b)?,
            None => PreAuthData::default(),
        },
        metadata: dict
            .and_then(|d| d.get(&ids::ROOM_METADATA))
            .map(RoomMetaData::from_bytes)
            .transpose()?,
        clients,
    })
}

/// MLSEXT §4.7: computes the new dictionary entries of a commit's AppDataUpdate proposals with
/// the one interpreter both sides share ([`policy::apply_component_updates`]). Proposals come
/// sorted by component; a component takes either exactly one remove or one or more updates.
pub fn resolve_app_data<'p>(
    mut updater: AppDataDictionaryUpdater<'_>,
    proposals: impl Iterator<Item = &'p AppDataUpdateProposal>,
) -> Result<Option<AppDataUpdates>, Denied> {
    let mut by_component: BTreeMap<ComponentId, Vec<&AppDataUpdateOperation>> = BTreeMap::new();
    for p in proposals {
        by_component
            .entry(p.component_id())
            .or_default()
            .push(p.operation());
    }
    for (id, ops) in by_component {
        let removes = ops
            .iter()
            .filter(|o| matches!(o, AppDataUpdateOperation::Remove))
            .count();
        if removes > 0 {
            return Err(Denied {
                rule: "appDataUpdate",
                reason: format!(
                    "component {id:#06x} may not be removed from a room{}",
                    if removes == ops.len() {
                        ""
                    } else {
                        " (and not both removed and updated)"
                    }
                ),
            });
        }
        let updates: Vec<&[u8]> = ops
            .iter()
            .filter_map(|o| match o {
                AppDataUpdateOperation::Update(b) => Some(b.as_slice()),
                _ => None,
            })
            .collect();
        let new =
            policy::apply_component_updates(id, updater.old_value(id), &updates).map_err(|e| {
                Denied {
                    rule: "appDataUpdate",
                    reason: e.to_string(),
                }
            })?;
        updater.set(ComponentData::from_parts(id, new.into()));
    }
    Ok(updater.changes())
}

/// Checks a proposal sent by reference (PROTO §3.5: the hub caches it for the next committer).
/// Only leaving is proposed by reference in Conclave: removing oneself from the participant list
/// (canRemoveSelf) and one's own clients (SelfRemove or Remove: canRemoveOwnClient, or part of
/// leaving). Everything else is committed directly by whoever is allowed to.
pub fn check_proposal(state: &PolicyState, p: &Proposed) -> Result<(), Denied> {
    let Some(by) = &p.by else {
        return Err(Denied {
            rule: "externalSender",
            reason: "external senders may not propose changes to this room".into(),
        });
    };
    let may = |a: &Action| matches!(policy::decide_action(state, &by.user, a), Decision::Allowed);
    let leaving_or = |a: Action| {
        if may(&Action::Leave) || may(&a) {
            Ok(())
        } else {
            Err(into_denied(policy::decide_action(state, &by.user, &a)))
        }
    };
    match &p.item {
        Item::SelfRemove(c) if c == by => leaving_or(Action::RemoveOwnClient),
        Item::RemoveClient(c) if c.user == by.user => leaving_or(Action::RemoveOwnClient),
        Item::ParticipantList(u)
            if u.changed_role_participants.is_empty()
                && u.added_participants.is_empty()
                && u.removed_indices.len() == 1
                && state
                    .participants
                    .index_of(&by.user.to_bytes())
                    .map(|i| i as u32)
                    == u.removed_indices.first().copied() =>
        {
            policy::decide_action(state, &by.user, &Action::Leave)
                .into_result()
                .map_err(|(rule, reason)| Denied { rule, reason })
        }
        _ => Err(Denied {
            rule: "proposalByReference",
            reason:
                "only leaving may be proposed for a later commit; commit other changes directly"
                    .into(),
        }),
    }
}

fn into_denied(d: Decision) -> Denied {
    match d {
        Decision::Allowed => Denied {
            rule: "internal",
            reason: "allowed".into(),
        },
        Decision::Denied { rule, reason } => Denied { rule, reason },
    }
}

/// A joiner's check of its inviter (SECURITY.md "Joiners check what they join"): whether the
/// member who sent the Welcome (`inviter`, the GroupInfo's signer) may have added `joiner`, judged
/// on the room as joined (`after`). A joiner sees the room only after the commit, so the room
/// before it is taken to be `after` without the joiner's user, when no other client of that user
/// is in the group (a user newly listed: POLICY §8.1 canAddParticipant into the role it has
/// now). A device of the inviter's own user, or of a user already in the room, is not judged
/// here: the members who merged the commit judged it.
pub fn check_inviter(
    after: &PolicyState,
    inviter: &ClientIdentity,
    joiner: &ClientIdentity,
) -> Result<(), Denied> {
    if inviter.user == joiner.user {
        return Ok(());
    }
    let already_in = after
        .clients
        .iter()
        .any(|c| c.user == joiner.user && c.client != joiner.client);
    if already_in {
        return Ok(());
    }
    let me = joiner.user.to_bytes();
    let Some(role) = after.participants.role_of(&me) else {
        return Err(Denied {
            rule: "participant_list",
            reason: format!("{} joined a room that does not list them", joiner.user),
        });
    };
    let mut before = after.clone();
    before
        .participants
        .participants
        .retain(|p| p.user.as_slice() != me.as_slice());
    before.clients.retain(|c| c.user != joiner.user);
    match policy::decide_action(
        &before,
        &inviter.user,
        &Action::Add {
            target: joiner.user.clone(),
            role,
        },
    ) {
        Decision::Allowed => Ok(()),
        Decision::Denied { rule, reason } => Err(Denied {
            rule,
            reason: format!(
                "{} may not have added {}: {reason}",
                inviter.user, joiner.user
            ),
        }),
    }
}
