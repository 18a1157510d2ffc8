//! P4, large rooms: a real `conclave_client::Client` creates a room and bulk-adds N−1 users
//! (`Room::invite` in batches, over HTTP) at a real hub running in a child process, then commits
//! one more add. Memory: the hub's and this process's resident sizes from `/proc` (peak reset
//! before the bulk add with `clear_refs`), and the Rust heap from the counting allocator. The raw
//! baseline is OpenMLS in memory: one commit adding N−1 members, one add, and the heap a raw
//! `MlsGroup` and a raw `PublicGroup` of N members keep.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use conclave_client::{Client, KeystoreKind, Options as ClientOptions};

use crate::fixture::{StoreAt, temp_dir};
use crate::http::{ChildHub, register};
use crate::memory::{self, mib, rss};
use crate::raw;
use crate::table::{Row, fmt_ns};

/// The room to build.
#[derive(Debug, Clone)]
pub struct Options {
    /// Members, the creator included.
    pub members: usize,
    /// Users per `Room::invite` (one commit each).
    pub batch: usize,
    /// How many single adds to time after the bulk add (the median counts).
    pub adds: usize,
}

/// The size the issue asks for.
pub const GOAL_MEMBERS: usize = 10_000;

/// Registers `names` over HTTP, each with one uploaded KeyPackage (its user key approved its
/// credential; [`register`] uploads it), `parallel` at a time; each consents to being added by
/// `inviter` (a user URI), whose claims of their KeyPackages need it (SECURITY.md "KeyPackages").
async fn register_ghosts(
    url: &str,
    names: &[String],
    inviter: &str,
    parallel: usize,
) -> Result<()> {
    let mut pending = names.to_vec();
    while !pending.is_empty() {
        let take = pending.len().min(parallel);
        let wave: Vec<String> = pending.drain(..take).collect();
        let mut tasks = Vec::new();
        for name in wave {
            let (url, inviter) = (url.to_owned(), inviter.to_owned());
            tasks.push(tokio::spawn(async move {
                let ghost = register(&url, &name).await?;
                ghost.hub.consent("grant", &inviter, None).await?;
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
    }
    Ok(())
}

/// The change from `before` to `after` in MiB, without a "-0.0".
fn delta(before: u64, after: u64) -> f64 {
    let d = mib(after) - mib(before);
    if d.abs() < 0.05 { 0.0 } else { d }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Runs P4 and returns its rows.
pub async fn run(opts: &Options) -> Result<Vec<Row>> {
    let n = opts.members;
    let data = temp_dir(StoreAt::Disk)?;
    let hub = ChildHub::spawn(data.path())?;
    let names: Vec<String> = (1..n).map(|i| format!("user-{i}")).collect();
    let extra: Vec<String> = (0..opts.adds).map(|i| format!("late-{i}")).collect();
    // The creator first: every other user consents to being added by them.
    let home = temp_dir(StoreAt::Disk)?;
    let options = ClientOptions {
        keystore: KeystoreKind::File,
        ..Default::default()
    };
    let client = Client::register(home.path(), &hub.url, "creator", None, &options).await?;
    let creator = client.user().to_string();
    let t = Instant::now();
    register_ghosts(&hub.url, &names, &creator, 4).await?;
    register_ghosts(&hub.url, &extra, &creator, 4).await?;
    eprintln!(
        "P4: registered {} users with a KeyPackage each, consenting to the creator, in {:.1} s",
        names.len() + extra.len(),
        t.elapsed().as_secs_f64()
    );

    let me = std::process::id();
    let (hub_rss0, _) = rss(hub.pid()).context("reading the hub's /proc status")?;
    let (me_rss0, _) = rss(me).context("reading /proc/self/status")?;
    let peaks_reset = memory::reset_rss_peak(hub.pid()) && memory::reset_rss_peak(me);
    memory::reset_peak();
    let heap0 = memory::heap();

    let t = Instant::now();
    let room = client.create_room("large").await?;
    let mut done = 1;
    for chunk in names.chunks(opts.batch) {
        client.room(&room).invite(chunk).await?;
        done += chunk.len();
        eprintln!(
            "P4: {done} members after {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    let create = t.elapsed();

    let (hub_rss1, hub_hwm) = rss(hub.pid()).context("hub /proc status")?;
    let (me_rss1, me_hwm) = rss(me).context("/proc/self/status")?;
    let (heap1, heap_peak) = (memory::heap(), memory::heap_peak());
    let members = client.room(&room).members().await?.len();
    anyhow::ensure!(members == n, "the room has {members} members, not {n}");

    let mut adds = Vec::new();
    for u in &extra {
        let t = Instant::now();
        client.room(&room).invite(std::slice::from_ref(u)).await?;
        adds.push(t.elapsed());
    }
    let add = median(adds);
    drop(client);
    drop(hub);

    // The raw baseline: KeyPackages made first (our ghosts' were made before timing too).
    let kps = (1..n)
        .map(|i| raw::ghost(&format!("ghost-{i}")))
        .collect::<Result<Vec<_>>>()?;
    let extra_kps = (0..opts.adds)
        .map(|i| raw::ghost(&format!("late-{i}")))
        .collect::<Result<Vec<_>>>()?;
    let heap_before_raw = memory::heap();
    memory::reset_peak();
    let t = Instant::now();
    let (mut creator, _) = raw::build(1, 0)?;
    creator.add(&kps)?;
    let raw_create = t.elapsed();
    drop(kps);
    let raw_client_heap = memory::heap().saturating_sub(heap_before_raw);
    let raw_client_peak = memory::heap_peak().saturating_sub(heap_before_raw);
    let before_public = memory::heap();
    let public = creator.public_group()?;
    let raw_hub_heap = memory::heap().saturating_sub(before_public);
    drop(public);
    let mut raw_adds = Vec::new();
    for kp in extra_kps {
        let t = Instant::now();
        creator.commit_add(kp)?;
        raw_adds.push(t.elapsed());
    }
    let raw_add = median(raw_adds);

    let size = if n >= GOAL_MEMBERS {
        format!("{n}")
    } else {
        format!("{n} (10,000 does not fit the time budget: BENCHMARKS.md)")
    };
    let hub_peak = hub_hwm.saturating_sub(hub_rss0);
    let me_peak = me_hwm.saturating_sub(me_rss0);
    let peak_note = if peaks_reset {
        "peak"
    } else {
        "peak since start"
    };
    let ns = |d: Duration| d.as_nanos() as f64;
    Ok(vec![
        Row {
            code: "P4.create".into(),
            what: format!(
                "large room of {size}: create it, bulk add by Room::invite over HTTP ({} users per commit, claims included) vs raw OpenMLS: one commit adding {} in memory",
                opts.batch,
                n - 1
            ),
            ours: fmt_ns(ns(create)),
            baseline: fmt_ns(ns(raw_create)),
            ratio: Some(create.as_secs_f64() / raw_create.as_secs_f64()),
        },
        Row {
            code: "P4.add".into(),
            what: format!(
                "commit one add in that room: Room::invite of one user (claim, stage, hub validation + fan-out to {n}, merge), median of {} vs raw OpenMLS add + merge",
                opts.adds
            ),
            ours: fmt_ns(ns(add)),
            baseline: fmt_ns(ns(raw_add)),
            ratio: Some(add.as_secs_f64() / raw_add.as_secs_f64()),
        },
        Row {
            code: "P4.hub-mem".into(),
            what: format!(
                "hub memory while creating the room: {peak_note} RSS growth of the hub process (after: {:+.1} MiB) vs the heap a raw PublicGroup of {n} keeps",
                delta(hub_rss0, hub_rss1)
            ),
            ours: format!("{:.1} MiB", mib(hub_peak)),
            baseline: format!("{:.1} MiB", mib(raw_hub_heap as u64)),
            ratio: Some(hub_peak as f64 / raw_hub_heap.max(1) as f64),
        },
        Row {
            code: "P4.client-mem".into(),
            what: format!(
                "client memory while creating the room: {peak_note} RSS growth of the client's process (after: {:+.1} MiB; Rust heap peak {:.1} MiB, kept {:+.1} MiB) vs the raw MlsGroup's heap peak (kept {:.1} MiB)",
                delta(me_rss0, me_rss1),
                mib(heap_peak.saturating_sub(heap0) as u64),
                delta(heap0 as u64, heap1 as u64),
                mib(raw_client_heap as u64)
            ),
            ours: format!("{:.1} MiB", mib(me_peak)),
            baseline: format!("{:.1} MiB", mib(raw_client_peak as u64)),
            ratio: Some(me_peak as f64 / raw_client_peak.max(1) as f64),
        },
    ])
}
