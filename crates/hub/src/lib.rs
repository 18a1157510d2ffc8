//! # conclave-hub: Conclave's server
//!
//! One process plays two MIMI roles (PROTO §3): the **provider** of its own users' clients
//! (accounts, credentials, KeyPackages, durable per-client queues) and the **hub** of the rooms it
//! owns (it follows each room's MLS group with OpenMLS's `PublicGroup`, validates every handshake
//! with `mimi::policy`, orders and fans out).
//!
//! A request flows: HTTP handler ([`api`]) → authentication ([`accounts::authenticate`], to a
//! [`principal::Principal`]) → domain code
//! ([`room`], [`accounts`]) inside one SQLite transaction ([`store`]) → queue entries for the
//! recipients → the recipients' long-polls are woken. `main` only parses flags and calls [`serve`]
//! (plain HTTP) or [`tls::serve_tls`] (HTTPS).

pub mod accounts;
pub mod api;
pub mod connections;
pub mod enforce;
pub mod error;
pub mod franking_keys;
pub mod keys;
pub mod limits;
pub mod principal;
pub mod pseudonyms;
pub mod reports;
pub mod room;
pub mod store;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use tokio::sync::Notify;

pub use api::{router, serve, tls};
pub use error::{Error, Result};

/// How a hub is configured.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data directory (SQLite file, provider key).
    pub data_dir: PathBuf,
    /// The provider domain this hub serves (`mimi://DOMAIN/...`).
    pub domain: String,
    /// Rates, sizes and quotas (the config file's `[limits]`).
    pub limits: limits::Limits,
    /// Test-only (the `test-switches` feature, which only the test crates enable): `false`
    /// lets handshakes through without the room-policy check, to prove that honest clients
    /// refuse forbidden commits on their own.
    #[cfg(feature = "test-switches")]
    pub enforce_policy: bool,
}

impl Config {
    /// A config with the default limits.
    pub fn new(data_dir: impl Into<PathBuf>, domain: impl Into<String>) -> Self {
        Config {
            data_dir: data_dir.into(),
            domain: domain.into(),
            limits: limits::Limits::default(),
            #[cfg(feature = "test-switches")]
            enforce_policy: true,
        }
    }
}

/// Shared state of a running hub.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// A request's work on the database, queued for the next group commit; it answers how to reply
/// once the batch's fate is known.
type Job = Box<dyn FnOnce(&mut Connection, &Inner) -> Reply + Send>;
/// Sends a job's result, or the batch's commit error instead.
type Reply = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;

/// The most jobs one group commit takes.
const MAX_BATCH: usize = 64;

/// What [`AppState`] holds.
pub struct Inner {
    db: Mutex<Connection>,
    jobs: Mutex<std::collections::VecDeque<Job>>,
    /// The provider domain.
    pub domain: String,
    /// The provider's credential-signing key.
    pub provider_key: SigningKey,
    /// Rates, sizes and quotas.
    pub limits: limits::Limits,
    /// The rate limiters.
    pub limiters: limits::Limiters,
    /// Whether handshakes are checked against room policy: always, but with the test-only
    /// switch ([`Config`]).
    #[cfg(feature = "test-switches")]
    enforce_policy: bool,
    /// The franking keys.
    pub franking: franking_keys::FrankingKeys,
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Inner {
    /// Whether handshakes and messages are checked against room policy: always, outside the
    /// test-only switch.
    pub fn enforce_policy(&self) -> bool {
        #[cfg(feature = "test-switches")]
        return self.enforce_policy;
        #[cfg(not(feature = "test-switches"))]
        true
    }

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
    /// Opens the data directory: creates it, the database and the provider key on first start,
    /// and makes it and everything in it readable by its owner only.
    pub fn open(config: &Config) -> Result<Self> {
        mimi::uri::validate_provider_domain(&config.domain)
            .map_err(|e| Error::Internal(format!("--domain: {e}")))?;
        // Secrets at rest: the directory 0700, every file in it 0600, narrowed if wider.
        conclave_sqlite::private::create_dir(&config.data_dir).map_err(|e| {
            Error::Internal(format!(
                "cannot create {} private: {e}",
                config.data_dir.display()
            ))
        })?;
        let provider_key = keys::load_or_create(&config.data_dir.join("provider.key"))?;
        let db = store::open(&config.data_dir.join("hub.sqlite3"))?;
        Ok(AppState(Arc::new(Inner {
            db: Mutex::new(db),
            jobs: Mutex::new(Default::default()),
            domain: config.domain.clone(),
            provider_key,
            limits: config.limits.clone(),
            limiters: limits::Limiters::new(&config.limits),
            #[cfg(feature = "test-switches")]
            enforce_policy: config.enforce_policy,
            franking: franking_keys::FrankingKeys::open(&config.data_dir)?,
            waiters: Mutex::new(HashMap::new()),
        })))
    }

    /// The state's contents.
    pub fn inner(&self) -> &Inner {
        &self.0
    }

    /// Runs `f` on the database on a blocking thread and answers once what it wrote is durable.
    ///
    /// Group commit (BENCHMARKS.md, P2): requests queue their work; whichever request next holds
    /// the one connection runs every queued job in one transaction and commits once: one `fsync`
    /// for all of them. Every job is answered only after that commit, so an answer still means "on disk".
    /// Domain code therefore opens savepoints, never transactions, so that it nests.
    pub async fn db<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |conn, inner| {
            let result = f(conn, inner);
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |committed| {
                let _ = tx.send(match committed {
                    Ok(()) => result,
                    Err(e) if ok => Err(Error::Internal(format!("commit failed: {e}"))),
                    Err(_) => result,
                });
            });
            reply
        });
        match self.0.jobs.lock() {
            Ok(mut q) => q.push_back(job),
            Err(_) => return Err(Error::Internal("database queue poisoned".into())),
        }
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || run_jobs(&inner))
            .await
            .map_err(Error::internal)??;
        rx.await
            .map_err(|_| Error::Internal("the database job was dropped".into()))?
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

/// Takes the connection and runs the queued jobs as group commits until none is left (the
/// caller's own job may already have been run by another request's call).
fn run_jobs(inner: &Inner) -> Result<()> {
    let mut conn = inner
        .db
        .lock()
        .map_err(|_| Error::Internal("database lock poisoned".into()))?;
    loop {
        let batch: Vec<Job> = {
            let mut q = inner
                .jobs
                .lock()
                .map_err(|_| Error::Internal("database queue poisoned".into()))?;
            let n = q.len().min(MAX_BATCH);
            q.drain(..n).collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // E.g. an operator command holds the write lock past the busy timeout: each job
            // runs on its own instead (its savepoints are then its transactions).
            tracing::warn!(error = %e, "cannot begin a group commit");
            for job in batch {
                job(&mut conn, inner)(Ok(()));
            }
            continue;
        }
        let replies = run_batch(&mut conn, inner, batch);
        let committed = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for reply in replies {
            reply(committed.clone());
        }
    }
}

/// Runs a batch inside the open transaction. What a job wrote stays, as it would have in
/// autocommit mode (a refused report is filed, then answered with an error); a job keeps its
/// own writes atomic with its own savepoint.
fn run_batch(conn: &mut Connection, inner: &Inner, batch: Vec<Job>) -> Vec<Reply> {
    batch.into_iter().map(|job| job(conn, inner)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert_user(c: &mut Connection, name: &str) -> Result<()> {
        // Two writes kept atomic by the job's own savepoint; the second fails for a taken name.
        let sp = c.savepoint()?;
        sp.execute(
            "INSERT INTO queue_heads (client_uri, next_seq) VALUES (?1, 1)
             ON CONFLICT(client_uri) DO UPDATE SET next_seq = next_seq + 1",
            [name],
        )?;
        sp.execute(
            "INSERT INTO users (uri, name, created_at) VALUES (?1, ?2, 0)",
            [format!("mimi://localhost/u/{name}"), name.to_owned()],
        )?;
        sp.commit()?;
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_jobs_share_commits_and_a_failing_job_leaves_only_its_own_writes_out() {
        let dir = tempfile::tempdir().unwrap();
        let s = AppState::open(&Config::new(dir.path(), "localhost")).unwrap();
        s.db(|c, _| insert_user(c, "taken")).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..64 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                // Every fourth job fails halfway (its name is taken).
                let name = if i % 4 == 0 {
                    "taken".to_owned()
                } else {
                    format!("u{i}")
                };
                s.db(move |c, _| insert_user(c, &name)).await
            }));
        }
        let mut failed = 0;
        for t in tasks {
            if t.await.unwrap().is_err() {
                failed += 1;
            }
        }
        assert_eq!(failed, 16);
        // What the answers said is what a fresh connection reads from disk.
        let conn = store::open(&dir.path().join("hub.sqlite3")).unwrap();
        let users: i64 = conn
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .unwrap();
        let heads: i64 = conn
            .query_row("SELECT COUNT(*) FROM queue_heads", [], |r| r.get(0))
            .unwrap();
        let taken: i64 = conn
            .query_row(
                "SELECT next_seq FROM queue_heads WHERE client_uri = 'taken'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        // 48 new names, and the 16 failed jobs' first writes rolled back with them.
        assert_eq!((users, heads, taken), (1 + 48, 1 + 48, 1));
    }

    #[test]
    fn a_data_directory_left_readable_by_others_is_narrowed_when_the_hub_opens_it() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let s = AppState::open(&Config::new(&data, "localhost")).unwrap();
        drop(s);
        let files = ["hub.sqlite3", "provider.key", "franking.keys"];
        assert_eq!(mode(&data), 0o700);
        for f in files {
            assert_eq!(mode(&data.join(f)), 0o600, "{f}");
        }
        // Copied with the wrong umask, say.
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        for f in files {
            std::fs::set_permissions(data.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let _s = AppState::open(&Config::new(&data, "localhost")).unwrap();
        assert_eq!(mode(&data), 0o700);
        for entry in std::fs::read_dir(&data).unwrap() {
            let p = entry.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
}
