//! Test support for the end-to-end stories: a real hub on 127.0.0.1 with a real SQLite file in a
//! temporary directory, and real clients in temporary directories. No mocks.
//!
//! Waiting is always on evidence: [`settle`] syncs every client until a whole round finds the
//! queues empty; [`TestClient::wait_for_messages`] long-polls the hub until the messages are there,
//! failing after a timeout.

pub mod proxy;
pub mod raw;
pub mod rogue;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use conclave_client::{Client, KeystoreKind, Message, MessageKind, Options};
use conclave_hub::limits::Limits;
use conclave_hub::{AppState, Config};
use mimi::uri::RoomUri;
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The domain test hubs serve.
pub const DOMAIN: &str = "localhost";

/// How long a story waits for something before failing.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A hub serving on 127.0.0.1 from a temporary data directory.
pub struct TestHub {
    data: TempDir,
    enforce_policy: bool,
    limits: Limits,
    /// Serve HTTPS with this certificate, else plain HTTP.
    tls: Option<conclave_hub::tls::TlsConfig>,
    /// What its users' clients are opened with (the CA they trust, for HTTPS).
    client_options: Options,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestHub {
    /// Starts a hub on a free port.
    pub async fn spawn() -> TestHub {
        Self::spawn_with(true).await
    }

    /// Starts a hub whose room-policy checks are switched off (the hub's test-only setting), to
    /// prove that honest clients refuse forbidden commits on their own.
    pub async fn spawn_without_policy_checks() -> TestHub {
        Self::spawn_with(false).await
    }

    /// Starts a hub with these limits (the stories' hubs are otherwise only loosely limited, so
    /// that a story's quick bursts of syncs are never throttled).
    pub async fn spawn_with_limits(limits: Limits) -> TestHub {
        Self::spawn_full(true, limits, None, options()).await
    }

    /// Limits loose enough for any story: the rates are far above what a story does.
    pub fn story_limits() -> Limits {
        Limits::loose()
    }

    /// Starts a hub serving HTTPS with `tls`; its users' clients trust the CA certificates in
    /// the PEM file `ca_cert` (and the system's).
    pub async fn spawn_tls(tls: conclave_hub::tls::TlsConfig, ca_cert: &Path) -> TestHub {
        Self::spawn_full(
            true,
            Self::story_limits(),
            Some(tls),
            Options {
                ca_cert: Some(ca_cert.to_owned()),
                ..options()
            },
        )
        .await
    }

    async fn spawn_with(enforce_policy: bool) -> TestHub {
        Self::spawn_full(enforce_policy, Self::story_limits(), None, options()).await
    }

    async fn spawn_full(
        enforce_policy: bool,
        limits: Limits,
        tls: Option<conclave_hub::tls::TlsConfig>,
        client_options: Options,
    ) -> TestHub {
        let data = tempfile::tempdir().expect("tempdir");
        let mut hub = TestHub {
            data,
            enforce_policy,
            limits,
            tls,
            client_options,
            addr: "127.0.0.1:0".parse().expect("addr"),
            stop: None,
            task: None,
        };
        hub.start().await;
        hub
    }

    async fn start(&mut self) {
        let mut config = Config::new(self.data.path(), DOMAIN);
        config.enforce_policy = self.enforce_policy;
        config.limits = self.limits.clone();
        let state = AppState::open(&config).expect("open hub");
        // Rebinding the same port after a restart can race the old socket's close: retry a little.
        let mut listener = None;
        for _ in 0..50 {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(_) => tokio::task::yield_now().await,
            }
        }
        let listener = listener.expect("bind the hub's port");
        self.addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel();
        self.stop = Some(tx);
        let stopped = async {
            let _ = rx.await;
        };
        self.task = Some(match self.tls.clone() {
            Some(tls) => tokio::spawn(conclave_hub::tls::serve_tls(state, listener, tls, stopped)),
            None => tokio::spawn(conclave_hub::serve(state, listener, stopped)),
        });
    }

    /// The hub's base URL.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// The hub's SQLite file.
    pub fn db_path(&self) -> PathBuf {
        self.data.path().join("hub.sqlite3")
    }

    /// Stops the hub (graceful shutdown) and waits until it is gone.
    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("hub task").expect("hub served");
        }
    }

    /// Stops the hub and starts it again on the same port and data directory.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// How many entries wait in `client`'s queue at the hub.
    pub fn queued_for(&self, client: &mimi::uri::ClientUri) -> i64 {
        let conn = rusqlite::Connection::open(self.db_path()).expect("open hub db");
        conn.query_row(
            "SELECT COUNT(*) FROM queue WHERE client_uri = ?1",
            [client.to_string()],
            |r| r.get(0),
        )
        .expect("count")
    }

    /// Registers a new user with one client in a fresh directory.
    pub async fn user(&self, name: &str) -> TestClient {
        self.user_with(name, |_| {}).await
    }

    /// Registers a new user with the stories' client options changed by `change` (another
    /// keystore, a passphrase); later reopenings use the same options.
    pub async fn user_with(&self, name: &str, change: impl FnOnce(&mut Options)) -> TestClient {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut options = self.client_options.clone();
        change(&mut options);
        let client = Client::register(dir.path(), &self.url(), name, None, &options)
            .await
            .expect("register");
        TestClient {
            dir,
            client: Some(client),
            options,
        }
    }

    /// Registers a new device of `existing`'s user, with a link code from it.
    pub async fn link_device(&self, existing: &TestClient) -> TestClient {
        let (code, _) = existing.link_code().await.expect("link code");
        let dir = tempfile::tempdir().expect("tempdir");
        let name = existing.user().local().to_owned();
        let client = Client::register(
            dir.path(),
            &self.url(),
            &name,
            Some(&code),
            &self.client_options,
        )
        .await
        .expect("register device");
        TestClient {
            dir,
            client: Some(client),
            options: self.client_options.clone(),
        }
    }

    /// Every row of every table of the hub's database: (table, each cell's bytes — text and
    /// blobs as stored, integers in decimal, NULL as nothing). For scans of what the hub keeps.
    pub fn all_rows(&self) -> Vec<(String, Vec<Vec<u8>>)> {
        let conn = rusqlite::Connection::open(self.db_path()).expect("open the hub's database");
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .expect("tables")
            .query_map([], |r| r.get(0))
            .expect("tables")
            .collect::<Result<_, _>>()
            .expect("tables");
        let mut out = Vec::new();
        for table in tables {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM \"{table}\""))
                .expect("select");
            let n = stmt.column_count();
            let mut rows = stmt.query([]).expect("query");
            while let Some(row) = rows.next().expect("row") {
                let cells = (0..n)
                    .map(|i| match row.get_ref(i).expect("cell") {
                        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                            t.to_vec()
                        }
                        rusqlite::types::ValueRef::Integer(v) => v.to_string().into_bytes(),
                        _ => Vec::new(),
                    })
                    .collect();
                out.push((table.clone(), cells));
            }
        }
        out
    }

    /// How many application messages the hub withheld from `client` in `room` (the hub's own
    /// count, as `conclave-hub withheld` shows it).
    pub fn withheld(&self, room: &RoomUri, client: &mimi::uri::ClientUri) -> u64 {
        let conn = rusqlite::Connection::open(self.db_path()).expect("open hub db");
        conn.query_row(
            "SELECT COALESCE(SUM(count), 0) FROM withheld WHERE room_uri = ?1 AND client_uri = ?2",
            [room.to_string(), client.to_string()],
            |r| r.get::<_, i64>(0),
        )
        .expect("withheld") as u64
    }

    /// Writes a pseudonym row straight into the hub's database, bypassing every check of
    /// registration: for the tests that try what such a row would let its token do.
    pub fn plant_pseudonym(
        &self,
        client: &mimi::uri::ClientUri,
        user: &mimi::uri::UserUri,
        token: &str,
    ) {
        let conn = conclave_hub::store::open(&self.db_path()).expect("open the hub's database");
        conn.execute(
            "INSERT INTO pseudonyms (client_uri, user_uri, token_hash, created_at)
             VALUES (?1, ?2, ?3, 0)",
            rusqlite::params![
                client.to_string(),
                user.to_string(),
                conclave_hub::accounts::secret_hash(token)
            ],
        )
        .expect("plant the pseudonym");
    }

    /// Row counts of every hub table, to prove that refused requests changed nothing.
    pub fn table_counts(&self) -> Vec<(String, i64)> {
        let conn = rusqlite::Connection::open(self.db_path()).expect("open hub db");
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        tables
            .into_iter()
            .map(|t| {
                let n = conn
                    .query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))
                    .expect("count");
                (t, n)
            })
            .collect()
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Tests keep keys in the documented file fallback (the OS keyring has its own test).
pub fn options() -> Options {
    Options {
        keystore: KeystoreKind::File,
        ..Default::default()
    }
}

/// The client database of the home `dir` (the tests' file keystore), opened with its key as the
/// client opens it (SECURITY.md "Secrets at rest"): for the stories that read or hold the
/// client's rows.
pub fn client_db(dir: &Path) -> rusqlite::Connection {
    let secrets = conclave_client::keystore::open(KeystoreKind::File, dir, None).expect("keystore");
    conclave_client::store::encrypt::open_home(&dir.join("conclave.sqlite3"), secrets.as_ref())
        .expect("the client's database")
}

/// A client in its own directory; it can be closed and reopened.
pub struct TestClient {
    dir: TempDir,
    client: Option<Client>,
    options: Options,
}

impl std::ops::Deref for TestClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("client is closed")
    }
}

impl TestClient {
    /// Its data directory, open or closed.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// Closes the client (as if the app quit).
    pub fn close(&mut self) {
        self.client = None;
    }

    /// Opens it again, talking to the hub through `url` (a [`proxy::Proxy`]) from now on.
    pub fn reopen_through(&mut self, url: &str) {
        self.options.hub_override = Some(url.to_owned());
        // A proxy on loopback is plain HTTP, as the hub it fronts.
        self.reopen();
    }

    /// Opens it again from its directory.
    pub fn reopen(&mut self) {
        self.client = None;
        self.client = Some(Client::open(self.dir.path(), &self.options).expect("reopen"));
    }

    /// The room's messages (not its history events), in hub order.
    pub async fn texts(&self, room: &RoomUri) -> Vec<Message> {
        self.room(room)
            .messages(10_000)
            .await
            .expect("messages")
            .into_iter()
            .filter(|m| m.kind == MessageKind::Message)
            .collect()
    }

    /// The room's history events, in hub order.
    pub async fn history(&self, room: &RoomUri) -> Vec<String> {
        self.room(room)
            .messages(10_000)
            .await
            .expect("messages")
            .into_iter()
            .filter(|m| m.kind == MessageKind::Event)
            .filter_map(|m| m.text)
            .collect()
    }

    /// Long-polls until the room holds at least `n` messages (history events not counted);
    /// returns them.
    pub async fn wait_for_messages(&self, room: &RoomUri, n: usize) -> Vec<Message> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if self
                .rooms()
                .await
                .expect("rooms")
                .iter()
                .any(|r| r.uri == room.to_string())
            {
                let m = self.texts(room).await;
                if m.len() >= n {
                    return m;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} did not get {n} messages in {room} in time",
                self.user()
            );
            self.sync_waiting(Duration::from_secs(2))
                .await
                .expect("sync");
        }
    }

    /// Long-polls until this client is no longer in `room`.
    pub async fn wait_until_out_of(&self, room: &RoomUri) {
        self.wait_membership(room, false).await;
    }

    /// Long-polls until this client's membership of `room` is `inside`.
    async fn wait_membership(&self, room: &RoomUri, inside: bool) {
        wait_membership(self, room, inside).await
    }

    /// The role (by name) of `user` as this client sees the room.
    pub async fn role_of(&self, room: &RoomUri, user: &TestClient) -> String {
        self.room(room)
            .members()
            .await
            .expect("members")
            .into_iter()
            .find(|m| m.user == user.user().to_string())
            .map(|m| m.role)
            .unwrap_or_else(|| "not listed".into())
    }

    /// Long-polls until this client is in `room`.
    pub async fn wait_for_room(&self, room: &RoomUri) {
        self.wait_membership(room, true).await;
    }

    /// Creates a room with `preset`, invites `members` with the preset's default role (each
    /// consents to being added by this client's user first: [`introduce`]), and waits until
    /// each of them is in it.
    pub async fn room_with(
        &self,
        name: &str,
        preset: mimi::policy::Preset,
        members: &[&TestClient],
    ) -> RoomUri {
        for m in members {
            if m.user() != self.user() {
                m.grant_consent(&self.user().to_string(), None)
                    .await
                    .expect("grant consent");
            }
        }
        let room = self
            .create_room_with(name, preset)
            .await
            .expect("create room");
        let names: Vec<String> = members
            .iter()
            .map(|m| m.user().local().to_owned())
            .collect();
        self.room(&room).invite(&names).await.expect("invite");
        for m in members {
            m.wait_for_room(&room).await;
        }
        room
    }
}

/// Makes each of `clients`' users consent to being added by each other's (SECURITY.md
/// "KeyPackages": a claim needs the target's consent, or a connection): what people who know
/// each other have done before they invite each other.
pub async fn introduce(clients: &[&Client]) {
    for a in clients {
        for b in clients {
            if a.user() != b.user() {
                a.grant_consent(&b.user().to_string(), None)
                    .await
                    .expect("grant consent");
            }
        }
    }
}

/// Long-polls until `client` is in `room` (`inside`) or out of it.
pub async fn wait_membership(client: &Client, room: &RoomUri, inside: bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let rooms = client.rooms().await.expect("rooms");
        if rooms.iter().any(|r| r.uri == room.to_string()) == inside {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} did not {} {room} in time",
            client.user(),
            if inside { "join" } else { "leave" }
        );
        client
            .sync_waiting(Duration::from_secs(2))
            .await
            .expect("sync");
    }
}

/// Registers `name` on the hub at `url` (any hub, a process too), in a fresh directory, with the
/// tests' keystore.
pub async fn register_at(url: &str, name: &str) -> (TempDir, Client) {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::register(dir.path(), url, name, None, &options())
        .await
        .expect("register");
    (dir, client)
}

/// Syncs every client until one whole round processes nothing: all queues are drained.
pub async fn settle(clients: &[&TestClient]) {
    let clients: Vec<&Client> = clients.iter().map(|c| &***c).collect();
    settle_clients(&clients).await
}

/// [`settle`] for bare clients.
pub async fn settle_clients(clients: &[&Client]) {
    for _ in 0..50 {
        let mut any = false;
        for c in clients {
            any |= c.sync().await.expect("sync").processed > 0;
        }
        if !any {
            return;
        }
    }
    panic!("the clients did not settle");
}

/// The path of a binary of this workspace, built by the same `cargo test --workspace` run.
pub fn bin(name: &str) -> PathBuf {
    // target/debug/deps/<test binary> → target/debug/<name>
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test --workspace` so the binaries are built",
        path.display()
    );
    path
}

/// The first line a `conclave-hub serve` process prints (`conclave-hub listening on URL for
/// mimi://DOMAIN`), read from its piped stdout: waiting on it, not on time passing. Empty if the
/// process ended without saying it.
pub fn listening_line(child: &mut std::process::Child) -> String {
    use std::io::{BufRead as _, BufReader};
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out)
            .read_line(&mut line)
            .expect("read the hub's stdout");
    }
    line
}

/// The URL in a [`listening_line`].
pub fn listening_url(line: &str) -> String {
    line.split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned()
}
