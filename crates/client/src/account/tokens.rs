//! This device's bearer token: renewed while in use, renewed with the device key once it
//! expired, and revoked when the device removes itself (SECURITY.md).

use mimi::credential::{TOKEN_RENEWAL_LABEL, sign_content, token_renewal_content};
use openmls_traits::signatures::Signer as _;

use crate::account::Client;
use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::group;
use crate::store::{self, now_ms};
use crate::transport::{IssuedToken, answer_unknown};

impl Client {
    /// Renews this device's token now (the old one is void at once) and keeps the new one.
    pub async fn renew_token(&self) -> Result<()> {
        let issued = self.c.hub.renew_token().await?;
        self.keep_token(&issued).await
    }

    /// Renews a token that expired, with a signature of this device's key over its URI and
    /// the time: the old token alone is not enough.
    pub async fn renew_expired_token(&self) -> Result<()> {
        let at = now_ms();
        let tbs = sign_content(
            TOKEN_RENEWAL_LABEL,
            &token_renewal_content(&self.c.id.client, at),
        );
        let signature = self
            .c
            .id
            .signer
            .sign(&tbs)
            .map_err(|e| Error::Mls(format!("signing: {e:?}")))?;
        let issued = self
            .c
            .hub
            .renew_token_signed(&self.c.id.client.to_string(), at, &signature)
            .await?;
        self.keep_token(&issued).await
    }

    async fn keep_token(&self, issued: &IssuedToken) -> Result<()> {
        self.c.secrets.set("token", issued.token.as_bytes())?;
        self.c.hub.set_token(&issued.token);
        let conn = self.c.conn.lock().await;
        store::set_meta(&conn, "token_issued_at", &now_ms().to_string())?;
        store::set_meta(&conn, "token_expires_at", &issued.expires_at.to_string())
    }

    /// Renews the token once half its life is gone (or when this device never learnt when it
    /// expires), so a device in use never meets its expiry.
    pub(crate) async fn ensure_token(&self) -> Result<()> {
        let (issued, expires) = {
            let conn = self.c.conn.lock().await;
            let read = |k: &str| -> Result<Option<u64>> {
                Ok(store::meta(&conn, k)?.and_then(|v| v.parse().ok()))
            };
            (read("token_issued_at")?, read("token_expires_at")?)
        };
        let due = match (issued, expires) {
            (Some(i), Some(e)) => now_ms() >= i + e.saturating_sub(i) / 2,
            _ => true,
        };
        if due {
            self.renew_token().await?;
        }
        Ok(())
    }

    /// Removes this device from its account: it leaves every room it is in (a SelfRemove that
    /// the next committer includes; the user stays in the room on their other devices), and the
    /// hub revokes its token at once. Removing another device needs the user key (planned).
    pub async fn remove_this_device(&self) -> Result<()> {
        for r in self.rooms().await? {
            let room = mimi::uri::RoomUri::parse(&r.uri)?;
            let mut conn = self.c.conn.lock().await;
            let me = self.c.in_room(&conn, &r.uri)?;
            let bundle = group::self_remove_proposal(&mut conn, me.id(&self.c), &r.uri)?;
            match me
                .hub(&self.c)
                .update_until_answered(room.local(), &bundle)
                .await
            {
                Ok(_) => {}
                // The hub revokes the token next and stops its fan-out to this device anyway;
                // a room that cannot take the proposal now still loses the device's queue.
                Err(e) if !answer_unknown(&e) => {
                    tracing::warn!(room = %room, error = %e, "a SelfRemove was refused")
                }
                Err(e) => return Err(e),
            }
            group::mark_left(&mut conn, &r.uri)?;
            drop(conn);
            self.c.emit([ClientEvent::RoomLeft { room: r.uri }]);
        }
        self.c.hub.remove_device(self.c.id.client.local()).await
    }
}
