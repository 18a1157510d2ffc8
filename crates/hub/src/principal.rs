//! Who a request acts as: the domain's own type, which the HTTP layer only carries. A bearer
//! token resolves to exactly one [`Principal`]: an account's
//! client, or a pseudonym of a pseudonymous room (PROTO §6.1). The identity comes from the hub's
//! own rows, never from anything the caller asserts; every identity a request body names is then
//! checked against it ([`Principal::require_client`], [`Principal::require_user`]).
//! [`crate::accounts::authenticate`] makes one from a token.

use mimi::uri::{ClientUri, UserUri};

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
