//! What this client sent and has no answer for yet (RELIABILITY.md): at most one handshake per
//! room (a commit, or the proposals of a leave) and the outbox of application messages. Each is
//! written in the transaction that prepared it and removed in the one that records the answer,
//! so a crash or a lost answer leaves it here to be sent again with the same bytes; the hub
//! answers a retry of what it accepted with its original answer.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::store::now_ms;

/// What a pending handshake is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandshakeKind {
    /// A commit this client staged.
    Commit,
    /// The proposals with which this client leaves.
    Leave,
}

/// A handshake sent and not yet answered.
#[derive(Debug, Clone)]
pub struct PendingHandshake {
    /// The room.
    pub room: String,
    /// A commit or a leave.
    pub kind: HandshakeKind,
    /// The exact HandshakeBundle.
    pub bundle: Vec<u8>,
    /// The epoch it was made in.
    pub epoch: u64,
}

/// Records the handshake about to be sent in `room` (replacing an older one).
pub fn save_handshake(
    tx: &Connection,
    room: &str,
    kind: HandshakeKind,
    hash: &[u8; 32],
    bundle: &[u8],
    epoch: u64,
) -> Result<()> {
    let kind = match kind {
        HandshakeKind::Commit => "commit",
        HandshakeKind::Leave => "leave",
    };
    tx.execute(
        "INSERT INTO pending_handshakes (room_uri, kind, hash, bundle, epoch, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(room_uri) DO UPDATE SET kind = excluded.kind, hash = excluded.hash,
           bundle = excluded.bundle, epoch = excluded.epoch, created_at = excluded.created_at",
        params![
            room,
            kind,
            hash.as_slice(),
            bundle,
            epoch as i64,
            now_ms() as i64
        ],
    )?;
    Ok(())
}

/// The handshake pending in `room`, if any.
pub fn handshake(conn: &Connection, room: &str) -> Result<Option<PendingHandshake>> {
    Ok(conn
        .prepare_cached(
            "SELECT room_uri, kind, bundle, epoch FROM pending_handshakes WHERE room_uri = ?1",
        )?
        .query_row([room], read_handshake)
        .optional()?)
}

/// Every pending handshake.
pub fn handshakes(conn: &Connection) -> Result<Vec<PendingHandshake>> {
    Ok(conclave_sqlite::rows::all(
        conn,
        "SELECT room_uri, kind, bundle, epoch FROM pending_handshakes ORDER BY created_at",
        [],
        read_handshake,
    )?)
}

fn read_handshake(r: &rusqlite::Row<'_>) -> rusqlite::Result<PendingHandshake> {
    let kind: String = r.get(1)?;
    Ok(PendingHandshake {
        room: r.get(0)?,
        kind: if kind == "leave" {
            HandshakeKind::Leave
        } else {
            HandshakeKind::Commit
        },
        bundle: r.get(2)?,
        epoch: r.get::<_, i64>(3)? as u64,
    })
}

/// Forgets the handshake pending in `room` (answered, refused, or overtaken).
pub fn forget_handshake(tx: &Connection, room: &str) -> Result<()> {
    tx.execute("DELETE FROM pending_handshakes WHERE room_uri = ?1", [room])?;
    Ok(())
}

/// An application message encrypted and sent, not yet acknowledged.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Its row.
    pub seq: i64,
    /// The room.
    pub room: String,
    /// Its message ID (hex).
    pub message_id: String,
    /// The sender URI the content names (the user, or its pseudonym in the room).
    pub sender: String,
    /// The content's salt.
    pub salt: [u8; 16],
    /// The MIMI content bytes.
    pub content: Vec<u8>,
    /// The bytes the franking tag covers (the content, unless a test forges the tag).
    pub tagged: Vec<u8>,
    /// The exact SubmitMessageRequest.
    pub request: Vec<u8>,
}

/// Puts a message into the outbox; returns its row.
pub fn queue_message(tx: &Connection, m: &Outgoing) -> Result<i64> {
    tx.execute(
        "INSERT INTO outbox (room_uri, message_id, sender, salt, content, tagged, request, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            m.room,
            m.message_id,
            m.sender,
            m.salt.as_slice(),
            m.content,
            m.tagged,
            m.request,
            now_ms() as i64
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// The outbox, oldest first.
pub fn outbox(conn: &Connection) -> Result<Vec<Outgoing>> {
    Ok(conclave_sqlite::rows::all(
        conn,
        "SELECT seq, room_uri, message_id, sender, salt, content, tagged, request FROM outbox
         ORDER BY seq",
        [],
        |r| {
            let salt: Vec<u8> = r.get(4)?;
            Ok(Outgoing {
                seq: r.get(0)?,
                room: r.get(1)?,
                message_id: r.get(2)?,
                sender: r.get(3)?,
                salt: salt.try_into().unwrap_or([0; 16]),
                content: r.get(5)?,
                tagged: r.get(6)?,
                request: r.get(7)?,
            })
        },
    )?)
}

/// Replaces an outbox message's request: the same content encrypted anew after the room moved
/// on before the hub took it.
pub fn reencrypted(tx: &Connection, seq: i64, request: &[u8]) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET request = ?2 WHERE seq = ?1",
        params![seq, request],
    )?;
    Ok(())
}

/// Takes a message out of the outbox (acknowledged, or refused for good).
pub fn sent(tx: &Connection, seq: i64) -> Result<()> {
    tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq])?;
    Ok(())
}
