//! The hub process under trouble (RELIABILITY.md, "The hub process"): a panic is answered
//! `500 internal` and the hub goes on; SIGTERM finishes what is in flight and exits 0 with
//! every acknowledged write on disk; `conclave-hub backup` copies the database while it serves.
//!
//! The panic story runs the hub in-process (its test-only route exists with the `test-switches`
//! feature this crate enables); the others run the real `conclave-hub` binary and signal it.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use conclave_client::Client;
use conclave_e2e::{PATIENCE, TestHub, bin, introduce, raw, register_at};
use mimi::policy::Preset;
use mimi::uri::RoomUri;
use reqwest::Method;
use tokio::sync::mpsc;

/// What the hub says instead of a panic's own words.
const GENERIC: &str = "the hub failed to handle the request; see its log";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_handler_or_a_database_job_is_answered_internal_and_the_hub_goes_on() {
    let hub = TestHub::spawn().await;
    let url = hub.url();
    let alice = hub.user("alice").await;

    // When a handler panics
    let (status, body) = raw::call(
        Method::POST,
        format!("{url}/v1/test/panic?where=handler"),
        None,
        None,
        false,
    )
    .await;
    // Then it is answered 500 with the stable code, and nothing of what the panic said
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["code"], "internal");
    assert_eq!(body["message"], GENERIC);

    // When a database job writes the user "ghost" and panics, first in the next batch that
    // holds another request's job (the test route waits for one)
    let panicking = tokio::spawn(raw::call(
        Method::POST,
        format!("{url}/v1/test/panic?where=db&name=ghost"),
        None,
        None,
        false,
    ));
    // ...and users register meanwhile, one of them in that batch
    let mut others = Vec::new();
    while !panicking.is_finished() {
        assert!(
            others.len() < 20,
            "the panicking job never ran with another request's"
        );
        others.push(hub.user(&format!("user{}", others.len())).await);
    }
    let (status, body) = panicking.await.unwrap();

    // Then the panic is answered 500 internal
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["code"], "internal");
    assert_eq!(body["message"], GENERIC);
    // And its own write was rolled back: the name is free
    let ghost = hub.user("ghost").await;
    // And the others' writes are all there, the batch's included
    let users = hub
        .table_counts()
        .into_iter()
        .find(|(t, _)| t == "users")
        .map(|(_, n)| n);
    assert_eq!(users, Some(2 + others.len() as i64));
    // And the same hub goes on serving: a room, a message each way
    let last = others.last().expect("one user registered at least");
    let room = alice
        .room_with("After the panics", Preset::Private, &[&ghost, last])
        .await;
    alice.room(&room).send_text("still here?").await.unwrap();
    let got = ghost.wait_for_messages(&room, 1).await;
    assert_eq!(got[0].text.as_deref(), Some("still here?"));
    last.wait_for_messages(&room, 1).await;
    ghost.room(&room).send_text("yes").await.unwrap();
    let got = alice.wait_for_messages(&room, 2).await;
    assert_eq!(got[1].text.as_deref(), Some("yes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_answers_the_long_poll_in_flight_exits_0_and_keeps_what_was_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("hub");
    let mut hub = HubProcess::start(&data, "127.0.0.1:0");
    let (_a, alice) = register_at(&hub.url, "alice").await;
    let (_b, bob) = register_at(&hub.url, "bob").await;
    let (carol_dir, carol) = register_at(&hub.url, "carol").await;
    let room = room_of_two(&alice, &bob).await;
    // Given a message whose send the hub acknowledged
    alice
        .room(&room)
        .send_text("acknowledged before SIGTERM")
        .await
        .unwrap();
    // And carol's long-poll on her empty queue, which would wait 30 s, in the hub's hands
    let poll = tokio::spawn(
        reqwest::Client::new()
            .get(format!(
                "{}/v1/clients/{}/queue?wait=30",
                hub.url,
                carol.client_uri().local()
            ))
            .bearer_auth(raw::token_of(carol_dir.path()))
            .send(),
    );
    hub.wait_for_log(|l| l.contains("started processing request") && l.contains("wait=30"))
        .await;

    // When the hub gets SIGTERM
    let signalled = Instant::now();
    hub.signal("TERM");
    let status = hub.wait_for_exit().await;
    let took = signalled.elapsed();

    // Then it exits 0 within a few seconds, saying so in one line
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        hub.logged(|l| l.contains("conclave-hub stopped on SIGTERM")),
        "{:#?}",
        hub.seen
    );
    // And the long-poll was answered (empty), not cut off
    let answer = poll.await.unwrap().expect("the long-poll was answered");
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "entries": [] }));

    // And after a restart on the same data, the acknowledged message is there for bob
    let _hub = HubProcess::start(&data, &hub.addr());
    let texts = wait_for_texts(&bob, &room, &["acknowledged before SIGTERM"]).await;
    println!("after the restart bob has {texts:?} (took {took:?} to stop)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cuts_off_a_request_that_never_ends_after_the_drain_limit() {
    use std::io::Write as _;
    let tmp = tempfile::tempdir().unwrap();
    let mut hub = HubProcess::start(&tmp.path().join("hub"), "127.0.0.1:0");
    // Given a registration whose body never comes, in the hub's hands
    let mut stalled = std::net::TcpStream::connect(hub.addr()).unwrap();
    stalled
        .write_all(
            b"POST /v1/register HTTP/1.1\r\nhost: localhost\r\n\
              content-type: application/json\r\ncontent-length: 1000\r\n\r\n{",
        )
        .unwrap();
    hub.wait_for_log(|l| l.contains("started processing request") && l.contains("/v1/register"))
        .await;

    // When the hub gets SIGTERM
    hub.signal("TERM");

    // Then it waits for that request only up to its drain limit (not the 60 s request
    // timeout), says so, and exits 0
    let status = hub.wait_for_exit().await;
    assert!(status.success(), "{status}");
    assert!(
        hub.logged(|l| l.contains("still in flight") && l.contains("cut off")),
        "{:#?}",
        hub.seen
    );
    assert!(hub.logged(|l| l.contains("conclave-hub stopped on SIGTERM")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_clients_send_holds_every_message_acknowledged_before_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("hub");
    let mut hub = HubProcess::start(&data, "127.0.0.1:0");
    let (_a, alice) = register_at(&hub.url, "alice").await;
    let (_b, bob) = register_at(&hub.url, "bob").await;
    let room = room_of_two(&alice, &bob).await;

    // Given alice sending without pause, each acknowledged text reported
    let (acked_tx, mut acked) = mpsc::unbounded_channel();
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let sending = async {
        let mut sent = 0;
        while !*stop.borrow() && sent < 500 {
            let text = format!("message {sent}");
            sent += 1;
            alice.room(&room).send_text(&text).await.expect("send");
            let _ = acked_tx.send(text);
        }
        sent
    };
    // When the operator backs up while she goes on sending
    let file = tmp.path().join("backup.sqlite3");
    let operator = async {
        let mut before = Vec::new();
        while before.len() < 5 {
            before.push(acked.recv().await.expect("alice sends"));
        }
        while let Ok(t) = acked.try_recv() {
            before.push(t);
        }
        let out = hub_command(&["backup", "--data", &path(&data), &path(&file)]).await;
        let _ = stop_tx.send(true);
        (before, out)
    };
    let (sent, (before, out)) = tokio::join!(sending, operator);
    let mut during = Vec::new();
    while let Ok(t) = acked.try_recv() {
        during.push(t);
    }

    // Then it says in one line what it wrote: a private file
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.starts_with(&format!("wrote {}", file.display())),
        "{said}"
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // And a second backup to the same file is refused, the first left as it was
    let written = std::fs::read(&file).unwrap();
    let again = hub_command(&["backup", "--data", &path(&data), &path(&file)]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).starts_with("error: "), "{}", stderr(&again));
    assert!(stderr(&again).contains("exists"), "{}", stderr(&again));
    assert_eq!(std::fs::read(&file).unwrap(), written);

    // And a hub started on a data directory holding the copy serves every message acknowledged
    // before the backup began to bob, who had fetched none of them
    hub.signal("TERM");
    assert!(hub.wait_for_exit().await.success());
    let restored = tmp.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    for f in ["provider.key", "franking.keys"] {
        std::fs::copy(data.join(f), restored.join(f)).unwrap();
    }
    std::fs::copy(&file, restored.join("hub.sqlite3")).unwrap();
    let _restored = HubProcess::start(&restored, &hub.addr());
    let wanted: Vec<&str> = before.iter().map(String::as_str).collect();
    let got = wait_for_texts(&bob, &room, &wanted).await;
    println!(
        "sent {sent}, acknowledged {} before the backup and {} during it; the copy gave bob {}",
        before.len(),
        during.len(),
        got.len()
    );
    // Nothing in the copy that alice did not send
    assert!(got.len() <= sent, "{got:?}");
}

/// A `conclave-hub serve` process; its stderr (the log) is read line by line as it comes.
struct HubProcess {
    child: Child,
    url: String,
    log: mpsc::UnboundedReceiver<String>,
    /// Every line of the log read so far.
    seen: Vec<String>,
}

impl HubProcess {
    /// Starts it on `listen` and waits for its `listening` line.
    fn start(data: &Path, listen: &str) -> HubProcess {
        let mut child = Command::new(bin("conclave-hub"))
            .args([
                "serve",
                "--listen",
                listen,
                "--domain",
                "localhost",
                "--data",
            ])
            .arg(data)
            // The request log shows when a request is in the hub's hands.
            .env("RUST_LOG", "conclave_hub=info,tower_http=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let line = conclave_e2e::listening_line(&mut child);
        assert!(!line.is_empty(), "the hub did not start");
        let (tx, log) = mpsc::unbounded_channel();
        let stderr = child.stderr.take().expect("piped stderr");
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        HubProcess {
            child,
            url: conclave_e2e::listening_url(&line),
            log,
            seen: Vec::new(),
        }
    }

    /// Its address, to start another hub on after it stopped.
    fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    /// Waits until it logs a line `wanted` says yes to.
    async fn wait_for_log(&mut self, wanted: impl Fn(&str) -> bool) {
        let found = tokio::time::timeout(PATIENCE, async {
            while let Some(line) = self.log.recv().await {
                let yes = wanted(&line);
                self.seen.push(line);
                if yes {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(found, Ok(true), "the hub never logged the line waited for");
    }

    /// Whether a line of the log read so far says what `wanted` wants.
    fn logged(&self, wanted: impl Fn(&str) -> bool) -> bool {
        self.seen.iter().any(|l| wanted(l))
    }

    /// Sends it a signal (`kill -SIGNAL PID`).
    fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for it to exit: its exit closes its log, read to the end.
    async fn wait_for_exit(&mut self) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.log.recv()).await {
                Ok(Some(line)) => self.seen.push(line),
                Ok(None) => return self.child.wait().unwrap(),
                Err(_) => panic!("the hub did not exit"),
            }
        }
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn path(p: &Path) -> String {
    p.to_str().expect("a UTF-8 path").to_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

/// Runs `conclave-hub ARGS` to its end.
async fn hub_command(args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || Command::new(bin("conclave-hub")).args(args).output())
        .await
        .unwrap()
        .unwrap()
}

/// Alice's private room with bob in it (they consent to being added by each other first).
async fn room_of_two(alice: &Client, bob: &Client) -> RoomUri {
    introduce(&[alice, bob]).await;
    let room = alice
        .create_room_with("Two", Preset::Private)
        .await
        .unwrap();
    alice.room(&room).invite(&["bob".into()]).await.unwrap();
    let deadline = Instant::now() + PATIENCE;
    while !bob
        .rooms()
        .await
        .unwrap()
        .iter()
        .any(|r| r.uri == room.to_string())
    {
        assert!(Instant::now() < deadline, "bob did not join");
        bob.sync_waiting(Duration::from_secs(2)).await.unwrap();
    }
    room
}

/// Long-polls until `client` has every one of `wanted` in `room`; answers all its texts.
async fn wait_for_texts(client: &Client, room: &RoomUri, wanted: &[&str]) -> Vec<String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let texts: Vec<String> = match client.room(room).messages(10_000).await {
            Ok(m) => m.into_iter().filter_map(|m| m.text).collect(),
            Err(_) => Vec::new(),
        };
        let missing: Vec<_> = wanted
            .iter()
            .filter(|w| !texts.iter().any(|t| t == *w))
            .collect();
        if missing.is_empty() {
            return texts;
        }
        assert!(
            Instant::now() < deadline,
            "still missing {missing:?}; got {texts:?}"
        );
        client.sync_waiting(Duration::from_secs(2)).await.unwrap();
    }
}
