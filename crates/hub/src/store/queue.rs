//! Durable per-client queues: every entry gets the client's next sequence number, and is deleted
//! only when the client acknowledges it (DESIGN "Delivery").

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// One queued entry.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    /// Sequence number, increasing per client.
    pub seq: u64,
    /// `fanout` (a TLS `FanoutMessage`) or `device` (a JSON device notice).
    pub kind: String,
    /// The room it belongs to, if any.
    pub room: Option<String>,
    /// The payload.
    pub data: Vec<u8>,
}

/// Appends an entry to a client's queue; returns its sequence number.
pub fn enqueue(
    conn: &Connection,
    client: &str,
    kind: &str,
    room: Option<&str>,
    data: &[u8],
) -> Result<u64> {
    // One statement for the head: the upsert hands back the number it used.
    let seq: i64 = conn
        .prepare_cached(
            "INSERT INTO queue_heads (client_uri, next_seq) VALUES (?1, 2)
             ON CONFLICT(client_uri) DO UPDATE SET next_seq = next_seq + 1
             RETURNING next_seq - 1",
        )?
        .query_row([client], |r| r.get(0))?;
    conn.prepare_cached(
        "INSERT INTO queue (client_uri, seq, kind, room_uri, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![client, seq, kind, room, data])?;
    Ok(seq as u64)
}

/// Entries after `after`, oldest first, at most `limit`.
pub fn fetch(conn: &Connection, client: &str, after: u64, limit: u32) -> Result<Vec<QueueEntry>> {
    let mut st = conn.prepare_cached(
        "SELECT seq, kind, room_uri, data FROM queue WHERE client_uri = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = st
        .query_map(params![client, after as i64, limit], |r| {
            Ok(QueueEntry {
                seq: r.get::<_, i64>(0)? as u64,
                kind: r.get(1)?,
                room: r.get(2)?,
                data: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Deletes entries up to and including `seq`; returns how many.
pub fn ack(conn: &Connection, client: &str, seq: u64) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM queue WHERE client_uri = ?1 AND seq <= ?2",
        params![client, seq as i64],
    )?)
}

/// The highest sequence number ever handed to this client (0 if none).
pub fn head(conn: &Connection, client: &str) -> Result<u64> {
    let next: Option<i64> = conn
        .query_row(
            "SELECT next_seq FROM queue_heads WHERE client_uri = ?1",
            [client],
            |r| r.get(0),
        )
        .optional()?;
    Ok(next.map(|n| n as u64 - 1).unwrap_or(0))
}
