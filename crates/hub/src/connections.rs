//! Connections between users at their provider (MIMIMI §5): each user's connection-establishment
//! key and the relaying of sealed requests and responses (blocks are `crate::blocks`).
//!
//! The hub sees who asks whom (it relays), never what the messages hold. It keeps one pending
//! request per pair of users, and quotas per sender and per recipient ([`Limits`]), so that no
//! user can flood another; a user can block another, after which the blocked user's requests
//! and invitations no longer reach them (they are dropped as if delivered, so a block is not
//! announced to the blocked user).

use mimi::uri::UserUri;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::principal::Principal;
use crate::store::{self, now_ms};

/// Sets the authenticated user's connection-establishment key (MIMIMI §5), once: a user's later
/// devices cannot replace the key the first one holds.
pub fn set_connection_key(conn: &Connection, auth: &Principal, public_key: &[u8]) -> Result<()> {
    if public_key.len() != 32 {
        return Err(Error::MalformedBody(
            "public_key must be a 32-byte X25519 public key".into(),
        ));
    }
    let n = conn.execute(
        "UPDATE users SET connection_key = ?2 WHERE uri = ?1 AND connection_key IS NULL",
        params![auth.user.to_string(), public_key],
    )?;
    if n == 0 {
        return Err(Error::Conflict(
            "connection_key_exists",
            format!("{} already has a connection-establishment key", auth.user),
        ));
    }
    Ok(())
}

/// A user's connection-establishment key, served without authentication.
pub fn connection_key(conn: &Connection, domain: &str, name: &str) -> Result<(UserUri, Vec<u8>)> {
    let user = UserUri::new(domain, name)
        .map_err(|e| Error::UnknownUser(format!("no user {name:?} on this hub: {e}")))?;
    let key: Option<Option<Vec<u8>>> = conclave_sqlite::rows::optional_value(
        conn,
        "SELECT connection_key FROM users WHERE uri = ?1",
        [user.to_string()],
    )?;
    match key {
        None => Err(Error::UnknownUser(format!("no user {user} on this hub"))),
        Some(None) => Err(Error::NotFound(format!(
            "{user} accepts no connection requests (no connection-establishment key)"
        ))),
        Some(Some(k)) => Ok((user, k)),
    }
}

/// Relays a sealed connection request or response to every client of `to` (MIMIMI §5).
/// Returns the clients to wake (none when `to` blocked the sender).
pub fn relay_connection(
    conn: &mut Connection,
    limits: &Limits,
    auth: &Principal,
    to: &str,
    kind: &str,
    sealed: &[u8],
) -> Result<Vec<String>> {
    let request = match kind {
        "request" => true,
        "response" => false,
        _ => {
            return Err(Error::MalformedBody(
                "kind must be \"request\" or \"response\"".into(),
            ));
        }
    };
    let to = UserUri::parse(to).map_err(|e| Error::MalformedBody(format!("to: {e}")))?;
    if to == auth.user {
        return Err(Error::MalformedBody("a connection with yourself".into()));
    }
    let clients: Vec<String> = conn
        .prepare_cached("SELECT uri FROM clients WHERE user_uri = ?1")?
        .query_map([to.to_string()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if clients.is_empty() {
        return Err(Error::UnknownUser(format!("no user {to} on this hub")));
    }
    let (me, them) = (auth.user.to_string(), to.to_string());
    if crate::blocks::is_blocked(conn, &to, &auth.user)? {
        // Dropped as if delivered: the block is not announced to the one blocked, and nothing
        // of theirs is kept against the blocker's quota.
        return Ok(Vec::new());
    }
    let now = now_ms() as i64;
    let ttl_ms =
        (limits.connection_request_ttl_secs.saturating_mul(1000)).min(i64::MAX as u64) as i64;
    let tx = conn.savepoint()?;
    tx.execute(
        "DELETE FROM connection_requests WHERE created_at <= ?1",
        [now.saturating_sub(ttl_ms)],
    )?;
    if request {
        pending_quota(&tx, limits, &me, &them, now, ttl_ms)?;
        tx.execute(
            "INSERT INTO connection_requests (from_user, to_user, created_at) VALUES (?1, ?2, ?3)",
            params![me, them, now],
        )?;
    } else {
        // A response answers a pending request from `to`, and ends it.
        let n = tx.execute(
            "DELETE FROM connection_requests WHERE from_user = ?1 AND to_user = ?2",
            params![them, me],
        )?;
        if n == 0 {
            return Err(Error::Conflict(
                "no_pending_request",
                format!("{to} has no connection request waiting for your answer"),
            ));
        }
        // An answer is an acceptance: the two are connected, which is consent both ways to be
        // added to rooms (SECURITY.md "KeyPackages").
        crate::consent::record_connection(&tx, &me, &them)?;
    }
    let entry = serde_json::to_vec(&serde_json::json!({
        "kind": kind,
        "from": me,
        "sealed": b64(sealed),
    }))
    .map_err(Error::internal)?;
    for c in &clients {
        store::queue::enqueue(&tx, c, "connection", None, &entry)?;
    }
    // The sender's other devices get a copy (`own`), so a request made or answered on one
    // device is known on all of them (the sealed part is not theirs to open).
    let copy = serde_json::to_vec(&serde_json::json!({
        "kind": kind,
        "from": me,
        "to": them,
        "own": true,
        "sealed": "",
    }))
    .map_err(Error::internal)?;
    let mine: Vec<String> = tx
        .prepare_cached(
            "SELECT uri FROM clients WHERE user_uri = ?1 AND uri != ?2 AND revoked_at IS NULL",
        )?
        .query_map(params![me, auth.client.to_string()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for c in &mine {
        store::queue::enqueue(&tx, c, "connection", None, &copy)?;
    }
    tx.commit()?;
    Ok(clients.into_iter().chain(mine).collect())
}

/// Refuses a request while one from `from` to `to` waits, or while `from` has, or `to` is
/// owed, too many answers.
fn pending_quota(
    conn: &Connection,
    limits: &Limits,
    from: &str,
    to: &str,
    now: i64,
    ttl_ms: i64,
) -> Result<()> {
    if let Some(since) = conn
        .query_row(
            "SELECT created_at FROM connection_requests WHERE from_user = ?1 AND to_user = ?2",
            params![from, to],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
    {
        return Err(crate::limits::quota(
            "connection_request_pending",
            since.saturating_add(ttl_ms),
            now,
            format!("your connection request to {to} still waits for an answer"),
        ));
    }
    for (column, max, code, what) in [
        (
            "from_user",
            limits.pending_connections_per_sender,
            "too_many_connection_requests",
            format!(
                "you have {} connection requests waiting for answers",
                limits.pending_connections_per_sender
            ),
        ),
        (
            "to_user",
            limits.pending_connections_per_recipient,
            "recipient_has_too_many_requests",
            format!("{to} has too many connection requests waiting for an answer"),
        ),
    ] {
        let who = if column == "from_user" { from } else { to };
        crate::limits::pending_quota(
            conn,
            crate::limits::Pending {
                table: "connection_requests",
                column,
                who,
                max,
                code,
                message: what,
            },
            ttl_ms,
            now,
        )?;
    }
    Ok(())
}

fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}
