//! The client core's errors. Variants are what a caller may react to differently; each says in a
//! sentence what went wrong and, where there is one, what to do.

use thiserror::Error;

/// Everything the client core can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// No OS keyring is reachable and the file fallback was not chosen.
    #[error(
        "no OS keyring is available ({detail}). Start a Secret Service (for example gnome-keyring \
         inside a D-Bus session), or set CONCLAVE_KEYSTORE=file to keep the keys in a file readable \
         only by you (mode 0600) in the data directory, or CONCLAVE_KEYSTORE=passphrase to seal \
         that file under a passphrase"
    )]
    NoKeyring {
        /// What the keyring said.
        detail: String,
    },
    /// The home keeps its secrets under a passphrase and none was given.
    #[error(
        "this device's keys are sealed under a passphrase: give it (the CLI reads \
         CONCLAVE_PASSPHRASE or asks on the terminal)"
    )]
    PassphraseNeeded,
    /// The passphrase does not open the home's keystore. Nothing was changed.
    #[error(
        "the passphrase is wrong: it does not open this device's keys. Nothing was changed. A \
         forgotten passphrase cannot be recovered: set this device up again with a link code \
         from another of your devices"
    )]
    WrongPassphrase,
    /// The keystore failed otherwise.
    #[error("keystore: {0}")]
    Keystore(String),
    /// The client's database does not open (SECURITY.md "Secrets at rest"): its key is wrong
    /// or missing from the keystore, or the file is damaged. The file was left as it was.
    #[error(
        "the database {path} does not open: {why}. Nothing in it was changed. If its key is gone \
         from the keystore (a reset keyring, another keystore chosen), this device cannot read it \
         any more: set it up again with a link code from another of your devices"
    )]
    Unreadable {
        /// The database file.
        path: String,
        /// What is wrong, as far as can be told.
        why: String,
    },
    /// The data directory has no registered client yet.
    #[error("this data directory has no registered client: run `register NAME` first")]
    NotRegistered,
    /// The data directory already holds a registered client.
    #[error("this data directory already holds {0}")]
    AlreadyRegistered(String),
    /// The hub answered with an error.
    #[error("the hub refused: {message} ({code})")]
    Hub {
        /// HTTP status.
        status: u16,
        /// The hub's stable code.
        code: String,
        /// The hub's sentence.
        message: String,
        /// The hub's epoch, for epoch errors.
        epoch: Option<u64>,
    },
    /// The hub could not be reached or answered nonsense.
    #[error("cannot talk to the hub at {url}: {detail}")]
    Transport {
        /// The hub URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The hub URL is plain `http://` to another machine and the user did not allow that.
    #[error(
        "{url} is plain HTTP to another machine: the hub token and what you send would cross the \
         network unencrypted. Use an https:// URL, or, only on a network you trust, allow it \
         explicitly (`conclave --insecure`, or confirm in the app)"
    )]
    InsecureHub {
        /// The hub URL.
        url: String,
    },
    /// No such room here.
    #[error("unknown room {0}")]
    UnknownRoom(String),
    /// A user or room name that is not valid.
    #[error(transparent)]
    Uri(#[from] mimi::UriError),
    /// A MIMI structure that does not decode or verify.
    #[error(transparent)]
    Wire(#[from] mimi::WireError),
    /// Room policy refuses (checked locally before asking the hub): `rule` names the capability
    /// or constraint that failed.
    #[error("not allowed: {reason} ({rule})")]
    NotAllowed {
        /// The capability or constraint.
        rule: String,
        /// Why, for people.
        reason: String,
    },
    /// The user has no clients with KeyPackages, or all are in the room already.
    #[error("{0}")]
    NothingToAdd(String),
    /// The user did not consent to be added by this user (for this room): ask them
    /// ([`crate::Client::request_consent`]) or connect with them (SECURITY.md "KeyPackages").
    #[error("{user} has not agreed to be added by you{}: ask them first (a consent request, or a connection)", if *.for_this_room { " to this room" } else { "" })]
    NoConsent {
        /// The user.
        user: String,
        /// They consented for other rooms, not this one.
        for_this_room: bool,
    },
    /// The request does not make sense (an unknown role or action, a user not in the room).
    #[error("{0}")]
    Usage(String),
    /// An MLS operation failed.
    #[error("MLS: {0}")]
    Mls(String),
    /// The local database failed.
    #[error("local store: {0}")]
    Store(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

impl Error {
    /// An MLS failure.
    pub fn mls(e: impl std::fmt::Display) -> Self {
        Error::Mls(e.to_string())
    }

    /// The hub's code, if this is a hub refusal.
    pub fn hub_code(&self) -> Option<&str> {
        match self {
            Error::Hub { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Result with the client's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A local failure that may pass: the database busy, locked or full, an I/O error, the
    /// keyring locked. A queue entry that meets one is not acknowledged and the next sync tries
    /// it again; any other failure is the entry's own and permanent (RELIABILITY.md).
    pub fn is_temporary(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            Error::Store(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::DiskFull
                    | C::SystemIoFailure
                    | C::OutOfMemory
                    | C::CannotOpen
            ),
            Error::Keystore(_)
            | Error::NoKeyring { .. }
            | Error::Io(_)
            | Error::Transport { .. } => true,
            _ => false,
        }
    }
}
