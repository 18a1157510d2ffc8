//! A home's lock, and changing the passphrase that seals its keys (SECURITY.md "Secrets at
//! rest"). Every open client holds a shared lock on `conclave.lock` in its data directory;
//! changing the passphrase swaps the database file for a re-keyed copy, so it takes the lock
//! alone: an app or a `conclave` command that has the home open would go on writing to the old
//! file.

use std::fs::{File, TryLockError};
use std::path::Path;

use crate::error::{Error, Result};
use crate::keystore::{Passphrase, SealedKeystore};
use crate::store;
use crate::switches::failpoint;

/// The lock of the home at `dir`: shared by every open client, exclusive for a passphrase
/// change. Released when the file is dropped (or the process ends).
pub(super) fn lock_home(dir: &Path, exclusive: bool) -> Result<File> {
    let path = dir.join("conclave.lock");
    let file = conclave_sqlite::private::create_file(&path, false)
        .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    let locked = if exclusive {
        file.try_lock()
    } else {
        file.try_lock_shared()
    };
    match locked {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) if exclusive => Err(Error::Usage(
            "this device's data is open elsewhere (the app, or another conclave command): \
             close it first"
                .into(),
        )),
        Err(TryLockError::WouldBlock) => Err(Error::Usage(
            "this device's passphrase is being changed: try again in a moment".into(),
        )),
        Err(TryLockError::Error(e)) => Err(Error::Io(format!("{}: {e}", path.display()))),
    }
}

/// Changes the passphrase of the home at `dir` from `old` to `new`, and re-keys its database
/// with a new random key, so that a copy of the keystore taken under the old passphrase opens
/// nothing written from now on. A crash at any point leaves a home that opens with `old` (before
/// the keystore was sealed again) or with `new` (after), and the next open finishes the job.
pub fn change_passphrase(dir: &Path, old: &Passphrase, new: &Passphrase) -> Result<()> {
    new.check_new()?;
    if !SealedKeystore::exists(dir) {
        return Err(Error::Usage(
            "this device's keys are not sealed under a passphrase (they are in the OS keyring or \
             in keystore.json), so there is no passphrase to change"
                .into(),
        ));
    }
    let _alone = lock_home(dir, true)?;
    let keys = SealedKeystore::open(dir, old)?;
    keys.reseal(new)?;
    failpoint("passphrase:after-reseal");
    store::encrypt::rekey(&super::db_path(dir), &keys)
}
