//! P5, abuse reports: how many reported messages the hub verifies per second
//! (`conclave_hub::reports::check_message` on genuine messages: 1 KiB texts franked with the hub's
//! own keys, as `submitMessage` franks them) against raw Ed25519 verifications per second
//! (`ed25519-dalek`, a parsed key, a message the size of the franking signature's input).

use std::hint::black_box;
use std::time::Duration;

use conclave_hub::franking_keys::FrankingKeys;
use conclave_hub::reports::check_message;
use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signer as _, Verifier as _};
use mimi::content::MimiContent;
use mimi::franking::{AbusiveMessage, ServerFrankingContext, franking_tag};

const ROOM: &str = "mimi://localhost/r/0123456789abcdef";
const SENDER: &str = "mimi://localhost/u/alice";

fn reports(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FrankingKeys::open(dir.path()).expect("franking keys");
    let generation = keys.newest().expect("newest");
    let public = generation.signing_key.verifying_key().to_bytes();
    let text = conclave_load::text_1k();
    let messages: Vec<AbusiveMessage> = (0..64u64)
        .map(|i| {
            let salt = conclave_load::salt();
            let content = MimiContent::text(salt, SENDER, ROOM, &text).encode();
            let timestamp = 1_800_000_000_000 + i;
            let frank = mimi::franking::frank(
                &generation.hub_key,
                &generation.signing_key,
                mimi::ids::CIPHERSUITE,
                &franking_tag(&salt, &content),
                &ServerFrankingContext::new(SENDER, ROOM, timestamp),
            );
            AbusiveMessage {
                message_content: content.into(),
                frank,
                accepted_timestamp: timestamp,
            }
        })
        .collect();
    let vk = generation.signing_key.verifying_key();
    let tbs = vec![7u8; 160];
    let signature = generation.signing_key.sign(&tbs);

    let mut g = c.benchmark_group("p5_reports");
    let mut i = 0;
    g.bench_function("ours", |b| {
        b.iter(|| {
            i = (i + 1) % messages.len();
            let filed =
                check_message(&messages[i], &keys, &public, ROOM, SENDER).expect("check_message");
            assert!(filed.verified, "{:?}", filed.problem);
            black_box(filed)
        })
    });
    g.bench_function("raw", |b| {
        b.iter(|| vk.verify(black_box(&tbs), &signature).expect("verify"))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = reports
}
criterion_main!(benches);
