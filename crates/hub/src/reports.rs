//! Abuse reports (PROTO §5.9): the hub verifies every reported message against its own franking
//! keys — it needs no stored copy of the message — and files the report for the operator, who
//! lists, reads and resolves them with `conclave-hub reports …` while the hub serves.

use mimi::franking::{AbuseReport, AbusiveMessage};
use mimi::policy::Action;
use mimi::uri::RoomUri;
use rusqlite::{Connection, OptionalExtension, params};

use crate::franking_keys::FrankingKeys;
use crate::principal::Principal;
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

/// Marks an open report dismissed or upheld. A report whose franking proof did not verify can
/// only be dismissed: upholding acts against the accused (the operator then removes them from
/// the room), and nothing shows that they sent what it says.
pub fn resolve(conn: &Connection, id: i64, upheld: bool) -> Result<Report> {
    let rep = get(conn, id)?.ok_or_else(|| Error::NotFound(format!("no report {id}")))?;
    if rep.status != "open" {
        return Err(Error::Conflict(
            "already_resolved",
            format!("report {id} is already {}", rep.status),
        ));
    }
    if upheld && !rep.verified {
        let why = rep
            .messages
            .iter()
            .enumerate()
            .find_map(|(i, m)| Some(format!(" (message {}: {})", i + 1, m.problem.as_ref()?)))
            .unwrap_or_default();
        return Err(Error::UnverifiedReport(format!(
            "report {id} cannot be upheld: its franking proof did not verify{why}; it can only be dismissed"
        )));
    }
    let status = if upheld { "upheld" } else { "dismissed" };
    let n = conn.execute(
        "UPDATE reports SET status = ?2, resolved_at = ?3 WHERE id = ?1 AND status = 'open'",
        params![id, status, now_ms() as i64],
    )?;
    if n == 0 {
        // Resolved by another command since it was read.
        let now = get(conn, id)?.map(|r| r.status).unwrap_or_default();
        return Err(Error::Conflict(
            "already_resolved",
            format!("report {id} is already {now}"),
        ));
    }
    Ok(Report {
        status: status.to_owned(),
        ..rep
    })
}

/// What filing a report answers.
#[derive(Debug, Clone, Copy)]
pub struct Filed {
    /// The report's id.
    pub id: i64,
    /// Whether every message verified.
    pub verified: bool,
}

/// Checks one reported message against the hub's keys (PROTO §5.9): the room's franking key,
/// the `hub_key` in force at its timestamp, and that it was sent by the accused.
pub fn check_message(
    m: &AbusiveMessage,
    keys: &FrankingKeys,
    franking_key: &[u8],
    room: &str,
    alleged_abuser: &str,
) -> Result<FiledMessage> {
    let generation = keys.at(m.accepted_timestamp)?;
    let mut filed = FiledMessage {
        text: None,
        sender: String::new(),
        timestamp: m.accepted_timestamp,
        verified: false,
        problem: None,
    };
    match mimi::franking::verify_reported(m, &generation.hub_key, franking_key, room) {
        Ok(v) if v.sender_uri != alleged_abuser => {
            filed.sender = v.sender_uri.clone();
            filed.problem = Some(format!(
                "the message was sent by {}, not by the accused {alleged_abuser}",
                v.sender_uri
            ));
        }
        Ok(v) => {
            filed.sender = v.sender_uri;
            filed.text = v.text;
            filed.verified = true;
        }
        Err(e) => filed.problem = Some(e.to_string()),
    }
    Ok(filed)
}

/// Receives an `AbuseReport` (PROTO §5.9) from a member holding canReportAbuse, verifies every
/// message and files it. A report that does not verify is filed for the operator too (false
/// reports are worth seeing) and refused to the reporter with the reason.
pub fn receive(
    conn: &mut Connection,
    hub: &crate::Inner,
    auth: &Principal,
    room: &RoomUri,
    body: &[u8],
) -> Result<Filed> {
    let trust = crate::accounts::trust(&hub.domain, &hub.provider_key);
    if !crate::store::is_member(conn, &room.to_string(), &auth.client.to_string())? {
        crate::store::room(conn, &room.to_string())?
            .ok_or_else(|| Error::UnknownRoom(format!("no room {room} on this hub")))?;
        return Err(Error::NotMember(format!(
            "{} is not a member of {room}",
            auth.client
        )));
    }
    if !crate::room::may(conn, &trust, room, &auth.user, &Action::ReportAbuse)? {
        return Err(Error::NotAllowed(format!(
            "{} may not report abuse in {room}: the role has no canReportAbuse",
            auth.user
        )));
    }
    let hour_ago = (now_ms() as i64).saturating_sub(3_600_000);
    let (recent, oldest): (i64, Option<i64>) = conn.query_row(
        "SELECT COUNT(*), MIN(created_at) FROM reports WHERE reporter = ?1 AND created_at > ?2",
        params![auth.user.to_string(), hour_ago],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if recent >= i64::from(hub.limits.reports_per_hour) {
        // The oldest report of the last hour frees a place when it is an hour old.
        return Err(crate::limits::quota(
            "report_quota",
            oldest.unwrap_or(hour_ago).saturating_add(3_600_000),
            hour_ago.saturating_add(3_600_000),
            format!(
                "at most {} reports an hour; try again later",
                hub.limits.reports_per_hour
            ),
        ));
    }
    let report = AbuseReport::from_bytes(body)
        .map_err(|e| Error::MalformedBody(format!("AbuseReport: {e}")))?;
    let reporter = String::from_utf8_lossy(report.reporting_user.uri.as_slice()).into_owned();
    if !reporter.is_empty() && reporter != auth.user.to_string() {
        return Err(Error::NotYourIdentity(format!(
            "reportingUser {reporter} is not your user {}",
            auth.user
        )));
    }
    if report.messages.is_empty() || report.messages.len() > 100 {
        return Err(Error::MalformedBody(
            "a report names 1 to 100 messages".into(),
        ));
    }
    let alleged = String::from_utf8_lossy(report.alleged_abuser_uri.uri.as_slice()).into_owned();
    let reason = report
        .abuse_extensions
        .iter()
        .find(|c| c.component_id == mimi::ids::REPORT_REASON)
        .map(|c| String::from_utf8_lossy(c.data.as_slice()).into_owned())
        .unwrap_or_default();
    let note = String::from_utf8_lossy(report.note.as_slice()).into_owned();
    let franking_key: Vec<u8> = conn.query_row(
        "SELECT franking_key FROM rooms WHERE uri = ?1",
        [room.to_string()],
        |r| r.get(0),
    )?;
    let messages = report
        .messages
        .iter()
        .map(|m| check_message(m, &hub.franking, &franking_key, &room.to_string(), &alleged))
        .collect::<Result<Vec<_>>>()?;
    let id = file(
        conn,
        &room.to_string(),
        &auth.user.to_string(),
        &alleged,
        &reason,
        &note,
        &messages,
    )?;
    if let Some((i, m)) = messages.iter().enumerate().find(|(_, m)| !m.verified) {
        return Err(Error::UnverifiedReport(format!(
            "message {} of the report does not verify: {}",
            i + 1,
            m.problem.clone().unwrap_or_default()
        )));
    }
    Ok(Filed { id, verified: true })
}
