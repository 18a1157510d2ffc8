//! # conclave-load: Conclave's benchmarks
//!
//! Every figure is measured next to a raw baseline in the same run, and the ratio is what we
//! track (STYLE "Benchmarks"). This crate holds what the criterion benches (`benches/`) and the
//! load tool (`conclave-load`) share:
//!
//! - [`fixture`]: Conclave rooms built with the client's room engine (`conclave_client::room`)
//!   over SQLite connections and the hub's domain functions (`conclave_hub::room`) called
//!   directly, so that building a room of 1,000 costs no HTTP and no body limit, and timed loops
//!   run exactly the code a client and the hub run.
//! - [`raw`]: the baselines: plain OpenMLS groups with Basic credentials and in-memory storage.
//! - [`memory`]: a counting allocator and `/proc` readings for the memory figures.
//! - [`http`]: the hub served on loopback (in this process or as a child process), registration
//!   over HTTP, and a bare axum endpoint for the throughput baseline.
//! - [`throughput`] (P2) and [`large_room`] (P4): the load tool's two measurements.
//! - [`table`]: collects criterion's estimates and the load tool's results into the one table.
//!
//! Like `conclave-e2e`, this crate depends on both the client and the hub.

pub mod fixture;
pub mod http;
pub mod large_room;
pub mod memory;
pub mod raw;
pub mod table;
pub mod throughput;

/// Turns an error that only implements `Debug` (many OpenMLS errors are generic over the
/// storage's error) into an `anyhow::Error`.
pub trait OrDebug<T> {
    /// The value, or the error's `Debug` text.
    fn or_debug(self, what: &str) -> anyhow::Result<T>;
}

impl<T, E: std::fmt::Debug> OrDebug<T> for Result<T, E> {
    fn or_debug(self, what: &str) -> anyhow::Result<T> {
        self.map_err(|e| anyhow::anyhow!("{what}: {e:?}"))
    }
}

/// 1 KiB of text, the message size of P1 and P2.
pub fn text_1k() -> String {
    let line = "Conclave benchmark message, one KiB of plain text for the pipeline. ";
    line.repeat(1024 / line.len() + 1)[..1024].to_owned()
}

/// A fresh random 16-byte salt (CONTENT §4.1).
pub fn salt() -> [u8; 16] {
    use rand::RngCore as _;
    let mut s = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut s);
    s
}

/// A random hex id of `n` bytes (client and room ids).
pub fn random_id(n: usize) -> String {
    use rand::RngCore as _;
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}
