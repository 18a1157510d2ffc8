//! The typed IPC error: every command fails with `{ code, message, hub_code }`, and the UI
//! switches on `code` (DESIGN "Errors": the IPC answers a typed error the UI can branch on).

use conclave_client::Error;
use serde::Serialize;
use ts_rs::TS;

/// What went wrong, as the UI branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No OS keyring is reachable and the file fallback was not chosen: the UI explains and
    /// offers the explicit choice.
    NoKeyring,
    /// The keys are sealed under a passphrase: the UI asks for it and opens again with it.
    PassphraseNeeded,
    /// The passphrase typed does not open the keys: the UI says so and asks again.
    WrongPassphrase,
    /// The keystore failed otherwise (a key is missing, the key file is readable by others).
    Keystore,
    /// The data directory has no registered client: the UI shows onboarding.
    NotRegistered,
    /// The data directory already holds a client.
    AlreadyRegistered,
    /// A command that needs the client came before the client was opened.
    NotOpen,
    /// The hub refused; `hub_code` holds its stable code.
    Hub,
    /// The hub could not be reached.
    Transport,
    /// The hub URL is plain HTTP to another machine: the UI asks the user to confirm, then
    /// registers again with `insecure`.
    InsecureHub,
    /// No such room on this client.
    UnknownRoom,
    /// A user or room name that is not valid, or a request that makes no sense.
    InvalidInput,
    /// Room policy refuses.
    NotAllowed,
    /// The invited user has no device that could be added.
    NothingToAdd,
    /// The invited user did not consent to be added by this user: the UI offers to ask them.
    NoConsent,
    /// Anything else (MLS, local store, I/O): a bug or a damaged data directory.
    Internal,
}

/// The error every command returns.
#[derive(Debug, Clone, Serialize, TS)]
pub struct IpcError {
    /// What went wrong, for the UI to branch on.
    pub code: ErrorCode,
    /// A sentence for the user.
    pub message: String,
    /// The hub's stable code when `code` is `hub` (for example `not_allowed`).
    pub hub_code: Option<String>,
}

impl IpcError {
    /// An error with a code and a sentence.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        IpcError {
            code,
            message: message.into(),
            hub_code: None,
        }
    }
}

impl From<Error> for IpcError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        let (code, hub_code) = match e {
            Error::NoKeyring { .. } => (ErrorCode::NoKeyring, None),
            Error::PassphraseNeeded => (ErrorCode::PassphraseNeeded, None),
            Error::WrongPassphrase => (ErrorCode::WrongPassphrase, None),
            Error::Keystore { .. } => (ErrorCode::Keystore, None),
            Error::NotRegistered => (ErrorCode::NotRegistered, None),
            Error::AlreadyRegistered { .. } => (ErrorCode::AlreadyRegistered, None),
            Error::Hub { code, .. } => (ErrorCode::Hub, Some(code)),
            Error::Transport { .. } => (ErrorCode::Transport, None),
            Error::InsecureHub { .. } => (ErrorCode::InsecureHub, None),
            Error::UnknownRoom { .. } => (ErrorCode::UnknownRoom, None),
            Error::Uri { .. } => (ErrorCode::InvalidInput, None),
            Error::NotAllowed { .. } => (ErrorCode::NotAllowed, None),
            Error::NothingToAdd { .. } => (ErrorCode::NothingToAdd, None),
            Error::NoConsent { .. } => (ErrorCode::NoConsent, None),
            Error::Usage { .. } => (ErrorCode::InvalidInput, None),
            _ => (ErrorCode::Internal, None),
        };
        IpcError {
            code,
            message,
            hub_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hub_refusal_keeps_the_hubs_code_for_the_ui() {
        let e = IpcError::from(Error::Hub {
            status: 403,
            code: "not_allowed".into(),
            message: "no".into(),
            epoch: None,
        });
        assert_eq!(e.code, ErrorCode::Hub);
        assert_eq!(e.hub_code.as_deref(), Some("not_allowed"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "hub");
    }

    #[test]
    fn a_plain_http_hub_elsewhere_is_its_own_code_so_the_ui_can_ask_to_confirm() {
        let e = IpcError::from(Error::InsecureHub {
            url: "http://hub.example".into(),
        });
        assert_eq!(serde_json::to_value(&e).unwrap()["code"], "insecure_hub");
        assert!(e.message.contains("https://"), "{}", e.message);
    }

    #[test]
    fn a_missing_keyring_is_its_own_code_so_the_ui_can_offer_the_file_fallback() {
        let e = IpcError::from(Error::NoKeyring {
            detail: "no D-Bus".into(),
        });
        assert_eq!(serde_json::to_value(&e).unwrap()["code"], "no_keyring");
        assert!(e.message.contains("CONCLAVE_KEYSTORE=file"));
    }
}
