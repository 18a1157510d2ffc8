//! The user's devices: link codes for new ones, the list.

use rand::RngCore;

use crate::account::Client;
use crate::error::{Error, Result};
use crate::transport::Device;

impl Client {
    /// Issues a one-time code with which a new device joins this user. If this device holds the
    /// user's connection keys, the code also carries them to the new device: they are sealed
    /// under a secret that is the code's second half, which never reaches the hub (the hub
    /// keeps the sealed keys with the first half until the code is used).
    pub async fn link_code(&self) -> Result<(String, u64)> {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut raw = [0u8; LINK_SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let secret: String = raw
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        let sealed = crate::connections::seal_device_keys(
            &*self.c.conn.lock().await,
            self.c.secrets.as_ref(),
            &secret,
        )?;
        let (code, expires) = self.c.hub.link_code(sealed.as_deref()).await?;
        if sealed.is_none() {
            return Ok((code, expires));
        }
        let groups: Vec<&str> = (0..LINK_SECRET_LEN / 5)
            .map(|i| &secret[i * 5..i * 5 + 5])
            .collect();
        Ok((format!("{code}-{}", groups.join("-")), expires))
    }

    /// This user's devices.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.c.hub.devices().await
    }
}

/// The length of a link code's secret half (100 bits in the code alphabet).
const LINK_SECRET_LEN: usize = 20;

/// Splits a typed link code into the part for the hub (`XXXXX-XXXXX`) and the secret that opens
/// the keys it carries, if it has one. Case and dashes do not matter.
pub(super) fn split_link_code(code: &str) -> Result<(String, Option<String>)> {
    let clean: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match clean.len() {
        10 => Ok((format!("{}-{}", &clean[..5], &clean[5..]), None)),
        n if n == 10 + LINK_SECRET_LEN => Ok((
            format!("{}-{}", &clean[..5], &clean[5..10]),
            Some(clean[10..].to_owned()),
        )),
        n => Err(Error::Usage(format!(
            "a link code has 10 or {} letters and digits, not {n}",
            10 + LINK_SECRET_LEN
        ))),
    }
}
