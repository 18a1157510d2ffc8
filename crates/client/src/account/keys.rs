//! KeyPackages at the hub: the client's own stock and its pseudonymous sets (MIMIMI §8).

use mimi::uri::UserUri;
use openmls::prelude::KeyPackage;
use tls_codec::Serialize as _;

use crate::account::Client;
use crate::error::{Error, Result};
use crate::identity::{self, CIPHERSUITE};
use crate::pseudonymous;
use crate::store::{self, Provider};

/// KeyPackages kept at the hub besides the last-resort one.
const KEY_PACKAGE_STOCK: usize = 10;

impl Client {
    /// Publishes the first stock of KeyPackages if that has not happened yet (registration may
    /// have been interrupted after the hub knew the client).
    pub(crate) async fn ensure_key_packages(&self) -> Result<()> {
        if store::meta(&*self.c.conn.lock().await, "key_packages_published")?.is_some() {
            return Ok(());
        }
        self.publish_key_packages(KEY_PACKAGE_STOCK, true).await?;
        store::set_meta(&*self.c.conn.lock().await, "key_packages_published", "1")
    }

    pub(crate) async fn publish_key_packages(&self, n: usize, last_resort: bool) -> Result<()> {
        let conn = self.c.conn.lock().await;
        let provider = Provider::new(&conn);
        let cwk = self.c.id.credential_with_key();
        let make = |lr: bool| -> Result<Vec<u8>> {
            let mut b = KeyPackage::builder().leaf_node_capabilities(identity::capabilities());
            if lr {
                b = b.mark_as_last_resort();
            }
            b.build(CIPHERSUITE, &provider, &self.c.id.signer, cwk.clone())
                .map_err(Error::mls)?
                .key_package()
                .tls_serialize_detached()
                .map_err(Error::mls)
        };
        let kps = (0..n).map(|_| make(false)).collect::<Result<Vec<_>>>()?;
        let lr = if last_resort { Some(make(true)?) } else { None };
        drop(conn);
        self.c.hub.upload_key_packages(&kps, lr.as_deref()).await
    }

    /// MIMIMI §8: keeps this client's pseudonymous KeyPackages stocked. It completes the sets
    /// the user's other clients started (one KeyPackage, same user pseudonym) and keeps
    /// [`pseudonymous::OPEN_SETS`] sets of its own started, each sized for all the user's
    /// clients. Only a client holding the user's connection key takes part.
    pub(crate) async fn restock_pseudonymous(&self) -> Result<()> {
        let Ok(ck) = crate::connections::my_connection_key(self.c.secrets.as_ref()) else {
            return Ok(());
        };
        let token = ck
            .connection_token(&openmls_rust_crypto::RustCrypto::default())
            .map_err(|e| Error::Mls(e.to_string()))?;
        // A registration that never completed (refused, or its call dropped when a sync was cut
        // short): the hub does not know its token, so it is never used; forget it.
        {
            let conn = self.c.conn.lock().await;
            for p in pseudonymous::unregistered(&conn)? {
                pseudonymous::forget(&conn, &p)?;
            }
        }
        let sets = self.c.hub.key_package_sets(&token).await?;
        let mine: Vec<pseudonymous::Pseudonym> = pseudonymous::all(&*self.c.conn.lock().await)?;
        let is_mine = |c: &String| mine.iter().any(|p| &p.client.to_string() == c);
        use std::sync::atomic::Ordering;
        let mut size = self.c.device_count.load(Ordering::Relaxed);
        if size == 0 {
            size = self.c.hub.devices().await?.len().max(1) as u32;
            self.c.device_count.store(size, Ordering::Relaxed);
        }
        let mut wanted: Vec<(Option<UserUri>, Option<u32>)> = Vec::new();
        let mut started = 0;
        for set in &sets {
            if set.set_size != size {
                // Sized for another number of devices: a set that can never be complete, or
                // that would leave a device out. Withdrawn, by whichever device sees it first.
                let user = UserUri::parse(&set.user_pseudonym)?;
                match self.c.hub.drop_key_package_set(&token, user.local()).await {
                    Ok(()) | Err(Error::Hub { status: 404, .. }) => {}
                    Err(e) => return Err(e),
                }
                let conn = self.c.conn.lock().await;
                for p in mine
                    .iter()
                    .filter(|p| set.clients.contains(&p.client.to_string()))
                {
                    pseudonymous::forget(&conn, p)?;
                }
            } else if set.clients.iter().any(is_mine) {
                started += 1;
            } else if set.count < set.set_size {
                wanted.push((
                    Some(UserUri::parse(&set.user_pseudonym)?),
                    Some(set.set_size),
                ));
            }
        }
        for _ in started..pseudonymous::OPEN_SETS {
            wanted.push((None, Some(size)));
        }
        for (user, size) in wanted {
            let (p, kp) = {
                let conn = self.c.conn.lock().await;
                let (p, _) = pseudonymous::create(&conn, &self.c.id, &ck, user)?;
                let kp = pseudonymous::key_package(&conn, &self.c.id, &p)?;
                (p, kp)
            };
            match self
                .c
                .hub
                .upload_pseudonymous_key_package(&token, size.unwrap_or(1), &kp, &p.token)
                .await
            {
                Ok(()) => pseudonymous::registered(&*self.c.conn.lock().await, &p)?,
                Err(e) => {
                    pseudonymous::forget(&*self.c.conn.lock().await, &p)?;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// A device linked after its user joined pseudonymous rooms (`crate::siblings`): for each
    /// user pseudonym the link code carried, a client pseudonym of this device under it,
    /// registered, with its KeyPackage left for the user's device in that room. What fails is
    /// tried again at the next sync.
    pub(crate) async fn prepare_siblings(&self) -> Result<()> {
        let todo = crate::siblings::pending(&*self.c.conn.lock().await)?;
        if todo.is_empty() {
            return Ok(());
        }
        let ck = crate::connections::my_connection_key(self.c.secrets.as_ref())?;
        for u in todo {
            let (p, kp) = {
                let conn = self.c.conn.lock().await;
                let (p, _) =
                    pseudonymous::create(&conn, &self.c.id, &ck, Some(UserUri::parse(&u)?))?;
                let kp = pseudonymous::key_package(&conn, &self.c.id, &p)?;
                (p, kp)
            };
            let sent = async {
                self.c
                    .hub
                    .register_pseudonym(&p.credential, &p.token)
                    .await?;
                pseudonymous::registered(&*self.c.conn.lock().await, &p)?;
                self.c
                    .hub
                    .with_token(&p.token)
                    .upload_sibling_key_package(&kp)
                    .await
            }
            .await;
            let conn = self.c.conn.lock().await;
            if let Err(e) = sent {
                pseudonymous::forget(&conn, &p)?;
                return Err(e);
            }
            crate::siblings::done(&conn, &u)?;
        }
        Ok(())
    }
}
