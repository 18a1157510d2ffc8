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

/// The next sequence number of a client's queue (one statement: the upsert hands back the
/// number it used).
fn next_seq(conn: &Connection, client: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO queue_heads (client_uri, next_seq) VALUES (?1, 2)
             ON CONFLICT(client_uri) DO UPDATE SET next_seq = next_seq + 1
             RETURNING next_seq - 1",
        )?
        .query_row([client], |r| r.get(0))?)
}

/// Appends an entry to a client's queue; returns its sequence number.
pub fn enqueue(
    conn: &Connection,
    client: &str,
    kind: &str,
    room: Option<&str>,
    data: &[u8],
) -> Result<u64> {
    let seq = next_seq(conn, client)?;
    conn.prepare_cached(
        "INSERT INTO queue (client_uri, seq, kind, room_uri, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![client, seq, kind, room, data])?;
    Ok(seq as u64)
}

/// Appends the same entry to several clients' queues, its payload stored once (a fan-out: the
/// bytes are the same for every recipient, and a Welcome carries the whole ratchet tree).
pub fn enqueue_shared<'a>(
    conn: &Connection,
    clients: impl IntoIterator<Item = &'a str>,
    kind: &str,
    room: Option<&str>,
    data: &[u8],
) -> Result<()> {
    let clients: Vec<&str> = clients.into_iter().collect();
    if clients.len() < 2 {
        for c in clients {
            enqueue(conn, c, kind, room, data)?;
        }
        return Ok(());
    }
    let blob: i64 = conn
        .prepare_cached("INSERT INTO queue_blobs (data) VALUES (?1) RETURNING id")?
        .query_row([data], |r| r.get(0))?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO queue (client_uri, seq, kind, room_uri, data, blob_id)
         VALUES (?1, ?2, ?3, ?4, x'', ?5)",
    )?;
    for c in clients {
        let seq = next_seq(conn, c)?;
        insert.execute(params![c, seq, kind, room, blob])?;
    }
    Ok(())
}

/// Entries after `after`, oldest first: at most `limit` of them and, past the first, at most
/// `max_bytes` of payload. The client pages on with the last `seq` it got.
pub fn fetch(
    conn: &Connection,
    client: &str,
    after: u64,
    limit: u32,
    max_bytes: usize,
) -> Result<Vec<QueueEntry>> {
    let mut st = conn.prepare_cached(
        "SELECT q.seq, q.kind, q.room_uri, COALESCE(b.data, q.data)
         FROM queue q LEFT JOIN queue_blobs b ON b.id = q.blob_id
         WHERE q.client_uri = ?1 AND q.seq > ?2 ORDER BY q.seq LIMIT ?3",
    )?;
    let rows = st.query_map(params![client, after as i64, limit], |r| {
        Ok(QueueEntry {
            seq: r.get::<_, i64>(0)? as u64,
            kind: r.get(1)?,
            room: r.get(2)?,
            data: r.get(3)?,
        })
    })?;
    let mut out: Vec<QueueEntry> = Vec::new();
    let mut bytes = 0usize;
    for row in rows {
        let e = row?;
        bytes = bytes.saturating_add(e.data.len());
        if !out.is_empty() && bytes > max_bytes {
            break;
        }
        out.push(e);
    }
    Ok(out)
}

/// Deletes entries up to and including `seq`, and the shared payloads no queue needs any more;
/// returns how many entries.
pub fn ack(conn: &Connection, client: &str, seq: u64) -> Result<usize> {
    let blobs: Vec<Option<i64>> = conn
        .prepare_cached("DELETE FROM queue WHERE client_uri = ?1 AND seq <= ?2 RETURNING blob_id")?
        .query_map(params![client, seq as i64], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let n = blobs.len();
    let mut shared: Vec<i64> = blobs.into_iter().flatten().collect();
    shared.sort_unstable();
    shared.dedup();
    let mut drop_blob = conn.prepare_cached(
        "DELETE FROM queue_blobs WHERE id = ?1
         AND NOT EXISTS (SELECT 1 FROM queue WHERE blob_id = ?1)",
    )?;
    for b in shared {
        drop_blob.execute([b])?;
    }
    Ok(n)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_payload_is_stored_once_and_goes_with_its_last_entry() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("hub.sqlite3")).unwrap();
        let blobs = || -> i64 {
            conn.query_row("SELECT COUNT(*) FROM queue_blobs", [], |r| r.get(0))
                .unwrap()
        };
        enqueue(&conn, "a", "fanout", Some("r"), b"first").unwrap();
        enqueue_shared(&conn, ["a", "b", "c"], "fanout", Some("r"), b"shared").unwrap();
        assert_eq!(blobs(), 1);
        for c in ["a", "b", "c"] {
            let got: Vec<Vec<u8>> = fetch(&conn, c, 0, 10, usize::MAX)
                .unwrap()
                .into_iter()
                .map(|e| e.data)
                .collect();
            let want: Vec<&[u8]> = if c == "a" {
                vec![b"first", b"shared"]
            } else {
                vec![b"shared"]
            };
            assert_eq!(got, want, "{c}");
        }
        assert_eq!(ack(&conn, "a", 2).unwrap(), 2);
        assert_eq!(ack(&conn, "b", 1).unwrap(), 1);
        assert_eq!(blobs(), 1, "c still needs it");
        assert_eq!(
            fetch(&conn, "c", 0, 10, usize::MAX).unwrap()[0].data,
            b"shared"
        );
        assert_eq!(ack(&conn, "c", 1).unwrap(), 1);
        assert_eq!(blobs(), 0);
        // One recipient: stored inline.
        enqueue_shared(&conn, ["d"], "fanout", None, b"alone").unwrap();
        assert_eq!(blobs(), 0);
        assert_eq!(
            fetch(&conn, "d", 0, 10, usize::MAX).unwrap()[0].data,
            b"alone"
        );
    }

    #[test]
    fn a_fetch_stops_at_its_byte_cap_but_always_returns_one_entry() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::store::open(&dir.path().join("hub.sqlite3")).unwrap();
        for _ in 0..5 {
            enqueue(&conn, "a", "fanout", None, &[1; 100]).unwrap();
        }
        enqueue(&conn, "b", "fanout", None, &[2; 1000]).unwrap();
        let seqs = |after, cap| -> Vec<u64> {
            fetch(&conn, "a", after, 10, cap)
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect()
        };
        assert_eq!(seqs(0, 250), [1, 2]);
        assert_eq!(seqs(2, 250), [3, 4]);
        assert_eq!(seqs(0, usize::MAX), [1, 2, 3, 4, 5]);
        // An entry larger than the cap still comes, alone.
        assert_eq!(fetch(&conn, "b", 0, 10, 10).unwrap().len(), 1);
    }
}
