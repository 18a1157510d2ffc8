//! The per-room MLS engine: everything that touches an `MlsGroup`, done synchronously on one
//! SQLite connection so that the caller can wrap it in a transaction. Incoming handshakes go
//! process → stage → [`mimi::policy`] → merge, and the merge, the room rows and the timeline rows
//! commit together (DESIGN "The core is pure", STYLE "Process → stage → check policy → merge").

mod commit;
mod members;
mod receive;
mod send;

pub use commit::*;
pub use members::*;
pub use receive::*;
pub use send::*;

use mimi::components::RoomMetaData;
use mimi::credential::ClientIdentity;
use mimi::identity::Trust;
use mimi::ids::{self, ROOM_METADATA};
use mimi::policy::{self, PolicyState, Preset};
use mimi::room::{Roster, policy_state};
use mimi::uri::{RoomUri, UserUri};
use mimi::wire::{ClientMaterial, KeyMaterialResponse};
use openmls::extensions::{AppDataDictionary, AppDataDictionaryExtension};
use openmls::prelude::{
    Extension, Extensions, ExternalSender, GroupId, KeyPackage, KeyPackageIn, LeafNodeIndex,
    MlsGroup, ProtocolVersion,
};
use openmls_traits::OpenMlsProvider as _;
use rusqlite::{Connection, params};
use tls_codec::Serialize as _;

use crate::error::{Error, Result};
use crate::identity::{self, Identity};
use crate::store::{self, Provider, now_ms};

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
    use mimi::wire::KeyMaterialUserCode;
    if let code @ (KeyMaterialUserCode::NoConsent | KeyMaterialUserCode::NoConsentForThisRoom) =
        resp.user_status
    {
        return Err(Error::NoConsent {
            user: user.to_string(),
            for_this_room: code == KeyMaterialUserCode::NoConsentForThisRoom,
        });
    }
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
