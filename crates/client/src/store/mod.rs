//! The client's SQLite store: one file holding OpenMLS's state (openmls_sqlite_storage on the same
//! connection) and Conclave's rows (rooms, messages, settings), so that processing a commit and
//! writing its rows commit in one transaction. WAL mode, numbered append-only migrations.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result};

pub mod encrypt;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_room_events.sql")),
    (3, include_str!("../../migrations/0003_hidden_messages.sql")),
    (4, include_str!("../../migrations/0004_franks.sql")),
    (5, include_str!("../../migrations/0005_connections.sql")),
    (6, include_str!("../../migrations/0006_pseudonyms.sql")),
    (7, include_str!("../../migrations/0007_my_reports.sql")),
    (8, include_str!("../../migrations/0008_room_summary.sql")),
    (
        9,
        include_str!("../../migrations/0009_replies_reactions_edits.sql"),
    ),
    (10, include_str!("../../migrations/0010_reconcile.sql")),
    (11, include_str!("../../migrations/0011_user_keys.sql")),
];

/// Opens (creating) the database and applies pending migrations.
/// `key` is the SQLCipher key of the file (SECURITY.md "Secrets at rest"); `None` opens a plain
/// file (the benchmarks' baseline and tools; a client's home is always keyed, [`encrypt`]).
pub fn open(path: &Path, key: Option<&Key>) -> Result<Connection> {
    let opened = match key {
        Some(k) => conclave_sqlite::open_keyed(path, k, MIGRATIONS),
        None => conclave_sqlite::open(path, MIGRATIONS),
    };
    opened.map_err(|e| match e {
        conclave_sqlite::Error::Sqlite(e) => Error::Store(e),
        conclave_sqlite::Error::Unreadable => Error::Unreadable {
            path: path.display().to_string(),
            why: "the key is not this database's, or the file is damaged".into(),
        },
        other => Error::Io(other.to_string()),
    })
}

pub use conclave_sqlite::cipher::Key;

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
    /// Messages from others after the read marker ([`crate::Room::mark_read`]).
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

/// A timeline message (or history event) as it stands now: edits applied, deletes shown as
/// such, its reactions gathered (CONTENT §3, §4.3).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    /// The room.
    pub room: String,
    /// Message ID, hex (CONTENT §3.3) of the first version; for events, an ID derived from the
    /// room and epoch.
    pub id: String,
    /// A message or a history event.
    pub kind: MessageKind,
    /// Sender's user URI.
    pub sender: String,
    /// Sender's client URI.
    pub sender_client: String,
    /// Its text (the newest version's), if it is a text message that was not deleted.
    pub text: Option<String>,
    /// Hub acceptance time of the first version, ms.
    pub timestamp: u64,
    /// The hub's frank verified (PROTO §5.4.1.3); only verified messages can be reported.
    pub verified: bool,
    /// The message this one answers, if it is a reply.
    pub reply_to: Option<Quote>,
    /// Reactions to it, one entry per emoji in the order they first came.
    pub reactions: Vec<Reaction>,
    /// Hub time of the newest edit, ms; `None` if it was never edited.
    pub edited_at: Option<u64>,
    /// Deleted by its sender or a moderator; the text is gone.
    pub deleted: bool,
}

impl Message {
    /// A message or event with no reply, reactions or edits yet.
    pub fn new(
        room: &str,
        id: String,
        kind: MessageKind,
        sender: String,
        sender_client: String,
        text: Option<String>,
        timestamp: u64,
    ) -> Self {
        Self {
            room: room.to_owned(),
            id,
            kind,
            sender,
            sender_client,
            text,
            timestamp,
            verified: false,
            reply_to: None,
            reactions: Vec::new(),
            edited_at: None,
            deleted: false,
        }
    }
}

/// The message a reply answers, as the reply shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Quote {
    /// Its ID (first version), hex.
    pub id: String,
    /// Its sender, if this client has it (a reply may answer a message from before the join).
    pub sender: Option<String>,
    /// Its current text, if this client has it and it was not deleted.
    pub text: Option<String>,
    /// It was deleted.
    pub deleted: bool,
}

/// One emoji's reactions to a message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reaction {
    /// The reaction's text (usually one emoji).
    pub emoji: String,
    /// Who reacted so, in order.
    pub users: Vec<String>,
}

/// Rooms the client is in, by name then URI.
/// `me` is this client's URI: its own messages (and its pseudonyms') are never unread.
pub fn rooms(conn: &Connection, me: &str) -> Result<Vec<RoomInfo>> {
    let sql = "SELECT r.uri, r.name, r.preset, r.pseudonymous,
           (SELECT COUNT(*) FROM messages m
             WHERE m.room_uri = r.uri AND m.kind = 'message' AND m.deleted = 0 AND m.timestamp > r.last_read
               AND m.sender_client != ?1
               AND m.sender_client NOT IN (SELECT client_uri FROM pseudonyms WHERE room_uri = r.uri))
         FROM rooms r WHERE r.left_at IS NULL ORDER BY r.joined_at, r.uri";
    Ok(conclave_sqlite::rows::all(conn, sql, [me], |r| {
        Ok(RoomInfo {
            uri: r.get(0)?,
            name: r.get(1)?,
            preset: r.get(2)?,
            pseudonymous: r.get(3)?,
            unread: r.get::<_, i64>(4)?.clamp(0, u32::MAX as i64) as u32,
        })
    })?)
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
    let mut st = conn.prepare_cached(&format!(
        "SELECT {VIEW_COLUMNS} FROM
           (SELECT * FROM messages WHERE room_uri = ?1 AND kind IN ('message', 'event')
             ORDER BY timestamp DESC, id DESC LIMIT ?2) m
         LEFT JOIN messages q ON q.room_uri = m.room_uri AND q.id = m.reply_to
         ORDER BY m.timestamp, m.id"
    ))?;
    let mut rows = st
        .query_map(params![room, limit], |r| view(room, r))?
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(first) = rows.first() {
        // A reaction comes after what it reacts to, so the window's reactions are all at or
        // after its first message.
        let since = first.timestamp;
        gather_reactions(conn, room, since, &mut rows)?;
    }
    Ok(rows)
}

/// One timeline message (or event) as it stands now, by the hex ID of its first version.
pub fn message(conn: &Connection, room: &str, id_hex: &str) -> Result<Option<Message>> {
    let Ok(id) = hex::decode(id_hex) else {
        return Ok(None);
    };
    let m = conn
        .prepare_cached(&format!(
            "SELECT {VIEW_COLUMNS} FROM messages m
             LEFT JOIN messages q ON q.room_uri = m.room_uri AND q.id = m.reply_to
             WHERE m.room_uri = ?1 AND m.id = ?2 AND m.kind IN ('message', 'event')"
        ))?
        .query_row(params![room, id], |r| view(room, r))
        .optional()?;
    let Some(m) = m else { return Ok(None) };
    let mut one = [m];
    let since = one[0].timestamp;
    gather_reactions(conn, room, since, &mut one)?;
    let [m] = one;
    Ok(Some(m))
}

/// The columns [`view`] reads: the row `m` and the message `q` it replies to.
const VIEW_COLUMNS: &str = "m.id, m.sender_user, m.sender_client, m.text, m.timestamp, m.kind,
    m.verified, m.edited_at, m.deleted, m.reply_to, q.sender_user, q.text, q.deleted";

fn view(room: &str, r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    let reply_to = r.get::<_, Option<Vec<u8>>>(9)?.map(|id| Quote {
        id: hex::encode(id),
        sender: r.get(10).ok().flatten(),
        text: r.get(11).ok().flatten(),
        deleted: r.get::<_, Option<i64>>(12).ok().flatten().unwrap_or(0) != 0,
    });
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
        reply_to,
        reactions: Vec::new(),
        edited_at: r.get::<_, Option<i64>>(7)?.map(|t| t as u64),
        deleted: r.get::<_, i64>(8)? != 0,
    })
}

/// Fills in the reactions of `messages` (live reactions at or after `since`).
fn gather_reactions(
    conn: &Connection,
    room: &str,
    since: u64,
    messages: &mut [Message],
) -> Result<()> {
    let mut st = conn.prepare_cached(
        "SELECT reply_to, text, sender_user FROM messages
         WHERE room_uri = ?1 AND kind = 'reaction' AND deleted = 0 AND timestamp >= ?2
         ORDER BY timestamp, id",
    )?;
    let by_id: std::collections::HashMap<String, usize> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    let rows = st.query_map(params![room, since as i64], |r| {
        Ok((
            r.get::<_, Option<Vec<u8>>>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (Some(to), Some(emoji), user) = row? else {
            continue;
        };
        let Some(&i) = by_id.get(&hex::encode(to)) else {
            continue;
        };
        let reactions = &mut messages[i].reactions;
        match reactions.iter_mut().find(|r| r.emoji == emoji) {
            Some(r) if !r.users.contains(&user) => r.users.push(user),
            Some(_) => {}
            None => reactions.push(Reaction {
                emoji,
                users: vec![user],
            }),
        }
    }
    Ok(())
}

/// What a stored row is (migration 0009): a timeline message or event, a reaction, or an edit
/// (any document that replaces another: an edit, a delete, an unlike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A timeline message (plain or a reply).
    Message,
    /// A history event.
    Event,
    /// A reaction.
    Reaction,
    /// A replacement.
    Edit,
}

impl RowKind {
    /// The `kind` column's value.
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Message => "message",
            RowKind::Event => "event",
            RowKind::Reaction => "reaction",
            RowKind::Edit => "edit",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "message" => RowKind::Message,
            "event" => RowKind::Event,
            "reaction" => RowKind::Reaction,
            "edit" => RowKind::Edit,
            _ => return None,
        })
    }
}

/// Stores a timeline message or event (with its Frank, if any); false if one with the same ID is
/// already there (a duplicate).
pub fn insert_message(
    conn: &Connection,
    m: &Message,
    content: &[u8],
    frank: Option<&[u8]>,
) -> Result<bool> {
    let kind = match m.kind {
        MessageKind::Message => RowKind::Message,
        MessageKind::Event => RowKind::Event,
    };
    let reply_to = match &m.reply_to {
        Some(q) => Some(hex::decode(&q.id).map_err(|e| Error::Io(e.to_string()))?),
        None => None,
    };
    insert_row(conn, m, kind, reply_to.as_deref(), None, content, frank)
}

/// Stores any row: `m` gives the sender, time, text and verification; `reply_to` and `replaces`
/// are first versions. False if a row with the same ID is already there.
pub fn insert_row(
    conn: &Connection,
    m: &Message,
    kind: RowKind,
    reply_to: Option<&[u8]>,
    replaces: Option<&[u8]>,
    content: &[u8],
    frank: Option<&[u8]>,
) -> Result<bool> {
    let id = hex::decode(&m.id).map_err(|e| Error::Io(e.to_string()))?;
    let n = conn.prepare_cached(
        "INSERT OR IGNORE INTO messages (room_uri, id, sender_user, sender_client, timestamp, content, text, kind, frank, verified, reply_to, replaces)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
            m.room,
            id,
            m.sender,
            m.sender_client,
            m.timestamp as i64,
            content,
            m.text,
            kind.as_str(),
            frank,
            m.verified,
            reply_to,
            replaces,
        ])?;
    Ok(n == 1)
}

/// A stored row, as replies, reactions and edits need to know it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its ID.
    pub id: Vec<u8>,
    /// What it is.
    pub kind: RowKind,
    /// Its sender's user URI.
    pub sender: String,
    /// For edits: the first version they replace. For reactions: what they react to.
    pub replaces: Option<Vec<u8>>,
    /// For reactions and replies: the first version they answer.
    pub reply_to: Option<Vec<u8>>,
    /// The newest applied edit of a first version.
    pub latest: Option<Vec<u8>>,
    /// It was deleted.
    pub deleted: bool,
}

/// A stored row of a room by ID.
pub fn stored(conn: &Connection, room: &str, id: &[u8]) -> Result<Option<Stored>> {
    let row = conn
        .prepare_cached(
            "SELECT kind, sender_user, replaces, reply_to, latest, deleted FROM messages
             WHERE room_uri = ?1 AND id = ?2",
        )?
        .query_row(params![room, id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
                r.get::<_, Option<Vec<u8>>>(3)?,
                r.get::<_, Option<Vec<u8>>>(4)?,
                r.get::<_, i64>(5)? != 0,
            ))
        })
        .optional()?;
    let Some((kind, sender, replaces, reply_to, latest, deleted)) = row else {
        return Ok(None);
    };
    let kind = RowKind::parse(&kind)
        .ok_or_else(|| Error::Io(format!("a stored message has an unknown kind {kind:?}")))?;
    Ok(Some(Stored {
        id: id.to_vec(),
        kind,
        sender,
        replaces,
        reply_to,
        latest,
        deleted,
    }))
}

/// Applies an edit (`text`, made at `at` by the row `by`) or a delete (`text` = `None`) to the
/// first version `target`. A delete keeps `latest`, so a report still names what was shown.
pub fn apply_replacement(
    conn: &Connection,
    room: &str,
    target: &[u8],
    by: &[u8],
    text: Option<&str>,
    at: u64,
) -> Result<()> {
    match text {
        Some(text) => conn
            .prepare_cached(
                "UPDATE messages SET text = ?3, latest = ?4, edited_at = ?5
                 WHERE room_uri = ?1 AND id = ?2 AND deleted = 0",
            )?
            .execute(params![room, target, text, by, at as i64])?,
        None => conn
            .prepare_cached(
                "UPDATE messages SET text = NULL, deleted = 1 WHERE room_uri = ?1 AND id = ?2",
            )?
            .execute(params![room, target])?,
    };
    Ok(())
}

/// This user's live reaction rows to the first version `to`, with their texts.
pub fn my_reactions(
    conn: &Connection,
    room: &str,
    to: &[u8],
    me: &str,
) -> Result<Vec<(Vec<u8>, Option<String>)>> {
    let mut st = conn.prepare_cached(
        "SELECT id, text FROM messages
         WHERE room_uri = ?1 AND kind = 'reaction' AND reply_to = ?2 AND sender_user = ?3 AND deleted = 0
         ORDER BY timestamp, id",
    )?;
    let rows = st
        .query_map(params![room, to, me], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether `user` or `client` is one of this client's pseudonyms in `room`.
pub fn is_own_pseudonym(conn: &Connection, room: &str, user: &str, client: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM pseudonyms WHERE room_uri = ?1 AND (user_uri = ?2 OR client_uri = ?3)",
        )?
        .query_row(params![room, user, client], |_| Ok(()))
        .optional()?
        .is_some())
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

/// What a report needs of a stored message, if there is one with that ID. A first version that
/// was edited is reported as its newest version (what the reporter saw); a reaction or an edit
/// can be reported by its own ID.
pub fn reportable(conn: &Connection, room: &str, id_hex: &str) -> Result<Option<Reportable>> {
    let id = hex::decode(id_hex)
        .map_err(|_| Error::Usage(format!("{id_hex:?} is not a message ID (hex)")))?;
    Ok(conn
        .query_row(
            "SELECT v.content, v.frank, v.timestamp, v.sender_user, v.verified FROM messages m
             JOIN messages v ON v.room_uri = m.room_uri AND v.id = COALESCE(m.latest, m.id)
             WHERE m.room_uri = ?1 AND m.id = ?2 AND m.kind IN ('message', 'reaction', 'edit')",
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
