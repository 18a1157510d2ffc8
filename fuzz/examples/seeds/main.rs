//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`, from the crate's
//! known answers (`crates/mimi/tests/data/*.json`) and from valid values built with its API, so
//! that the fuzzer starts from inputs that pass every check instead of rediscovering the formats.
//! The seeds of `hub_request` and `queue_entry` come from a story played by a real hub and two
//! real clients (`world.rs`), whose state is written next to them as those targets' fixtures
//! (`fuzz/fixtures/`): seeds and fixtures only make sense together.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds` (rerun after a format change, a
//! change of either store's schema, and within 12 weeks for the Welcome seed of `queue_entry`; the
//! MLS objects are made with fresh keys, so their bytes differ from run to run). It checks what it
//! writes: every seed decodes, and the sealed connection messages and the reported message open
//! and verify with the keys the targets use, so a target's fixed keys cannot drift from the KATs;
//! every `hub_request` seed is answered 2xx and every `queue_entry` seed is used on a fresh copy
//! of its fixture.

mod mls;
mod values;
mod world;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, ensure};

fn main() -> Result<()> {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let mut out = Corpus { root, written: 0 };
    values::content(&mut out)?;
    values::components(&mut out)?;
    values::uri(&mut out)?;
    values::identity(&mut out)?;
    values::franking(&mut out)?;
    mls::wire(&mut out)?;
    world::world(&mut out)?;
    println!("{} seeds under {}", out.written, out.root.display());
    Ok(())
}

/// The corpus directory being written.
pub struct Corpus {
    root: PathBuf,
    written: usize,
}

impl Corpus {
    /// Where the fixtures of the seeds go: `fixtures/` next to the corpus.
    pub fn fixtures(&self) -> PathBuf {
        self.root
            .parent()
            .unwrap_or(Path::new("."))
            .join("fixtures")
    }

    /// Writes one seed, replacing a seed of the same name.
    pub fn put(&mut self, target: &str, name: &str, bytes: &[u8]) -> Result<()> {
        ensure!(bytes.len() <= 16 * 1024, "{target}/{name} is over 16 KiB");
        let dir = self.root.join(target);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        fs::write(dir.join(name), bytes).with_context(|| format!("writing {target}/{name}"))?;
        self.written += 1;
        Ok(())
    }
}

/// The known answers of `crates/mimi/tests/data/<name>.json`.
pub struct Kat(serde_json::Value);

impl Kat {
    /// Loads one file of known answers.
    pub fn load(json: &str) -> Result<Self> {
        Ok(Kat(serde_json::from_str(json)?))
    }
    /// A string entry.
    pub fn str(&self, key: &str) -> Result<&str> {
        self.0[key]
            .as_str()
            .with_context(|| format!("KAT has no {key}"))
    }
    /// A hex entry.
    pub fn bytes(&self, key: &str) -> Result<Vec<u8>> {
        Ok(hex::decode(self.str(key)?)?)
    }
    /// A hex entry of exactly 32 bytes.
    pub fn array(&self, key: &str) -> Result<[u8; 32]> {
        self.bytes(key)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("{key} is not 32 bytes"))
    }
}
