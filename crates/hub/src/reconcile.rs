//! Idempotent acceptance (RELIABILITY.md): the hub remembers what it accepted in a room's recent
//! epochs by the SHA-256 of the exact MLSMessage ([`mimi::wire::message_key`]), so that a client
//! whose answer was lost (a timeout, a reset, a hub restart) can send the same bytes again and get
//! the original answer: a commit is not applied twice, a leave is not proposed twice and a
//! message is not fanned out twice. A client may also ask about a commit by its hash
//! ([`commit_status`], `GET /v1/rooms/{room}/commits/{hash}`).
//!
//! A commit or message for epoch `e` can only be accepted while the room is at `e`, so once the
//! room has moved on, "not remembered" and "never accepted" are the same answer for as long as
//! the room's last [`KEEP_EPOCHS`] epochs are kept.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::principal::Principal;

/// How many of a room's most recent epochs the hub remembers acceptances for.
pub const KEEP_EPOCHS: u64 = 64;

/// What kind of thing was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A commit (PROTO §5.3).
    Commit,
    /// A bundle of proposals, named by its first.
    Proposal,
    /// An application message (PROTO §5.4).
    Message,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Proposal => "proposal",
            Kind::Message => "message",
        }
    }
}

/// The answer the hub gave when it accepted something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    /// The hub's accepted timestamp.
    pub timestamp: u64,
    /// The room's epoch after it (the same epoch for proposals and messages).
    pub epoch: u64,
    /// For a message, its TLS-encoded Frank.
    pub frank: Option<Vec<u8>>,
}

/// The original answer to `hash` in `room`, if this principal sent it and the hub still
/// remembers it. Something another client sent is not this principal's to ask about.
pub fn original(
    conn: &Connection,
    room: &str,
    hash: &[u8; 32],
    kind: Kind,
    auth: &Principal,
) -> Result<Option<Original>> {
    Ok(conn
        .prepare_cached(
            "SELECT timestamp, new_epoch, frank FROM accepted
             WHERE room_uri = ?1 AND hash = ?2 AND kind = ?3 AND sender = ?4",
        )?
        .query_row(
            params![
                room,
                hash.as_slice(),
                kind.as_str(),
                auth.client.to_string()
            ],
            |r| {
                Ok(Original {
                    timestamp: r.get::<_, i64>(0)? as u64,
                    epoch: r.get::<_, i64>(1)? as u64,
                    frank: r.get(2)?,
                })
            },
        )
        .optional()?)
}

/// Remembers an acceptance, in the same transaction as the acceptance itself, and forgets those
/// older than the room's last [`KEEP_EPOCHS`] epochs.
#[allow(clippy::too_many_arguments)]
pub fn remember(
    tx: &Connection,
    room: &str,
    hash: &[u8; 32],
    kind: Kind,
    auth: &Principal,
    epoch: u64,
    answer: &Original,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO accepted (room_uri, hash, kind, sender, epoch, timestamp, new_epoch, frank)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        room,
        hash.as_slice(),
        kind.as_str(),
        auth.client.to_string(),
        epoch as i64,
        answer.timestamp as i64,
        answer.epoch as i64,
        answer.frank,
    ])?;
    if kind == Kind::Commit && answer.epoch > KEEP_EPOCHS {
        tx.prepare_cached("DELETE FROM accepted WHERE room_uri = ?1 AND epoch < ?2")?
            .execute(params![room, (answer.epoch - KEEP_EPOCHS) as i64])?;
    }
    Ok(())
}

/// `GET /v1/rooms/{room}/commits/{hash}`: whether the hub accepted this principal's commit with
/// that hash (64 hex digits), and its original answer.
pub fn commit_status(
    conn: &Connection,
    room: &str,
    hash_hex: &str,
    auth: &Principal,
) -> Result<Original> {
    let hash: [u8; 32] = hex::decode(hash_hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            Error::MalformedBody(format!(
                "{hash_hex:?} is not a commit hash (64 hex digits: the SHA-256 of the commit's MLSMessage)"
            ))
        })?;
    original(conn, room, &hash, Kind::Commit, auth)?.ok_or_else(|| {
        Error::NotFound(format!(
            "the hub has not accepted a commit of yours with hash {hash_hex} in the last {KEEP_EPOCHS} epochs of this room"
        ))
    })
}
