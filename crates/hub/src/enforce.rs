//! The hub as its rooms' policy enforcer (POLICY §4): preauthorized for the `policy_enforcer`
//! role by a claim only it presents, and listed in every room's `external_senders` (PROTO §7.4)
//! with the provider key. When an operator upholds an abuse report, the hub proposes removing all
//! of the abuser's clients (external Remove proposals, RFC 9420 §12.1.8); it cannot commit, so the
//! next committer includes them (PROTO §3.5), and every member checks them with the same engine.

use std::path::Path;

use ed25519_dalek::{Signer as _, SigningKey};
use mimi::identity::Trust;
use mimi::wire::{FanoutExtra, FanoutMessage, Inline, encode};
use openmls::prelude::{
    ExternalProposal, GroupId, MlsMessageIn, ProcessedMessageContent, PublicGroup,
    SenderExtensionIndex, SignatureScheme,
};
use openmls_traits::OpenMlsProvider as _;
use openmls_traits::signatures::{Signer, SignerError};
use tls_codec::Deserialize as _;

use crate::error::{Error, Result};
use crate::store::{self, Provider};

/// The provider key, signing as the hub's MLS external sender.
pub struct HubSigner<'a>(pub &'a SigningKey);

impl Signer for HubSigner<'_> {
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignerError> {
        Ok(self.0.sign(payload).to_bytes().to_vec())
    }
    fn signature_scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }
}

/// Proposes removing every client of `user` from `room`; returns how many. Works beside a
/// running hub (one SQLite writer at a time; clients see the proposals at their next sync).
pub fn remove_user(
    conn: &mut rusqlite::Connection,
    data_dir: &Path,
    room: &str,
    user: &str,
) -> Result<usize> {
    let provider_key = crate::keys::load_or_create(&data_dir.join("provider.key"))?;
    let row = store::room(conn, room)?
        .ok_or_else(|| Error::UnknownRoom(format!("no room {room} on this hub")))?;
    let domain = mimi::uri::RoomUri::parse(room)
        .map_err(Error::internal)?
        .domain()
        .to_owned();
    let trust = Trust {
        domain,
        provider_key: provider_key.verifying_key().to_bytes().to_vec(),
    };
    let tx = conn.savepoint()?;
    let provider = Provider::new(&tx);
    let mut group = PublicGroup::load(provider.storage(), &GroupId::from_slice(&row.group_id))
        .map_err(Error::internal)?
        .ok_or_else(|| Error::Internal(format!("no group state for {room}")))?;
    let leaves: Vec<_> = group
        .members()
        .filter(|m| {
            trust
                .identify(&m.credential, &m.signature_key)
                .is_ok_and(|id| id.user.to_string() == user)
        })
        .map(|m| m.index)
        .collect();
    let members = store::room_members(&tx, room)?;
    let timestamp = store::next_timestamp(&tx, &row)?;
    for leaf in &leaves {
        let msg = ExternalProposal::new_remove::<Provider<'_>>(
            *leaf,
            group.group_id().clone(),
            group.group_context().epoch(),
            &HubSigner(&provider_key),
            SenderExtensionIndex::new(0),
        )
        .map_err(Error::internal)?
        .to_bytes()
        .map_err(Error::internal)?;
        // Into the hub's own proposal store, so that the commit that includes it validates.
        let parsed = MlsMessageIn::tls_deserialize_exact(&msg)
            .map_err(Error::internal)?
            .try_into_protocol_message()
            .map_err(Error::internal)?;
        let processed = group
            .process_message(provider.crypto(), parsed)
            .map_err(|e| Error::InvalidHandshake(format!("the hub's own proposal: {e}")))?;
        if let ProcessedMessageContent::ProposalMessage(qp) = processed.into_content() {
            group
                .add_proposal(provider.storage(), *qp)
                .map_err(Error::internal)?;
        }
        // PROTO §7.1: the removed client gets nothing more but the commit that removes it.
        if let Some(m) = members.iter().find(|m| m.leaf == leaf.u32()) {
            crate::proposals::mark_departing(&tx, room, [m.client.as_str()])?;
        }
        let fanout = encode(&FanoutMessage {
            timestamp,
            message: Inline::from_bytes(msg, "proposal").map_err(Error::internal)?,
            extra: FanoutExtra::Proposal {
                more_proposals: vec![],
            },
        });
        store::queue::enqueue_shared(
            &tx,
            members.iter().map(|m| m.client.as_str()),
            "fanout",
            Some(room),
            &fanout,
        )?;
    }
    tx.commit()?;
    Ok(leaves.len())
}
