//! P2, hub throughput: N concurrent senders post pre-encrypted 1 KiB messages over loopback HTTP
//! to `submitMessage` of a room of 10 at a real hub (`conclave_hub::serve`, SQLite on disk), and
//! the very same requests to a bare axum endpoint that answers 200, in the same run. Rounds
//! alternate (bare, hub, bare, hub, …) and the best round of each counts, so a noisy neighbour
//! hurts both alike. Every round is bounded in messages and seconds; only 127.0.0.1 is used.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use base64::Engine as _;
use conclave_client::group::{self as croom, HubParts};
use mimi::policy::Preset;
use mimi::uri::RoomUri;
use tokio::sync::Mutex;

use crate::fixture::{DOMAIN, Member, StoreAt, queue_rows, stage_adds, temp_dir};
use crate::http::{ChildHub, register, serve_bare, serve_hub};
use crate::table::{Row, fmt_ns, fmt_rate};
use conclave_client::transport::Hub;

/// How hard and how long to push.
#[derive(Debug, Clone)]
pub struct Options {
    /// Concurrent senders.
    pub senders: usize,
    /// Messages per round (all senders together).
    pub messages: usize,
    /// A round stops after this long even if messages are left.
    pub max_seconds: u64,
    /// Rounds against each server.
    pub rounds: usize,
    /// Run the hub in a child process instead of this one (to profile it apart, e.g. with
    /// `perf record -p PID`); the measured figure uses the in-process hub.
    pub hub_process: bool,
    /// Keep the hub's SQLite file on tmpfs, to see what the disk's `fsync`s cost (diagnostic;
    /// the measured figure uses the disk).
    pub hub_on_tmpfs: bool,
}

/// The room members (10).
const ROOM: usize = 10;

/// What one round measured.
#[derive(Debug, Default)]
struct Round {
    accepted: u64,
    refused: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
    deliveries: u64,
}

impl Round {
    fn rate(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, q: f64) -> Duration {
        let mut l = self.latencies.clone();
        l.sort();
        if l.is_empty() {
            return Duration::ZERO;
        }
        l[((l.len() - 1) as f64 * q).round() as usize]
    }
}

/// One sender's work: its bearer token and its messages.
struct Work {
    token: String,
    bodies: Vec<Vec<u8>>,
}

/// Sets up the room of 10 over HTTP and encrypts every sender's messages ahead of the rounds.
async fn prepare(url: &str, opts: &Options) -> Result<(RoomUri, Vec<Work>)> {
    let mut members: Vec<(Member, Hub, String)> = Vec::new();
    for i in 0..ROOM {
        let reg = register(url, &format!("load-{i}")).await?;
        members.push((
            Member::with_identity(reg.id, StoreAt::Tmpfs)?,
            reg.hub,
            reg.token,
        ));
    }
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s);
    let info = members[0].1.provider().await?;
    let parts = HubParts {
        franking_agent: b64(&info.franking_agent)?,
        signature_key: b64(&info.signature_key)?,
        credential:
            <openmls::prelude::Credential as tls_codec::Deserialize>::tls_deserialize_exact(b64(
                &info.hub_credential,
            )?)?,
    };
    let room = RoomUri::new(DOMAIN, &crate::random_id(8))?;
    let r = room.to_string();
    let (creator, rest) = members
        .split_first_mut()
        .ok_or_else(|| anyhow!("no members"))?;
    let (gi, tree) = croom::create(
        &mut creator.0.conn,
        &creator.0.id,
        &room,
        "load",
        Preset::Private,
        &parts,
        false,
    )?;
    creator.1.create_room(&gi, &tree, None).await?;
    let adds = rest
        .iter()
        .map(|(m, _, _)| m.to_add())
        .collect::<Result<Vec<_>>>()?;
    let bundle = stage_adds(&mut creator.0, &room, adds)?;
    let accepted = creator.1.update(room.local(), bundle).await?;
    croom::merge_pending(
        &mut creator.0.conn,
        &creator.0.id,
        &r,
        accepted.accepted_timestamp,
    )?;
    for (m, hub, _) in rest.iter_mut() {
        let entries = hub
            .fetch(m.id.client.local(), 0, Duration::ZERO, &[])
            .await?;
        for e in &entries {
            let data = b64(&e.data)?;
            m.receive(e.room.as_deref(), &data, e.seq)?;
        }
        if let Some(last) = entries.last() {
            hub.ack(m.id.client.local(), last.seq).await?;
        }
        if crate::fixture::room_epoch(m, &r)? != accepted.epoch {
            return Err(anyhow!("{} did not join", m.id.user));
        }
    }
    let text = crate::text_1k();
    let per_sender = opts.messages.div_ceil(opts.senders);
    let mut work = Vec::new();
    for s in 0..opts.senders {
        let (m, _, token) = &mut members[s % ROOM];
        let bodies = (0..per_sender)
            .map(|_| crate::fixture::send(m, &r, &text).map(|o| o.request))
            .collect::<Result<Vec<_>>>()?;
        work.push(Work {
            token: token.clone(),
            bodies,
        });
    }
    Ok((room, work))
}

/// One round: every sender posts its messages one after the other.
async fn round(url: &str, room: &RoomUri, work: &[Work], max: Duration) -> Result<Round> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(work.len())
        .build()?;
    let endpoint = format!("{url}/v1/rooms/{}/submitMessage", room.local());
    let result = Arc::new(Mutex::new(Round::default()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in work {
        let (http, endpoint, result) = (http.clone(), endpoint.clone(), result.clone());
        let token = w.token.clone();
        let bodies = w.bodies.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Round::default();
            for body in bodies {
                if start.elapsed() > max {
                    break;
                }
                let t = Instant::now();
                let answer = http
                    .post(&endpoint)
                    .bearer_auth(&token)
                    .header("content-type", "application/octet-stream")
                    .body(body)
                    .send()
                    .await;
                match answer {
                    Ok(a) if a.status().is_success() => {
                        let _ = a.bytes().await;
                        mine.latencies.push(t.elapsed());
                        mine.accepted += 1;
                    }
                    _ => mine.refused += 1,
                }
            }
            let mut r = result.lock().await;
            r.accepted += mine.accepted;
            r.refused += mine.refused;
            r.latencies.extend(mine.latencies);
        }));
    }
    for t in tasks {
        t.await?;
    }
    let mut r = std::mem::take(&mut *result.lock().await);
    r.elapsed = start.elapsed();
    Ok(r)
}

/// Runs P2 and returns its rows.
pub async fn run(opts: &Options) -> Result<Vec<Row>> {
    let data = temp_dir(if opts.hub_on_tmpfs {
        StoreAt::Tmpfs
    } else {
        StoreAt::Disk
    })?;
    let (_served, _child, url) = if opts.hub_process {
        let child = ChildHub::spawn(data.path())?;
        let url = child.url.clone();
        (None, Some(child), url)
    } else {
        let served = serve_hub(data.path()).await?;
        let url = served.url.clone();
        (Some(served), None, url)
    };
    let bare = serve_bare().await?;
    let (room, work) = prepare(&url, opts).await?;
    if let Some(c) = &_child {
        eprintln!("P2: prepared; the hub is process {}", c.pid());
    }
    let db = rusqlite::Connection::open(data.path().join("hub.sqlite3"))?;
    let max = Duration::from_secs(opts.max_seconds);
    let mut best_bare: Option<Round> = None;
    let mut best_hub: Option<Round> = None;
    for i in 0..opts.rounds {
        let b = round(&bare.url, &room, &work, max).await?;
        eprintln!(
            "P2 round {}: bare {} accepted, {:.0}/s",
            i + 1,
            b.accepted,
            b.rate()
        );
        if best_bare.as_ref().is_none_or(|x| b.rate() > x.rate()) {
            best_bare = Some(b);
        }
        let before = queue_rows(&db)?;
        let mut h = round(&url, &room, &work, max).await?;
        h.deliveries = queue_rows(&db)? - before;
        eprintln!(
            "P2 round {}: hub {} accepted ({} refused), {:.0}/s, {} deliveries",
            i + 1,
            h.accepted,
            h.refused,
            h.rate(),
            h.deliveries
        );
        if h.refused > 0 {
            return Err(anyhow!("the hub refused {} messages", h.refused));
        }
        if best_hub.as_ref().is_none_or(|x| h.rate() > x.rate()) {
            best_hub = Some(h);
        }
    }
    let (b, h) = match (best_bare, best_hub) {
        (Some(b), Some(h)) => (b, h),
        _ => return Err(anyhow!("no rounds")),
    };
    let n = opts.senders;
    let deliveries = h.deliveries as f64 / h.elapsed.as_secs_f64();
    let bare_deliveries = b.rate() * (ROOM - 1) as f64;
    let lat = |q: f64, what: &str| {
        let (o, base) = (h.percentile(q), b.percentile(q));
        Row {
            code: format!("P2.{what}"),
            what: format!(
                "accept latency {what} under that load (lower is better), hub vs bare endpoint"
            ),
            ours: fmt_ns(o.as_nanos() as f64),
            baseline: fmt_ns(base.as_nanos() as f64),
            ratio: Some(o.as_secs_f64() / base.as_secs_f64()),
        }
    };
    Ok(vec![
        Row {
            code: "P2".into(),
            what: format!(
                "hub throughput: accepted 1 KiB messages/s, {n} concurrent senders over loopback HTTP into a room of {ROOM} (hub with SQLite on disk) vs a bare axum endpoint answering 200, best of {} rounds of ≤ {} messages; goal ≥ 0.50",
                opts.rounds, opts.messages
            ),
            ours: fmt_rate(h.rate()),
            baseline: fmt_rate(b.rate()),
            ratio: Some(h.rate() / b.rate()),
        },
        Row {
            code: "P2.fanout".into(),
            what: format!(
                "fan-out deliveries/s (queue rows written, {} per message) vs {} × the bare endpoint's rate",
                ROOM - 1,
                ROOM - 1
            ),
            ours: fmt_rate(deliveries),
            baseline: fmt_rate(bare_deliveries),
            ratio: Some(deliveries / bare_deliveries),
        },
        lat(0.5, "p50"),
        lat(0.99, "p99"),
    ])
}
