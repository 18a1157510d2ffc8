//! Who a request acts as. A bearer token resolves to exactly one [`Principal`]: an account's
//! client, or a pseudonym of a pseudonymous room (PROTO §6.1). The identity comes from the hub's
//! own rows, never from anything the caller asserts; every identity a request body names is then
//! checked against it ([`Principal::require_client`], [`Principal::require_user`]).
//!
//! The two kinds never share a name: pseudonyms have the form of a random UUID
//! ([`mimi::uri::is_pseudonym_local`]) and registration refuses any name of the other kind, both
//! ways. [`authenticate`] checks it again on every request, so that a row that slipped in some
//! other way (an older hub, a restored backup, an operator's mistake) is refused instead of
//! letting a pseudonym's token act as an account's client.

use mimi::uri::{ClientUri, UserUri};
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// What kind of principal a token names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A client (device) of a registered user.
    Client,
    /// A client pseudonym: it acts in its pseudonymous room and on its own queue, nothing else.
    Pseudonym,
}

/// The authenticated identity of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The client (a client pseudonym for [`PrincipalKind::Pseudonym`]).
    pub client: ClientUri,
    /// Its user (a user pseudonym for [`PrincipalKind::Pseudonym`]).
    pub user: UserUri,
    /// Which kind it is.
    pub kind: PrincipalKind,
}

impl Principal {
    /// Whether this is a pseudonym.
    pub fn is_pseudonym(&self) -> bool {
        self.kind == PrincipalKind::Pseudonym
    }

    /// Refuses unless `client` is this principal's own client; `what` names the field.
    pub fn require_client(&self, client: &ClientUri, what: &str) -> Result<()> {
        if client == &self.client {
            Ok(())
        } else {
            Err(Error::NotYourIdentity(format!(
                "{what} names {client}, but the token is {}'s",
                self.client
            )))
        }
    }

    /// Refuses unless `user` is this principal's own user; `what` names the field.
    pub fn require_user(&self, user: &UserUri, what: &str) -> Result<()> {
        if user == &self.user {
            Ok(())
        } else {
            Err(Error::NotYourIdentity(format!(
                "{what} names {user}, but the token is {}'s",
                self.user
            )))
        }
    }
}

/// SHA-256 of a secret, as stored (tokens and link codes are never stored in clear).
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Resolves a hashed bearer token to its one principal.
pub fn authenticate(conn: &Connection, token_hash: &[u8]) -> Result<Principal> {
    let client = crate::store::client_by_token(conn, token_hash)?;
    let pseudonym = crate::pseudonyms::by_token(conn, token_hash)?;
    let (row, kind) = match (client, pseudonym) {
        (Some(row), None) => (row, PrincipalKind::Client),
        (None, Some(row)) => {
            let form = |uri: &str| {
                uri.rsplit_once('/')
                    .is_some_and(|(_, local)| mimi::uri::is_pseudonym_local(local))
            };
            if !form(&row.uri)
                || !form(&row.user_uri)
                || names_account(conn, &row.uri, &row.user_uri)?
            {
                return Err(collision(&row.uri));
            }
            (row, PrincipalKind::Pseudonym)
        }
        (Some(row), Some(_)) => return Err(collision(&row.uri)),
        (None, None) => return Err(Error::Unauthenticated("unknown token".into())),
    };
    Ok(Principal {
        client: ClientUri::parse(&row.uri).map_err(Error::internal)?,
        user: UserUri::parse(&row.user_uri).map_err(Error::internal)?,
        kind,
    })
}

fn collision(uri: &str) -> Error {
    tracing::warn!(%uri, "a token names both an account's client and a pseudonym: refused");
    Error::NotYourIdentity(
        "this token's pseudonym names a registered client or user; it acts as neither".into(),
    )
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
