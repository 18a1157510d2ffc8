//! The per-room MLS engine: everything that touches an `MlsGroup`, done synchronously on one
//! SQLite connection so that the caller can wrap it in a transaction. Incoming handshakes go
//! process → stage → [`mimi::policy`] → merge, and the merge, the room rows and the timeline rows
//! commit together (DESIGN "The core is pure", STYLE "Process → stage → check policy → merge").

use mimi::components::{ParticipantListUpdate, RoomMetaData};
use mimi::content::{MimiContent, message_id};
use mimi::credential::ClientIdentity;
use mimi::ids::{self, ROOM_METADATA};
use mimi::policy::{self, Item, PolicyState, Preset, Proposed};
use mimi::room::{
    Roster, Trust, check_proposal, commit_items, component_item, policy_state, proposal_item,
    resolve_app_data,
};
use mimi::uri::{ClientUri, RoomUri, UserUri};
use mimi::wire::{
    ClientMaterial, FanoutExtra, FanoutMessage, Frank, GroupInfoOption, HandshakeBundle,
    IdentifierUri, Inline, KeyMaterialResponse, MlsMessage, Protocol, RatchetTreeOption,
    SubmitMessageRequest, encode,
};
use openmls::extensions::{AppDataDictionary, AppDataDictionaryExtension};
use openmls::framing::{SafeAad, SafeAadItem};
use openmls::prelude::{
    AppDataUpdateOperation, AppDataUpdateProposal, Extension, Extensions, ExternalSender, GroupId,
    KeyPackage, KeyPackageIn, LeafNodeIndex, MlsGroup, MlsMessageBodyIn, ProcessedMessageContent,
    ProcessedWelcome, Proposal, ProtocolVersion, Sender, UnknownExtension,
};
use openmls_traits::OpenMlsProvider as _;
use rusqlite::{Connection, params};
use serde::Serialize;
use tls_codec::{DeserializeBytes as _, Serialize as _};

use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::history;
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

fn identities(group: &MlsGroup, trust: &Trust) -> Vec<ClientIdentity> {
    group
        .members()
        .filter_map(|m| trust.identify(&m.credential, &m.signature_key).ok())
        .collect()
}

/// The room's policy state as this client's group holds it.
pub fn state_of(group: &MlsGroup, trust: &Trust) -> Result<PolicyState> {
    Ok(policy_state(
        group
            .extensions()
            .app_data_dictionary()
            .map(|d| d.dictionary()),
        identities(group, trust),
    )?)
}

/// Keeps the room list's summary of a room (its preset and kind) in step with its state.
fn summarise(tx: &Connection, room: &str, state: &PolicyState) -> Result<()> {
    store::set_room_summary(
        tx,
        room,
        Preset::matching(&state.roles).map(Preset::name),
        state.base.pseudonyms_allowed,
    )
}

fn not_allowed(d: policy::Denied) -> Error {
    Error::NotAllowed {
        rule: d.rule.to_owned(),
        reason: d.reason,
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
/// What a new room needs from its hub (GET /v1/provider): the franking agent component and the
/// hub's external-sender key and credential.
pub struct HubParts {
    /// The `franking_agent` component (PROTO §5.4.1).
    pub franking_agent: Vec<u8>,
    /// The hub's signature key (its external-sender key, PROTO §7.4).
    pub signature_key: Vec<u8>,
    /// The hub's credential.
    pub credential: openmls::prelude::Credential,
}

pub fn create(
    conn: &mut Connection,
    id: &Identity,
    room: &RoomUri,
    name: &str,
    preset: Preset,
    hub: &HubParts,
    pseudonymous: bool,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let me = id.me();
    let metadata = RoomMetaData::named(&room.to_string(), name);
    let mut state = PolicyState::create(preset, &me, Some(metadata.clone()));
    // POLICY §5 / PROTO §6.1: a minimal-metadata room; `id` is then the creator's pseudonym.
    state.base.pseudonyms_allowed = pseudonymous;
    state.validate().map_err(not_allowed)?;
    // Room state lives in the GroupContext app_data_dictionary (DESIGN "Room state is MIMI
    // components"); `franking_agent` (0x0021) joins it with the franking issue.
    let mut dict = AppDataDictionary::new();
    dict.insert(ROOM_METADATA, metadata.to_bytes());
    dict.insert(ids::PARTICIPANT_LIST, state.participants.to_bytes());
    dict.insert(ids::ROLES_LIST, state.roles.to_bytes());
    dict.insert(ids::PREAUTH_LIST, state.preauth.to_bytes());
    dict.insert(ids::BASE_ROOM_POLICY, state.base.to_bytes());
    // Franking (PROTO §5.4.1): the hub franks every message, which carries frank_aad in the
    // SafeAAD layout (MLSEXT §4.9). Conclave does not list the `safe_aad` component that would
    // make OpenMLS demand that layout of every message: the hub's own external proposals
    // (OpenMLS 0.9 frames them with empty AAD) would then be malformed. The hub refuses
    // application messages without frank_aad, and receivers mark them unverified.
    mimi::franking::FrankingAgentData::from_bytes(&hub.franking_agent)?;
    dict.insert(ids::FRANKING_AGENT, hub.franking_agent.clone());
    let extensions = Extensions::from_vec(vec![
        Extension::RequiredCapabilities(identity::required_capabilities_for(pseudonymous)),
        Extension::AppDataDictionary(AppDataDictionaryExtension::new(dict)),
        // PROTO §7.4: the hub is the room's external sender (it proposes removals as enforcer).
        Extension::ExternalSenders(vec![ExternalSender::new(
            hub.signature_key.clone().into(),
            hub.credential.clone(),
        )]),
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
    summarise(&tx, &room.to_string(), &state)?;
    tx.commit()?;
    Ok((gi, tree))
}

/// Deletes a room's MLS state, if it has any (forward secrecy: the epoch secrets go).
fn delete_group(tx: &Connection, room: &str) -> Result<()> {
    if let Some(gid) = store::room_group(tx, room)? {
        let provider = Provider::new(tx);
        if let Some(mut g) =
            MlsGroup::load(provider.storage(), &GroupId::from_slice(&gid)).map_err(Error::mls)?
        {
            g.delete(provider.storage()).map_err(Error::mls)?;
        }
    }
    Ok(())
}

/// Forgets a room entirely (its MLS state and its rows), e.g. when the hub refused to create it.
pub fn forget(conn: &mut Connection, room: &str) -> Result<()> {
    let tx = conn.transaction()?;
    delete_group(&tx, room)?;
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
    let out = encode(&HandshakeBundle::Commit {
        commit,
        welcome,
        group_info: GroupInfoOption(Inline::from_bytes(gi, "GroupInfo")?),
        ratchet_tree: RatchetTreeOption::DistributionService,
    });
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
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
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
    summarise(&tx, room, &state_of(&group, &id.trust)?)?;
    let epoch = group.epoch().as_u64();
    let mut events = history::record(&tx, room, epoch, timestamp, &before, &me, &items)?;
    events.push(ClientEvent::MembersChanged {
        room: room.to_owned(),
        epoch,
    });
    tx.commit()?;
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
    tx.commit()?;
    Ok(())
}

/// Encrypts MIMI content for a room; returns the SubmitMessageRequest bytes and the room's
/// franking agent. With `precheck`, first asks the policy engine whether the local user may send
/// (POLICY §8.3 canSendMessage) and take each of the given actions (a reply's, reaction's, edit's
/// or delete's capability), on the same loaded group (one load per message).
/// `tagged` is what the franking tag covers: `content` itself, except in tests of a forging sender.
pub fn encrypt(
    conn: &mut Connection,
    id: &Identity,
    room: &str,
    content: &[u8],
    tagged: &[u8],
    salt: &[u8; 16],
    precheck: Option<&[policy::Action]>,
) -> Result<(Vec<u8>, Option<mimi::franking::FrankingAgentData>)> {
    let tx = conn.transaction()?;
    let provider = Provider::new(&tx);
    let mut group = load_group(&tx, room)?;
    if let Some(extra) = precheck {
        let state = state_of(&group, &id.trust)?;
        for action in std::iter::once(&policy::Action::SendMessage).chain(extra) {
            if let policy::Decision::Denied { rule, reason } =
                policy::decide_action(&state, &id.user, action)
            {
                return Err(Error::NotAllowed {
                    rule: rule.to_owned(),
                    reason,
                });
            }
        }
    }
    let agent = franking_agent(&group);
    // PROTO §5.4.1.1: franking_tag = HMAC-SHA256(salt, application_data), as Safe AAD 0x0020.
    let aad = mimi::franking::FrankAad {
        franking_tag: mimi::franking::franking_tag(salt, tagged),
    };
    let safe_aad = SafeAad::from_items(vec![SafeAadItem::new(ids::FRANK_AAD, aad.to_bytes())])
        .map_err(Error::mls)?
        .tls_serialize_detached()
        .map_err(Error::mls)?;
    group.set_aad(safe_aad);
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
    Ok((encode(&req), agent))
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
    Ok(encode(&HandshakeBundle::Proposal {
        proposal: first,
        more_proposals: messages,
    }))
}

/// Marks a room left and deletes its MLS state (forward secrecy); messages stay readable.
pub fn mark_left(conn: &mut Connection, room: &str) -> Result<()> {
    let tx = conn.transaction()?;
    delete_group(&tx, room)?;
    tx.execute(
        "UPDATE rooms SET left_at = ?2 WHERE uri = ?1",
        params![room, now_ms() as i64],
    )?;
    tx.commit()?;
    Ok(())
}

/// A member as listed to users: a listed user, its role and its clients in the room.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MemberInfo {
    /// The user URI.
    pub user: String,
    /// Its client URIs in the room (none for a kicked or banned user).
    pub clients: Vec<String>,
    /// Its role's name.
    pub role: String,
    /// Its role's index in `roles_list`.
    pub role_index: u32,
    /// Pseudonymous rooms (`user` is then a user pseudonym): the real user behind it, if every
    /// one of its clients resolved (`specs/mimi.md` §4.7).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real_user: Option<String>,
    /// Pseudonymous rooms: whether the pseudonym resolved to a real user; `None` elsewhere (and
    /// for a listed pseudonym with no client in the room).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Why the pseudonym is unverified: the first failed check's sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why it is unverified, as a stable code (`mimi::identity::Unresolved::code`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    /// Another member whose name looks like this one's (`mimi::display::confusable_with`): its
    /// verified real user, else its user URI. Both are marked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusable_with: Option<String>,
}

impl MemberInfo {
    /// The URI whose name the member is shown by: the verified real user, else the user.
    fn shown_as(&self) -> &str {
        match (&self.real_user, self.verified) {
            (Some(real), Some(true)) => real,
            _ => &self.user,
        }
    }
}

/// Marks the members whose shown names can be taken for one another.
fn mark_confusables(members: &mut [MemberInfo]) {
    let names: Vec<String> = members
        .iter()
        .map(|m| {
            UserUri::parse(m.shown_as())
                .map_or_else(|_| m.shown_as().to_owned(), |u| u.local().to_owned())
        })
        .collect();
    let others: Vec<Option<String>> = mimi::display::confusable_with(&names)
        .into_iter()
        .map(|j| j.map(|j| members[j].shown_as().to_owned()))
        .collect();
    for (m, other) in members.iter_mut().zip(others) {
        m.confusable_with = other;
    }
}

/// Whether a room is pseudonymous (its base policy's `pseudonyms_allowed`).
pub fn is_pseudonymous(conn: &Connection, id: &Identity, room: &str) -> Result<bool> {
    Ok(state_of(&load_group(conn, room)?, &id.trust)?
        .base
        .pseudonyms_allowed)
}

/// The client pseudonyms of a pseudonymous room's leaves.
pub fn leaf_pseudonyms(conn: &Connection, id: &Identity, room: &str) -> Result<Vec<ClientUri>> {
    Ok(identities(&load_group(conn, room)?, &id.trust)
        .into_iter()
        .map(|c| c.client)
        .collect())
}

/// The participants of a room in participant-list order, with their roles and clients; in a
/// pseudonymous room, with the real user each pseudonym resolves to (or why it does not).
pub fn members(conn: &Connection, id: &Identity, room: &str) -> Result<Vec<MemberInfo>> {
    let group = load_group(conn, room)?;
    let state = state_of(&group, &id.trust)?;
    let resolutions = if state.base.pseudonyms_allowed {
        let leaves: Vec<crate::pseudonymous::Leaf> = group
            .members()
            .map(|m| crate::pseudonymous::Leaf {
                credential: m.credential,
                signature_key: m.signature_key,
            })
            .collect();
        let participants: Vec<UserUri> = state
            .participants
            .participants
            .iter()
            .filter_map(|p| UserUri::from_bytes(p.user.as_slice()).ok())
            .collect();
        Some(crate::pseudonymous::resolve_room(
            conn,
            id,
            room,
            &leaves,
            &participants,
        )?)
    } else {
        None
    };
    let mut list: Vec<MemberInfo> = state
        .participants
        .participants
        .iter()
        .map(|p| {
            let user = String::from_utf8_lossy(p.user.as_slice()).into_owned();
            let mut m = MemberInfo {
                clients: state
                    .clients
                    .iter()
                    .filter(|c| c.user.to_string() == user)
                    .map(|c| c.client.to_string())
                    .collect(),
                user,
                role: state.role_name(p.role_index),
                role_index: p.role_index,
                real_user: None,
                verified: None,
                reason: None,
                reason_code: None,
                confusable_with: None,
            };
            if let Some(rs) = &resolutions {
                let mine: Vec<_> = rs
                    .iter()
                    .filter(|r| r.user_pseudonym().to_string() == m.user)
                    .collect();
                if let Some(first) = mine.first() {
                    match mine.iter().find_map(|r| r.reason()) {
                        Some(why) => {
                            m.verified = Some(false);
                            m.reason = Some(why.to_string());
                            m.reason_code = Some(why.code().to_owned());
                        }
                        None => {
                            m.verified = Some(true);
                            m.real_user = first.real().map(|r| r.user.to_string());
                        }
                    }
                }
            }
            m
        })
        .collect();
    mark_confusables(&mut list);
    Ok(list)
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

/// A handshake the policy engine refused: the room does not change (POLICY; DESIGN "two
/// enforcement points").
fn refused(room: &str, d: policy::Denied) -> Outcome {
    tracing::warn!(room, rule = d.rule, reason = %d.reason, "refused a handshake");
    Outcome {
        events: vec![ClientEvent::Refused {
            room: room.to_owned(),
            rule: d.rule.to_owned(),
            reason: d.reason,
        }],
        ..Default::default()
    }
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
            let frank = match &fanout.extra {
                FanoutExtra::Application { frank } => frank.as_ref(),
                _ => None,
            };
            let mut outcome =
                on_room_message(tx, id, room, fanout.timestamp, &fanout.message, frank)?;
            // PROTO §5.5: a proposal's fan-out carries the bundle's further proposals.
            if let FanoutExtra::Proposal { more_proposals } = &fanout.extra {
                for p in more_proposals {
                    let more = on_room_message(tx, id, room, fanout.timestamp, p, None)?;
                    outcome.events.extend(more.events);
                    outcome.proposals_in = outcome.proposals_in.or(more.proposals_in);
                }
            }
            Ok(outcome)
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
    let processed =
        match ProcessedWelcome::new_from_welcome(&provider, &identity::join_config(), welcome) {
            Ok(p) => p,
            Err(e) => return Ok(dropped(None, format!("cannot join: {e}"))),
        };
    // MIMIMI §4.1: a pseudonymous room's wrapper key rides in the Welcome's (encrypted) GroupInfo.
    // It is read before the GroupInfo's signature is checked, and kept only once the join
    // succeeded (`specs/openmls.md` §7.3).
    let wrapper = match processed
        .unverified_group_info()
        .extensions()
        .unknown(ids::IDENTITY_LINK_EXTENSION_TYPE)
        .map(|e| mimi::identity::IdentityLinkExtension::from_bytes(&e.0))
        .transpose()
    {
        Ok(w) => w,
        Err(e) => return Ok(dropped(None, format!("cannot join: {e}"))),
    };
    let staged = match processed.into_staged_welcome(&provider, Some(tree.parse("ratchet tree")?)) {
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
    // PROTO §6.1: every leaf of a pseudonymous room is pseudonymous and it has a wrapper key;
    // no leaf of another room is.
    let pseudonymous = state_of(&group, &id.trust)
        .map(|s| s.base.pseudonyms_allowed)
        .ok();
    let refusal = if RoomUri::parse(&uri).is_err() {
        Some(format!("{uri:?} is not a room URI"))
    } else if let Some(p) = pseudonymous {
        group
            .members()
            .find_map(|m| mimi::room::check_leaf_kind(&m.credential, p).err())
            .map(|e| e.to_string())
            .or_else(|| {
                (p && wrapper.is_none())
                    .then(|| "a pseudonymous room's Welcome without its wrapper key".to_owned())
            })
    } else {
        Some("the room's policy components do not decode".to_owned())
    };
    if let Some(reason) = refusal {
        let mut group = group;
        group.delete(provider.storage()).map_err(Error::mls)?;
        return Ok(dropped(None, format!("refused to join: {reason}")));
    }
    if let Some(w) = &wrapper {
        crate::pseudonymous::set_wrapper_key(tx, &uri, &w.identity_link_wrapper_key)?;
        // The pseudonym whose KeyPackage this Welcome consumed is now in this room.
        if let Some(me) = group.own_leaf_node().and_then(|l| {
            mimi::identity::identify_pseudonymous(l.credential(), l.signature_key().as_slice()).ok()
        }) {
            crate::pseudonymous::joined(tx, &me.client.to_string(), &uri)?;
        }
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
    let state = state_of(&group, &id.trust)?;
    summarise(tx, &uri, &state)?;
    let preset = Preset::matching(&state.roles).map(|p| p.name().to_owned());
    Ok(Outcome {
        events: vec![ClientEvent::RoomJoined(RoomInfo {
            uri,
            name,
            preset,
            pseudonymous: state.base.pseudonyms_allowed,
            unread: 0,
        })],
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
    frank: Option<&Frank>,
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
    // MLSEXT §4.7: a commit with AppDataUpdates is staged only once the shared interpreter has
    // computed the new components; a refusal there is a refusal of the commit.
    let processed = match processed.content() {
        ProcessedMessageContent::UnresolvedAppDataCommit(u) => {
            let updates = match resolve_app_data(
                group.app_data_dictionary_updater(),
                u.app_data_update_proposals(),
            ) {
                Ok(updates) => updates,
                Err(d) => return Ok(refused(room, d)),
            };
            match group.resolve_app_data_commit(&provider, processed, updates) {
                Ok(p) => p,
                Err(e) => return Ok(dropped(Some(room), format!("cannot stage: {e}"))),
            }
        }
        _ => processed,
    };
    let sender = processed.sender().clone();
    let aad = processed.aad().to_vec();
    let frank_aad = SafeAad::tls_deserialize_bytes(processed.aad())
        .ok()
        .and_then(|(aad, _)| aad.get(ids::FRANK_AAD).map(<[u8]>::to_vec));
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
            // POLICY §8.3: shown only if the local user could receive, and the sender could send,
            // in the state the hub accepted the message in (the queue is processed in hub order,
            // so the group is at that state now). Otherwise: not shown, not notified, not
            // searchable — only counted.
            let state = state_of(&group, &id.trust)?;
            let may = |user: &UserUri, a: policy::Action| {
                policy::decide_action(&state, user, &a) == policy::Decision::Allowed
            };
            if !may(&id.user, policy::Action::ReceiveMessage)
                || !may(&who.user, policy::Action::SendMessage)
            {
                store::count_hidden(tx, room)?;
                return Ok(Outcome::default());
            }
            let mid = message_id(&who.user.to_string(), room, &bytes, &content.salt);
            // POLICY §8.3, CONTENT §9.3: replies, reactions, edits and deletes need their own
            // capability, which only receivers can enforce; one the sender lacks is ignored.
            let effect = crate::content::Effect::of(tx, room, &content)?;
            let allowed = match effect.needs(&who.user.to_string()) {
                Ok(None) => Ok(()),
                Ok(Some(cap)) => {
                    match policy::decide_action(&state, &who.user, &policy::Action::Message(cap)) {
                        policy::Decision::Allowed => Ok(()),
                        policy::Decision::Denied { reason, .. } => Err(reason),
                    }
                }
                Err(reason) => Err(reason),
            };
            if let Err(reason) = allowed {
                return Ok(dropped(Some(room), format!("ignored: {reason}")));
            }
            // PROTO §5.4.1.3: a message whose frank fails is still shown, marked unverified, and
            // cannot be reported (Conclave's choice where the draft is open).
            let verified = verify_frank(
                franking_agent(&group).as_ref(),
                room,
                &who,
                &bytes,
                frank_aad.as_deref(),
                frank,
                timestamp,
            );
            if let Err(e) = &verified {
                tracing::warn!(room, error = %e, "a message's frank does not verify");
            }
            let mut m = Message::new(
                room,
                mid.to_string(),
                store::MessageKind::Message,
                who.user.to_string(),
                who.client.to_string(),
                content.text_body(),
                timestamp,
            );
            m.verified = verified.is_ok();
            let frank_bytes = frank.map(encode);
            match crate::content::store(tx, &m, &effect, &bytes, frank_bytes.as_deref())? {
                None => Ok(dropped(Some(room), "duplicate message ID")),
                Some(events) => Ok(Outcome {
                    events,
                    ..Default::default()
                }),
            }
        }
        ProcessedMessageContent::ProposalMessage(qp) => {
            let state = state_of(&group, &id.trust)?;
            let p = proposal_item(&qp, sender_id.as_ref(), &roster, &id.trust)?;
            // A member proposes only its own leaving; the hub, as preauthorized enforcer, may
            // propose what its role allows (judged as if this client committed it).
            let judged = match &p.by {
                Some(_) => check_proposal(&state, &p),
                None => {
                    // Judged as if committed by a member it does not remove (a client cannot
                    // commit its own removal, and need not: the next committer will).
                    let target = match &p.item {
                        Item::RemoveClient(c) => Some(c),
                        _ => None,
                    };
                    let committer = state
                        .clients
                        .iter()
                        .find(|c| Some(*c) != target)
                        .cloned()
                        .unwrap_or_else(|| id.me());
                    policy::check_commit(&state, &committer, std::slice::from_ref(&p)).map(|_| ())
                }
            };
            if let Err(d) = judged {
                return Ok(refused(room, d));
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
            let before = state_of(&group, &id.trust)?;
            let pseudonymous = before.base.pseudonyms_allowed;
            let items = match commit_items(&staged, &committer, &roster, &id.trust, pseudonymous)
                .map_err(|e| e.to_string())
                .and_then(|items| {
                    // MIMIMI §4.1: the wrapped keys of the added leaves, for resolving them.
                    let links = if pseudonymous {
                        mimi::identity::added_identity_links(&staged, &aad)
                            .map_err(|e| e.to_string())?
                    } else {
                        Vec::new()
                    };
                    Ok((items, links))
                }) {
                Ok(c) => c,
                Err(e) => {
                    return Ok(refused(
                        room,
                        policy::Denied {
                            rule: "credential",
                            reason: e.to_string(),
                        },
                    ));
                }
            };
            let (items, links) = items;
            // Never merge before the policy engine said yes, even if the hub accepted it.
            if let Err(d) = policy::check_commit(&before, &committer, &items) {
                return Ok(refused(room, d));
            }
            crate::pseudonymous::store_links(
                tx,
                room,
                &links
                    .into_iter()
                    .map(|(c, w)| (c.to_string(), w.to_bytes()))
                    .collect::<Vec<_>>(),
            )?;
            let removed_me = staged.self_removed();
            group
                .merge_staged_commit(&provider, *staged)
                .map_err(Error::mls)?;
            if !removed_me {
                summarise(tx, room, &state_of(&group, &id.trust)?)?;
            }
            let epoch = group.epoch().as_u64();
            let mut events =
                history::record(tx, room, epoch, timestamp, &before, &committer, &items)?;
            if removed_me {
                group.delete(provider.storage()).map_err(Error::mls)?;
                tx.execute(
                    "UPDATE rooms SET left_at = ?2 WHERE uri = ?1",
                    params![room, now_ms() as i64],
                )?;
                events.push(ClientEvent::RoomLeft {
                    room: room.to_owned(),
                });
            } else {
                events.push(ClientEvent::MembersChanged {
                    room: room.to_owned(),
                    epoch,
                });
            }
            Ok(Outcome {
                events,
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

/// The receiver's franking checks (PROTO §5.4.1.3) for one decrypted message.
pub fn verify_frank(
    agent: Option<&mimi::franking::FrankingAgentData>,
    room: &str,
    who: &ClientIdentity,
    application_data: &[u8],
    frank_aad: Option<&[u8]>,
    frank: Option<&Frank>,
    timestamp: u64,
) -> std::result::Result<(), mimi::franking::FrankingError> {
    let hub_domain = RoomUri::parse(room)
        .map(|r| r.domain().to_owned())
        .unwrap_or_default();
    let domain_of = |c: &openmls::prelude::Credential| -> Option<String> {
        let basic = openmls::prelude::BasicCredential::try_from(c.clone()).ok()?;
        let uri = std::str::from_utf8(basic.identity()).ok()?;
        mimi::uri::MimiUri::parse(uri)
            .ok()
            .map(|u| u.domain().to_owned())
    };
    let user = who.user.to_string();
    mimi::franking::verify_received(&mimi::franking::Received {
        application_data,
        frank_aad,
        frank,
        accepted_timestamp: timestamp,
        group_ciphersuite: mimi::ids::CIPHERSUITE,
        agent,
        hub_domain: &hub_domain,
        agent_domain_of: &domain_of,
        sender_identity: &user,
        room_uri: room,
    })
    .map(|_| ())
}

/// The room's franking agent (PROTO §5.4.1), as its group context names it.
pub fn franking_agent(group: &MlsGroup) -> Option<mimi::franking::FrankingAgentData> {
    group
        .extensions()
        .app_data_dictionary()
        .and_then(|d| d.dictionary().get(&ids::FRANKING_AGENT))
        .and_then(|b| mimi::franking::FrankingAgentData::from_bytes(b).ok())
}

/// Stores a document this client sent, once the hub accepted it with `frank`; `agent` is the
/// room's franking agent when the message was encrypted ([`encrypt`] returns it). Returns the
/// events to publish.
#[allow(clippy::too_many_arguments)]
pub fn store_sent(
    tx: &Connection,
    id: &Identity,
    agent: Option<&mimi::franking::FrankingAgentData>,
    m: &mut Message,
    effect: &crate::content::Effect,
    content: &[u8],
    frank: Option<&Frank>,
) -> Result<Vec<ClientEvent>> {
    let me = id.me();
    let aad = mimi::franking::FrankAad {
        franking_tag: MimiContent::decode(content)
            .map(|c| mimi::franking::franking_tag(&c.salt, content))
            .map_err(|e| Error::Mls(e.to_string()))?,
    }
    .to_bytes();
    m.verified = verify_frank(agent, &m.room, &me, content, Some(&aad), frank, m.timestamp).is_ok();
    let frank_bytes = frank.map(encode);
    Ok(crate::content::store(tx, m, effect, content, frank_bytes.as_deref())?.unwrap_or_default())
}
