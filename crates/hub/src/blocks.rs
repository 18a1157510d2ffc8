//! Blocks: a user blocks another, after which the blocked user's connection requests, consent
//! requests and invitations no longer reach them (dropped as if delivered, so a block is not
//! announced), and every consent to be added by them is withdrawn.

use mimi::uri::UserUri;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::principal::Principal;
use crate::store::now_ms;

/// The most users one user may block.
pub const MAX_BLOCKS: i64 = 10_000;

/// Whether `user` blocked `other`.
pub fn is_blocked(conn: &Connection, user: &UserUri, other: &UserUri) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blocks WHERE user_uri = ?1 AND blocked_uri = ?2")?
        .query_row([user.to_string(), other.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The authenticated user blocks `other`: `other`'s connection requests and invitations no
/// longer reach them. Blocking twice is blocking once.
pub fn block(conn: &Connection, auth: &Principal, other: &str) -> Result<()> {
    let other = UserUri::parse(other).map_err(|e| Error::MalformedBody(format!("user: {e}")))?;
    if other == auth.user {
        return Err(Error::MalformedBody("you cannot block yourself".into()));
    }
    let known = conn
        .query_row(
            "SELECT 1 FROM users WHERE uri = ?1",
            [other.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !known {
        return Err(Error::UnknownUser(format!("no user {other} on this hub")));
    }
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM blocks WHERE user_uri = ?1",
        [auth.user.to_string()],
        |r| r.get(0),
    )?;
    if n >= MAX_BLOCKS {
        return Err(Error::Quota {
            code: "block_quota",
            retry_after: 3600,
            message: format!("at most {MAX_BLOCKS} users blocked; unblock someone first"),
        });
    }
    conn.execute(
        "INSERT INTO blocks (user_uri, blocked_uri, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        params![auth.user.to_string(), other.to_string(), now_ms() as i64],
    )?;
    // What `other` asked and was not yet answered is withdrawn, and so is every consent to be
    // added by them (a claim of theirs then answers `noConsent`, as for anyone without it).
    for sql in [
        "DELETE FROM connection_requests WHERE from_user = ?1 AND to_user = ?2",
        "DELETE FROM consent_requests WHERE requester = ?1 AND target = ?2",
        "DELETE FROM consents WHERE grantee = ?1 AND granter = ?2",
    ] {
        conn.execute(sql, params![other.to_string(), auth.user.to_string()])?;
    }
    Ok(())
}

/// Lifts a block; answers whether there was one.
pub fn unblock(conn: &Connection, auth: &Principal, other: &str) -> Result<bool> {
    let other = UserUri::parse(other).map_err(|e| Error::MalformedBody(format!("user: {e}")))?;
    Ok(conn.execute(
        "DELETE FROM blocks WHERE user_uri = ?1 AND blocked_uri = ?2",
        params![auth.user.to_string(), other.to_string()],
    )? > 0)
}

/// The users the authenticated user blocked.
pub fn blocked(conn: &Connection, auth: &Principal) -> Result<Vec<String>> {
    Ok(conn
        .prepare("SELECT blocked_uri FROM blocks WHERE user_uri = ?1 ORDER BY blocked_uri")?
        .query_map([auth.user.to_string()], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}
