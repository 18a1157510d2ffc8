//! The hub process killed while members send (issue #16, 5a): alice, bob and carol send one
//! message after another while a real `conclave-hub` process is killed with SIGKILL and started
//! again on the same port and data directory, four times; after one of the kills it stays down
//! longer than a client sends again (about 4 s), so the sends in flight fail and their messages
//! wait in the outbox. Every message whose send was acknowledged reaches every other member
//! exactly once, no message shows twice anywhere, and all three show the room in one order.

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use conclave_client::transport::answer_unknown;
use conclave_client::{Client, MessageKind};
use conclave_e2e::{
    PATIENCE, bin, introduce, listening_line, listening_url, register_at, settle_clients,
    wait_membership,
};
use mimi::uri::RoomUri;
use tokio::sync::watch;

const MEMBERS: [&str; 3] = ["alice", "bob", "carol"];
/// How many messages each member sends.
const SENDS: usize = 30;
/// Each kill comes once a member has finished this many sends (acknowledged or not): the
/// fastest, so that every member still has sends to make.
const KILL_AFTER: [usize; 4] = [4, 10, 16, 22];
/// After this kill (an index into `KILL_AFTER`) the hub stays down this long: longer than a
/// client sends the same bytes again (0.2 + 0.5 + 1 + 2 s), so the sends in flight fail.
const OUTAGE: (usize, Duration) = (2, Duration::from_secs(5));
/// Each member syncs after every this many sends, so that queues are read and acknowledged
/// across the kills too.
const SYNC_EVERY: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_reach_everyone_once_in_one_order_across_hub_kills() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("hub");
    let log = tmp.path().join("hub.log");
    // A free port, kept for every restart: the clients remember the hub's URL.
    let addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().to_string()
    };
    let exe = bin("conclave-hub");
    let mut scene = Scene {
        hub: Some(HubProcess::start(&exe, &addr, &data, &log)),
        log: log.clone(),
    };
    let url = format!("http://{addr}");

    // Given alice, bob and carol in one room
    let mut members = Vec::new();
    for name in MEMBERS {
        members.push(register_at(&url, name).await);
    }
    let (alice, bob, carol) = (&members[0].1, &members[1].1, &members[2].1);
    introduce(&[alice, bob, carol]).await;
    // What each drops of what arrives (a message it cannot read) is told as an event.
    let mut events: Vec<_> = [alice, bob, carol].iter().map(|c| c.subscribe()).collect();
    let room = alice.create_room("Crash course").await.unwrap();
    alice
        .room(&room)
        .invite(&["bob".into(), "carol".into()])
        .await
        .unwrap();
    wait_membership(bob, &room, true).await;
    wait_membership(carol, &room, true).await;
    settle_clients(&[alice, bob, carol]).await;

    // When each sends SENDS messages one after another, not sending again what failed, while
    // the hub is killed and restarted under them
    let (progress_tx, progress) = watch::channel([0usize; 3]);
    let in_flight: [Cell<bool>; 3] = Default::default();
    let killer = async {
        let mut kills = Vec::new();
        for (i, after) in KILL_AFTER.into_iter().enumerate() {
            let mut seen = progress.clone();
            let done =
                tokio::time::timeout(PATIENCE, seen.wait_for(|p| p.iter().any(|n| *n >= after)))
                    .await
                    .expect("the members did not make progress in time")
                    .map(|p| *p)
                    .expect("progress is reported");
            let sending: Vec<bool> = in_flight.iter().map(Cell::get).collect();
            let old = scene.hub.take().expect("a hub is running");
            tokio::task::spawn_blocking(move || old.kill())
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
            if i == OUTAGE.0 {
                // The scenario: the hub stays down longer than the clients send again.
                tokio::time::sleep(OUTAGE.1).await;
            }
            let (exe, addr, data, log) = (exe.clone(), addr.clone(), data.clone(), log.clone());
            scene.hub = Some(
                tokio::task::spawn_blocking(move || HubProcess::start(&exe, &addr, &data, &log))
                    .await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
            );
            kills.push(Kill { done, sending });
        }
        kills
    };
    let ((a, b, c), kills) = tokio::join!(
        async {
            tokio::join!(
                send_all(alice, 0, &room, &progress_tx, &in_flight[0]),
                send_all(bob, 1, &room, &progress_tx, &in_flight[1]),
                send_all(carol, 2, &room, &progress_tx, &in_flight[2]),
            )
        },
        killer
    );
    let tallies = [a, b, c];

    // Then the senders were busy at every kill
    for (i, k) in kills.iter().enumerate() {
        println!(
            "hub crash: kill {} after sends {:?}, a send in flight {:?}{}",
            i + 1,
            k.done,
            k.sending,
            if i == OUTAGE.0 {
                format!(", down for {:?}", OUTAGE.1)
            } else {
                String::new()
            }
        );
        assert!(
            k.done.iter().all(|n| *n < SENDS),
            "kill {} came when a member had finished sending: {:?}",
            i + 1,
            k.done
        );
    }
    // And every failure was one of an unknown answer (the hub was down), nothing refused
    for (name, t) in MEMBERS.iter().zip(&tallies) {
        assert!(
            t.unexpected.is_empty(),
            "{name} got errors other than a lost answer: {:#?}",
            t.unexpected
        );
    }

    // When the hub is up and everyone has synced until nothing is left (a first sync each
    // delivers the outboxes)
    let clients = [alice, bob, carol];
    for c in clients {
        c.sync().await.expect("sync with the hub up");
    }
    settle_clients(&clients).await;

    let mut timelines = Vec::new();
    for c in clients {
        timelines.push(timeline(c, &room).await);
    }
    let users: Vec<String> = clients.iter().map(|c| c.user().to_string()).collect();
    // Every text names its sender: alice's "alice 7" is from alice
    for (m, t) in MEMBERS.iter().zip(&timelines) {
        for (sender, text, _) in t {
            let from = text.split(' ').next().unwrap_or_default();
            let i = MEMBERS.iter().position(|n| *n == from);
            assert!(
                i.is_some_and(|i| users[i] == *sender),
                "{m} shows {text:?} from {sender}, which nobody sent"
            );
        }
    }

    let sent = SENDS * MEMBERS.len();
    let acknowledged: usize = tallies.iter().map(|t| t.acked.len()).sum();
    let failed: usize = tallies.iter().map(|t| t.failed.len()).sum();
    let mut delivered = 0;
    let mut duplicated = 0;
    let mut lost = Vec::new();
    let mut wrong_id = Vec::new();
    for (m, t) in timelines.iter().enumerate() {
        let mut copies: HashMap<&str, usize> = HashMap::new();
        for (_, text, _) in t {
            *copies.entry(text.as_str()).or_default() += 1;
        }
        duplicated += copies.values().map(|n| n - 1).sum::<usize>();
        delivered += t
            .iter()
            .filter(|(sender, _, _)| *sender != users[m])
            .count();
        let mine: usize = t.iter().filter(|(s, _, _)| *s == users[m]).count();
        let others = t.len() - mine;
        println!(
            "hub crash: {} shows {} messages: {mine} of its own, {others} of the others'",
            MEMBERS[m],
            t.len()
        );
        for (x, tally) in tallies.iter().enumerate().filter(|(x, _)| *x != m) {
            for (text, id) in &tally.acked {
                match t.iter().find(|(_, shown, _)| shown == text) {
                    None => lost.push(format!(
                        "{text:?} (acknowledged to {}) at {}",
                        MEMBERS[x], MEMBERS[m]
                    )),
                    Some((_, _, shown)) if shown != id => wrong_id.push(format!(
                        "{text:?} at {} has id {shown}, its send answered {id}",
                        MEMBERS[m]
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    // Messages some member shows and another does not: (text, the members missing it), and
    // how many of its sender's later messages the hub accepted before it.
    let mut missing = Vec::new();
    for (s, sender_t) in timelines.iter().enumerate() {
        for (at, (sender, text, _)) in sender_t.iter().enumerate() {
            if *sender != users[s] {
                continue;
            }
            let without: Vec<&str> = (0..timelines.len())
                .filter(|&m| !timelines[m].iter().any(|(_, shown, _)| shown == text))
                .map(|m| MEMBERS[m])
                .collect();
            if without.is_empty() {
                continue;
            }
            let number = |t: &str| t.rsplit(' ').next().and_then(|n| n.parse::<usize>().ok());
            let later_before = sender_t[..at]
                .iter()
                .filter(|(x, t, _)| *x == users[s] && number(t) > number(text))
                .count();
            let acked = tallies[s].acked.iter().any(|(t, _)| t == text);
            missing.push(format!(
                "{text:?} (send {}) shown by {} but not by {without:?}; {later_before} later messages of {} came before it",
                if acked { "acknowledged" } else { "failed, delivered from the outbox" },
                MEMBERS[s],
                MEMBERS[s]
            ));
        }
    }
    // Dropped in the room: a message that arrived and could not be read. (A pseudonym's queue
    // that could not be fetched while the hub was down is also told as `Dropped`, with no room:
    // nothing was dropped, the next sync reads it; shown, not counted.)
    let mut dropped = Vec::new();
    let mut unfetched = Vec::new();
    for (m, rx) in events.iter_mut().enumerate() {
        loop {
            match rx.try_recv() {
                Ok(conclave_client::ClientEvent::Dropped { room: r, reason }) => {
                    if r.as_deref() == Some(room.to_string().as_str()) {
                        dropped.push(format!("{}: {reason}", MEMBERS[m]));
                    } else {
                        unfetched.push(format!("{}: {reason} (room {r:?})", MEMBERS[m]));
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(n)) => {
                    panic!("{} missed {n} events", MEMBERS[m])
                }
                Err(_) => break,
            }
        }
    }
    let failures: Vec<String> = MEMBERS
        .iter()
        .zip(&tallies)
        .flat_map(|(name, t)| {
            t.failed
                .iter()
                .map(move |(text, e)| format!("{name}: {text:?}: {e}"))
        })
        .collect();
    for f in &failures {
        println!("hub crash: failed send {f}");
    }
    for d in &dropped {
        println!("hub crash: dropped {d}");
    }
    for u in &unfetched {
        println!("hub crash: not fetched while the hub was down: {u}");
    }
    for m in &missing {
        println!("hub crash: missing {m}");
    }
    // A failed send whose message the outbox delivered later, and every member shows.
    let from_outbox: usize = tallies
        .iter()
        .flat_map(|t| &t.failed)
        .filter(|(text, _)| {
            timelines
                .iter()
                .all(|t| t.iter().any(|(_, shown, _)| shown == text))
        })
        .count();
    let sync_failures: usize = tallies.iter().map(|t| t.sync_failures).sum();
    println!("hub crash: sent {sent}");
    println!(
        "hub crash: acknowledged {acknowledged} (failed {failed}, shown by everyone after the outbox delivered it: {from_outbox}; syncs failed {sync_failures})"
    );
    println!(
        "hub crash: delivered {delivered} (each message to the {} others; {} if every one arrived)",
        MEMBERS.len() - 1,
        sent * (MEMBERS.len() - 1)
    );
    println!("hub crash: duplicated {duplicated}");
    println!("hub crash: lost {}", lost.len());
    println!("hub crash: hub kills {}", kills.len());

    // Then no acknowledged message is missing anywhere, none shows twice, each is the message
    // its sender was answered for
    assert!(lost.is_empty(), "acknowledged messages lost: {lost:#?}");
    assert_eq!(duplicated, 0, "messages shown twice: {timelines:#?}");
    assert!(wrong_id.is_empty(), "{wrong_id:#?}");
    // And every message one member shows, every member shows (a failed send's too, once the
    // outbox delivered it: the hub accepted it), and none was dropped unread
    assert!(
        missing.is_empty() && dropped.is_empty(),
        "messages missing: {missing:#?}\ndropped on arrival: {dropped:#?}"
    );
    // And all three show the same messages in the same order
    for m in 1..timelines.len() {
        if let Some(at) = (0..timelines[0].len().max(timelines[m].len()))
            .find(|&i| timelines[0].get(i) != timelines[m].get(i))
        {
            panic!(
                "{} and {} part at message {at}: {:?} against {:?} ({} and {} messages)",
                MEMBERS[0],
                MEMBERS[m],
                timelines[0].get(at),
                timelines[m].get(at),
                timelines[0].len(),
                timelines[m].len()
            );
        }
    }
    assert_eq!(kills.len(), KILL_AFTER.len());

    // The hub is killed for good when the scene is dropped.
    drop(members);
    scene.hub.take();
}

/// What one member's sends came to.
#[derive(Default)]
struct Tally {
    /// (text, message id) of each send answered Ok.
    acked: Vec<(String, String)>,
    /// (text, error) of each send that failed.
    failed: Vec<(String, String)>,
    /// Syncs that failed for want of an answer.
    sync_failures: usize,
    /// Errors other than an unknown answer.
    unexpected: Vec<String>,
}

/// What the killer saw when it killed: each member's finished sends, and whose send was in
/// flight.
struct Kill {
    done: [usize; 3],
    sending: Vec<bool>,
}

/// Sends "NAME 0", "NAME 1", … one after another, each once; syncs every few sends.
async fn send_all(
    client: &Client,
    me: usize,
    room: &RoomUri,
    progress: &watch::Sender<[usize; 3]>,
    in_flight: &Cell<bool>,
) -> Tally {
    let mut tally = Tally::default();
    for n in 0..SENDS {
        let text = format!("{} {n}", MEMBERS[me]);
        in_flight.set(true);
        let sent = client.room(room).send_text(&text).await;
        in_flight.set(false);
        match sent {
            Ok(id) => tally.acked.push((text, id)),
            Err(e) => {
                if !answer_unknown(&e) {
                    tally.unexpected.push(format!("send {text:?}: {e}"));
                }
                tally.failed.push((text, e.to_string()));
            }
        }
        progress.send_modify(|p| p[me] = n + 1);
        if (n + 1) % SYNC_EVERY == 0 {
            match client.sync().await {
                Ok(_) => {}
                Err(e) if answer_unknown(&e) => tally.sync_failures += 1,
                Err(e) => tally.unexpected.push(format!("sync after send {n}: {e}")),
            }
        }
    }
    tally
}

/// The room's messages as `client` shows them: (sender, text, id), in its order.
async fn timeline(client: &Client, room: &RoomUri) -> Vec<(String, String, String)> {
    client
        .room(room)
        .messages(10_000)
        .await
        .expect("messages")
        .into_iter()
        .filter(|m| m.kind == MessageKind::Message)
        .map(|m| (m.sender, m.text.unwrap_or_default(), m.id))
        .collect()
}

/// A `conclave-hub serve` process, its log appended to a file; killed with SIGKILL when dropped.
struct HubProcess(Child);

impl HubProcess {
    /// Starts it on `addr` and waits for its `listening` line.
    fn start(exe: &Path, addr: &str, data: &Path, log: &Path) -> HubProcess {
        let log_file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(exe)
            .args(["serve", "--listen", addr, "--domain", "localhost", "--data"])
            .arg(data)
            // The request log, to read what the hub did before a failure.
            .env("RUST_LOG", "conclave_hub=info,tower_http=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("start conclave-hub");
        let mut hub = HubProcess(child);
        let line = listening_line(&mut hub.0);
        assert!(
            !line.is_empty(),
            "the hub did not start on {addr}:\n{}",
            tail(log)
        );
        assert_eq!(listening_url(&line), format!("http://{addr}"));
        hub
    }

    /// Kills it with SIGKILL (`Child::kill` on Unix) and reaps it.
    fn kill(mut self) {
        self.0.kill().expect("SIGKILL the hub");
        self.0.wait().expect("reap the hub");
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The running hub, and its log shown when the test fails.
struct Scene {
    hub: Option<HubProcess>,
    log: PathBuf,
}

impl Drop for Scene {
    fn drop(&mut self) {
        self.hub.take();
        if std::thread::panicking() {
            eprintln!("the hub's log, last lines:\n{}", tail(&self.log));
        }
    }
}

/// The last lines of the hub's log.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}
