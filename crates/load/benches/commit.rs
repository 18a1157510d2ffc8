//! P3, commit validation and adding a member, in rooms of 100 and 1,000.
//!
//! The Conclave room is built once per size (one commit adding everybody, Conclave credentials,
//! the private preset) on a real hub database; the raw baseline is an OpenMLS group of the same
//! size with Basic credentials and in-memory storage. Each commit adds one new member, as
//! `Room::invite` does (the Add and the participant-list update); the baseline commit is a
//! plain OpenMLS Add. Making the commits, and the members' KeyPackages, is never timed.
//!
//! - `p3_validate_N`: ours is `conclave_hub::room::update` on such a commit, the hub's whole
//!   handshake path (membership, epoch, `PublicGroup` process, `mimi::room` + `mimi::policy`,
//!   GroupInfo check, merge, room rows, fan-out queue rows, one SQLite transaction); raw is a
//!   `PublicGroup` `process_message` + `merge_commit`.
//! - `p3_add_N`: ours is adding one member end to end through the hub: the committer's
//!   `stage_commit` (policy precheck), the hub's `update`, the committer's `merge_pending`; raw
//!   is `MlsGroup::add_members` + `merge_pending_commit`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use conclave_client::group as croom;
use conclave_client::store::now_ms;
use conclave_load::fixture::{self, Room, StoreAt};
use conclave_load::raw;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use mimi::policy::Preset;
use openmls_rust_crypto::RustCrypto;

/// The room sizes: 100 and 1,000, or those listed in `CONCLAVE_BENCH_SIZES` (e.g. `100`, to
/// profile one size without building the other).
fn sizes(c: &mut Criterion) {
    let sizes: Vec<usize> = std::env::var("CONCLAVE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1000]);
    for n in sizes {
        size(c, n);
    }
}

fn size(c: &mut Criterion, n: usize) {
    let t = Instant::now();
    let mut room = Room::build(n, 0, Preset::Private, StoreAt::Disk).expect("Conclave room");
    let (mut creator, _) = raw::build(n, 0).expect("raw group");
    let (mut public, storage) = creator.public_group().expect("raw PublicGroup");
    eprintln!(
        "P3: rooms of {n} built in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let uri = room.uri.clone();
    let r = uri.to_string();
    let auth = room.creator.auth();
    let crypto = RustCrypto::default();
    let mut fresh = 0usize;
    let mut name = move || {
        fresh += 1;
        format!("new-{fresh}")
    };

    let mut g = c.benchmark_group(format!("p3_validate_{n}"));
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            let bundles: Vec<Vec<u8>> = (0..iters)
                .map(|_| {
                    let add = room.hub.issuer.ghost(&name()).expect("ghost");
                    let bundle =
                        fixture::stage_adds(&mut room.creator, &uri, vec![add]).expect("stage");
                    croom::merge_pending(&mut room.creator.conn, &room.creator.id, &r, now_ms())
                        .expect("merge");
                    bundle
                })
                .collect();
            let t = Instant::now();
            for bundle in &bundles {
                black_box(room.hub.update(&auth, &uri, bundle).expect("hub update"));
            }
            t.elapsed()
        })
    });
    g.bench_function("raw", |b| {
        b.iter_custom(|iters| {
            let commits: Vec<Vec<u8>> = (0..iters)
                .map(|_| {
                    let kp = raw::ghost(&name()).expect("ghost");
                    creator.commit_add(kp).expect("commit")
                })
                .collect();
            let t = Instant::now();
            for commit in &commits {
                raw::follow(&crypto, &mut public, &storage, commit).expect("follow");
            }
            t.elapsed()
        })
    });
    g.finish();

    let mut g = c.benchmark_group(format!("p3_add_{n}"));
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            let adds: Vec<_> = (0..iters)
                .map(|_| room.hub.issuer.ghost(&name()).expect("ghost"))
                .collect();
            let t = Instant::now();
            for add in adds {
                let bundle =
                    fixture::stage_adds(&mut room.creator, &uri, vec![add]).expect("stage");
                let accepted = room.hub.update(&auth, &uri, &bundle).expect("hub update");
                croom::merge_pending(
                    &mut room.creator.conn,
                    &room.creator.id,
                    &r,
                    accepted.timestamp,
                )
                .expect("merge");
            }
            t.elapsed()
        })
    });
    g.bench_function("raw", |b| {
        b.iter_custom(|iters| {
            let kps: Vec<_> = (0..iters)
                .map(|_| raw::ghost(&name()).expect("ghost"))
                .collect();
            let t = Instant::now();
            for kp in kps {
                black_box(creator.commit_add(kp).expect("commit"));
            }
            t.elapsed()
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = sizes
}
criterion_main!(benches);
