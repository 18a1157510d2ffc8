//! Application messages this client sends, and the franking checks on those it receives.

use mimi::content::MimiContent;
use mimi::credential::ClientIdentity;
use mimi::ids::{self};
use mimi::policy::{self};
use mimi::uri::RoomUri;
use mimi::wire::{Frank, IdentifierUri, Inline, Protocol, SubmitMessageRequest, encode};
use openmls::framing::{SafeAad, SafeAadItem};
use openmls::prelude::MlsGroup;
use rusqlite::Connection;
use tls_codec::Serialize as _;

use super::*;
use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::identity::Identity;
use crate::store::{Message, Provider};

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
