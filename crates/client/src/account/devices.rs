//! The user's devices: link codes for new ones, the list, removing one, and the other users'
//! keys this client pinned (SECURITY.md "Devices").

use mimi::credential::{DEVICE_REMOVAL_LABEL, device_removal_content};
use mimi::uri::{ClientUri, RoomUri};
use rand::RngCore;

use crate::account::Client;
use crate::error::{Error, Result};
use crate::group::Plan;
use crate::store::now_ms;
use crate::transport::Device;
use crate::user_key;

impl Client {
    /// Issues a one-time code with which a new device joins this user (SECURITY.md "Devices").
    /// The code carries the user key, and the user's connection keys if this device holds them,
    /// to the new device: they are sealed under a secret that is the code's second half, which
    /// never reaches the hub (the hub keeps the sealed keys with the first half until the code is
    /// used). Opening them is the new device's proof that it was given the whole code; with the
    /// user key it then signs its own credential, which members check against the key they
    /// pinned for this user.
    pub async fn link_code(&self) -> Result<(String, u64)> {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut raw = [0u8; LINK_SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let secret: String = raw
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        let sealed =
            crate::link::seal(&*self.c.conn.lock().await, self.c.secrets.as_ref(), &secret)?;
        let (code, expires) = self.c.hub.link_code(&sealed).await?;
        let groups: Vec<&str> = (0..LINK_SECRET_LEN / 5)
            .map(|i| &secret[i * 5..i * 5 + 5])
            .collect();
        Ok((format!("{code}-{}", groups.join("-")), expires))
    }

    /// This user's devices.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.c.hub.devices().await
    }

    /// Removes a device of this user (`device` is its id or URI): this one removes itself
    /// ([`Client::remove_this_device`]); another is removed with the removal signed by the user
    /// key, so a stolen token alone cannot remove its owner's devices (SECURITY.md "Devices").
    /// The hub revokes its token at once; this device then removes it from every room it is in.
    pub async fn remove_device(&self, device: &str) -> Result<()> {
        let target = if device.starts_with("mimi://") {
            ClientUri::parse(device)?
        } else {
            ClientUri::new(&self.c.id.trust.domain, device)?
        };
        if target.domain() != self.c.id.trust.domain {
            return Err(Error::Usage(format!(
                "{target} is not a device of this hub"
            )));
        }
        if target == self.c.id.client {
            return self.remove_this_device().await;
        }
        let key = user_key::load(self.c.secrets.as_ref())?.ok_or_else(|| {
            Error::Usage("this device holds no user key, so it can remove only itself".into())
        })?;
        let at = now_ms();
        let signature = mimi::credential::sign_with_label(
            &key,
            DEVICE_REMOVAL_LABEL,
            &device_removal_content(&target, at),
        );
        self.c
            .hub
            .remove_device_signed(target.local(), at, &signature)
            .await?;
        for r in self.rooms().await? {
            let room = self.room(&RoomUri::parse(&r.uri)?);
            let plan = Plan {
                removes: vec![target.clone()],
                ..Default::default()
            };
            if let Err(e) = room.commit(&plan).await {
                // The hub stopped its fan-out to the device already; whoever commits next in
                // this room removes its leaf (PROTO §3.5).
                tracing::warn!(room = %r.uri, error = %e, "could not remove a device's leaf now");
            }
        }
        Ok(())
    }

    /// The users whose key changed since this client pinned it: devices the new key approved
    /// are refused until the change is accepted.
    pub async fn changed_user_keys(&self) -> Result<Vec<user_key::ChangedKey>> {
        user_key::changed(&*self.c.conn.lock().await)
    }

    /// Accepts `user`'s new key (the local user checked with them that they reset their
    /// devices): devices it approved are accepted from then on.
    pub async fn accept_user_key(&self, user: &str) -> Result<()> {
        let user = self.c.resolve_user(user)?;
        user_key::accept(&*self.c.conn.lock().await, &user.to_string())
    }
}

/// The length of a link code's secret half (100 bits in the code alphabet).
const LINK_SECRET_LEN: usize = 20;

/// Splits a typed link code into the part for the hub (`XXXXX-XXXXX`) and the secret that opens
/// the keys it carries. Case and dashes do not matter.
pub(super) fn split_link_code(code: &str) -> Result<(String, String)> {
    let clean: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if clean.len() != 10 + LINK_SECRET_LEN {
        return Err(Error::Usage(format!(
            "a link code has {} letters and digits, not {}: type it in full, as the other device shows it",
            10 + LINK_SECRET_LEN,
            clean.len()
        )));
    }
    Ok((
        format!("{}-{}", &clean[..5], &clean[5..10]),
        clean[10..].to_owned(),
    ))
}
