//! The real app, driven through WebDriver (fantoccini → tauri-driver → WebKitWebDriver → the
//! `conclave-desktop` binary built by this cargo invocation), against a real hub on 127.0.0.1
//! and a second, headless user (`conclave-client` in this test). STACK.md "WebDriver tests".
//!
//! It needs a display (Xvfb), `tauri-driver` and `WebKitWebDriver`, so it is `#[ignore]`d by
//! default; `make test` installs them and runs it under `xvfb-run` with `--include-ignored`.
//! Some stories also run the workspace's `conclave` and `conclave-hub` binaries, which
//! `cargo build --workspace --bins` (run first by `make test`) puts beside the app's.
//! Screenshots of the main screens are saved under `target/tmp/webdriver/` as test artefacts.
//!
//! One test binary (`cargo test -p conclave-desktop --test webdriver`), one module a topic; the
//! stories share the `support` module and its `ONE_APP` lock, which runs them one app at a time.

#[path = "../support/mod.rs"]
mod support;

mod at_rest;
mod moderation;
mod notifications;
mod onboarding;
mod pseudonymous;
