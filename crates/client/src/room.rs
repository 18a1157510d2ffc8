//! The per-room MLS engine: everything that touches an `MlsGroup`, done synchronously on one
//! SQLite connection so that the caller can wrap it in a transaction. Incoming handshakes go
//! process → stage → [`mimi::policy`] → merge, and the merge, the room rows and the timeline rows
//! commit together (DESIGN "The core is pure", STYLE "Process → stage → check policy → merge").

use mimi::components::RoomMetaData;
use mimi::content::{MimiContent, message_id};
use mimi::credential::ClientIdentity;
use mimi::ids::ROOM_METADATA;
use mimi::policy::{self, RoomState};
use mimi::room::{Change, ProposedChange, Roster, Trust, commit_changes, proposal_change};
use mimi::uri::{RoomUri, UserUri};
use mimi::wire::{
    ClientMaterial, FanoutExtra, FanoutMessage, GroupInfoOption, HandshakeBundle, IdentifierUri,
    Inline, KeyMaterialResponse, MlsMessage, Protocol, RatchetTreeOption, SubmitMessageRequest,
    encode,
};
use openmls::extensions::{AppDataDictionary, AppDataDictionaryExtension};
use openmls::prelude::{
    Extension, Extensions, GroupId, KeyPackage, KeyPackageIn, LeafNodeIndex, MlsGroup,
    MlsMessageBodyIn, ProcessedMessageContent, ProtocolVersion, Sender, StagedWelcome,
};
use openmls_traits::OpenMlsProvider as _;
use rusqlite::{Connection, params};
use serde::Serialize;
use tls_codec::Serialize as _;

use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::identity::{self, Identity};
use crate::store::{self, Message, Provider, RoomInfo, now_ms};

struct GroupRoster<'a> {
    group: &'a MlsGroup,
    trust: &'a Trust,
}

impl Roster for GroupRoster<'_> {
    fn member(&self, leaf: LeafNodeIndex) -> Option<ClientIdentity> {
        self.group
            .members()
            .find(|m| m.index == leaf)
            .and_then(|m| self.trust.identify(&m.credential, &m.signature_key).ok())
    }
}

fn room_state(group: &MlsGroup, trust: &Trust) -> RoomState {
    RoomState {
        members: group
            .members()
            .filter_map(|m| trust.identify(&m.credential, &m.signature_key).ok())
            .collect(),
    }
}

/// Loads the MLS group of a room this client is in.
pub fn load_group(conn: &Connection, room: &str) -> Result<MlsGroup> {
    let gid = store::room_group(conn, room)?.ok_or_else(|| Error::UnknownRoom(room.to_owned()))?;
    MlsGroup::load(Provider::new(conn).storage(), &GroupId::from_slice(&gid))
        .map_err(Error::mls)?
        .ok_or_else(|| Error::Mls(format!("no MLS state for {room}")))
}

/// Creates the MLS group of a new room and its row; returns the GroupInfo and tree for the hub.
pub fn create(
    conn: &mut Connection,
    id: &Identity,
    room: &RoomUri,
    name: &str,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut dict = AppDataDictionary::new();
    dict.insert(
        ROOM_METADATA,
        RoomMetaData::named(&room.to_string(), name).to_bytes(),
    );
    let extensions = Extensions::from_vec(vec![
        Extension::RequiredCapabilities(identity::required_capabilities()),
        Extension::AppDataDictionary(AppDataDictionaryExtension::new(dict)),
    ])
    .map_err(Error::mls)?;
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let group = MlsGroup::new_with_group_id(
        &provider,
        &id.signer,
        &identity::create_config(extensions),
        GroupId::from_slice(&room.to_bytes()),
        id.credential_with_key(),
    )
    .map_err(Error::mls)?;
    let gi = group
        .export_group_info(provider.crypto(), &id.signer, false)
        .map_err(Error::mls)?
        .to_bytes()
        .map_err(Error::mls)?;
    let tree = group
        .export_ratchet_tree()
        .tls_serialize_detached()
        .map_err(Error::mls)?;
    tx.execute(
        "INSERT INTO rooms (uri, group_id, name, joined_at) VALUES (?1, ?2, ?3, ?4)",
        params![room.to_string(), room.to_bytes(), name, now_ms() as i64],
    )?;
    tx.commit()?;
    Ok((gi, tree))
}

/// Forgets a room entirely (its MLS state and its rows), e.g. when the hub refused to create it.
pub fn forget(conn: &mut Connection, room: &str) -> Result<()> {
    let tx = conn.transaction()?;
    if let Some(gid) = store::room_group(&tx, room)? {
        let provider = Provider::new(&tx);
        if let Some(mut g) =
            MlsGroup::load(provider.storage(), &GroupId::from_slice(&gid)).map_err(Error::mls)?
        {
            g.delete(provider.storage()).map_err(Error::mls)?;
        }
    }
    tx.execute("DELETE FROM messages WHERE room_uri = ?1", [room])?;
    tx.execute("DELETE FROM rooms WHERE uri = ?1", [room])?;
    tx.commit()?;
    Ok(())
}

/// Checks the KeyPackages the hub handed out for `user`: each must verify and carry a credential
/// of one of that user's clients.
pub fn validate_key_material(
    resp: &KeyMaterialResponse,
    user: &UserUri,
    trust: &Trust,
) -> Result<Vec<(ClientIdentity, KeyPackage)>> {
    let crypto = openmls_rust_crypto::RustCrypto::default();
    let mut out = Vec::new();
    for c in &resp.clients {
        if let ClientMaterial::Success(kp) = &c.status {
            let kp: KeyPackageIn = kp.parse("KeyPackage")?;
            let kp = kp.validate(&crypto, ProtocolVersion::Mls10).map_err(|e| {
                Error::Mls(format!("the hub handed out an invalid KeyPackage: {e}"))
            })?;
            let leaf = kp.leaf_node();
            let who = trust.identify(leaf.credential(), leaf.signature_key().as_slice())?;
            if &who.user != user {
                return Err(Error::Mls(format!(
                    "the hub handed out a KeyPackage of {} for {user}",
                    who.user
                )));
            }
            out.push((who, kp));
        }
    }
    Ok(out)
}

/// Stages a commit adding `adds` (and any pending proposals); returns the HandshakeBundle bytes.
/// KeyPackages of clients already in the room are skipped; `None` if there is nothing to commit.
pub fn stage_commit(
    conn: &mut Connection,
    id: &Identity,
    room: &str,
    adds: &[(ClientIdentity, KeyPackage)],
) -> Result<Option<Vec<u8>>> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    let state = room_state(&group, &id.trust);
    let adds: Vec<_> = adds
        .iter()
        .filter(|(who, _)| !state.members.iter().any(|m| m.client == who.client))
        .collect();
    if adds.is_empty() && group.pending_proposals().next().is_none() {
        return Ok(None);
    }
    let me = ClientIdentity {
        client: id.client.clone(),
        user: id.user.clone(),
    };
    // Ask the policy engine before asking the hub (the hub asks it again).
    for (who, _) in &adds {
        policy::decide(
            &state,
            &ProposedChange {
                proposer: Some(me.clone()),
                change: Change::Add(who.clone()),
            },
        )
        .into_result()
        .map_err(|(rule, reason)| Error::NotAllowed(format!("{reason} ({rule})")))?;
    }
    let bundle = group
        .commit_builder()
        .propose_adds(adds.iter().map(|(_, kp)| kp.clone()))
        .load_psks(provider.storage())
        .map_err(Error::mls)?
        .create_group_info(true)
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
    let gi = bundle
        .group_info()
        .ok_or_else(|| Error::Mls("OpenMLS made no GroupInfo".into()))?
        .tls_serialize_detached()
        .map_err(Error::mls)?;
    let out = encode(&HandshakeBundle::Commit {
        commit,
        welcome,
        group_info: GroupInfoOption(Inline::from_bytes(gi, "GroupInfo")?),
        ratchet_tree: RatchetTreeOption::DistributionService,
    });
    tx.commit()?;
    Ok(Some(out))
}

/// Merges this client's pending commit after the hub accepted it.
pub fn merge_pending(conn: &mut Connection, room: &str) -> Result<ClientEvent> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    group.merge_pending_commit(&provider).map_err(Error::mls)?;
    let epoch = group.epoch().as_u64();
    tx.commit()?;
    Ok(ClientEvent::MembersChanged {
        room: room.to_owned(),
        epoch,
    })
}

/// Drops this client's pending commit after the hub refused it.
pub fn clear_pending(conn: &mut Connection, room: &str) -> Result<()> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    group
        .clear_pending_commit(provider.storage())
        .map_err(Error::mls)?;
    tx.commit()?;
    Ok(())
}

/// Encrypts MIMI content for a room; returns the SubmitMessageRequest bytes.
pub fn encrypt(
    conn: &mut Connection,
    id: &Identity,
    room: &str,
    content: &[u8],
) -> Result<Vec<u8>> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    let msg = group
        .create_message(&provider, &id.signer, content)
        .map_err(Error::mls)?
        .to_bytes()
        .map_err(Error::mls)?;
    let req = SubmitMessageRequest {
        protocol: Protocol::Mls10,
        app_message: Inline::from_bytes(msg, "MLSMessage")?,
        sending_uri: IdentifierUri::new(&id.user),
    };
    tx.commit()?;
    Ok(encode(&req))
}

/// A SelfRemove proposal for leaving a room (MLSEXT §6.3); returns the HandshakeBundle bytes.
pub fn leave_proposal(conn: &mut Connection, id: &Identity, room: &str) -> Result<Vec<u8>> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    let p = group
        .leave_group_via_self_remove(&provider, &id.signer)
        .map_err(Error::mls)?
        .to_bytes()
        .map_err(Error::mls)?;
    // The proposal is not kept: the room is forgotten once the hub accepted it.
    drop(tx);
    Ok(encode(&HandshakeBundle::Proposal {
        proposal: Inline::from_bytes(p, "proposal")?,
        more_proposals: vec![],
    }))
}

/// Marks a room left and deletes its MLS state (forward secrecy); messages stay readable.
pub fn mark_left(conn: &mut Connection, room: &str) -> Result<()> {
    let tx = conn.transaction()?;
    if let Some(gid) = store::room_group(&tx, room)? {
        let provider = Provider::new(&tx);
        if let Some(mut g) =
            MlsGroup::load(provider.storage(), &GroupId::from_slice(&gid)).map_err(Error::mls)?
        {
            g.delete(provider.storage()).map_err(Error::mls)?;
        }
    }
    tx.execute(
        "UPDATE rooms SET left_at = ?2 WHERE uri = ?1",
        params![room, now_ms() as i64],
    )?;
    tx.commit()?;
    Ok(())
}

/// A member as listed to users: a user and its clients in the room.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MemberInfo {
    /// The user URI.
    pub user: String,
    /// Its client URIs in the room.
    pub clients: Vec<String>,
}

/// The members of a room, by user.
pub fn members(conn: &Connection, id: &Identity, room: &str) -> Result<Vec<MemberInfo>> {
    let group = load_group(conn, room)?;
    let mut out: Vec<MemberInfo> = Vec::new();
    for m in room_state(&group, &id.trust).members {
        let user = m.user.to_string();
        match out.iter_mut().find(|x| x.user == user) {
            Some(x) => x.clients.push(m.client.to_string()),
            None => out.push(MemberInfo {
                user,
                clients: vec![m.client.to_string()],
            }),
        }
    }
    out.sort_by(|a, b| a.user.cmp(&b.user));
    Ok(out)
}

/// What processing one queue entry did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Events to publish once the transaction committed.
    pub events: Vec<ClientEvent>,
    /// A Welcome consumed one of our KeyPackages.
    pub joined: bool,
    /// A room that now holds proposals someone must commit.
    pub proposals_in: Option<String>,
}

fn dropped(room: Option<&str>, reason: impl Into<String>) -> Outcome {
    let reason = reason.into();
    tracing::warn!(?room, %reason, "dropped an incoming message");
    Outcome {
        events: vec![ClientEvent::Dropped {
            room: room.map(str::to_owned),
            reason,
        }],
        ..Default::default()
    }
}

/// Processes one FanoutMessage. Everything it writes goes through `tx`; a message that cannot be
/// used is dropped with a [`ClientEvent::Dropped`], never retried forever.
pub fn process_fanout(
    tx: &Connection,
    id: &Identity,
    room: Option<&str>,
    data: &[u8],
) -> Result<Outcome> {
    let fanout: FanoutMessage = match mimi::wire::decode(data, "FanoutMessage") {
        Ok(f) => f,
        Err(e) => return Ok(dropped(room, e.to_string())),
    };
    match fanout.extra {
        FanoutExtra::Welcome { ratchet_tree } => join(tx, id, &fanout.message, ratchet_tree),
        _ => {
            let Some(room) = room else {
                return Ok(dropped(None, "a room message without a room"));
            };
            if store::room_group(tx, room)?.is_none() {
                // Left or never joined: nothing to do.
                return Ok(Outcome::default());
            }
            on_room_message(tx, id, room, fanout.timestamp, &fanout.message)
        }
    }
}

fn join(
    tx: &Connection,
    id: &Identity,
    message: &MlsMessage,
    tree: RatchetTreeOption,
) -> Result<Outcome> {
    let welcome = match message.parse("Welcome")?.extract() {
        MlsMessageBodyIn::Welcome(w) => w,
        _ => return Ok(dropped(None, "a Welcome fan-out without a Welcome")),
    };
    let RatchetTreeOption::Full(tree) = tree else {
        return Ok(dropped(None, "a Welcome without a ratchet tree"));
    };
    let provider = Provider::new(tx);
    let staged = match StagedWelcome::new_from_welcome(
        &provider,
        &identity::join_config(),
        welcome,
        Some(tree.parse("ratchet tree")?),
    ) {
        Ok(s) => s,
        Err(e) => return Ok(dropped(None, format!("cannot join: {e}"))),
    };
    // Every leaf must carry a credential our provider issued (OpenMLS does not check them).
    for m in staged.members() {
        if let Err(e) = id.trust.identify(&m.credential, &m.signature_key) {
            return Ok(dropped(None, format!("refused to join: a member's {e}")));
        }
    }
    let group = staged.into_group(&provider).map_err(Error::mls)?;
    let uri = String::from_utf8_lossy(group.group_id().as_slice()).into_owned();
    if RoomUri::parse(&uri).is_err() {
        let mut group = group;
        group.delete(provider.storage()).map_err(Error::mls)?;
        return Ok(dropped(
            None,
            format!("refused to join: {uri:?} is not a room URI"),
        ));
    }
    let name = group
        .extensions()
        .app_data_dictionary()
        .and_then(|d| d.dictionary().get(&ROOM_METADATA).map(<[u8]>::to_vec))
        .and_then(|b| RoomMetaData::from_bytes(&b).ok())
        .map(|m| m.name())
        .unwrap_or_default();
    tx.execute(
        "INSERT INTO rooms (uri, group_id, name, joined_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(uri) DO UPDATE SET name = excluded.name, joined_at = excluded.joined_at, left_at = NULL",
        params![uri, group.group_id().as_slice(), name, now_ms() as i64],
    )?;
    Ok(Outcome {
        events: vec![ClientEvent::RoomJoined(RoomInfo { uri, name })],
        joined: true,
        proposals_in: None,
    })
}

fn on_room_message(
    tx: &Connection,
    id: &Identity,
    room: &str,
    timestamp: u64,
    message: &MlsMessage,
) -> Result<Outcome> {
    let provider = Provider::new(tx);
    let mut group = load_group(tx, room)?;
    let msg = message.parse("MLSMessage")?.try_into_protocol_message();
    let Ok(msg) = msg else {
        return Ok(dropped(Some(room), "not a protocol message"));
    };
    if msg.epoch() < group.epoch() && msg.is_handshake_message() {
        // A handshake for an epoch we are past: stale, e.g. our own commit echoed back.
        return Ok(Outcome::default());
    }
    let processed = match group.process_message(&provider, msg) {
        Ok(p) => p,
        Err(e) => return Ok(dropped(Some(room), format!("cannot process: {e}"))),
    };
    let sender = processed.sender().clone();
    let roster = GroupRoster {
        group: &group,
        trust: &id.trust,
    };
    let sender_id = match &sender {
        Sender::Member(leaf) => roster.member(*leaf),
        _ => None,
    };
    match processed.into_content() {
        ProcessedMessageContent::ApplicationMessage(app) => {
            let Some(who) = sender_id else {
                return Ok(dropped(
                    Some(room),
                    "an application message from a non-member",
                ));
            };
            let bytes = app.into_bytes();
            let content = match MimiContent::decode(&bytes) {
                Ok(c) => c,
                Err(e) => return Ok(dropped(Some(room), format!("bad content: {e}"))),
            };
            // CONTENT §6.4 / PROTO §5.4: the content must name the sender's user and this room.
            if content.sender_uri.as_deref() != Some(&who.user.to_string())
                || content.room_uri.as_deref() != Some(room)
            {
                return Ok(dropped(
                    Some(room),
                    "the content's sender or room does not match the MLS sender and group",
                ));
            }
            let mid = message_id(&who.user.to_string(), room, &bytes, &content.salt);
            let m = Message {
                room: room.to_owned(),
                id: mid.to_string(),
                sender: who.user.to_string(),
                sender_client: who.client.to_string(),
                text: content.text_body(),
                timestamp,
            };
            if !store::insert_message(tx, &m, &bytes)? {
                return Ok(dropped(Some(room), "duplicate message ID"));
            }
            Ok(Outcome {
                events: vec![ClientEvent::Message(m)],
                ..Default::default()
            })
        }
        ProcessedMessageContent::ProposalMessage(qp) => {
            let change = proposal_change(&qp, sender_id.as_ref(), &roster, &id.trust)?;
            if let Err((rule, reason)) =
                policy::decide(&room_state(&group, &id.trust), &change).into_result()
            {
                return Ok(dropped(
                    Some(room),
                    format!("proposal refused: {reason} ({rule})"),
                ));
            }
            group
                .store_pending_proposal(provider.storage(), *qp)
                .map_err(Error::mls)?;
            Ok(Outcome {
                proposals_in: Some(room.to_owned()),
                ..Default::default()
            })
        }
        ProcessedMessageContent::StagedCommitMessage(staged) => {
            let Some(committer) = sender_id else {
                return Ok(dropped(Some(room), "a commit from a non-member"));
            };
            let changes = match commit_changes(&staged, &committer, &roster, &id.trust) {
                Ok(c) => c,
                Err(e) => return Ok(dropped(Some(room), format!("commit refused: {e}"))),
            };
            // Never merge before the policy engine said yes, even if the hub accepted it.
            if let Err((rule, reason)) =
                policy::decide_all(&room_state(&group, &id.trust), &changes).into_result()
            {
                return Ok(dropped(
                    Some(room),
                    format!("commit refused: {reason} ({rule})"),
                ));
            }
            let removed_me = staged.self_removed();
            group
                .merge_staged_commit(&provider, *staged)
                .map_err(Error::mls)?;
            if removed_me {
                group.delete(provider.storage()).map_err(Error::mls)?;
                tx.execute(
                    "UPDATE rooms SET left_at = ?2 WHERE uri = ?1",
                    params![room, now_ms() as i64],
                )?;
                return Ok(Outcome {
                    events: vec![ClientEvent::RoomLeft {
                        room: room.to_owned(),
                    }],
                    ..Default::default()
                });
            }
            Ok(Outcome {
                events: vec![ClientEvent::MembersChanged {
                    room: room.to_owned(),
                    epoch: group.epoch().as_u64(),
                }],
                ..Default::default()
            })
        }
        ProcessedMessageContent::OwnPendingCommit => {
            group.merge_pending_commit(&provider).map_err(Error::mls)?;
            Ok(Outcome::default())
        }
        _ => Ok(dropped(Some(room), "an unsupported message kind")),
    }
}

/// Stores a message this client sent, once the hub accepted it.
pub fn store_sent(tx: &Connection, m: &Message, content: &[u8]) -> Result<()> {
    store::insert_message(tx, m, content)?;
    Ok(())
}
