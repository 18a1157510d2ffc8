//! The app's state: a data directory and, once registered and opened, one [`Client`] on it.
//!
//! `conclave-client`'s futures are not `Send` (they keep SQLite borrows across awaits), while
//! Tauri commands and tasks must be. So all client work runs on one dedicated thread with its own
//! runtime ([`LocalPoolHandle`]), and commands hand it closures ([`App::with_client`]).
//!
//! The keystore is chosen, in this order: `CONCLAVE_KEYSTORE` if set (as for the CLI), else the
//! choice the user made in the app (remembered in `desktop.json` in the data directory), else the
//! OS keyring. The file fallback is only ever used because someone chose it.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use conclave_client::keystore::KEYSTORE_ENV;
use conclave_client::{Client, KeystoreKind, Options, Passphrase};
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tokio::sync::Notify;
use tokio_util::task::LocalPoolHandle;
use ts_rs::TS;

use crate::error::{ErrorCode, IpcError};

/// Whether the app is in touch with its hub.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncState {
    /// The last sync reached the hub.
    Online,
    /// The last sync failed; the app retries with a growing pause.
    Offline {
        /// Why.
        error: IpcError,
        /// Seconds until the next attempt.
        retry_in: u32,
    },
}

/// The last [`SyncState`], for a UI that starts listening after it was emitted.
pub type LastSyncState = Arc<std::sync::Mutex<Option<SyncState>>>;

/// What the app does with each client it opens (forward its events, long-poll, demo bots): set by
/// the app's wiring (`lib.rs`), so that this module knows nothing of those.
pub type OnOpen = Box<dyn Fn(&App, Arc<Client>) + Send + Sync>;

/// Where the client keeps its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Keystore {
    /// The OS keyring (Secret Service on Linux).
    Os,
    /// The explicit fallback: a file readable only by the user (mode 0600) in the data directory.
    File,
    /// That file sealed under a passphrase the app asks for at every start.
    Passphrase,
}

impl From<Keystore> for KeystoreKind {
    fn from(k: Keystore) -> Self {
        match k {
            Keystore::Os => KeystoreKind::Os,
            Keystore::File => KeystoreKind::File,
            Keystore::Passphrase => KeystoreKind::Passphrase,
        }
    }
}

impl From<KeystoreKind> for Keystore {
    fn from(k: KeystoreKind) -> Self {
        match k {
            KeystoreKind::Os => Keystore::Os,
            KeystoreKind::File => Keystore::File,
            KeystoreKind::Passphrase => Keystore::Passphrase,
        }
    }
}

/// A passphrase typed in the UI, for the client.
fn passphrase(typed: Option<String>) -> Result<Option<Passphrase>, IpcError> {
    Ok(typed.map(Passphrase::new).transpose()?)
}

/// Who is signed in, for the UI.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Session {
    /// The user URI.
    pub user: String,
    /// This device's client URI.
    pub client: String,
    /// The hub this client talks to.
    pub hub_url: String,
    /// Where the keys are.
    pub keystore: Keystore,
    /// The data directory.
    pub data_dir: String,
}

/// The app's choices that are not the client's business.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Settings {
    keystore: Option<Keystore>,
    /// OS notifications for new messages while the window is in the background (default on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notifications: Option<bool>,
}

const SETTINGS_FILE: &str = "desktop.json";

/// The state behind every command.
pub struct App {
    data_dir: PathBuf,
    app: AppHandle,
    client: RwLock<Option<Arc<Client>>>,
    keystore: RwLock<Keystore>,
    opening: tokio::sync::Mutex<()>,
    gate: Arc<Gate>,
    worker: LocalPoolHandle,
    sync_state: LastSyncState,
    on_open: OnOpen,
}

impl App {
    /// The state for a data directory.
    pub fn new(data_dir: PathBuf, app: AppHandle, on_open: OnOpen) -> Self {
        App {
            data_dir,
            app,
            client: RwLock::new(None),
            keystore: RwLock::new(Keystore::Os),
            opening: tokio::sync::Mutex::new(()),
            gate: Arc::default(),
            worker: LocalPoolHandle::new(1),
            sync_state: LastSyncState::default(),
            on_open,
        }
    }

    /// The Tauri app.
    pub fn handle(&self) -> &AppHandle {
        &self.app
    }

    /// The gate the background long-poll steps aside at.
    pub fn gate(&self) -> Arc<Gate> {
        self.gate.clone()
    }

    /// The client thread.
    pub fn worker(&self) -> &LocalPoolHandle {
        &self.worker
    }

    /// Where the background long-poll keeps its last [`SyncState`].
    pub fn last_sync_state(&self) -> LastSyncState {
        self.sync_state.clone()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Whether the background long-poll reaches the hub; `None` before its first answer.
    pub fn sync_state(&self) -> Option<SyncState> {
        self.sync_state.lock().ok().and_then(|s| s.clone())
    }

    /// Runs `f` with the open client on the client thread. Meanwhile the background long-poll
    /// steps aside (see [`Gate`]).
    pub async fn with_client<T, F, Fut>(&self, f: F) -> Result<T, IpcError>
    where
        F: FnOnce(Arc<Client>) -> Fut + Send + 'static,
        Fut: Future<Output = conclave_client::Result<T>> + 'static,
        T: Send + 'static,
    {
        let _busy = self.gate.enter();
        self.peek_client(f).await
    }

    /// Runs `f` with the open client on the client thread without asking the long-poll to step
    /// aside: for short reads made because of an event (the notifications).
    pub async fn peek_client<T, F, Fut>(&self, f: F) -> Result<T, IpcError>
    where
        F: FnOnce(Arc<Client>) -> Fut + Send + 'static,
        Fut: Future<Output = conclave_client::Result<T>> + 'static,
        T: Send + 'static,
    {
        let client = self.current()?;
        self.on_client_thread(move || f(client)).await
    }

    async fn on_client_thread<T, F, Fut>(&self, f: F) -> Result<T, IpcError>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = conclave_client::Result<T>> + 'static,
        T: Send + 'static,
    {
        self.worker
            .spawn_pinned(f)
            .await
            .map_err(|e| {
                IpcError::new(ErrorCode::Internal, format!("the client task failed: {e}"))
            })?
            .map_err(Into::into)
    }

    fn current(&self) -> Result<Arc<Client>, IpcError> {
        self.client
            .read()
            .map_err(|_| IpcError::new(ErrorCode::Internal, "the client lock is poisoned"))?
            .clone()
            .ok_or_else(|| IpcError::new(ErrorCode::NotOpen, "no client is open yet"))
    }

    /// Opens the client registered in the data directory (once; later calls answer the same).
    /// `passphrase` is what the user typed when a first try answered `passphrase_needed`.
    pub async fn open(&self, passphrase: Option<String>) -> Result<Session, IpcError> {
        let _one_at_a_time = self.opening.lock().await;
        if let Ok(c) = self.current() {
            return Ok(self.session(&c));
        }
        let keystore = self.keystore_choice()?;
        let dir = self.data_dir.clone();
        let options = Options {
            passphrase: self::passphrase(passphrase)?,
            ..options(keystore)
        };
        // Opening talks to the keyring over D-Bus, which blocks.
        let client = tokio::task::spawn_blocking(move || Client::open(&dir, &options))
            .await
            .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))??;
        Ok(self.install(client, keystore))
    }

    /// Registers a new user on a hub and opens its client. `keystore` is the user's explicit
    /// choice from the no-keyring screen; `None` means the default (see the module doc).
    /// `insecure` is the user's confirmation that a plain-HTTP hub on another machine is meant.
    /// `passphrase` is the new passphrase for [`Keystore::Passphrase`].
    pub async fn register(
        &self,
        hub_url: &str,
        name: &str,
        keystore: Option<Keystore>,
        insecure: bool,
        passphrase: Option<String>,
    ) -> Result<Session, IpcError> {
        let _one_at_a_time = self.opening.lock().await;
        let keystore = match keystore {
            Some(k) => k,
            None => self.keystore_choice()?,
        };
        let new_passphrase = self::passphrase(passphrase)?;
        let (dir, hub_url, name) = (
            self.data_dir.clone(),
            hub_url.trim().to_owned(),
            name.trim().to_owned(),
        );
        let client = self
            .on_client_thread(move || async move {
                let options = Options {
                    insecure,
                    passphrase: new_passphrase,
                    ..options(keystore)
                };
                Client::register(&dir, &hub_url, &name, None, &options).await
            })
            .await?;
        if keystore != Keystore::Os {
            self.remember(keystore)?;
        }
        Ok(self.install(client, keystore))
    }

    fn install(&self, client: Client, keystore: Keystore) -> Session {
        // A home sealed under a passphrase opens only that way, whatever was chosen.
        let keystore = KeystoreKind::from(keystore).for_home(&self.data_dir).into();
        let client = Arc::new(client);
        if let Ok(mut k) = self.keystore.write() {
            *k = keystore;
        }
        if let Ok(mut slot) = self.client.write() {
            *slot = Some(client.clone());
        }
        (self.on_open)(self, client.clone());
        self.session(&client)
    }

    fn session(&self, c: &Client) -> Session {
        Session {
            user: c.user().to_string(),
            client: c.client_uri().to_string(),
            hub_url: c.hub_url().to_owned(),
            keystore: self.keystore.read().map(|k| *k).unwrap_or(Keystore::Os),
            data_dir: c.data_dir().display().to_string(),
        }
    }

    fn keystore_choice(&self) -> Result<Keystore, IpcError> {
        if std::env::var_os(KEYSTORE_ENV).is_some() {
            return Ok(KeystoreKind::from_env()?.into());
        }
        Ok(read_settings(&self.data_dir)
            .keystore
            .unwrap_or(Keystore::Os))
    }

    fn remember(&self, keystore: Keystore) -> Result<(), IpcError> {
        self.update_settings(|s| s.keystore = Some(keystore))
    }

    /// The app's notification state.
    pub fn notifier(&self) -> tauri::State<'_, crate::notify::Notifier> {
        use tauri::Manager;
        self.app.state::<crate::notify::Notifier>()
    }

    /// Whether the user wants OS notifications (the default: yes).
    pub fn notifications_setting(&self) -> bool {
        read_settings(&self.data_dir).notifications.unwrap_or(true)
    }

    /// Remembers whether the user wants OS notifications.
    pub fn set_notifications_setting(&self, on: bool) -> Result<(), IpcError> {
        self.update_settings(|s| s.notifications = Some(on))
    }

    fn update_settings(&self, change: impl FnOnce(&mut Settings)) -> Result<(), IpcError> {
        let mut s = read_settings(&self.data_dir);
        change(&mut s);
        let path = self.data_dir.join(SETTINGS_FILE);
        let json = serde_json::to_vec_pretty(&s)
            .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))?;
        conclave_client::private::write(&path, &json).map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("cannot write {}: {e}", path.display()),
            )
        })
    }
}

fn options(keystore: Keystore) -> Options {
    Options {
        keystore: keystore.into(),
        ca_cert: conclave_client::transport::ca_cert_from_env(),
        ..Options::default()
    }
}

fn read_settings(dir: &Path) -> Settings {
    std::fs::read(dir.join(SETTINGS_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Counts the commands in flight, so that the long-poll can step aside for them.
#[derive(Default)]
pub struct Gate {
    busy: AtomicUsize,
    changed: Notify,
}

impl Gate {
    /// Marks a command in flight until the guard is dropped.
    pub fn enter(self: &Arc<Self>) -> GateGuard {
        self.busy.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
        GateGuard(self.clone())
    }

    /// Resolves once `pred` holds for the number of commands in flight.
    pub async fn until(&self, pred: impl Fn(usize) -> bool) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if pred(self.busy.load(Ordering::SeqCst)) {
                return;
            }
            changed.await;
        }
    }
}

/// One command in flight.
pub struct GateGuard(Arc<Gate>);

impl Drop for GateGuard {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}
