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
pub mod backup;
pub mod blocks;
pub mod connections;
pub mod consent;
pub mod enforce;
pub mod epochs;
pub mod error;
pub mod franking_keys;
pub mod keys;
pub mod limits;
pub mod principal;
pub mod proposals;
pub mod pseudonyms;
pub mod reconcile;
pub mod reports;
pub mod room;
pub mod siblings;
pub mod store;
pub mod tokens;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ed25519_dalek::SigningKey;
use rusqlite::Connection;
use tokio::sync::{Notify, watch};

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
    /// `true` once the hub is shutting down: waiting long-polls answer at once.
    shutdown: watch::Sender<bool>,
    /// Test-only: jobs that wait for the next batch holding another request's job
    /// ([`AppState::db_in_next_batch`]).
    #[cfg(feature = "test-switches")]
    deferred: Mutex<Vec<Job>>,
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
            shutdown: watch::Sender::new(false),
            #[cfg(feature = "test-switches")]
            deferred: Mutex::new(Vec::new()),
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
    ///
    /// Each job runs in a savepoint of its own. A job that panics is answered
    /// [`Error::Internal`], what it wrote is rolled back, and the other jobs of its batch commit
    /// as if it had not been there.
    pub async fn db<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<T> + Send + 'static,
    {
        let rx = self.enqueue(f);
        self.run_queued().await?;
        rx.await
            .map_err(|_| Error::Internal("the database job was dropped".into()))?
    }

    /// Test-only (the `test-switches` feature): like [`AppState::db`], but `f` waits for the
    /// next batch that holds another request's job and runs first in it, so that a test can
    /// show what one job does to the others of its batch.
    #[cfg(feature = "test-switches")]
    pub async fn db_in_next_batch<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<T> + Send + 'static,
    {
        let (job, rx) = job(f);
        lock(&self.0.deferred).push(job);
        rx.await
            .map_err(|_| Error::Internal("the database job was dropped".into()))?
    }

    /// Queues `f` for the next group commit; the receiver gets its answer after the commit.
    fn enqueue<T, F>(&self, f: F) -> tokio::sync::oneshot::Receiver<Result<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Inner) -> Result<T> + Send + 'static,
    {
        let (job, rx) = job(f);
        lock(&self.0.jobs).push_back(job);
        rx
    }

    /// Runs the queued jobs on a blocking thread (they may already have been run by another
    /// request's call).
    async fn run_queued(&self) -> Result<()> {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || run_jobs(&inner))
            .await
            .map_err(Error::internal)?
    }

    /// Tells waiting long-polls that the hub is shutting down: they answer at once, so that
    /// the graceful shutdown does not wait out their whole wait.
    pub fn begin_shutdown(&self) {
        self.0.shutdown.send_replace(true);
    }

    /// Whether [`AppState::begin_shutdown`] was called.
    pub fn is_shutting_down(&self) -> bool {
        *self.0.shutdown.borrow()
    }

    /// Resolves once the hub is shutting down (at once if it already is).
    pub fn shutting_down(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.0.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|stopping| *stopping).await;
        }
    }

    /// Runs whatever work is still queued and leaves no transaction open: the last step of a
    /// shutdown, after the requests in flight were answered.
    pub async fn finish(&self) -> Result<()> {
        self.run_queued().await
    }

    /// The waker of a client's long-poll.
    pub fn waiter(&self, client: &str) -> Arc<Notify> {
        lock(&self.0.waiters)
            .entry(client.to_owned())
            .or_default()
            .clone()
    }

    /// Wakes the long-polls of these clients.
    pub fn wake<'a>(&self, clients: impl IntoIterator<Item = &'a String>) {
        for c in clients {
            self.waiter(c).notify_waiters();
        }
    }
}

/// Locks `m`, also after a panic elsewhere poisoned it: what the hub keeps behind its locks (a
/// connection whose open transaction [`run_jobs`] rolls back, a queue of jobs, wakers) stays
/// usable after a panic, and a poisoned lock must not take the hub down with it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wraps `f` as a job (run in its own savepoint, a panic caught) and the receiver of its answer.
fn job<T, F>(f: F) -> (Job, tokio::sync::oneshot::Receiver<Result<T>>)
where
    T: Send + 'static,
    F: FnOnce(&mut Connection, &Inner) -> Result<T> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<T>>();
    let job: Job = Box::new(move |conn, inner| {
        let result = in_savepoint(conn, |c| f(c, inner));
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
    (job, rx)
}

/// The savepoint every job runs in: opened, released, and rolled back after a panic.
const JOB_SAVEPOINT: &str = "SAVEPOINT conclave_job";
const JOB_RELEASE: &str = "RELEASE conclave_job";
const JOB_UNDO: &str = "ROLLBACK TO conclave_job; RELEASE conclave_job";

/// Runs one job in its own savepoint. What a job that returns wrote stays, even when it
/// returns an error, as it would have in autocommit mode (a refused report is filed, then
/// answered with an error); a job keeps its own writes atomic with its own savepoints. What a
/// job that panics wrote is rolled back, and the panic is answered [`Error::Internal`]; its
/// payload goes to the log only. Outside a group commit (autocommit mode) the savepoint is the
/// job's transaction.
fn in_savepoint<T>(
    conn: &mut Connection,
    f: impl FnOnce(&mut Connection) -> Result<T>,
) -> Result<T> {
    let outermost = conn.is_autocommit();
    // Two statements per job: cached, as they run for every request.
    conn.prepare_cached(JOB_SAVEPOINT)?.execute([])?;
    match catch_unwind(AssertUnwindSafe(|| f(conn))) {
        Ok(result) => match conn
            .prepare_cached(JOB_RELEASE)
            .and_then(|mut st| st.execute([]))
        {
            Ok(_) => result,
            Err(e) => {
                // E.g. a busy database refused the commit of a job run on its own: nothing of
                // it stays.
                if outermost && !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                result.and(Err(e.into()))
            }
        },
        Err(payload) => {
            tracing::error!(
                panic = panic_message(payload.as_ref()),
                "a database job panicked; its writes are rolled back"
            );
            let undone = conn.execute_batch(JOB_UNDO);
            if let Err(e) = undone {
                tracing::error!(error = %e, "cannot roll back the panicked job's savepoint");
            }
            Err(Error::Internal("a database job panicked".into()))
        }
    }
}

/// What a panic said, for the log.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "a panic without a message"
    }
}

/// Takes the connection and runs the queued jobs as group commits until none is left (the
/// caller's own job may already have been run by another request's call).
fn run_jobs(inner: &Inner) -> Result<()> {
    let mut conn = lock(&inner.db);
    if !conn.is_autocommit() {
        // Left open by a panic between a BEGIN and its COMMIT: nobody was answered for it.
        tracing::error!("a transaction was left open; rolling it back");
        if let Err(e) = conn.execute_batch("ROLLBACK") {
            // Nothing queued could be committed: its callers are answered `internal` (their
            // replies dropped), never as if it were written.
            lock(&inner.jobs).clear();
            return Err(e.into());
        }
    }
    loop {
        let batch: Vec<Job> = {
            let mut q = lock(&inner.jobs);
            let n = q.len().min(MAX_BATCH);
            q.drain(..n).collect()
        };
        if batch.is_empty() {
            return Ok(());
        }
        #[cfg(feature = "test-switches")]
        let batch: Vec<Job> = {
            let mut deferred = std::mem::take(&mut *lock(&inner.deferred));
            deferred.extend(batch);
            deferred
        };
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // E.g. an operator command holds the write lock past the busy timeout: each job
            // runs on its own instead (its savepoint is then its transaction).
            tracing::warn!(error = %e, "cannot begin a group commit");
            for job in batch {
                job(&mut conn, inner)(Ok(()));
            }
            continue;
        }
        let replies = run_batch(&mut conn, inner, batch);
        let mut committed = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if !conn.is_autocommit() {
            // The COMMIT failed (or something reopened a transaction): nothing of the batch is
            // on disk, and no job may be answered as if it were.
            let _ = conn.execute_batch("ROLLBACK");
            if committed.is_ok() {
                committed = Err("the transaction was still open after its commit".into());
            }
        }
        for reply in replies {
            reply(committed.clone());
        }
    }
}

/// Runs a batch inside the open transaction, each job in its own savepoint ([`in_savepoint`]).
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

    fn user_names(dir: &std::path::Path) -> Vec<String> {
        let conn = store::open(&dir.join("hub.sqlite3")).unwrap();
        let mut st = conn
            .prepare("SELECT name FROM users ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_that_panics_is_answered_internal_and_only_its_own_writes_are_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = AppState::open(&Config::new(dir.path(), "localhost")).unwrap();
        // Given three jobs in one batch, the middle one writing, opening a savepoint of its own
        // and panicking inside it
        let before = s.enqueue(|c, _| insert_user(c, "before"));
        let panicked = s.enqueue(|c, _| -> Result<()> {
            insert_user(c, "panicked")?;
            c.execute_batch("SAVEPOINT its_own")?;
            insert_user(c, "inside")?;
            panic!("a bug in a job");
        });
        let after = s.enqueue(|c, _| insert_user(c, "after"));
        assert_eq!(lock(&s.0.jobs).len(), 3);
        s.run_queued().await.unwrap();

        // Then the panicking job is answered `internal`, the others as usual
        before.await.unwrap().unwrap();
        after.await.unwrap().unwrap();
        let e = panicked.await.unwrap().unwrap_err();
        assert_eq!(e.code(), "internal");
        // And the connection is neither poisoned nor left in a transaction: the hub goes on
        assert!(!s.0.db.is_poisoned());
        assert!(lock(&s.0.db).is_autocommit());
        s.db(|c, _| insert_user(c, "later")).await.unwrap();
        // And on disk are the other jobs' writes, none of the panicked one's
        assert_eq!(user_names(dir.path()), ["after", "before", "later"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_that_poisons_the_connection_inside_an_open_transaction_does_not_stop_the_hub()
    {
        let dir = tempfile::tempdir().unwrap();
        let s = AppState::open(&Config::new(dir.path(), "localhost")).unwrap();
        let inner = s.0.clone();
        let crashed = std::thread::spawn(move || {
            let mut conn = inner.db.lock().unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            insert_user(&mut conn, "lost").unwrap();
            panic!("a bug between BEGIN and COMMIT");
        })
        .join();
        assert!(crashed.is_err());
        assert!(s.0.db.is_poisoned());

        s.db(|c, _| insert_user(c, "kept")).await.unwrap();
        assert!(lock(&s.0.db).is_autocommit());
        assert_eq!(user_names(dir.path()), ["kept"]);
    }

    #[tokio::test]
    async fn shutting_down_resolves_for_waiters_registered_before_and_after() {
        let dir = tempfile::tempdir().unwrap();
        let s = AppState::open(&Config::new(dir.path(), "localhost")).unwrap();
        let early = tokio::spawn(s.shutting_down());
        assert!(!s.is_shutting_down());
        s.begin_shutdown();
        early.await.unwrap();
        s.shutting_down().await;
        assert!(s.is_shutting_down());
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
