//! Consent to be added (PROTO §5.7 requestConsent/updateConsent, here between a provider's own
//! users; SECURITY.md "KeyPackages"). A claim of a user's KeyPackages (PROTO §5.2) needs a
//! reason: that user's consent to the claimer, for any room or for that room. It is given
//!
//! - explicitly: the user grants it, in answer to a request or not (PROTO §5.7: "a grant need not
//!   follow a request"), and may revoke it;
//! - by a connection (MIMIMI §5): the hub relays a connection request and its answer (an answer
//!   is only ever an acceptance), so when the answer comes it records consent both ways.
//!
//! Without it a claim answers `noConsent` with no client listed: it hands out no KeyPackage and
//! reveals nothing of the user's devices. A user's own devices need none.

use mimi::uri::{RoomUri, UserUri};
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::principal::Principal;
use crate::store::{self, now_ms};

/// What a consent update does (PROTO §5.7 `ConsentOperation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Withdraw a request.
    Cancel,
    /// Ask a user for consent.
    Request,
    /// Consent to a user's adding.
    Grant,
    /// Withdraw a consent.
    Revoke,
}

impl Operation {
    /// The operation a request body names.
    pub fn parse(s: &str) -> Result<Operation> {
        Ok(match s {
            "cancel" => Operation::Cancel,
            "request" => Operation::Request,
            "grant" => Operation::Grant,
            "revoke" => Operation::Revoke,
            other => {
                return Err(Error::MalformedBody(format!(
                    "operation {other:?}: one of request, cancel, grant, revoke"
                )));
            }
        })
    }
}

/// The room column of a consent or request: `""` for any room.
fn scope(room: Option<&RoomUri>) -> String {
    room.map(ToString::to_string).unwrap_or_default()
}

/// Whether `granter` consented to `grantee` adding it to `room`.
pub fn allows(
    conn: &Connection,
    granter: &UserUri,
    grantee: &UserUri,
    room: &RoomUri,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM consents WHERE granter = ?1 AND grantee = ?2 AND room_uri IN ('', ?3)",
        )?
        .exists(params![
            granter.to_string(),
            grantee.to_string(),
            room.to_string()
        ])?)
}

/// Whether `granter` consented to `grantee` adding it to some room (not every room).
pub fn allows_elsewhere(conn: &Connection, granter: &UserUri, grantee: &UserUri) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM consents WHERE granter = ?1 AND grantee = ?2")?
        .exists(params![granter.to_string(), grantee.to_string()])?)
}

/// Records the consent a connection between `a` and `b` gives, both ways, for any room.
pub fn record_connection(tx: &Connection, a: &str, b: &str) -> Result<()> {
    let now = now_ms() as i64;
    for (granter, grantee) in [(a, b), (b, a)] {
        tx.execute(
            "INSERT OR IGNORE INTO consents (granter, grantee, room_uri, created_at)
             VALUES (?1, ?2, '', ?3)",
            params![granter, grantee, now],
        )?;
    }
    Ok(())
}

/// `POST /v1/consent`: the caller requests, cancels, grants or revokes consent with `user`, for
/// `room` or any room. Returns the clients to wake: `user`'s, who hear of a request or a grant.
pub fn update(
    conn: &mut Connection,
    limits: &Limits,
    auth: &Principal,
    op: Operation,
    user: &str,
    room: Option<&str>,
) -> Result<Vec<String>> {
    let other = UserUri::parse(user).map_err(|e| Error::MalformedBody(format!("user: {e}")))?;
    let room = room
        .map(RoomUri::parse)
        .transpose()
        .map_err(|e| Error::MalformedBody(format!("room: {e}")))?;
    if other == auth.user {
        return Err(Error::MalformedBody(
            "consent is between two users: your own devices need none".into(),
        ));
    }
    let clients: Vec<String> = conn
        .prepare_cached("SELECT uri FROM clients WHERE user_uri = ?1 AND revoked_at IS NULL")?
        .query_map([other.to_string()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if clients.is_empty() {
        return Err(Error::UnknownUser(format!("no user {other} on this hub")));
    }
    let (me, them, scope) = (
        auth.user.to_string(),
        other.to_string(),
        scope(room.as_ref()),
    );
    let now = now_ms() as i64;
    let tx = conn.savepoint()?;
    let notice = match op {
        Operation::Request => {
            // Dropped as if delivered when `user` blocked the caller (a block is not announced).
            if crate::blocks::is_blocked(&tx, &other, &auth.user)? {
                return Ok(Vec::new());
            }
            pending_quota(&tx, limits, &me, &them, now)?;
            tx.execute(
                "INSERT INTO consent_requests (requester, target, room_uri, created_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET created_at = excluded.created_at",
                params![me, them, scope, now],
            )?;
            Some(
                serde_json::json!({ "request_from": me, "room": room.as_ref().map(ToString::to_string) }),
            )
        }
        Operation::Cancel => {
            tx.execute(
                "DELETE FROM consent_requests WHERE requester = ?1 AND target = ?2 AND room_uri = ?3",
                params![me, them, scope],
            )?;
            None
        }
        Operation::Grant => {
            tx.execute(
                "INSERT OR IGNORE INTO consents (granter, grantee, room_uri, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![me, them, scope, now],
            )?;
            tx.execute(
                "DELETE FROM consent_requests WHERE requester = ?1 AND target = ?2
                 AND (room_uri = ?3 OR ?3 = '')",
                params![them, me, scope],
            )?;
            Some(
                serde_json::json!({ "granted_by": me, "room": room.as_ref().map(ToString::to_string) }),
            )
        }
        Operation::Revoke => {
            // Without a room, every consent to `user`; with one, that room's.
            tx.execute(
                "DELETE FROM consents WHERE granter = ?1 AND grantee = ?2
                 AND (room_uri = ?3 OR ?3 = '')",
                params![me, them, scope],
            )?;
            None
        }
    };
    let wake = match notice {
        Some(n) => {
            let entry = serde_json::to_vec(&n).map_err(Error::internal)?;
            for c in &clients {
                store::queue::enqueue(&tx, c, "consent", None, &entry)?;
            }
            clients
        }
        None => Vec::new(),
    };
    tx.commit()?;
    Ok(wake)
}

/// Refuses a request while the caller has, or `to` is owed, too many unanswered ones (the
/// connection requests' limits: both are requests that wait for an answer).
fn pending_quota(conn: &Connection, limits: &Limits, from: &str, to: &str, now: i64) -> Result<()> {
    let ttl_ms =
        (limits.connection_request_ttl_secs.saturating_mul(1000)).min(i64::MAX as u64) as i64;
    conn.execute(
        "DELETE FROM consent_requests WHERE created_at <= ?1",
        [now.saturating_sub(ttl_ms)],
    )?;
    for (column, who, max, code) in [
        (
            "requester",
            from,
            limits.pending_connections_per_sender,
            "too_many_consent_requests",
        ),
        (
            "target",
            to,
            limits.pending_connections_per_recipient,
            "recipient_has_too_many_requests",
        ),
    ] {
        crate::limits::pending_quota(
            conn,
            crate::limits::Pending {
                table: "consent_requests",
                column,
                who,
                max,
                code,
                message: format!(
                    "too many consent requests wait for an answer from or to {who}; wait until some are answered"
                ),
            },
            ttl_ms,
            now,
        )?;
    }
    Ok(())
}

/// One consent or request, as the caller sees it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Entry {
    /// The other user.
    pub user: String,
    /// The room it is for; none for any room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
}

/// The caller's consents: given, received, and requests both ways.
#[derive(Debug, Serialize)]
pub struct Consents {
    /// Users the caller consented to be added by.
    pub granted: Vec<Entry>,
    /// Users who consented to be added by the caller.
    pub received: Vec<Entry>,
    /// Users who ask the caller for consent.
    pub requests_in: Vec<Entry>,
    /// Users the caller asked.
    pub requests_out: Vec<Entry>,
}

/// `GET /v1/consent`.
pub fn list(conn: &Connection, auth: &Principal) -> Result<Consents> {
    let me = auth.user.to_string();
    let rows = |sql: &str| -> Result<Vec<Entry>> {
        let mut st = conn.prepare(sql)?;
        let v = st
            .query_map([&me], |r| {
                let room: String = r.get(1)?;
                Ok(Entry {
                    user: r.get(0)?,
                    room: (!room.is_empty()).then_some(room),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    };
    Ok(Consents {
        granted: rows(
            "SELECT grantee, room_uri FROM consents WHERE granter = ?1 ORDER BY grantee, room_uri",
        )?,
        received: rows(
            "SELECT granter, room_uri FROM consents WHERE grantee = ?1 ORDER BY granter, room_uri",
        )?,
        requests_in: rows(
            "SELECT requester, room_uri FROM consent_requests WHERE target = ?1 ORDER BY created_at",
        )?,
        requests_out: rows(
            "SELECT target, room_uri FROM consent_requests WHERE requester = ?1 ORDER BY created_at",
        )?,
    })
}
