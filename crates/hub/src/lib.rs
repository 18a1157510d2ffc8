//! # conclave-hub: Conclave's server
//!
//! One process plays two MIMI roles (PROTO §3): the **provider** of its own users' clients
//! (accounts, credentials, KeyPackages, durable per-client queues) and the **hub** of the rooms it
//! owns (it follows each room's MLS group with OpenMLS's `PublicGroup`, validates every handshake
//! with `mimi::policy`, orders and fans out).
//!
//! A request flows: axum handler ([`api`]) → authentication ([`api::Auth`]) → domain code
//! ([`room`], [`accounts`]) inside one SQLite transaction ([`store`]) → queue entries for the
//! recipients → the recipients' long-polls are woken. `main` only parses flags and calls [`serve`].

pub mod accounts;
pub mod api;
pub mod enforce;
pub mod error;
pub mod franking_keys;
pub mod keys;
pub mod pseudonyms;
pub mod reports;
pub mod room;
pub mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use api::router;
pub use error::{Error, Result};

/// How a hub is configured.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory (SQLite file, provider key).
    pub data_dir: PathBuf,
    /// The provider domain this hub serves (`mimi://DOMAIN/...`).
    pub domain: String,
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Test-only: `false` lets handshakes through without the room-policy check, to prove that
    /// honest clients refuse forbidden commits on their own. `conclave-hub serve` has no flag for it.
    pub enforce_policy: bool,
}

impl Config {
    /// A config with the default body limit (1 MiB).
    pub fn new(data_dir: impl Into<PathBuf>, domain: impl Into<String>) -> Self {
        Config {
            data_dir: data_dir.into(),
            domain: domain.into(),
            body_limit: 1 << 20,
            enforce_policy: true,
        }
    }
}

/// Shared state of a running hub.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
pub struct Inner {
    db: Mutex<Connection>,
    /// The provider domain.
    pub domain: String,
    /// The provider's credential-signing key.
    pub provider_key: SigningKey,
    /// The body limit.
    pub body_limit: usize,
    /// Whether handshakes are checked against room policy (always, outside tests).
    pub enforce_policy: bool,
    /// The franking keys.
    pub franking: franking_keys::FrankingKeys,
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Inner {
    /// The hub's identity as a credential in its own domain (Basic, `mimi://DOMAIN`): what rooms
    /// list as their external sender and franking agent.
    pub fn hub_credential(&self) -> openmls::prelude::Credential {
        openmls::prelude::BasicCredential::new(format!("mimi://{}", self.domain).into_bytes())
            .into()
    }

    /// The `franking_agent` component new rooms should carry (PROTO §5.4.1): the newest
    /// franking signature key and the hub's credential.
    pub fn franking_agent(&self) -> Result<mimi::franking::FrankingAgentData> {
        let g = self.franking.newest()?;
        Ok(mimi::franking::FrankingAgentData {
            franking_signature_key: g.signing_key.verifying_key().to_bytes().to_vec().into(),
            credential: self.hub_credential(),
        })
    }
}

impl AppState {
    /// Opens the data directory: creates it, the database and the provider key on first start.
    pub fn open(config: &Config) -> Result<Self> {
        mimi::uri::validate_provider_domain(&config.domain)
            .map_err(|e| Error::Internal(format!("--domain: {e}")))?;
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            Error::Internal(format!("cannot create {}: {e}", config.data_dir.display()))
        })?;
        let provider_key = keys::load_or_create(&config.data_dir.join("provider.key"))?;
        let db = store::open(&config.data_dir.join("hub.sqlite3"))?;
        Ok(AppState(Arc::new(Inner {
            db: Mutex::new(db),
            domain: config.domain.clone(),
            provider_key,
            body_limit: config.body_limit,
            enforce_policy: config.enforce_policy,
            franking: franking_keys::FrankingKeys::open(&config.data_dir)?,
            waiters: Mutex::new(HashMap::new()),
        })))
    }

    /// The state's contents.
    pub fn inner(&self) -> &Inner {
        &self.0
    }

    /// Runs `f` on the database on a blocking thread, one request at a time (one writer).
    pub async fn db<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<T> + Send + 'static,
    {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner
                .db
                .lock()
                .map_err(|_| Error::Internal("database lock poisoned".into()))?;
            f(&mut conn, &inner)
        })
        .await
        .map_err(Error::internal)?
    }

    /// The waker of a client's long-poll.
    pub fn waiter(&self, client: &str) -> Arc<Notify> {
        let mut w = match self.0.waiters.lock() {
            Ok(w) => w,
            Err(p) => p.into_inner(),
        };
        w.entry(client.to_owned()).or_default().clone()
    }

    /// Wakes the long-polls of these clients.
    pub fn wake<'a>(&self, clients: impl IntoIterator<Item = &'a String>) {
        for c in clients {
            self.waiter(c).notify_waiters();
        }
    }
}

/// Serves the hub on `listener` until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
