//! P1, the client pipeline: one 1 KiB text in a room of 10, sent by one member and received by
//! another, each with its own SQLite store, against raw OpenMLS `create_message` +
//! `process_message` between two members of a raw group of 10 in the same run.
//!
//! Timed: the sender's `send_text` up to the network (content encode, message ID, policy
//! precheck, franking tag, MLS encrypt with its ratchet state stored) and after it (frank check,
//! message stored), and the receiver's processing of the fan-out entry in one transaction
//! (decrypt, content checks, policy, frank verify, message and queue cursor stored). Not timed:
//! the hub's part (the frank and the `FanoutMessage`, made with the same `mimi::franking::frank`
//! the hub calls). Every message is checked to arrive verified.

use std::hint::black_box;
use std::time::{Duration, Instant};

use conclave_hub::franking_keys::Generation;
use conclave_load::fixture::{self, Room, StoreAt};
use conclave_load::raw::{self, RawGroup};
use criterion::{Criterion, criterion_group, criterion_main};
use mimi::policy::Preset;

/// A room of 10 whose creator sends and whose first joiner receives.
struct Conclave {
    room: Room,
    keys: Generation,
    uri: String,
    sender: String,
    text: String,
    timestamp: u64,
    seq: u64,
}

impl Conclave {
    fn new(at: StoreAt) -> Self {
        let room = Room::build(10, 1, Preset::Private, at).expect("room of 10");
        Conclave {
            keys: room.hub.franking().expect("franking keys"),
            uri: room.uri.to_string(),
            sender: room.creator.id.user.to_string(),
            text: conclave_load::text_1k(),
            timestamp: 0,
            seq: 0,
            room,
        }
    }

    /// One message through both paths; returns the send and the receive time.
    fn message(&mut self) -> (Duration, Duration) {
        let t = Instant::now();
        let out = fixture::send(&mut self.room.creator, &self.uri, &self.text).expect("send");
        let send = t.elapsed();
        self.timestamp = conclave_client::store::now_ms().max(self.timestamp + 1);
        let (frank, fanout) =
            fixture::frank_and_fan_out(&self.keys, &self.uri, &self.sender, &out, self.timestamp)
                .expect("frank");
        let t = Instant::now();
        let stored = fixture::sent(
            &self.room.creator,
            &self.uri,
            &out,
            &self.text,
            &frank,
            self.timestamp,
        )
        .expect("store sent");
        let send = send + t.elapsed();
        self.seq += 1;
        let t = Instant::now();
        let outcome = self.room.joiners[0]
            .receive(Some(&self.uri), &fanout, self.seq)
            .expect("receive");
        let receive = t.elapsed();
        assert!(stored.verified, "the sender's copy did not verify");
        assert!(
            fixture::delivered_verified(&outcome),
            "not delivered verified: {:?}",
            outcome.events
        );
        (send, receive)
    }
}

/// Two members of a raw group of 10.
struct Raw {
    sender: RawGroup,
    receiver: RawGroup,
    payload: Vec<u8>,
}

impl Raw {
    fn new() -> Self {
        let (sender, mut joined) = raw::build(10, 1).expect("raw group of 10");
        Raw {
            sender,
            receiver: joined.remove(0),
            payload: conclave_load::text_1k().into_bytes(),
        }
    }

    fn message(&mut self) -> (Duration, Duration) {
        let t = Instant::now();
        let wire = self.sender.encrypt(&self.payload).expect("create_message");
        let send = t.elapsed();
        let t = Instant::now();
        let got = self.receiver.decrypt(&wire).expect("process_message");
        let receive = t.elapsed();
        assert_eq!(black_box(got).len(), self.payload.len());
        (send, receive)
    }
}

/// Which part of a message's time a figure counts.
#[derive(Clone, Copy)]
enum Part {
    Both,
    Send,
    Receive,
}

fn timed(iters: u64, part: Part, mut one: impl FnMut() -> (Duration, Duration)) -> Duration {
    (0..iters)
        .map(|_| {
            let (s, r) = one();
            match part {
                Part::Both => s + r,
                Part::Send => s,
                Part::Receive => r,
            }
        })
        .sum()
}

fn pipeline(c: &mut Criterion) {
    let mut disk = Conclave::new(StoreAt::Disk);
    let mut tmpfs = Conclave::new(StoreAt::Tmpfs);
    let mut plain = Conclave::new(StoreAt::DiskUnencrypted);
    let mut raw = Raw::new();
    for (group, part, on_tmpfs) in [
        ("p1", Part::Both, false),
        ("p1_send", Part::Send, false),
        ("p1_recv", Part::Receive, false),
        ("p1_tmpfs", Part::Both, true),
    ] {
        let ours = if on_tmpfs { &mut tmpfs } else { &mut disk };
        let mut g = c.benchmark_group(group);
        g.bench_function("ours", |b| {
            b.iter_custom(|iters| timed(iters, part, || ours.message()))
        });
        g.bench_function("raw", |b| {
            b.iter_custom(|iters| timed(iters, part, || raw.message()))
        });
        g.finish();
    }
    // What encryption at rest costs: the same pipeline with both client stores encrypted
    // (SQLCipher, as clients keep them) vs unencrypted.
    let mut g = c.benchmark_group("p1_cipher");
    g.bench_function("ours", |b| {
        b.iter_custom(|iters| timed(iters, Part::Both, || disk.message()))
    });
    g.bench_function("raw", |b| {
        b.iter_custom(|iters| timed(iters, Part::Both, || plain.message()))
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
    targets = pipeline
}
criterion_main!(benches);
