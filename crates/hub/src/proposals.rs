//! Proposals the hub holds between commits (PROTO §3.5, §5.3, §7.1): which ones the next commit
//! must include, and who stops receiving the room's fan-out once the hub accepted a proposal
//! that takes them out.
//!
//! - **Obliged.** A leave (a member's SelfRemove, with the other proposals of the same member in
//!   the bundle: the participant-list removal and the Removes of its other clients) is always
//!   obliged; a removal the hub proposed is obliged where the room's policy lets the hub's role
//!   make it, i.e. where every member, checking the same policy, accepts it. A commit that leaves
//!   out an obliged proposal is refused (`409 missing_proposals`): the committer catches up and
//!   commits again, so a leave or an upheld report cannot be dropped by the next committer.
//! - **Departing.** From the moment the hub accepts a leave or a removal, the clients it takes
//!   out get nothing more of the room but the commit that removes them (PROTO §5.5).

use std::collections::HashSet;

use mimi::identity::Trust;
use mimi::policy::PolicyState;
use mimi::room::{Roster, check_proposal, proposal_item};
use openmls::prelude::{Proposal, PublicGroup, Sender, StagedCommit};
use openmls_traits::OpenMlsProvider as _;
use rusqlite::{Connection, params};

use crate::error::{Error, Result};
use crate::store::Provider;

/// Refuses `staged` if it leaves out a proposal the hub holds and is obliged to see committed.
pub fn require_obliged(
    group: &PublicGroup,
    provider: &Provider<'_>,
    roster: &dyn Roster,
    trust: &Trust,
    state: &PolicyState,
    staged: &StagedCommit,
) -> Result<()> {
    let held = group
        .queued_proposals(provider.storage())
        .map_err(Error::internal)?;
    let leavers: HashSet<u32> = held
        .iter()
        .filter_map(|(_, qp)| match (qp.sender(), qp.proposal()) {
            (Sender::Member(leaf), Proposal::SelfRemove) => Some(leaf.u32()),
            _ => None,
        })
        .collect();
    let included: HashSet<Vec<u8>> = staged
        .queued_proposals()
        .map(|qp| qp.proposal_reference_ref().as_slice().to_vec())
        .collect();
    let mut missing = 0;
    for (reference, qp) in &held {
        let obliged = match qp.sender() {
            Sender::Member(leaf) => leavers.contains(&leaf.u32()),
            Sender::External(_) => proposal_item(qp, None, roster, trust)
                .ok()
                .is_some_and(|p| check_proposal(state, &p).is_ok()),
            _ => false,
        };
        if obliged && !included.contains(reference.as_slice()) {
            missing += 1;
        }
    }
    if missing > 0 {
        return Err(Error::Conflict(
            "missing_proposals",
            format!(
                "the commit leaves out {missing} proposal(s) the hub holds for this epoch (a leave or a removal, PROTO §3.5); catch up and commit again"
            ),
        ));
    }
    Ok(())
}

/// Marks clients a leave or removal accepted by the hub takes out of `room`.
pub fn mark_departing<'a>(
    tx: &Connection,
    room: &str,
    clients: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let mut st = tx
        .prepare_cached("INSERT OR IGNORE INTO departing (room_uri, client_uri) VALUES (?1, ?2)")?;
    for c in clients {
        st.execute(params![room, c])?;
    }
    Ok(())
}

/// The clients of `room` on their way out, and those of removed devices.
pub fn departing(conn: &Connection, room: &str) -> Result<HashSet<String>> {
    Ok(conclave_sqlite::rows::all(
        conn,
        "SELECT client_uri FROM departing WHERE room_uri = ?1
         UNION SELECT m.client_uri FROM room_members m JOIN clients c ON c.uri = m.client_uri
         WHERE m.room_uri = ?1 AND c.revoked_at IS NOT NULL",
        [room],
        |r| r.get(0),
    )?
    .into_iter()
    .collect())
}

/// After a commit: the proposals it consumed are gone, and so are the departing marks.
pub fn committed(tx: &Connection, room: &str) -> Result<()> {
    tx.execute("DELETE FROM departing WHERE room_uri = ?1", [room])?;
    Ok(())
}
