//! Replayed and mutated traffic (RELIABILITY.md, SECURITY.md): a real conversation is recorded
//! by a proxy in front of a real hub, then every request is sent again as it was, and in mutated
//! forms, with the real tokens. The hub answers each (no dropped connection) and never with a
//! 5xx; a replayed commit or message gets its original answer and is not applied or fanned out
//! twice; and the clients then sync cleanly and go on talking, each message shown once.
//!
//! Replayed acknowledgements by a client's own token may legitimately delete entries of its own
//! queue: the replay runs when every queue has been read, so only entries the replay itself
//! caused can go that way, and none of those is a message (replayed messages are not fanned out).

use conclave_e2e::proxy::{Proxy, exchange};
use conclave_e2e::{TestHub, introduce, settle};

/// A small deterministic generator (xorshift64*), so a failure replays the same way.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A request split into its head (request line and headers) and its body.
fn split(request: &[u8]) -> (String, Vec<u8>) {
    let at = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(request.len(), |i| i + 4);
    (
        String::from_utf8_lossy(&request[..at]).into_owned(),
        request[at..].to_vec(),
    )
}

/// The request again with `body`, its Content-Length set to match; a long-poll does not wait.
fn rebuild(head: &str, body: &[u8]) -> Vec<u8> {
    let mut lines: Vec<String> = Vec::new();
    for (i, line) in head.trim_end().split("\r\n").enumerate() {
        if i == 0 {
            lines.push(wait_zero(line));
        } else if line.to_ascii_lowercase().starts_with("content-length:") {
            lines.push(format!("content-length: {}", body.len()));
        } else {
            lines.push(line.to_owned());
        }
    }
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    out
}

fn wait_zero(request_line: &str) -> String {
    let mut out = String::new();
    for part in request_line.split_inclusive(['?', '&']) {
        if part.starts_with("wait=") {
            out.push_str("wait=0");
            if part.ends_with('&') {
                out.push('&');
            } else if part.contains(' ') {
                out.push_str(&part[part.find(' ').unwrap_or(part.len())..]);
            }
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The mutations of one request body: a few bytes flipped, cut short, random bytes of the same
/// length, empty, doubled.
fn mutations(body: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if !body.is_empty() {
        for _ in 0..4 {
            let mut flipped = body.to_vec();
            for _ in 0..=rng.below(4) {
                let i = rng.below(flipped.len());
                flipped[i] ^= 1 << rng.below(8);
            }
            out.push(flipped);
        }
        out.push(body[..rng.below(body.len())].to_vec());
        out.push((0..body.len()).map(|_| rng.next() as u8).collect());
        out.push(Vec::new());
    }
    out.push([body, body].concat());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_mutated_traffic_gets_no_5xx_and_the_clients_go_on() {
    let hub = TestHub::spawn().await;
    let proxy = Proxy::start(&hub.url()).await;
    let mut alice = hub.user("alice").await;
    let mut bob = hub.user("bob").await;
    let carol = hub.user("carol").await;
    introduce(&[&alice, &bob, &carol]).await;
    alice.reopen_through(&proxy.url());
    bob.reopen_through(&proxy.url());

    // A real conversation, recorded: a room, invitations, messages both ways, a reaction, an
    // edit
    let room = alice.create_room("recorded").await.unwrap();
    alice
        .room(&room)
        .invite(&["bob".into(), "carol".into()])
        .await
        .unwrap();
    bob.wait_for_room(&room).await;
    carol.wait_for_room(&room).await;
    let first = alice.room(&room).send_text("hello bob").await.unwrap();
    bob.wait_for_messages(&room, 1).await;
    bob.room(&room).send_text("hello alice").await.unwrap();
    bob.room(&room).react(&first, "👍").await.unwrap();
    alice.room(&room).edit(&first, "hello, bob").await.unwrap();
    settle(&[&alice, &bob, &carol]).await;
    let before_alice = alice.texts(&room).await.len();
    let recorded = proxy.recorded();
    assert!(
        recorded.len() > 20,
        "a real conversation: {} requests",
        recorded.len()
    );

    // When every request is replayed as it was and in mutated forms, with the real tokens
    let target = hub.url().trim_start_matches("http://").to_owned();
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    let (mut sent, mut client_errors, mut server_errors, mut dropped) = (0, 0, 0, 0);
    for request in &recorded {
        let (head, body) = split(request);
        let mut variants = vec![body.clone()];
        variants.extend(mutations(&body, &mut rng));
        for v in variants {
            sent += 1;
            match exchange(&target, &rebuild(&head, &v)).await {
                None => {
                    dropped += 1;
                    eprintln!("dropped: {}", head.lines().next().unwrap_or_default());
                }
                Some(s) if s >= 500 => {
                    server_errors += 1;
                    eprintln!("{s}: {}", head.lines().next().unwrap_or_default());
                }
                Some(s) if s >= 400 => client_errors += 1,
                Some(_) => {}
            }
        }
    }
    println!(
        "replay: {} requests recorded, {sent} sent (as recorded and mutated), {client_errors} refused 4xx, {server_errors} 5xx, {dropped} dropped connections",
        recorded.len()
    );

    // Then the hub answered every one, never with a 5xx
    assert_eq!(server_errors, 0, "no 5xx");
    assert_eq!(dropped, 0, "no dropped connection");

    // And the clients sync cleanly, nothing shown twice, and go on talking
    settle(&[&alice, &bob, &carol]).await;
    assert_eq!(
        alice.texts(&room).await.len(),
        before_alice,
        "replayed messages were not delivered again"
    );
    alice
        .room(&room)
        .send_text("after the replay")
        .await
        .unwrap();
    bob.room(&room).send_text("still here").await.unwrap();
    let got = carol.wait_for_messages(&room, before_alice + 2).await;
    settle(&[&alice, &bob, &carol]).await;
    let show = |m: &conclave_client::Message| (m.sender.clone(), m.text.clone());
    let a: Vec<_> = alice.texts(&room).await.iter().map(show).collect();
    let b: Vec<_> = bob.texts(&room).await.iter().map(show).collect();
    let c: Vec<_> = carol.texts(&room).await.iter().map(show).collect();
    assert_eq!(a, b);
    assert_eq!(b, c);
    assert_eq!(got.len(), before_alice + 2, "each message once");
}
