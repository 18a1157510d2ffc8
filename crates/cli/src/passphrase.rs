//! The passphrase of a home whose keys are sealed under one (`CONCLAVE_KEYSTORE=passphrase`,
//! SECURITY.md "Secrets at rest"): read from `CONCLAVE_PASSPHRASE`, else asked on the terminal
//! without echo. A new one is asked twice, with the plain warning that it cannot be recovered.

use std::path::Path;

use anyhow::{Context as _, bail};
use conclave_client::keystore::PASSPHRASE_ENV;
use conclave_client::{KeystoreKind, Options, Passphrase};

/// The environment variable a new passphrase is read from by `passphrase change`.
const NEW_PASSPHRASE_ENV: &str = "CONCLAVE_NEW_PASSPHRASE";

/// What a user is told wherever a passphrase is set.
pub const FORGOTTEN: &str = "A forgotten passphrase cannot be recovered: this device would have \
     to be set up again with a link code from another of your devices (its messages here would \
     be lost).";

fn from_env(var: &str) -> anyhow::Result<Option<Passphrase>> {
    match std::env::var(var) {
        Ok(s) => Ok(Some(Passphrase::new(s).with_context(|| var.to_owned())?)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{var} is not valid UTF-8"),
    }
}

fn ask(prompt: &str) -> anyhow::Result<Passphrase> {
    let typed = rpassword::prompt_password(prompt).with_context(|| {
        format!("no terminal to ask for the passphrase on: set {PASSPHRASE_ENV}")
    })?;
    Ok(Passphrase::new(typed)?)
}

/// A passphrase chosen now: from `var`, or typed twice.
fn choose(var: &str, what: &str) -> anyhow::Result<Passphrase> {
    eprintln!("{FORGOTTEN}");
    let p = match from_env(var)? {
        Some(p) => p,
        None => {
            let first = ask(&format!("{what}: "))?;
            first.check_new()?;
            let again = ask("The same again: ")?;
            if !first.same_as(&again) {
                bail!("the two passphrases differ; nothing was changed");
            }
            first
        }
    };
    p.check_new()?;
    Ok(p)
}

/// The passphrase `options` need for the home at `home`, if its keys are (or, registering, will
/// be) sealed under one.
pub fn fill(options: &mut Options, home: &Path, registering: bool) -> anyhow::Result<()> {
    if options.keystore.for_home(home) != KeystoreKind::Passphrase {
        return Ok(());
    }
    let sealed = conclave_client::keystore::SealedKeystore::exists(home);
    options.passphrase = Some(if registering && !sealed {
        choose(PASSPHRASE_ENV, "Choose a passphrase for this device's keys")?
    } else {
        match from_env(PASSPHRASE_ENV)? {
            Some(p) => p,
            None => ask("Passphrase: ")?,
        }
    });
    Ok(())
}

/// `conclave passphrase change`.
pub fn change(home: &Path) -> anyhow::Result<()> {
    if !conclave_client::keystore::SealedKeystore::exists(home) {
        bail!(
            "this device's keys are not sealed under a passphrase (they are in the OS keyring or \
             in keystore.json), so there is no passphrase to change"
        );
    }
    let old = match from_env(PASSPHRASE_ENV)? {
        Some(p) => p,
        None => ask("Current passphrase: ")?,
    };
    let new = choose(NEW_PASSPHRASE_ENV, "New passphrase")?;
    conclave_client::change_passphrase(home, &old, &new)?;
    eprintln!("The passphrase is changed, and the database is encrypted under a new key.");
    Ok(())
}
