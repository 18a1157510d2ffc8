//! Test-only behaviour: a client that plays a misbehaving one, to prove that the hub and the other
//! clients refuse what it sends. The switches exist only with the `test-switches` cargo feature,
//! which only the test crates enable; in any other build they read as off and nothing can set
//! them (`cargo tree -e features` on the release binaries shows the feature absent; `make test`
//! checks it).

#[cfg(feature = "test-switches")]
use std::sync::atomic::{AtomicBool, Ordering};

/// The switches of one client.
#[derive(Debug, Default)]
pub(crate) struct Switches {
    #[cfg(feature = "test-switches")]
    skip_precheck: AtomicBool,
    #[cfg(feature = "test-switches")]
    forge_franking_tag: AtomicBool,
}

impl Switches {
    /// Whether commits and reports go out without asking the policy engine first.
    pub fn skip_precheck(&self) -> bool {
        #[cfg(feature = "test-switches")]
        return self.skip_precheck.load(Ordering::Relaxed);
        #[cfg(not(feature = "test-switches"))]
        false
    }

    /// Whether application messages carry a franking tag that does not match their content.
    pub fn forge_franking_tag(&self) -> bool {
        #[cfg(feature = "test-switches")]
        return self.forge_franking_tag.load(Ordering::Relaxed);
        #[cfg(not(feature = "test-switches"))]
        false
    }

    #[cfg(feature = "test-switches")]
    pub fn set_skip_precheck(&self, on: bool) {
        self.skip_precheck.store(on, Ordering::Relaxed);
    }

    #[cfg(feature = "test-switches")]
    pub fn set_forge_franking_tag(&self, on: bool) {
        self.forge_franking_tag.store(on, Ordering::Relaxed);
    }
}

/// Test-only: a named point of a commit, a send or a sync where a crash test kills this process.
/// With `CONCLAVE_FAILPOINT` set to the point's name, the process sends itself SIGKILL there (no
/// destructor runs, nothing is flushed: as a crash or a power cut would leave it). The points:
/// `commit:after-stage`, `commit:after-accept` (the hub accepted, before the local merge),
/// `send:after-queue`, `send:after-accept`, `sync:after-store` (an entry stored, before the ack).
#[cfg(feature = "test-switches")]
pub(crate) fn failpoint(name: &str) {
    if std::env::var("CONCLAVE_FAILPOINT").is_ok_and(|v| v == name) {
        tracing::warn!(
            failpoint = name,
            "killing this process here, as a crash test asked"
        );
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &std::process::id().to_string()])
            .status();
        // kill(1) missing: still end here, without unwinding.
        std::process::abort();
    }
}

/// Without the `test-switches` feature there are no failpoints.
#[cfg(not(feature = "test-switches"))]
#[inline(always)]
pub(crate) fn failpoint(_name: &str) {}
