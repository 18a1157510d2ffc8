//! The lifetime of a device's bearer token (SECURITY.md). A token expires
//! `Limits::token_lifetime_secs` after it was issued; its client renews it while in use
//! (`POST /v1/token`, with the token), and a client that was away past the expiry renews it with
//! a signature of its device key over its URI and the time (`POST /v1/token/signed`), never with
//! the old token alone. A device that removed itself has its token revoked at once.
//! [`crate::accounts::authenticate`] refuses expired and revoked tokens.

use mimi::credential::{
    DEVICE_REMOVAL_LABEL, TOKEN_RENEWAL_LABEL, device_removal_content, token_renewal_content,
    verify_with_label,
};
use mimi::uri::ClientUri;
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::principal::Principal;
use crate::store::now_ms;

/// How far a signed renewal's (or removal's) time may be from the hub's clock.
pub const SIGNED_RENEWAL_SKEW_MS: u64 = 5 * 60 * 1000;

/// A token just issued: shown once to its client.
#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    /// The bearer token.
    pub token: String,
    /// When it expires, ms since the epoch.
    pub expires_at: u64,
}

fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// A fresh token for `client`, replacing its old one, valid for `lifetime_secs`.
pub fn issue(tx: &Connection, client: &str, lifetime_secs: u64) -> Result<Issued> {
    let token = new_token();
    let expires_at = now_ms() + lifetime_secs * 1000;
    tx.execute(
        "UPDATE clients SET token_hash = ?2, token_expires_at = ?3 WHERE uri = ?1",
        params![
            client,
            crate::accounts::secret_hash(&token),
            expires_at as i64
        ],
    )?;
    Ok(Issued { token, expires_at })
}

/// `POST /v1/token`: a new token for the caller's own device, the old one void at once.
pub fn renew(conn: &Connection, auth: &Principal, lifetime_secs: u64) -> Result<Issued> {
    if auth.is_pseudonym() {
        return Err(Error::Forbidden(
            "a pseudonym's token is renewed by registering a new pseudonym".into(),
        ));
    }
    issue(conn, &auth.client.to_string(), lifetime_secs)
}

/// `POST /v1/token/signed`: a new token for a device whose token expired, on a signature of its
/// device key over its URI and `at` (ms), which must be within [`SIGNED_RENEWAL_SKEW_MS`] of
/// now and later than the device's last signed renewal (so a signature is used once).
pub fn renew_signed(
    conn: &Connection,
    client: &str,
    at: u64,
    signature: &[u8],
    lifetime_secs: u64,
) -> Result<Issued> {
    let unknown =
        || Error::Unauthenticated("no such device, or a signature that does not verify".into());
    let uri = ClientUri::parse(client).map_err(|_| unknown())?;
    let row: Option<(Vec<u8>, Option<i64>, i64)> = conn
        .prepare_cached(
            "SELECT signature_key, revoked_at, last_signed_renewal FROM clients WHERE uri = ?1",
        )?
        .query_row([client], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((key, revoked, last)) = row else {
        return Err(unknown());
    };
    verify_with_label(
        &key,
        TOKEN_RENEWAL_LABEL,
        &token_renewal_content(&uri, at),
        signature,
        "token renewal",
    )
    .map_err(|_| unknown())?;
    if revoked.is_some() {
        return Err(Error::TokenRevoked(
            "this device was removed from its account; it cannot renew its token".into(),
        ));
    }
    let now = now_ms();
    if at.abs_diff(now) > SIGNED_RENEWAL_SKEW_MS || at as i64 <= last {
        return Err(Error::Unauthenticated(
            "the renewal's time is too far from the hub's clock, or was used before; sign the current time"
                .into(),
        ));
    }
    conn.execute(
        "UPDATE clients SET last_signed_renewal = ?2 WHERE uri = ?1",
        params![client, at as i64],
    )?;
    issue(conn, client, lifetime_secs)
}

/// A removal of another device, signed with the user key.
#[derive(Debug, Clone)]
pub struct SignedRemoval {
    /// When it was signed, ms since the epoch.
    pub at: u64,
    /// `SignWithLabel(user key, "conclave device removal", client URI || 0 || at)`.
    pub signature: Vec<u8>,
}

/// `DELETE /v1/devices/{client}`: revokes a device's token at once and takes it out of its rooms.
/// A device removes itself on its token alone; another device of the same user only with the
/// removal signed by the user key the hub holds (SECURITY.md "Devices"), so a stolen token
/// cannot remove its owner's devices.
pub fn revoke(
    conn: &Connection,
    auth: &Principal,
    client: &str,
    signed: Option<&SignedRemoval>,
) -> Result<()> {
    let target = ClientUri::parse(client).map_err(|e| Error::MalformedBody(e.to_string()))?;
    if auth.is_pseudonym() {
        return Err(Error::Forbidden("a pseudonym has no devices".into()));
    }
    if target != auth.client {
        let owner: Option<String> = conn
            .prepare_cached("SELECT user_uri FROM clients WHERE uri = ?1")?
            .query_row([client], |r| r.get(0))
            .optional()?;
        if owner.as_deref() != Some(auth.user.to_string().as_str()) {
            return Err(Error::NotFound(format!(
                "{client} is not a device of {}",
                auth.user
            )));
        }
        let Some(signed) = signed else {
            return Err(Error::NotApproved(
                "a device removes only itself; removing another device needs the removal signed with the user key"
                    .into(),
            ));
        };
        let key = crate::accounts::user_key(conn, &auth.user.to_string())?.ok_or_else(|| {
            Error::NotApproved(format!("{} has no user key to sign with", auth.user))
        })?;
        verify_with_label(
            &key,
            DEVICE_REMOVAL_LABEL,
            &device_removal_content(&target, signed.at),
            &signed.signature,
            "device removal",
        )
        .map_err(|_| Error::NotApproved("the removal is not signed with the user's key".into()))?;
        if signed.at.abs_diff(now_ms()) > SIGNED_RENEWAL_SKEW_MS {
            return Err(Error::NotApproved(
                "the removal's time is too far from the hub's clock; sign the current time".into(),
            ));
        }
    }
    conn.execute(
        "UPDATE clients SET revoked_at = ?2 WHERE uri = ?1 AND revoked_at IS NULL",
        params![client, now_ms() as i64],
    )?;
    // Nothing more reaches it: its queue is dropped, no one can claim its KeyPackages, and
    // its rooms stop fanning out to it (PROTO §7.1) until a commit removes its leaf.
    crate::store::queue::ack(conn, client, u64::MAX >> 1)?;
    conn.execute("DELETE FROM key_packages WHERE client_uri = ?1", [client])?;
    conn.execute(
        "INSERT OR IGNORE INTO departing (room_uri, client_uri)
         SELECT room_uri, client_uri FROM room_members WHERE client_uri = ?1",
        [client],
    )?;
    Ok(())
}
