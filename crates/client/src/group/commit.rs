//! Commits this client makes: staged, sent to the hub, merged once it accepted (or cleared).

use mimi::components::ParticipantListUpdate;
use mimi::credential::ClientIdentity;
use mimi::ids::{self};
use mimi::policy::{self, Item, Proposed};
use mimi::room::{commit_items, component_item, proposal_item, resolve_app_data};
use mimi::uri::ClientUri;
use mimi::wire::{GroupInfoOption, HandshakeBundle, Inline, RatchetTreeOption, encode};
use openmls::prelude::{
    AppDataUpdateOperation, AppDataUpdateProposal, Extension, KeyPackage, LeafNodeIndex, Proposal,
    UnknownExtension,
};
use openmls_traits::OpenMlsProvider as _;
use rusqlite::{Connection, params};
use tls_codec::Serialize as _;

use super::*;
use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::history;
use crate::identity::Identity;
use crate::pending::{self, HandshakeKind};
use crate::store::{Provider, now_ms};

/// What a commit this client makes should do.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    /// Clients to add, with their validated KeyPackages.
    pub adds: Vec<(ClientIdentity, KeyPackage)>,
    /// Clients to remove.
    pub removes: Vec<ClientUri>,
    /// AppDataUpdate payloads, by component.
    pub updates: Vec<(u16, Vec<u8>)>,
    /// Pseudonymous rooms: the commit's `AddAAD` (MIMIMI §4.1).
    pub add_aad: Option<AddAadPlan>,
    /// Pseudonymous rooms: the Welcome-only GroupInfo extension (MIMIMI §4.1
    /// `IdentityLinkExtension`), never in the GroupInfo the hub gets.
    pub welcome_extension: Option<Vec<u8>>,
    /// Give this client's leaf fresh keys even if nothing else changes (RFC 9420 §12.4 path
    /// update; post-compromise security after one of the user's devices was removed).
    pub update_own_leaf: bool,
}

impl Plan {
    /// Whether the plan changes nothing of its own (a commit of it commits only the pending
    /// proposals).
    pub fn is_empty(&self) -> bool {
        self.adds.is_empty()
            && self.removes.is_empty()
            && self.updates.is_empty()
            && self.add_aad.is_none()
            && self.welcome_extension.is_none()
            && !self.update_own_leaf
    }
}

/// Whether the room holds proposals no commit included yet.
pub fn has_pending_proposals(conn: &Connection, room: &str) -> Result<bool> {
    Ok(load_group(conn, room)?.pending_proposals().next().is_some())
}

/// The `AddAAD` of a commit adding to a pseudonymous room.
#[derive(Debug, Default, Clone)]
pub struct AddAadPlan {
    /// The TLS `AddAAD`: the commit's authenticated data.
    pub aad: Vec<u8>,
    /// The wrapped keys it carries, by client pseudonym, kept once the hub accepted the commit.
    pub links: Vec<(String, Vec<u8>)>,
}

/// Stages a commit carrying `plan` (and any pending proposals) after asking the policy engine;
/// returns the HandshakeBundle bytes, or `None` if there is nothing to commit. KeyPackages of
/// clients already in the room are skipped.
pub fn stage_commit(
    conn: &mut Connection,
    id: &Identity,
    room: &str,
    plan: &Plan,
    precheck: bool,
) -> Result<Option<Vec<u8>>> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    let state = state_of(&group, &id.trust)?;
    let adds: Vec<_> = plan
        .adds
        .iter()
        .filter(|(who, _)| !state.clients.iter().any(|m| m.client == who.client))
        .collect();
    let removes: Vec<(ClientIdentity, LeafNodeIndex)> = group
        .members()
        .filter_map(|m| {
            let who = id.trust.identify(&m.credential, &m.signature_key).ok()?;
            plan.removes.contains(&who.client).then_some((who, m.index))
        })
        .collect();
    if adds.is_empty()
        && removes.is_empty()
        && plan.updates.is_empty()
        && !plan.update_own_leaf
        && group.pending_proposals().next().is_none()
    {
        return Ok(None);
    }
    // Ask the policy engine before asking the hub (the hub and every member ask it again).
    let me = id.me();
    let roster = GroupRoster {
        group: &group,
        trust: &id.trust,
    };
    let mut items = group
        .pending_proposals()
        .map(|qp| proposal_item(qp, Some(&me), &roster, &id.trust))
        .collect::<Result<Vec<_>, _>>()?;
    for (cid, bytes) in &plan.updates {
        let op = AppDataUpdateOperation::Update(bytes.clone().into());
        items.push(Proposed {
            by: Some(me.clone()),
            item: component_item(*cid, &op)?,
        });
    }
    for (who, _) in &adds {
        items.push(Proposed {
            by: Some(me.clone()),
            item: Item::AddClient(who.clone()),
        });
    }
    for (who, _) in &removes {
        items.push(Proposed {
            by: Some(me.clone()),
            item: Item::RemoveClient(who.clone()),
        });
    }
    if precheck {
        policy::check_commit(&state, &me, &items).map_err(not_allowed)?;
    }
    if let Some(a) = &plan.add_aad {
        group.set_aad(a.aad.clone());
    }
    let mut stage = group
        .commit_builder()
        .force_self_update(plan.update_own_leaf)
        .propose_adds(adds.iter().map(|(_, kp)| kp.clone()))
        .propose_removals(removes.iter().map(|(_, leaf)| *leaf))
        .add_proposals(plan.updates.iter().map(|(cid, bytes)| {
            Proposal::AppDataUpdate(Box::new(AppDataUpdateProposal::update(*cid, bytes.clone())))
        }))
        .load_psks(provider.storage())
        .map_err(Error::mls)?;
    // Without the precheck (tests only) the interpreter must not refuse either: the point is to
    // let the hub and the other members see the forbidden commit.
    let changes = resolve_app_data(
        stage.app_data_dictionary_updater(),
        stage.app_data_update_proposals(),
    )
    .map_err(not_allowed)?;
    stage.with_app_data_dictionary_updates(changes);
    // `specs/openmls.md` §7.3: extensions given for the Welcome's GroupInfo also go into the
    // exported one, so the exported one is not made here (see below).
    let stage = match &plan.welcome_extension {
        Some(ext) => stage
            .create_group_info_with_extensions(vec![Extension::Unknown(
                ids::IDENTITY_LINK_EXTENSION_TYPE,
                UnknownExtension(ext.clone()),
            )])
            .map_err(Error::mls)?
            .create_group_info(false),
        None => stage.create_group_info(true),
    };
    let bundle = stage
        .build(provider.rand(), provider.crypto(), &id.signer, |_| true)
        .map_err(Error::mls)?
        .stage_commit(&provider)
        .map_err(Error::mls)?;
    let commit = Inline::from_bytes(bundle.commit().to_bytes().map_err(Error::mls)?, "commit")?;
    let welcome = bundle
        .welcome()
        .map(|w| w.tls_serialize_detached().map_err(Error::mls))
        .transpose()?
        .map(|w| Inline::from_bytes(w, "Welcome"))
        .transpose()?;
    let gi = match bundle.group_info() {
        Some(gi) => gi.tls_serialize_detached().map_err(Error::mls)?,
        None => exported_group_info_after(&tx, id, room)?,
    };
    let handshake = HandshakeBundle::Commit {
        commit,
        welcome,
        group_info: GroupInfoOption(Inline::from_bytes(gi, "GroupInfo")?),
        ratchet_tree: RatchetTreeOption::DistributionService,
    };
    let out = encode(&handshake);
    // Kept with the pending commit: sent again as it is until the hub answers (RELIABILITY.md).
    pending::save_handshake(
        &tx,
        room,
        HandshakeKind::Commit,
        &handshake.key(),
        &out,
        group.epoch().as_u64(),
    )?;
    tx.commit()?;
    Ok(Some(out))
}

/// The GroupInfo of the epoch this client's pending commit starts, as the hub gets it: the
/// commit is merged inside a savepoint, the GroupInfo exported (RatchetTree-less, with
/// ExternalPub only) and the savepoint rolled back, so the pending commit stays pending until the
/// hub accepts it. Used when the Welcome's GroupInfo carries secrets (`specs/openmls.md` §7.3).
fn exported_group_info_after(tx: &Connection, id: &Identity, room: &str) -> Result<Vec<u8>> {
    tx.execute_batch("SAVEPOINT export_group_info")?;
    let exported = (|| -> Result<Vec<u8>> {
        let provider = Provider::new(tx);
        let mut group = load_group(tx, room)?;
        group.merge_pending_commit(&provider).map_err(Error::mls)?;
        let gi = group
            .export_group_info(provider.crypto(), &id.signer, false)
            .map_err(Error::mls)?;
        match gi.body() {
            openmls::prelude::MlsMessageBodyOut::GroupInfo(g) => {
                g.tls_serialize_detached().map_err(Error::mls)
            }
            _ => Err(Error::Mls("OpenMLS exported no GroupInfo".into())),
        }
    })();
    tx.execute_batch("ROLLBACK TO export_group_info; RELEASE export_group_info")?;
    exported
}

/// Merges this client's pending commit after the hub accepted it at `timestamp`, and writes
/// the room's history lines for it in the same transaction.
pub fn merge_pending(
    conn: &mut Connection,
    id: &Identity,
    room: &str,
    timestamp: u64,
) -> Result<Vec<ClientEvent>> {
    let tx = conn.transaction()?;
    let events = merge_own(&tx, id, room, timestamp)?;
    tx.commit()?;
    Ok(events)
}

/// Merges this client's pending commit in the caller's transaction, whether the hub's answer
/// or the commit's echo in the queue said it was accepted, with its history lines, and forgets
/// the pending handshake.
pub fn merge_own(
    tx: &Connection,
    id: &Identity,
    room: &str,
    timestamp: u64,
) -> Result<Vec<ClientEvent>> {
    let provider = Provider::new(tx);
    let mut group = load_group(tx, room)?;
    let before = state_of(&group, &id.trust)?;
    let me = id.me();
    let items = match group.pending_commit() {
        Some(staged) => {
            let roster = GroupRoster {
                group: &group,
                trust: &id.trust,
            };
            commit_items(
                staged,
                &me,
                &roster,
                &id.trust,
                before.base.pseudonyms_allowed,
            )?
        }
        None => Vec::new(),
    };
    group.merge_pending_commit(&provider).map_err(Error::mls)?;
    summarise(tx, room, &state_of(&group, &id.trust)?)?;
    pending::forget_handshake(tx, room)?;
    let epoch = group.epoch().as_u64();
    let mut events = history::record(tx, room, epoch, timestamp, &before, &me, &items)?;
    events.push(ClientEvent::MembersChanged {
        room: room.to_owned(),
        epoch,
    });
    Ok(events)
}

/// Drops this client's pending commit after the hub refused it.
pub fn clear_pending(conn: &mut Connection, room: &str) -> Result<()> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    group
        .clear_pending_commit(provider.storage())
        .map_err(Error::mls)?;
    pending::forget_handshake(&tx, room)?;
    tx.commit()?;
    Ok(())
}

/// The proposals for leaving a room (POLICY §8.1 canRemoveSelf, PROTO §3.5): the participant-list
/// removal of this user, Removes of the user's other clients and a SelfRemove of this one (MLSEXT
/// §6.3). The leaver cannot commit its own removal: the hub keeps them for the next committer.
/// Returns the HandshakeBundle bytes.
pub fn leave_proposals(conn: &mut Connection, id: &Identity, room: &str) -> Result<Vec<u8>> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    let state = state_of(&group, &id.trust)?;
    if let policy::Decision::Denied { rule, reason } =
        policy::decide_action(&state, &id.user, &policy::Action::Leave)
    {
        return Err(Error::NotAllowed {
            rule: rule.to_owned(),
            reason,
        });
    }
    let mut messages = Vec::new();
    if let Some(index) = state.participants.index_of(&id.user.to_bytes()) {
        let update = ParticipantListUpdate {
            removed_indices: vec![index as u32],
            ..Default::default()
        };
        let (m, _) = group
            .propose_app_data_update(
                &provider,
                &id.signer,
                ids::PARTICIPANT_LIST,
                AppDataUpdateOperation::Update(update.to_bytes().into()),
            )
            .map_err(Error::mls)?;
        messages.push(m.to_bytes().map_err(Error::mls)?);
    }
    let others: Vec<LeafNodeIndex> = group
        .members()
        .filter(|m| m.index != group.own_leaf_index())
        .filter_map(|m| {
            let who = id.trust.identify(&m.credential, &m.signature_key).ok()?;
            (who.user == id.user).then_some(m.index)
        })
        .collect();
    for leaf in others {
        let (m, _) = group
            .propose_remove_member(&provider, &id.signer, leaf)
            .map_err(Error::mls)?;
        messages.push(m.to_bytes().map_err(Error::mls)?);
    }
    let m = group
        .leave_group_via_self_remove(&provider, &id.signer)
        .map_err(Error::mls)?;
    messages.push(m.to_bytes().map_err(Error::mls)?);
    // The proposals are not kept: the room is forgotten once the hub accepted them.
    drop(tx);
    let mut messages = messages
        .into_iter()
        .map(|m| Inline::from_bytes(m, "proposal"))
        .collect::<Result<Vec<_>, _>>()?;
    let first = messages.remove(0);
    let handshake = HandshakeBundle::Proposal {
        proposal: first,
        more_proposals: messages,
    };
    let out = encode(&handshake);
    // Kept until the hub answered: sent again as it is if the answer is lost (RELIABILITY.md).
    let epoch = group.epoch().as_u64();
    drop(group);
    pending::save_handshake(
        conn,
        room,
        HandshakeKind::Leave,
        &handshake.key(),
        &out,
        epoch,
    )?;
    Ok(out)
}

/// A SelfRemove of this client alone (MLSEXT §6.3, POLICY canRemoveOwnClient): the device
/// leaves, its user stays. Returns the HandshakeBundle bytes; nothing is kept.
pub fn self_remove_proposal(conn: &mut Connection, id: &Identity, room: &str) -> Result<Vec<u8>> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    let m = group
        .leave_group_via_self_remove(&provider, &id.signer)
        .map_err(Error::mls)?;
    let proposal = Inline::from_bytes(m.to_bytes().map_err(Error::mls)?, "proposal")?;
    drop(tx);
    Ok(encode(&HandshakeBundle::Proposal {
        proposal,
        more_proposals: Vec::new(),
    }))
}

/// Marks a room left and deletes its MLS state (forward secrecy); messages stay readable.
pub fn mark_left(conn: &mut Connection, room: &str) -> Result<()> {
    let tx = conn.transaction()?;
    delete_group(&tx, room)?;
    pending::forget_handshake(&tx, room)?;
    tx.execute(
        "UPDATE rooms SET left_at = ?2 WHERE uri = ?1",
        params![room, now_ms() as i64],
    )?;
    tx.commit()?;
    Ok(())
}
