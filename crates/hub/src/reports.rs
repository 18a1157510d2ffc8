//! Abuse reports (PROTO §5.9): the hub verifies every reported message against its own franking
//! keys — it needs no stored copy of the message — and files the report for the operator, who
//! lists, reads and resolves them with `conclave-hub reports …` while the hub serves.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::now_ms;

/// One reported message as filed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FiledMessage {
    /// The text, once reported (None for a message without text).
    pub text: Option<String>,
    /// The sender the content names.
    pub sender: String,
    /// The hub's acceptance time, ms.
    pub timestamp: u64,
    /// Whether the hub's franking verified it.
    pub verified: bool,
    /// Why not, if not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// A filed report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    /// Its id.
    pub id: i64,
    /// The room.
    pub room: String,
    /// Who reported.
    pub reporter: String,
    /// Whom.
    pub alleged_abuser: String,
    /// The reason given.
    pub reason: String,
    /// The reporter's note.
    pub note: String,
    /// Every message verified.
    pub verified: bool,
    /// The messages.
    pub messages: Vec<FiledMessage>,
    /// open, dismissed or upheld.
    pub status: String,
    /// When filed, ms.
    pub created_at: u64,
}

/// Files a report; returns its id.
#[allow(clippy::too_many_arguments)]
pub fn file(
    conn: &Connection,
    room: &str,
    reporter: &str,
    alleged_abuser: &str,
    reason: &str,
    note: &str,
    messages: &[FiledMessage],
) -> Result<i64> {
    let verified = !messages.is_empty() && messages.iter().all(|m| m.verified);
    conn.execute(
        "INSERT INTO reports (room_uri, reporter, alleged_abuser, reason, note, verified, messages, status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8)",
        params![
            room,
            reporter,
            alleged_abuser,
            reason,
            note,
            verified,
            serde_json::to_string(messages).map_err(Error::internal)?,
            now_ms() as i64
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Report, String)> {
    Ok((
        Report {
            id: r.get(0)?,
            room: r.get(1)?,
            reporter: r.get(2)?,
            alleged_abuser: r.get(3)?,
            reason: r.get(4)?,
            note: r.get(5)?,
            verified: r.get::<_, i64>(6)? != 0,
            messages: Vec::new(),
            status: r.get(8)?,
            created_at: r.get::<_, i64>(9)? as u64,
        },
        r.get(7)?,
    ))
}

const COLUMNS: &str =
    "id, room_uri, reporter, alleged_abuser, reason, note, verified, messages, status, created_at";

fn with_messages((mut rep, json): (Report, String)) -> Result<Report> {
    rep.messages = serde_json::from_str(&json)
        .map_err(|e| Error::Internal(format!("report {} is damaged: {e}", rep.id)))?;
    Ok(rep)
}

/// Every report, newest first.
pub fn list(conn: &Connection) -> Result<Vec<Report>> {
    let mut st = conn.prepare(&format!("SELECT {COLUMNS} FROM reports ORDER BY id DESC"))?;
    let rows = st.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(with_messages).collect()
}

/// One report.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Report>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM reports WHERE id = ?1"),
        [id],
        row,
    )
    .optional()?
    .map(with_messages)
    .transpose()
}

/// Marks an open report dismissed or upheld.
pub fn resolve(conn: &Connection, id: i64, upheld: bool) -> Result<Report> {
    let n = conn.execute(
        "UPDATE reports SET status = ?2, resolved_at = ?3 WHERE id = ?1 AND status = 'open'",
        params![
            id,
            if upheld { "upheld" } else { "dismissed" },
            now_ms() as i64
        ],
    )?;
    let rep = get(conn, id)?.ok_or_else(|| Error::NotFound(format!("no report {id}")))?;
    if n == 0 {
        return Err(Error::Conflict(
            "already_resolved",
            format!("report {id} is already {}", rep.status),
        ));
    }
    Ok(rep)
}
