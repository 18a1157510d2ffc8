//! The hub's SQLite store: one file under the data directory, WAL mode, numbered migrations, and
//! OpenMLS's `PublicGroup` state in the same database so that validating a commit, merging it and
//! queueing its fan-out commit in one transaction.

pub mod queue;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};

pub use queue::QueueEntry;

/// The numbered, append-only migrations.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_capabilities.sql")),
    (
        3,
        include_str!("../../migrations/0003_franking_reports.sql"),
    ),
    (4, include_str!("../../migrations/0004_connections.sql")),
    (5, include_str!("../../migrations/0005_pseudonyms.sql")),
    (6, include_str!("../../migrations/0006_device_keys.sql")),
    (7, include_str!("../../migrations/0007_queue_blobs.sql")),
    (8, include_str!("../../migrations/0008_limits.sql")),
    (9, include_str!("../../migrations/0009_accepted.sql")),
    (10, include_str!("../../migrations/0010_departing.sql")),
    (11, include_str!("../../migrations/0011_tokens.sql")),
    (12, include_str!("../../migrations/0012_group_infos.sql")),
    (13, include_str!("../../migrations/0013_user_keys.sql")),
    (
        14,
        include_str!("../../migrations/0014_sibling_key_packages.sql"),
    ),
    (15, include_str!("../../migrations/0015_consent.sql")),
];

/// Opens (creating if needed) the database at `path` and brings its schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = conclave_sqlite::open(path, MIGRATIONS).map_err(Error::internal)?;
    // The hub's rows are ciphertext, public group state and hashes: nothing a deleted page must
    // not leak, unlike the client's MLS secrets. Zeroing every freed page cost writes.
    conn.pragma_update(None, "secure_delete", "OFF")?;
    Ok(conn)
}

pub use conclave_sqlite::{JsonCodec, Provider, now_ms};

/// A registered client as the hub knows it.
#[derive(Debug, Clone)]
pub struct ClientRow {
    /// Client URI.
    pub uri: String,
    /// Its user's URI.
    pub user_uri: String,
}

/// Looks a client up by the SHA-256 of its bearer token.
pub fn client_by_token(conn: &Connection, token_hash: &[u8]) -> Result<Option<ClientRow>> {
    row_by_token(
        conn,
        "SELECT uri, user_uri FROM clients WHERE token_hash = ?1",
        token_hash,
    )
}

/// Looks a pseudonym up by the SHA-256 of its token.
pub fn pseudonym_by_token(conn: &Connection, token_hash: &[u8]) -> Result<Option<ClientRow>> {
    row_by_token(
        conn,
        "SELECT client_uri, user_uri FROM pseudonyms WHERE token_hash = ?1",
        token_hash,
    )
}

/// The (client, user) row `sql` selects by a token hash.
fn row_by_token(conn: &Connection, sql: &str, token_hash: &[u8]) -> Result<Option<ClientRow>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([token_hash], |r| {
            Ok(ClientRow {
                uri: r.get(0)?,
                user_uri: r.get(1)?,
            })
        })
        .optional()?)
}

/// Whether a client or user URI names an account's client or user.
pub fn names_account(conn: &Connection, client: &str, user: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM clients WHERE uri = ?1 UNION ALL SELECT 1 FROM users WHERE uri = ?2",
        )?
        .query_row([client, user], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether a client or user URI names a pseudonym.
pub fn names_pseudonym(conn: &Connection, client: &str, user: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM pseudonyms WHERE client_uri = ?1
             UNION ALL SELECT 1 FROM pseudonyms WHERE user_uri = ?2",
        )?
        .query_row([client, user], |_| Ok(()))
        .optional()?
        .is_some())
}

/// A room as the hub keeps it.
#[derive(Debug, Clone)]
pub struct RoomRow {
    /// Room URI.
    pub uri: String,
    /// MLS group ID.
    pub group_id: Vec<u8>,
    /// Current epoch.
    pub epoch: u64,
    /// The last timestamp handed out, ms.
    pub last_timestamp: u64,
}

/// Loads a room.
pub fn room(conn: &Connection, uri: &str) -> Result<Option<RoomRow>> {
    Ok(conn
        .query_row(
            "SELECT uri, group_id, epoch, last_timestamp FROM rooms WHERE uri = ?1",
            [uri],
            |r| {
                Ok(RoomRow {
                    uri: r.get(0)?,
                    group_id: r.get(1)?,
                    epoch: r.get::<_, i64>(2)? as u64,
                    last_timestamp: r.get::<_, i64>(3)? as u64,
                })
            },
        )
        .optional()?)
}

/// The next hub timestamp for a room: now, but strictly after the last one, so that the hub order
/// and the timestamp order agree (CONTENT §4.6 sorts by hub timestamp).
pub fn next_timestamp(conn: &Connection, room: &RoomRow) -> Result<u64> {
    let ts = now_ms().max(room.last_timestamp + 1);
    conn.prepare_cached("UPDATE rooms SET last_timestamp = ?2 WHERE uri = ?1")?
        .execute(params![room.uri, ts as i64])?;
    Ok(ts)
}

/// A member client of a room, with what its user's role lets it do with messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// Client URI.
    pub client: String,
    /// User URI.
    pub user: String,
    /// Leaf index.
    pub leaf: u32,
    /// The role holds canSendMessage.
    pub can_send: bool,
    /// The role holds canReceiveMessage.
    pub can_receive: bool,
}

impl MemberRow {
    /// A row of `client_uri, user_uri, leaf_index, can_send, can_receive`.
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<MemberRow> {
        Ok(MemberRow {
            client: r.get(0)?,
            user: r.get(1)?,
            leaf: r.get(2)?,
            can_send: r.get(3)?,
            can_receive: r.get(4)?,
        })
    }
}

/// The member clients of a room, by leaf index.
pub fn room_members(conn: &Connection, room: &str) -> Result<Vec<MemberRow>> {
    let sql = "SELECT client_uri, user_uri, leaf_index, can_send, can_receive FROM room_members
               WHERE room_uri = ?1 ORDER BY leaf_index";
    Ok(conclave_sqlite::rows::all(
        conn,
        sql,
        [room],
        MemberRow::read,
    )?)
}

/// Brings a room's member rows to `members`, writing only the rows that differ from the stored
/// ones: a commit changes a few members of a room, and rewriting every row of a large room on
/// each commit was most of the hub's SQLite time there (BENCHMARKS.md, P3). The stored rows are
/// the reference (not the group before the commit), so rows an older hub wrote differently are
/// put right too.
pub fn set_room_members(conn: &Connection, room: &str, members: &[MemberRow]) -> Result<()> {
    let stored: std::collections::HashMap<String, MemberRow> = room_members(conn, room)?
        .into_iter()
        .map(|m| (m.client.clone(), m))
        .collect();
    let wanted: std::collections::HashSet<&str> =
        members.iter().map(|m| m.client.as_str()).collect();
    let mut delete =
        conn.prepare_cached("DELETE FROM room_members WHERE room_uri = ?1 AND client_uri = ?2")?;
    for gone in stored.keys().filter(|c| !wanted.contains(c.as_str())) {
        delete.execute(params![room, gone])?;
    }
    let mut upsert = conn.prepare_cached(
        "INSERT INTO room_members (room_uri, client_uri, user_uri, leaf_index, can_send, can_receive)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(room_uri, client_uri) DO UPDATE SET user_uri = ?3, leaf_index = ?4,
           can_send = ?5, can_receive = ?6",
    )?;
    for m in members.iter().filter(|m| stored.get(&m.client) != Some(*m)) {
        upsert.execute(params![
            room,
            m.client,
            m.user,
            m.leaf,
            m.can_send,
            m.can_receive
        ])?;
    }
    Ok(())
}

/// Counts one application message withheld from a client (POLICY §8.3 canReceiveMessage).
pub fn count_withheld(conn: &Connection, room: &str, client: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO withheld (room_uri, client_uri, count) VALUES (?1, ?2, 1)
         ON CONFLICT(room_uri, client_uri) DO UPDATE SET count = count + 1",
        [room, client],
    )?;
    Ok(())
}

/// Every withheld count: (room, client, count).
pub fn withheld(conn: &Connection) -> Result<Vec<(String, String, u64)>> {
    let mut st = conn.prepare(
        "SELECT room_uri, client_uri, count FROM withheld ORDER BY room_uri, client_uri",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether a client is a member of a room.
pub fn is_member(conn: &Connection, room: &str, client: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM room_members WHERE room_uri = ?1 AND client_uri = ?2",
            [room, client],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(client: &str, leaf: u32, can_send: bool) -> MemberRow {
        MemberRow {
            client: client.into(),
            user: format!("mimi://h/u/{client}"),
            leaf,
            can_send,
            can_receive: true,
        }
    }

    #[test]
    fn member_rows_are_brought_to_the_new_set_writing_only_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("hub.sqlite3")).unwrap();
        conn.execute(
            "INSERT INTO rooms (uri, group_id, creator, epoch, group_info, last_timestamp, created_at)
             VALUES ('r', x'01', 'o', 0, x'', 0, 0)",
            [],
        )
        .unwrap();
        let first = [row("a", 0, true), row("b", 1, true), row("c", 2, true)];
        set_room_members(&conn, "r", &first).unwrap();
        // b leaves, c is muted, d joins in b's leaf; a is untouched.
        let next = [row("a", 0, true), row("d", 1, true), row("c", 2, false)];
        let changes_before = conn.total_changes();
        set_room_members(&conn, "r", &next).unwrap();
        assert_eq!(
            conn.total_changes() - changes_before,
            3,
            "b deleted, c and d written"
        );
        assert_eq!(room_members(&conn, "r").unwrap(), next);
        // Nothing changed, nothing written.
        let changes_before = conn.total_changes();
        set_room_members(&conn, "r", &next).unwrap();
        assert_eq!(conn.total_changes(), changes_before);
    }
}
