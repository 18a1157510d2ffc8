//! Processing what the hub fans out: Welcomes, commits, proposals and application messages.

use mimi::components::RoomMetaData;
use mimi::content::{MimiContent, message_id};
use mimi::ids::{self, ROOM_METADATA};
use mimi::policy::{self, Item, Preset};
use mimi::room::{Roster, check_proposal, commit_items, proposal_item, resolve_app_data};
use mimi::uri::{RoomUri, UserUri};
use mimi::wire::{FanoutExtra, FanoutMessage, Frank, MlsMessage, RatchetTreeOption, encode};
use openmls::prelude::{MlsMessageBodyIn, ProcessedMessageContent, ProcessedWelcome, Sender};
use openmls_traits::OpenMlsProvider as _;
use rusqlite::{Connection, params};

use super::*;
use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::history;
use crate::identity::{self, Identity};
use crate::store::{self, Message, Provider, RoomInfo, now_ms};
use crate::user_key;

/// What processing one queue entry did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Events to publish once the transaction committed.
    pub events: Vec<ClientEvent>,
    /// A Welcome consumed one of our KeyPackages.
    pub joined: bool,
    /// A room that now holds proposals someone must commit.
    pub proposals_in: Option<String>,
    /// A room where another device of this user was removed: this client gives its own leaf
    /// fresh keys (post-compromise security; SECURITY.md "Devices").
    pub update_leaf_in: Option<String>,
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
        FanoutExtra::Welcome { ratchet_tree } => join(tx, id, room, &fanout.message, ratchet_tree),
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
    entry_room: Option<&str>,
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
    // The group is the room its queue entry names (a Welcome cannot slip in another room).
    let group_room = String::from_utf8_lossy(staged.group_context().group_id().as_slice());
    if entry_room.is_some_and(|r| r != group_room) {
        return Ok(dropped(
            entry_room,
            format!(
                "refused to join: the Welcome is for {group_room}, not for the room its entry names"
            ),
        ));
    }
    // Every leaf must carry a credential our provider issued (OpenMLS does not check them).
    for m in staged.members() {
        if let Err(e) = id.trust.identify(&m.credential, &m.signature_key) {
            return Ok(dropped(None, format!("refused to join: a member's {e}")));
        }
    }
    // SECURITY.md "Devices": and every device approved by its user's key (pinned here if new).
    let mut refusals = Vec::new();
    for m in staged.members() {
        if let Err(r) = user_key::check(tx, &id.trust, &m.credential, &m.signature_key)? {
            refusals.push(r);
        }
    }
    if let Some(first) = refusals.first() {
        let mut out = dropped(None, format!("refused to join: {}", first.reason));
        out.events.extend(key_changes(&refusals));
        return Ok(out);
    }
    let inviter_leaf = staged.welcome_sender_index();
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
    // SECURITY.md "Joiners check what they join": the member who sent the Welcome may have
    // added this client (POLICY §8.1, judged on the room as joined).
    let refusal = match refusal {
        Some(r) => Some(r),
        None => inviter_refusal(&group, id, inviter_leaf)?,
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
        ..Default::default()
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
    let frank_aad = mimi::franking::frank_aad_item(processed.aad());
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
            // SECURITY.md "Devices": no device its user's pinned key did not approve commits,
            // joins or changes its leaf, whatever the hub accepted.
            let refusals = unapproved(tx, id, &group, &staged, &sender)?;
            if let Some(first) = refusals.first() {
                let mut out = refused(
                    room,
                    policy::Denied {
                        rule: "user_key",
                        reason: first.reason.clone(),
                    },
                );
                out.events.extend(key_changes(&refusals));
                return Ok(out);
            }
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
            // Another member's commit won this epoch: a commit of ours staged for it can never
            // be accepted now.
            if crate::pending::handshake(tx, room)?
                .is_some_and(|p| p.kind == crate::pending::HandshakeKind::Commit)
            {
                crate::pending::forget_handshake(tx, room)?;
            }
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
            let sibling_removed = !removed_me
                && items.iter().any(|p| match &p.item {
                    Item::RemoveClient(c) | Item::SelfRemove(c) => {
                        c.user == id.user && c.client != id.client
                    }
                    _ => false,
                });
            Ok(Outcome {
                events,
                update_leaf_in: sibling_removed.then(|| room.to_owned()),
                ..Default::default()
            })
        }
        ProcessedMessageContent::OwnPendingCommit => {
            // Our own commit echoed back while still pending: the hub accepted it, though its
            // answer never reached us (RELIABILITY.md).
            let events = merge_own(tx, id, room, timestamp)?;
            Ok(Outcome {
                events,
                ..Default::default()
            })
        }
        _ => Ok(dropped(Some(room), "an unsupported message kind")),
    }
}

/// Why the member at `inviter_leaf` may not have added this client to `group`, if so.
fn inviter_refusal(
    group: &openmls::prelude::MlsGroup,
    id: &Identity,
    inviter_leaf: openmls::prelude::LeafNodeIndex,
) -> Result<Option<String>> {
    let who = |leaf: Option<openmls::prelude::Member>| {
        leaf.and_then(|m| id.trust.identify(&m.credential, &m.signature_key).ok())
    };
    let inviter = who(group.members().find(|m| m.index == inviter_leaf));
    let me = who(group.members().find(|m| m.index == group.own_leaf_index()));
    let (Some(inviter), Some(me)) = (inviter, me) else {
        return Ok(Some("the Welcome's sender is not a member".to_owned()));
    };
    let state = state_of(group, &id.trust)?;
    Ok(mimi::room::check_inviter(&state, &inviter, &me)
        .err()
        .map(|d| format!("{} ({})", d.reason, d.rule)))
}

/// The devices a commit brings in, changes the leaf of, or is sent by, that their users' pinned
/// keys did not approve (SECURITY.md "Devices").
fn unapproved(
    tx: &Connection,
    id: &Identity,
    group: &openmls::prelude::MlsGroup,
    staged: &openmls::prelude::StagedCommit,
    sender: &Sender,
) -> Result<Vec<user_key::Refusal>> {
    let mut leaves: Vec<(openmls::prelude::Credential, Vec<u8>)> = Vec::new();
    if let Sender::Member(leaf) = sender
        && let Some(m) = group.members().find(|m| m.index == *leaf)
    {
        leaves.push((m.credential, m.signature_key));
    }
    for a in staged.add_proposals() {
        let l = a.add_proposal().key_package().leaf_node();
        leaves.push((
            l.credential().clone(),
            l.signature_key().as_slice().to_vec(),
        ));
    }
    for u in staged.update_proposals() {
        let l = u.update_proposal().leaf_node();
        leaves.push((
            l.credential().clone(),
            l.signature_key().as_slice().to_vec(),
        ));
    }
    if let Some(l) = staged.update_path_leaf_node() {
        leaves.push((
            l.credential().clone(),
            l.signature_key().as_slice().to_vec(),
        ));
    }
    let mut out = Vec::new();
    for (credential, key) in &leaves {
        if let Err(r) = user_key::check(tx, &id.trust, credential, key)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// The warnings for users whose key was just seen to change.
pub(crate) fn key_changes(refusals: &[user_key::Refusal]) -> Vec<ClientEvent> {
    let mut users: Vec<&str> = refusals
        .iter()
        .filter(|r| r.key_changed)
        .map(|r| r.user.as_str())
        .collect();
    users.dedup();
    users
        .into_iter()
        .map(|u| ClientEvent::UserKeyChanged { user: u.to_owned() })
        .collect()
}

/// After joining `room` by a Welcome: whether the room joined is the room the hub follows at
/// this epoch, by its GroupInfo of that epoch (`group_info`, TLS): the same group context (tree
/// hash, transcript, extensions). `Some(reason)` if not.
pub fn joined_differs(
    conn: &Connection,
    id: &Identity,
    room: &str,
    group_info: &[u8],
) -> Result<Option<String>> {
    use tls_codec::Deserialize as _;
    let group = load_group(conn, room)?;
    let provider = Provider::new(conn);
    let ours = group
        .export_group_info(provider.crypto(), &id.signer, false)
        .map_err(Error::mls)?;
    let openmls::prelude::MlsMessageBodyOut::GroupInfo(ours) = ours.body() else {
        return Err(Error::Mls("OpenMLS exported no GroupInfo".into()));
    };
    let published =
        match openmls::messages::group_info::VerifiableGroupInfo::tls_deserialize_exact(group_info)
        {
            Ok(g) => g,
            Err(e) => return Ok(Some(format!("the hub's GroupInfo does not decode: {e}"))),
        };
    Ok(
        (published.group_context() != ours.group_context()).then(|| {
            format!(
                "the room this Welcome shows at epoch {} is not the room the hub follows",
                group.epoch().as_u64()
            )
        }),
    )
}

/// The epoch this client is at in `room`.
pub fn epoch_of(conn: &Connection, room: &str) -> Result<u64> {
    Ok(load_group(conn, room)?.epoch().as_u64())
}
