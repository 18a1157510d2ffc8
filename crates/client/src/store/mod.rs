//! The client's SQLite store: one file holding OpenMLS's state (openmls_sqlite_storage on the same
//! connection) and Conclave's rows (rooms, messages, settings), so that processing a commit and
//! writing its rows commit in one transaction. WAL mode, numbered append-only migrations.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_room_events.sql")),
    (3, include_str!("../../migrations/0003_hidden_messages.sql")),
    (4, include_str!("../../migrations/0004_franks.sql")),
    (5, include_str!("../../migrations/0005_connections.sql")),
    (6, include_str!("../../migrations/0006_pseudonyms.sql")),
    (7, include_str!("../../migrations/0007_my_reports.sql")),
    (8, include_str!("../../migrations/0008_room_summary.sql")),
];

/// Opens (creating) the database and applies pending migrations.
pub fn open(path: &Path) -> Result<Connection> {
    conclave_sqlite::open(path, MIGRATIONS).map_err(|e| match e {
        conclave_sqlite::Error::Sqlite(e) => Error::Store(e),
        other => Error::Io(other.to_string()),
    })
}

pub use conclave_sqlite::{JsonCodec, Provider, now_ms};

/// Reads a setting.
pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Writes a setting.
pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// A room this client is in.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RoomInfo {
    /// The room URI.
    pub uri: String,
    /// Its name (may be empty).
    pub name: String,
    /// The preset its roles are (`private`, `moderated`, …); `None` once its roles were edited.
    #[serde(default)]
    pub preset: Option<String>,
    /// Whether it is a pseudonymous room.
    #[serde(default)]
    pub pseudonymous: bool,
    /// Messages from others after the read marker ([`crate::Client::mark_read`]).
    #[serde(default)]
    pub unread: u32,
}

/// What a timeline row is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A message someone sent.
    Message,
    /// A membership or role change (room history).
    Event,
}

impl MessageKind {
    fn as_str(self) -> &'static str {
        match self {
            MessageKind::Message => "message",
            MessageKind::Event => "event",
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    /// The room.
    pub room: String,
    /// Message ID, hex (CONTENT §3.3); for events, an ID derived from the room and epoch.
    pub id: String,
    /// A message or a history event.
    pub kind: MessageKind,
    /// Sender's user URI.
    pub sender: String,
    /// Sender's client URI.
    pub sender_client: String,
    /// Its text, if it is a text message.
    pub text: Option<String>,
    /// Hub acceptance time, ms.
    pub timestamp: u64,
    /// The hub's frank verified (PROTO §5.4.1.3); only verified messages can be reported.
    pub verified: bool,
}

/// Rooms the client is in, by name then URI.
/// `me` is this client's URI: its own messages (and its pseudonyms') are never unread.
pub fn rooms(conn: &Connection, me: &str) -> Result<Vec<RoomInfo>> {
    let mut st = conn.prepare(
        "SELECT r.uri, r.name, r.preset, r.pseudonymous,
           (SELECT COUNT(*) FROM messages m
             WHERE m.room_uri = r.uri AND m.kind = 'message' AND m.timestamp > r.last_read
               AND m.sender_client != ?1
               AND m.sender_client NOT IN (SELECT client_uri FROM pseudonyms WHERE room_uri = r.uri))
         FROM rooms r WHERE r.left_at IS NULL ORDER BY r.joined_at, r.uri",
    )?;
    let rows = st
        .query_map([me], |r| {
            Ok(RoomInfo {
                uri: r.get(0)?,
                name: r.get(1)?,
                preset: r.get(2)?,
                pseudonymous: r.get::<_, i64>(3)? != 0,
                unread: r.get::<_, i64>(4)?.clamp(0, u32::MAX as i64) as u32,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Keeps what the room list shows of a room's state: the preset its roles match and whether it
/// is pseudonymous (after creating, joining and every merged commit).
pub fn set_room_summary(
    conn: &Connection,
    room: &str,
    preset: Option<&str>,
    pseudonymous: bool,
) -> Result<()> {
    conn.prepare_cached("UPDATE rooms SET preset = ?2, pseudonymous = ?3 WHERE uri = ?1")?
        .execute(params![room, preset, pseudonymous])?;
    Ok(())
}

/// Moves a room's read marker to its newest message.
pub fn mark_read(conn: &Connection, room: &str) -> Result<()> {
    let n = conn.execute(
        "UPDATE rooms SET last_read = MAX(last_read,
           COALESCE((SELECT MAX(timestamp) FROM messages WHERE room_uri = ?1), 0))
         WHERE uri = ?1 AND left_at IS NULL",
        [room],
    )?;
    if n == 0 {
        return Err(Error::UnknownRoom(room.to_owned()));
    }
    Ok(())
}

/// The group ID of a room this client is in.
pub fn room_group(conn: &Connection, room: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT group_id FROM rooms WHERE uri = ?1 AND left_at IS NULL")?
        .query_row([room], |r| r.get(0))
        .optional()?)
}

/// Messages of a room in hub order.
pub fn messages(conn: &Connection, room: &str, limit: u32) -> Result<Vec<Message>> {
    let mut st = conn.prepare_cached(
        "SELECT id, sender_user, sender_client, text, timestamp, kind, verified FROM
           (SELECT * FROM messages WHERE room_uri = ?1 ORDER BY timestamp DESC, id DESC LIMIT ?2)
         ORDER BY timestamp, id",
    )?;
    let rows = st
        .query_map(params![room, limit], |r| {
            Ok(Message {
                room: room.to_owned(),
                id: hex::encode(r.get::<_, Vec<u8>>(0)?),
                sender: r.get(1)?,
                sender_client: r.get(2)?,
                text: r.get(3)?,
                timestamp: r.get::<_, i64>(4)? as u64,
                kind: if r.get::<_, String>(5)? == "event" {
                    MessageKind::Event
                } else {
                    MessageKind::Message
                },
                verified: r.get::<_, i64>(6)? != 0,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Stores a message (with its Frank, if any); false if one with the same ID is already there
/// (a duplicate).
pub fn insert_message(
    conn: &Connection,
    m: &Message,
    content: &[u8],
    frank: Option<&[u8]>,
) -> Result<bool> {
    let id = hex::decode(&m.id).map_err(|e| Error::Io(e.to_string()))?;
    let n = conn.prepare_cached(
        "INSERT OR IGNORE INTO messages (room_uri, id, sender_user, sender_client, timestamp, content, text, kind, frank, verified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
            m.room,
            id,
            m.sender,
            m.sender_client,
            m.timestamp as i64,
            content,
            m.text,
            m.kind.as_str(),
            frank,
            m.verified
        ])?;
    Ok(n == 1)
}

/// What a report needs of a stored message.
pub struct Reportable {
    /// The exact content bytes.
    pub content: Vec<u8>,
    /// The hub's Frank (TLS), if it came with one.
    pub frank: Option<Vec<u8>>,
    /// The hub's timestamp, ms.
    pub timestamp: u64,
    /// The sender's user URI.
    pub sender: String,
    /// Whether the frank verified on receipt.
    pub verified: bool,
}

/// What a report needs of a stored message, if there is one with that ID.
pub fn reportable(conn: &Connection, room: &str, id_hex: &str) -> Result<Option<Reportable>> {
    let id = hex::decode(id_hex)
        .map_err(|_| Error::Usage(format!("{id_hex:?} is not a message ID (hex)")))?;
    Ok(conn
        .query_row(
            "SELECT content, frank, timestamp, sender_user, verified FROM messages
             WHERE room_uri = ?1 AND id = ?2 AND kind = 'message'",
            params![room, id],
            |r| {
                Ok(Reportable {
                    content: r.get(0)?,
                    frank: r.get(1)?,
                    timestamp: r.get::<_, i64>(2)? as u64,
                    sender: r.get(3)?,
                    verified: r.get::<_, i64>(4)? != 0,
                })
            },
        )
        .optional()?)
}

/// Counts a message this client will not show (POLICY §8.3).
pub fn count_hidden(conn: &Connection, room: &str) -> Result<()> {
    conn.execute(
        "UPDATE rooms SET hidden = hidden + 1 WHERE uri = ?1",
        [room],
    )?;
    Ok(())
}

/// How many messages of a room were hidden.
pub fn hidden(conn: &Connection, room: &str) -> Result<u64> {
    Ok(conn
        .query_row("SELECT hidden FROM rooms WHERE uri = ?1", [room], |r| {
            r.get::<_, i64>(0)
        })
        .optional()?
        .unwrap_or(0) as u64)
}

/// An abuse report this client filed.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FiledReport {
    /// The hub's id for it.
    pub id: i64,
    /// The room.
    pub room: String,
    /// Whom it accuses (as the room names them: a pseudonym in a pseudonymous room).
    pub abuser: String,
    /// The reported messages' IDs (hex).
    pub message_ids: Vec<String>,
    /// The reason given.
    pub reason: String,
    /// The note.
    pub note: String,
    /// When the hub accepted it, ms.
    pub filed_at: u64,
}

/// Keeps a report the hub accepted.
pub fn keep_report(conn: &Connection, r: &FiledReport) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO my_reports (hub_id, room_uri, abuser, message_ids, reason, note, filed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            r.id,
            r.room,
            r.abuser,
            r.message_ids.join(","),
            r.reason,
            r.note,
            r.filed_at as i64
        ],
    )?;
    Ok(())
}

/// The reports this client filed, newest first.
pub fn my_reports(conn: &Connection) -> Result<Vec<FiledReport>> {
    let mut st = conn.prepare(
        "SELECT hub_id, room_uri, abuser, message_ids, reason, note, filed_at FROM my_reports
         ORDER BY filed_at DESC, hub_id DESC",
    )?;
    let rows = st
        .query_map([], |r| {
            let ids: String = r.get(3)?;
            Ok(FiledReport {
                id: r.get(0)?,
                room: r.get(1)?,
                abuser: r.get(2)?,
                message_ids: ids
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                reason: r.get(4)?,
                note: r.get(5)?,
                filed_at: r.get::<_, i64>(6)?.max(0) as u64,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
