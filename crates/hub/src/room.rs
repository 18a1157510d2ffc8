//! The hub role for the rooms this hub owns (PROTO §4.3, §5.3–§5.5).
//!
//! Every handshake goes: decode → membership and epoch checks → `PublicGroup::process_message`
//! → [`mimi::room`] names who changes → [`mimi::policy`] decides → the committer's GroupInfo must
//! be signed by it and match the staged group context (the hub cannot check confirmation tags;
//! `specs/openmls.md` §5) → merge → queue the fan-out. All of it in one SQLite transaction: a
//! refusal at any step leaves the stored state as it was. The first valid commit for an epoch wins;
//! a later one for the same epoch gets `wrongEpoch` with the current epoch.

use mimi::credential::ClientIdentity;
use mimi::franking::{FrankAad, ServerFrankingContext};
use mimi::identity::Trust;
use mimi::policy::{self, Action, Decision, Denied, Item, PolicyState};
use mimi::room::{
    Roster, check_leaf_kind, check_proposal, commit_items, policy_state, proposal_item,
    resolve_app_data,
};
use mimi::uri::RoomUri;
use mimi::wire::{
    FanoutExtra, FanoutMessage, HandshakeBundle, Inline, MessageKind, MlsMessage,
    RatchetTreeOption, SubmitMessageRequest, SubmitMessageResponse, decode, encode,
};
use openmls::group::ProposalStore;
use openmls::messages::group_info::VerifiableGroupInfo;
use openmls::prelude::{
    ExternalSender, GroupId, LeafNodeIndex, MlsMessageBodyIn, MlsMessageIn,
    OpenMlsSignaturePublicKey, ProcessedMessageContent, ProtocolMessage, PublicGroup,
    RatchetTreeIn, Sender, SignatureScheme, Verifiable as _,
};
use openmls_traits::OpenMlsProvider as _;
use rusqlite::{Connection, OptionalExtension, params};
use tls_codec::{Deserialize as _, Serialize as _};

use crate::epochs;
use crate::error::{Error, Result};
use crate::principal::Principal;
use crate::proposals;
use crate::pseudonyms;
use crate::reconcile;
use crate::store::{self, MemberRow, Provider, RoomRow, now_ms};

/// What an accepted handshake reports back.
#[derive(Debug)]
pub struct Accepted {
    /// Hub acceptance time, ms.
    pub timestamp: u64,
    /// The room's epoch after it.
    pub epoch: u64,
    /// Clients whose queues got something.
    pub wake: Vec<String>,
}

struct HubRoster<'a> {
    group: &'a PublicGroup,
    trust: &'a Trust,
}

impl Roster for HubRoster<'_> {
    fn member(&self, leaf: LeafNodeIndex) -> Option<ClientIdentity> {
        let l = self.group.leaf(leaf)?;
        self.trust
            .identify(l.credential(), l.signature_key().as_slice())
            .ok()
    }
}

fn identities(group: &PublicGroup, trust: &Trust) -> Vec<(ClientIdentity, u32)> {
    group
        .members()
        .filter_map(|m| {
            trust
                .identify(&m.credential, &m.signature_key)
                .ok()
                .map(|id| (id, m.index.u32()))
        })
        .collect()
}

fn member_rows(group: &PublicGroup, trust: &Trust) -> Result<Vec<MemberRow>> {
    let state = state_of(group, trust)?;
    // Sending and receiving depend on the role alone: ask the engine once per role, not once per
    // member (each decision takes a census of the room; BENCHMARKS.md, P3).
    let mut by_role: std::collections::HashMap<u32, (bool, bool)> = Default::default();
    let mut may = |user: &mimi::uri::UserUri| {
        *by_role.entry(state.role_of(user)).or_insert_with(|| {
            let ask = |a: Action| policy::decide_action(&state, user, &a) == Decision::Allowed;
            (ask(Action::SendMessage), ask(Action::ReceiveMessage))
        })
    };
    Ok(identities(group, trust)
        .into_iter()
        .map(|(id, leaf)| {
            let (can_send, can_receive) = may(&id.user);
            MemberRow {
                can_send,
                can_receive,
                client: id.client.to_string(),
                user: id.user.to_string(),
                leaf,
            }
        })
        .collect())
}

fn state_of(group: &PublicGroup, trust: &Trust) -> Result<PolicyState> {
    policy_state(
        group
            .group_context()
            .extensions()
            .app_data_dictionary()
            .map(|d| d.dictionary()),
        identities(group, trust)
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    )
    .map_err(|e| Error::InvalidHandshake(format!("the room's components: {e}")))
}

fn load_group(provider: &Provider<'_>, room: &RoomRow) -> Result<PublicGroup> {
    PublicGroup::load(provider.storage(), &GroupId::from_slice(&room.group_id))
        .map_err(Error::internal)?
        .ok_or_else(|| Error::Internal(format!("no group state for {}", room.uri)))
}

fn require_room(conn: &Connection, room: &RoomUri) -> Result<RoomRow> {
    store::room(conn, &room.to_string())?
        .ok_or_else(|| Error::UnknownRoom(format!("no room {room} on this hub")))
}

fn require_member(conn: &Connection, room: &RoomUri, auth: &Principal) -> Result<()> {
    if store::is_member(conn, &room.to_string(), &auth.client.to_string())? {
        Ok(())
    } else {
        Err(Error::NotMember(format!(
            "{} is not a member of {room}",
            auth.client
        )))
    }
}

/// The leaf of a client joining a room (its creator, or an Add) names who it may.
///
/// In a pseudonymous room it must be a pseudonym this hub registered, with the same user
/// pseudonym: registration checked its form and that it names no account (PROTO §6.1), so no
/// leaf can carry an account's client into the room's fan-out. In any room, a user who blocked
/// the adder is not added by them.
fn check_joiner(
    conn: &Connection,
    joiner: &ClientIdentity,
    adder: &ClientIdentity,
    pseudonymous: bool,
) -> Result<()> {
    if pseudonymous {
        let user: Option<String> = conn
            .prepare_cached("SELECT user_uri FROM pseudonyms WHERE client_uri = ?1")?
            .query_row([joiner.client.to_string()], |r| r.get(0))
            .optional()?;
        if user.as_deref() != Some(joiner.user.to_string().as_str()) {
            return Err(Error::NotYourIdentity(format!(
                "{} ({}) is not a pseudonym registered at this hub: a pseudonymous room takes no other leaf",
                joiner.client, joiner.user
            )));
        }
    } else {
        // SECURITY.md "Devices": a device its user's key did not approve, or one removed from
        // its account, joins no room (members check the approval themselves, too).
        let row: Option<(bool, bool)> = conn
            .prepare_cached(
                "SELECT c.approved != 0 OR u.user_key IS NULL, c.revoked_at IS NOT NULL
                 FROM clients c JOIN users u ON u.uri = c.user_uri WHERE c.uri = ?1",
            )?
            .query_row([joiner.client.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match row {
            Some((_, true)) => {
                return Err(Error::NotAllowed(format!(
                    "{} was removed from its account",
                    joiner.client
                )));
            }
            Some((false, false)) => {
                return Err(Error::NotApproved(format!(
                    "{} is not approved by {}'s user key",
                    joiner.client, joiner.user
                )));
            }
            // Approved, or a client of another provider (federation checks it there).
            _ => {}
        }
        if adder.user != joiner.user && crate::blocks::is_blocked(conn, &joiner.user, &adder.user)?
        {
            return Err(Error::NotAllowed(format!(
                "{} cannot be added by {}",
                joiner.user, adder.user
            )));
        }
    }
    Ok(())
}

fn deny(d: Denied) -> Error {
    Error::NotAllowed(format!("{} ({})", d.reason, d.rule))
}

/// Registers a new room from its creator's GroupInfo and ratchet tree.
pub fn create(
    conn: &mut Connection,
    trust: &Trust,
    hub: &crate::Inner,
    auth: &Principal,
    group_info: &[u8],
    tree: &[u8],
    identity_link: Option<&[u8]>,
) -> Result<RoomUri> {
    let vgi = match MlsMessageIn::tls_deserialize_exact(group_info)
        .map_err(|e| Error::MalformedBody(format!("group_info: {e}")))?
        .extract()
    {
        MlsMessageBodyIn::GroupInfo(g) => g,
        _ => return Err(Error::MalformedBody("group_info is not a GroupInfo".into())),
    };
    let vgi_bytes = vgi.tls_serialize_detached().map_err(Error::internal)?;
    let tree = RatchetTreeIn::tls_deserialize_exact(tree)
        .map_err(|e| Error::MalformedBody(format!("ratchet_tree: {e}")))?;
    let room = std::str::from_utf8(vgi.group_id().as_slice())
        .ok()
        .and_then(|s| RoomUri::parse(s).ok())
        .filter(|r| r.domain() == trust.domain)
        .ok_or_else(|| {
            Error::MalformedBody(format!(
                "the MLS group ID must be a room URI of this hub (mimi://{}/r/ID)",
                trust.domain
            ))
        })?;
    if vgi.epoch().as_u64() != 0 {
        return Err(Error::MalformedBody("a new room starts at epoch 0".into()));
    }
    if store::room(conn, &room.to_string())?.is_some() {
        return Err(Error::Conflict(
            "room_exists",
            format!("{room} already exists"),
        ));
    }
    let tx = conn.savepoint()?;
    let provider = Provider::new(&tx);
    let (group, _) = PublicGroup::from_external(
        provider.crypto(),
        provider.storage(),
        tree,
        vgi,
        ProposalStore::new(),
    )
    .map_err(|e| Error::InvalidHandshake(format!("GroupInfo and tree do not verify: {e}")))?;
    let members = identities(&group, trust);
    if members.len() != 1 || group.members().count() != 1 {
        return Err(Error::Forbidden(
            "a new room must hold exactly one member: the creating client".into(),
        ));
    }
    auth.require_client(&members[0].0.client, "the new room's only member")?;
    auth.require_user(&members[0].0.user, "the new room's only member")?;
    // The room's initial components must be a valid policy state that lists the creator.
    let state = state_of(&group, trust)?;
    state.validate().map_err(deny)?;
    // PROTO §6.1: the creator's leaf is of the room's kind, and a pseudonymous room stores the
    // creator's wrapped identity_link_key from the start (MIMIMI §4).
    let pseudonymous = state.base.pseudonyms_allowed;
    for m in group.members() {
        check_leaf_kind(&m.credential, pseudonymous)
            .map_err(|e| Error::NotAllowed(e.to_string()))?;
    }
    check_joiner(&tx, &members[0].0, &members[0].0, pseudonymous)?;
    if pseudonymous != identity_link.is_some() {
        return Err(Error::MalformedBody(if pseudonymous {
            "a pseudonymous room is created with its creator's wrapped identity_link_key (identity_link)".into()
        } else {
            "identity_link belongs to pseudonymous rooms only".into()
        }));
    }
    if state.role_of(&auth.user) == 0 {
        return Err(Error::NotAllowed(
            "the creator must be listed in the room's participant list (participant_list)".into(),
        ));
    }
    // PROTO §5.4.1: the room's franking agent must be this hub, with one of its franking keys;
    // PROTO §7.4: the hub must be the room's external sender (it proposes removals as enforcer).
    let context = group.group_context();
    let agent = context
        .extensions()
        .app_data_dictionary()
        .and_then(|d| {
            d.dictionary()
                .get(&mimi::ids::FRANKING_AGENT)
                .map(<[u8]>::to_vec)
        })
        .ok_or_else(|| {
            Error::NotAllowed("the room has no franking_agent component (PROTO §5.4.1)".into())
        })
        .and_then(|b| {
            mimi::franking::FrankingAgentData::from_bytes(&b)
                .map_err(|e| Error::MalformedBody(format!("franking_agent: {e}")))
        })?;
    let franking_key = agent.franking_signature_key.as_slice().to_vec();
    if hub.franking.by_public_key(&franking_key)?.is_none()
        || agent.credential != hub.hub_credential()
    {
        return Err(Error::NotAllowed(
            "the room's franking_agent is not this hub (fetch it from /v1/provider)".into(),
        ));
    }
    let hub_key = hub.provider_key.verifying_key().to_bytes();
    let me = ExternalSender::new(hub_key.to_vec().into(), hub.hub_credential());
    let listed = context
        .extensions()
        .external_senders()
        .is_some_and(|senders| senders.contains(&me));
    if !listed {
        return Err(Error::NotAllowed(
            "the hub must be the room's external sender (PROTO §7.4)".into(),
        ));
    }
    let now = now_ms();
    tx.execute(
        "INSERT INTO rooms (uri, group_id, creator, epoch, group_info, last_timestamp, created_at, franking_key)
         VALUES (?1, ?2, ?3, 0, ?4, 0, ?5, ?6)",
        params![
            room.to_string(),
            group.group_id().as_slice(),
            auth.client.to_string(),
            group_info,
            now as i64,
            franking_key
        ],
    )?;
    store::set_room_members(&tx, &room.to_string(), &member_rows(&group, trust)?)?;
    epochs::keep(&tx, &room.to_string(), 0, &vgi_bytes)?;
    if let Some(link) = identity_link {
        pseudonyms::store_links(
            &tx,
            &room.to_string(),
            &[(auth.client.to_string(), link.to_vec())],
        )?;
    }
    tx.commit()?;
    Ok(room)
}

/// MIMIMI §4.1 step 4: the wrapped identity_link_keys of the room's current leaves, for a member.
pub fn identity_links(
    conn: &Connection,
    auth: &Principal,
    room: &RoomUri,
) -> Result<Vec<(String, Vec<u8>)>> {
    require_room(conn, room)?;
    require_member(conn, room, auth)?;
    pseudonyms::links(conn, &room.to_string())
}

/// Queues a handshake's fan-out for every member client but `except` (its sender, if given)
/// and the `departing`; returns whom to wake.
fn fan_out(
    tx: &Connection,
    members: &[MemberRow],
    except: Option<&Principal>,
    departing: &std::collections::HashSet<String>,
    room: &str,
    fanout: &[u8],
) -> Result<Vec<String>> {
    let me = except.map(|a| a.client.to_string());
    let others: Vec<String> = members
        .iter()
        .filter(|m| Some(&m.client) != me.as_ref() && !departing.contains(&m.client))
        .map(|m| m.client.clone())
        .collect();
    store::queue::enqueue_shared(
        tx,
        others.iter().map(String::as_str),
        "fanout",
        Some(room),
        fanout,
    )?;
    Ok(others)
}

fn protocol_message(m: &MlsMessage) -> Result<ProtocolMessage> {
    m.parse("MLSMessage")
        .map_err(|e| Error::MalformedBody(e.to_string()))?
        .try_into_protocol_message()
        .map_err(|e| Error::MalformedBody(format!("not a protocol message: {e}")))
}

/// Checks group, epoch and sender of a handshake; returns the sender's identity.
fn check_handshake(
    msg: &ProtocolMessage,
    room: &RoomRow,
    roster: &HubRoster<'_>,
    auth: &Principal,
) -> Result<(ClientIdentity, LeafNodeIndex)> {
    if msg.group_id().as_slice() != room.group_id.as_slice() {
        return Err(Error::MalformedBody(
            "the handshake is for another MLS group".into(),
        ));
    }
    if msg.epoch().as_u64() != room.epoch {
        return Err(Error::WrongEpoch {
            epoch: room.epoch,
            message: format!(
                "the handshake is for epoch {}; catch up and retry",
                msg.epoch().as_u64()
            ),
        });
    }
    let ProtocolMessage::PublicMessage(pm) = msg else {
        return Err(Error::MalformedBody(
            "handshakes must be PublicMessage".into(),
        ));
    };
    let Sender::Member(leaf) = pm.sender() else {
        return Err(Error::NotAllowed(
            "only members may send handshakes to this room".into(),
        ));
    };
    let who = roster
        .member(*leaf)
        .ok_or_else(|| Error::InvalidHandshake(format!("no member at leaf {}", leaf.u32())))?;
    auth.require_client(&who.client, "the handshake's signer")?;
    auth.require_user(&who.user, "the handshake's signer")?;
    Ok((who, *leaf))
}

/// PROTO §5.3: validates and applies a HandshakeBundle.
pub fn update(
    conn: &mut Connection,
    trust: &Trust,
    enforce: bool,
    auth: &Principal,
    room: &RoomUri,
    body: &[u8],
) -> Result<Accepted> {
    // Authorization before parsing: a non-member learns nothing about what it sent.
    let row = require_room(conn, room)?;
    require_member(conn, room, auth)?;
    let bundle: HandshakeBundle =
        decode(body, "HandshakeBundle").map_err(|e| Error::MalformedBody(e.to_string()))?;
    // A retry of what this client already got accepted gets the original answer (RELIABILITY.md).
    let key = bundle.key();
    let kind = match &bundle {
        HandshakeBundle::Commit { .. } => reconcile::Kind::Commit,
        HandshakeBundle::Proposal { .. } => reconcile::Kind::Proposal,
    };
    if let Some(o) = reconcile::original(conn, &row.uri, &key, kind, auth)? {
        return Ok(Accepted {
            timestamp: o.timestamp,
            epoch: o.epoch,
            wake: Vec::new(),
        });
    }
    let tx = conn.savepoint()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&provider, &row)?;
    let before = member_rows(&group, trust)?;
    let accepted = match bundle {
        HandshakeBundle::Commit {
            commit,
            welcome,
            group_info,
            ratchet_tree: _,
        } => {
            let msg = protocol_message(&commit)?;
            let roster = HubRoster {
                group: &group,
                trust,
            };
            let (committer, leaf) = check_handshake(&msg, &row, &roster, auth)?;
            let processed = group
                .process_message(provider.crypto(), msg)
                .map_err(|e| Error::InvalidHandshake(format!("the commit is invalid: {e}")))?;
            // MLSEXT §4.7: the hub computes the new components with the same interpreter as
            // every member, then checks the GroupInfo below against the result.
            let processed = match processed.content() {
                ProcessedMessageContent::UnresolvedAppDataCommit(u) => {
                    let updates = resolve_app_data(
                        group.app_data_dictionary_updater(),
                        u.app_data_update_proposals(),
                    )
                    .map_err(deny)?;
                    group
                        .resolve_app_data_commit(provider.crypto(), processed, updates)
                        .map_err(|e| Error::InvalidHandshake(format!("cannot stage: {e}")))?
                }
                _ => processed,
            };
            let aad = processed.aad().to_vec();
            let ProcessedMessageContent::StagedCommitMessage(staged) = processed.into_content()
            else {
                return Err(Error::InvalidHandshake("not a commit".into()));
            };
            let state = state_of(&group, trust)?;
            let pseudonymous = state.base.pseudonyms_allowed;
            let items = commit_items(&staged, &committer, &roster, trust, pseudonymous)
                .map_err(|e| Error::InvalidHandshake(e.to_string()))?;
            for p in &items {
                if let Item::AddClient(id) = &p.item {
                    check_joiner(&tx, id, &committer, pseudonymous)?;
                }
            }
            // PROTO §3.5: a leave, or a removal the hub proposed and may make, is committed by
            // the next commit, not dropped by it.
            proposals::require_obliged(&group, &provider, &roster, trust, &state, &staged)?;
            // DESIGN: never merge before mimi::policy has said yes (POLICY; `specs/mimi.md` §2.8).
            if enforce {
                policy::check_commit(&state, &committer, &items).map_err(deny)?;
            }
            // MIMIMI §4.1 steps 2–3: a commit adding to a pseudonymous room carries the added
            // leaves' wrapped identity_link_keys in its AAD, in Add order; the hub keeps them.
            let new_links: Vec<(String, Vec<u8>)> = if pseudonymous {
                mimi::identity::added_identity_links(&staged, &aad)
                    .map_err(|e| {
                        Error::InvalidHandshake(format!(
                            "a commit adding to a pseudonymous room carries AddAAD with one wrapped identity_link_key per added leaf (MIMIMI §4.1): {e}"
                        ))
                    })?
                    .into_iter()
                    .map(|(client, wrapped)| (client.to_string(), wrapped.to_bytes()))
                    .collect()
            } else {
                Vec::new()
            };
            let key = staged
                .update_path_leaf_node()
                .map(|l| l.signature_key().clone())
                .or_else(|| group.leaf(leaf).map(|l| l.signature_key().clone()))
                .ok_or_else(|| Error::internal("committer leaf vanished"))?;
            let vgi: VerifiableGroupInfo = group_info
                .0
                .parse("GroupInfo")
                .map_err(|e| Error::MalformedBody(e.to_string()))?;
            let gi = vgi
                .verify(
                    provider.crypto(),
                    &OpenMlsSignaturePublicKey::from_signature_key(key, SignatureScheme::ED25519),
                )
                .map_err(|_| {
                    Error::InvalidHandshake("the GroupInfo is not signed by the committer".into())
                })?;
            if gi.group_context() != staged.group_context() {
                return Err(Error::InvalidHandshake(
                    "the GroupInfo's group context differs from the staged commit's".into(),
                ));
            }
            let added: Vec<String> = items
                .iter()
                .filter_map(|p| match &p.item {
                    Item::AddClient(id) => Some(id.client.to_string()),
                    _ => None,
                })
                .collect();
            if !added.is_empty() && welcome.is_none() {
                return Err(Error::InvalidHandshake(
                    "a commit that adds members needs a Welcome".into(),
                ));
            }
            group
                .merge_commit(provider.storage(), *staged)
                .map_err(Error::internal)?;
            proposals::committed(&tx, &row.uri)?;
            if pseudonymous {
                let gone: Vec<String> = items
                    .iter()
                    .filter_map(|p| match &p.item {
                        Item::RemoveClient(id) | Item::SelfRemove(id) => {
                            Some(id.client.to_string())
                        }
                        _ => None,
                    })
                    .collect();
                pseudonyms::forget_links(&tx, &row.uri, &gone)?;
                pseudonyms::store_links(&tx, &row.uri, &new_links)?;
            }
            let epoch = group.group_context().epoch().as_u64();
            tx.execute(
                "UPDATE rooms SET epoch = ?2, group_info = ?3 WHERE uri = ?1",
                params![row.uri, epoch as i64, group_info.0.as_bytes()],
            )?;
            epochs::keep(&tx, &row.uri, epoch, group_info.0.as_bytes())?;
            store::set_room_members(&tx, &row.uri, &member_rows(&group, trust)?)?;
            let timestamp = store::next_timestamp(&tx, &row)?;
            let fanout = encode(&FanoutMessage {
                timestamp,
                message: commit,
                extra: FanoutExtra::Commit {
                    external_proposals: vec![],
                },
            });
            // PROTO §5.5: removed clients also get the commit that removes them. The committer
            // gets it too: a committer whose answer was lost learns from its queue that the
            // commit was accepted (RELIABILITY.md).
            let mut wake = fan_out(&tx, &before, None, &Default::default(), &row.uri, &fanout)?;
            if let Some(w) = welcome {
                let tree = group
                    .export_ratchet_tree()
                    .tls_serialize_detached()
                    .map_err(Error::internal)?;
                let tree =
                    Inline::<RatchetTreeIn>::from_bytes(tree, "tree").map_err(Error::internal)?;
                let fanout = encode(&FanoutMessage {
                    timestamp,
                    message: MlsMessage::from_welcome(&w),
                    extra: FanoutExtra::Welcome {
                        ratchet_tree: RatchetTreeOption::Full(tree),
                    },
                });
                store::queue::enqueue_shared(
                    &tx,
                    added.iter().map(String::as_str),
                    "fanout",
                    Some(&row.uri),
                    &fanout,
                )?;
                wake.extend(added.iter().cloned());
            }
            Accepted {
                timestamp,
                epoch,
                wake,
            }
        }
        HandshakeBundle::Proposal {
            proposal,
            more_proposals,
        } => {
            let timestamp = store::next_timestamp(&tx, &row)?;
            for p in std::iter::once(&proposal).chain(more_proposals.iter()) {
                if p.kind().map_err(|e| Error::MalformedBody(e.to_string()))?
                    != MessageKind::Proposal
                {
                    return Err(Error::MalformedBody(
                        "moreProposals holds a non-proposal".into(),
                    ));
                }
                let msg = protocol_message(p)?;
                let roster = HubRoster {
                    group: &group,
                    trust,
                };
                let (sender, _) = check_handshake(&msg, &row, &roster, auth)?;
                let processed = group.process_message(provider.crypto(), msg).map_err(|e| {
                    Error::InvalidHandshake(format!("the proposal is invalid: {e}"))
                })?;
                let ProcessedMessageContent::ProposalMessage(qp) = processed.into_content() else {
                    return Err(Error::InvalidHandshake("not a proposal".into()));
                };
                // PROTO §7.1: who a leave or removal takes out gets nothing more from now on.
                let out = match qp.proposal() {
                    openmls::prelude::Proposal::SelfRemove => Some(sender.client.to_string()),
                    openmls::prelude::Proposal::Remove(r) => {
                        roster.member(r.removed()).map(|m| m.client.to_string())
                    }
                    _ => None,
                };
                if let Some(client) = &out {
                    proposals::mark_departing(&tx, &row.uri, [client.as_str()])?;
                }
                let proposed = proposal_item(&qp, Some(&sender), &roster, trust)
                    .map_err(|e| Error::InvalidHandshake(e.to_string()))?;
                if enforce {
                    check_proposal(&state_of(&group, trust)?, &proposed).map_err(deny)?;
                }
                group
                    .add_proposal(provider.storage(), *qp)
                    .map_err(Error::internal)?;
            }
            let fanout = encode(&FanoutMessage {
                timestamp,
                message: proposal,
                extra: FanoutExtra::Proposal { more_proposals },
            });
            let departing = proposals::departing(&tx, &row.uri)?;
            let wake = fan_out(&tx, &before, Some(auth), &departing, &row.uri, &fanout)?;
            Accepted {
                timestamp,
                epoch: row.epoch,
                wake,
            }
        }
    };
    let original = reconcile::Original {
        timestamp: accepted.timestamp,
        epoch: accepted.epoch,
        frank: None,
    };
    reconcile::remember(&tx, &row.uri, &key, kind, auth, row.epoch, &original)?;
    tx.commit()?;
    Ok(accepted)
}

/// PROTO §5.4: accepts an application message from a member and fans it out.
pub fn submit(
    conn: &mut Connection,
    hub: &crate::Inner,
    auth: &Principal,
    room: &RoomUri,
    body: &[u8],
) -> Result<(SubmitMessageResponse, Vec<String>)> {
    let row = require_room(conn, room)?;
    require_member(conn, room, auth)?;
    let req: SubmitMessageRequest =
        decode(body, "SubmitMessageRequest").map_err(|e| Error::MalformedBody(e.to_string()))?;
    let sending = req
        .sending_uri
        .as_str()
        .map_err(|e| Error::MalformedBody(e.to_string()))?;
    if sending != auth.user.to_string() {
        return Err(Error::NotYourIdentity(format!(
            "sendingUri {sending} is not your user {}",
            auth.user
        )));
    }
    if req
        .app_message
        .kind()
        .map_err(|e| Error::MalformedBody(e.to_string()))?
        != MessageKind::Application
    {
        return Err(Error::MalformedBody(
            "appMessage must be an application PrivateMessage".into(),
        ));
    }
    // A retry of a message already accepted gets its original frank; it is not fanned out
    // twice (RELIABILITY.md).
    let key = mimi::wire::message_key(&req.app_message);
    if let Some(o) = reconcile::original(conn, &row.uri, &key, reconcile::Kind::Message, auth)? {
        let frank = o
            .frank
            .map(|f| decode::<mimi::wire::Frank>(&f, "Frank"))
            .transpose()
            .map_err(Error::internal)?;
        return Ok((
            SubmitMessageResponse::Accepted {
                accepted_timestamp: o.timestamp,
                frank,
            },
            Vec::new(),
        ));
    }
    let msg = protocol_message(&req.app_message)?;
    if msg.group_id().as_slice() != row.group_id.as_slice() {
        return Err(Error::MalformedBody(
            "the message is for another MLS group".into(),
        ));
    }
    let epoch = msg.epoch().as_u64();
    if epoch < row.epoch {
        return Err(Error::EpochTooOld {
            epoch: row.epoch,
            message_epoch: epoch,
        });
    }
    if epoch > row.epoch {
        return Err(Error::NotAllowed(format!(
            "the message claims epoch {epoch}, but the room is at {}",
            row.epoch
        )));
    }
    let enforce = hub.enforce_policy();
    // PROTO §5.4.1.2: the franking tag travels as Safe AAD item frank_aad (0x0020).
    let ProtocolMessage::PrivateMessage(pm) = &msg else {
        return Err(Error::MalformedBody(
            "appMessage must be a PrivateMessage".into(),
        ));
    };
    let tag = mimi::franking::frank_aad_item(pm.aad())
        .ok_or_else(|| {
            Error::MalformedBody("the message carries no frank_aad (Safe AAD item 0x0020)".into())
        })
        .and_then(|b| {
            FrankAad::from_bytes(&b).map_err(|e| Error::MalformedBody(format!("frank_aad: {e}")))
        })?;
    let members = store::room_members(conn, &row.uri)?;
    // POLICY §8.3 canSendMessage, as the hub saw the role when it accepted the last change
    // (PROTO §7.1).
    if enforce
        && members
            .iter()
            .any(|m| m.client == auth.client.to_string() && !m.can_send)
    {
        return Err(Error::NotAllowed(format!(
            "{} may not send messages in {room}: the role has no canSendMessage",
            auth.user
        )));
    }
    let franking_key: Vec<u8> = conn.query_row(
        "SELECT franking_key FROM rooms WHERE uri = ?1",
        [&row.uri],
        |r| r.get(0),
    )?;
    let signer = hub
        .franking
        .by_public_key(&franking_key)?
        .ok_or_else(|| Error::Internal(format!("no franking key for {}", row.uri)))?;
    let tx = conn.savepoint()?;
    let timestamp = store::next_timestamp(&tx, &row)?;
    // PROTO §5.4.1.2: frank with the hub_key in force now and the room's signature key.
    let context = ServerFrankingContext::new(sending, &row.uri, timestamp);
    let frank = mimi::franking::frank(
        &hub.franking.at(timestamp)?.hub_key,
        &signer.signing_key,
        mimi::ids::CIPHERSUITE,
        &tag.franking_tag,
        &context,
    );
    let fanout = encode(&FanoutMessage {
        timestamp,
        message: req.app_message,
        extra: FanoutExtra::Application {
            frank: Some(frank.clone()),
        },
    });
    let mut wake = Vec::new();
    let departing = proposals::departing(&tx, &row.uri)?;
    for m in members
        .iter()
        .filter(|m| m.client != auth.client.to_string() && !departing.contains(&m.client))
    {
        // POLICY §8.3 canReceiveMessage: withheld, and counted for the operator. Handshakes
        // still reach these clients, so their MLS state stays in step.
        if enforce && !m.can_receive {
            store::count_withheld(&tx, &row.uri, &m.client)?;
            continue;
        }
        wake.push(m.client.clone());
    }
    store::queue::enqueue_shared(
        &tx,
        wake.iter().map(String::as_str),
        "fanout",
        Some(&row.uri),
        &fanout,
    )?;
    let original = reconcile::Original {
        timestamp,
        epoch,
        frank: Some(encode(&frank)),
    };
    reconcile::remember(
        &tx,
        &row.uri,
        &key,
        reconcile::Kind::Message,
        auth,
        epoch,
        &original,
    )?;
    tx.commit()?;
    Ok((
        SubmitMessageResponse::Accepted {
            accepted_timestamp: timestamp,
            frank: Some(frank),
        },
        wake,
    ))
}

/// `room`'s GroupInfo at `epoch`, for a member (a joiner checks what it joined against it).
pub fn group_info_at(
    conn: &Connection,
    auth: &Principal,
    room: &RoomUri,
    epoch: u64,
) -> Result<Vec<u8>> {
    let row = require_room(conn, room)?;
    require_member(conn, room, auth)?;
    epochs::at(conn, &row.uri, epoch)
}

/// Whether the hub accepted this principal's commit with hash `hash_hex` in `room`, and its
/// original answer (RELIABILITY.md).
pub fn commit_status(
    conn: &Connection,
    auth: &Principal,
    room: &RoomUri,
    hash_hex: &str,
) -> Result<reconcile::Original> {
    let row = require_room(conn, room)?;
    reconcile::commit_status(conn, &row.uri, hash_hex, auth)
}

/// Whether `user` may do `action` in `room` now, by the room's policy as the hub follows it.
pub fn may(
    conn: &Connection,
    trust: &Trust,
    room: &RoomUri,
    user: &mimi::uri::UserUri,
    action: &Action,
) -> Result<bool> {
    let row = require_room(conn, room)?;
    let provider = Provider::new(conn);
    let group = load_group(&provider, &row)?;
    let state = state_of(&group, trust)?;
    Ok(policy::decide_action(&state, user, action) == Decision::Allowed)
}
