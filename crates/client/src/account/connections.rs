//! Connections between users (MIMIMI §5), consent to be added (PROTO §5.7) and blocks, as the
//! account sees them.

use mimi::uri::RoomUri;

use crate::account::Client;
use crate::error::{Error, Result};
use crate::event::ClientEvent;

impl Client {
    pub(crate) async fn create_connection_keys(&self) -> Result<()> {
        let public = crate::connections::create_keys(self.c.secrets.as_ref())?;
        self.c.hub.set_connection_key(&public).await
    }

    /// Asks `user` (a name on this hub or a user URI) to connect (MIMIMI §5).
    pub async fn connect(&self, user: &str) -> Result<()> {
        let target = self.c.resolve_user(user)?;
        if target.domain() != self.c.id.trust.domain {
            return Err(Error::Usage(format!(
                "{target} is on another provider; connections across providers need federation"
            )));
        }
        let (uri, public) = self.c.hub.connection_key(target.local()).await?;
        if uri != target.to_string() {
            return Err(Error::Mls(format!(
                "the hub answered for {uri}, not {target}"
            )));
        }
        let sealed = {
            let conn = self.c.conn.lock().await;
            crate::connections::request(
                &conn,
                self.c.secrets.as_ref(),
                &self.c.id,
                &target,
                &public,
            )?
        };
        if let Err(e) = self
            .c
            .hub
            .relay_connection(&target.to_string(), "request", &sealed)
            .await
        {
            self.c.conn.lock().await.execute(
                "DELETE FROM connections WHERE user_uri = ?1 AND state = 'requested'",
                [target.to_string()],
            )?;
            return Err(e);
        }
        Ok(())
    }

    /// Accepts `user`'s request to connect.
    pub async fn accept_connection(&self, user: &str) -> Result<()> {
        let requester = self.c.resolve_user(user)?;
        let sealed = {
            let conn = self.c.conn.lock().await;
            crate::connections::accept(&conn, self.c.secrets.as_ref(), &self.c.id, &requester)?
        };
        self.c
            .hub
            .relay_connection(&requester.to_string(), "response", &sealed)
            .await?;
        self.c.emit([ClientEvent::Connected {
            user: requester.to_string(),
        }]);
        Ok(())
    }

    /// Blocks a user at the hub: their connection requests and invitations no longer reach
    /// this user (on any of its devices).
    pub async fn block(&self, user: &str) -> Result<()> {
        let u = self.c.resolve_user(user)?;
        self.c.hub.block(&u.to_string()).await?;
        // A request of theirs that waits for an answer here is dropped with it.
        self.c.conn.lock().await.execute(
            "DELETE FROM connections WHERE user_uri = ?1 AND state = 'incoming'",
            [u.to_string()],
        )?;
        Ok(())
    }

    /// Lifts a block; whether there was one.
    pub async fn unblock(&self, user: &str) -> Result<bool> {
        let u = self.c.resolve_user(user)?;
        self.c.hub.unblock(&u.to_string()).await
    }

    /// The users this user blocked.
    pub async fn blocked(&self) -> Result<Vec<String>> {
        self.c.hub.blocked().await
    }

    /// Asks `user` to consent to being added by this user (to `room`, or to any room): a
    /// claim of their KeyPackages needs it, or a connection (SECURITY.md "KeyPackages").
    pub async fn request_consent(&self, user: &str, room: Option<&RoomUri>) -> Result<()> {
        self.consent_op("request", user, room).await
    }

    /// Withdraws a request for `user`'s consent.
    pub async fn cancel_consent_request(&self, user: &str, room: Option<&RoomUri>) -> Result<()> {
        self.consent_op("cancel", user, room).await
    }

    /// Consents to being added by `user` (to `room`, or to any room).
    pub async fn grant_consent(&self, user: &str, room: Option<&RoomUri>) -> Result<()> {
        self.consent_op("grant", user, room).await
    }

    /// Withdraws the consent given to `user` (for `room`, or every consent to them).
    pub async fn revoke_consent(&self, user: &str, room: Option<&RoomUri>) -> Result<()> {
        self.consent_op("revoke", user, room).await
    }

    /// The consents this user gave and received, and the requests both ways.
    pub async fn consents(&self) -> Result<crate::transport::Consents> {
        self.c.hub.consents().await
    }

    async fn consent_op(&self, op: &str, user: &str, room: Option<&RoomUri>) -> Result<()> {
        let u = self.c.resolve_user(user)?;
        self.c
            .hub
            .consent(op, &u.to_string(), room.map(|r| r.to_string()).as_deref())
            .await
    }

    /// This user's connections.
    pub async fn connections(&self) -> Result<Vec<crate::connections::ConnectionInfo>> {
        crate::connections::list(&*self.c.conn.lock().await)
    }
}
