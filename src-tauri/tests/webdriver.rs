//! The real app, driven through WebDriver (fantoccini → tauri-driver → WebKitWebDriver → the
//! `conclave-desktop` binary built by this cargo invocation), against a real hub on 127.0.0.1
//! and a second, headless user (`conclave-client` in this test). STACK.md "WebDriver tests".
//!
//! It needs a display (Xvfb), `tauri-driver` and `WebKitWebDriver`, so it is `#[ignore]`d by
//! default; `make test` installs them and runs it under `xvfb-run` with `--include-ignored`.
//! Screenshots of the main screens are saved under `target/tmp/webdriver/` as test artefacts.

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use conclave_client::{Client, KeystoreKind, Options};
use conclave_hub::{AppState, Config};
use fantoccini::key::Key;
use fantoccini::{Client as WebDriver, ClientBuilder, Locator};
use tempfile::TempDir;

/// How long a step waits for the evidence it needs.
const PATIENCE: Duration = Duration::from_secs(30);

/// A hub serving on a free port of 127.0.0.1 from a temporary directory, in this process.
struct Hub {
    url: String,
    _data: TempDir,
}

impl Hub {
    async fn spawn() -> Result<Hub> {
        let data = tempfile::tempdir()?;
        let state = AppState::open(&Config::new(data.path(), "localhost"))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(conclave_hub::serve(
            state,
            listener,
            std::future::pending::<()>(),
        ));
        Ok(Hub { url, _data: data })
    }
}

/// tauri-driver in a process group of its own, which also holds the WebKitWebDriver and the app
/// it starts: the whole group is ended when the test ends, pass or fail. (Killing tauri-driver
/// alone leaves WebKitWebDriver running.)
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(cargo_home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(cargo_home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

impl Driver {
    /// Starts tauri-driver on free ports. The app it launches inherits this environment plus
    /// `env`.
    fn start(env: &[(&str, &str)]) -> Result<Driver> {
        let tauri_driver = find_tool("tauri-driver").context(
            "tauri-driver is not installed: run scripts/deps.sh (cargo install tauri-driver --locked)",
        )?;
        find_tool("WebKitWebDriver")
            .context("WebKitWebDriver is not installed: run scripts/deps.sh (webkit2gtk-driver)")?;
        if std::env::var_os("DISPLAY").is_none() {
            bail!("no DISPLAY: run this test under xvfb-run (make test does)");
        }
        let (port, native_port) = (free_port()?, free_port()?);
        let mut cmd = Command::new(tauri_driver);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().context("start tauri-driver")?;
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("tauri-driver did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    async fn session(&self) -> Result<WebDriver> {
        let app = env!("CARGO_BIN_EXE_conclave-desktop");
        let caps = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": app },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        // WebKitWebDriver sometimes refuses the very first session while it starts up.
        let mut attempts = 0;
        loop {
            match ClientBuilder::rustls()?
                .capabilities(caps.clone())
                .connect(&self.url)
                .await
            {
                Ok(web) => return Ok(web),
                Err(e) if attempts < 2 => {
                    eprintln!("no WebDriver session yet ({e:?}); trying again");
                    attempts += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => bail!("cannot open a WebDriver session on the app: {e:?}"),
            }
        }
    }
}

/// Waits for an element.
async fn element(web: &WebDriver, css: &str) -> Result<fantoccini::elements::Element> {
    web.wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for {css}"))
}

/// Waits for an element by XPath.
async fn xpath(web: &WebDriver, path: &str) -> Result<fantoccini::elements::Element> {
    web.wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(path))
        .await
        .with_context(|| format!("waiting for {path}"))
}

/// Saves a screenshot as a test artefact; answers its path.
async fn screenshot(web: &WebDriver, name: &str) -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("webdriver");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, web.screenshot().await?)?;
    eprintln!("screenshot: {}", path.display());
    Ok(path)
}

/// Syncs a headless client until `check` holds.
async fn sync_until<T>(
    client: &Client,
    what: &str,
    mut check: impl AsyncFnMut(&Client) -> Option<T>,
) -> Result<T> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        client.sync_waiting(Duration::from_secs(1)).await?;
        if let Some(v) = check(client).await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("bob never saw {what}");
        }
    }
}

fn file_keystore() -> Options {
    Options {
        keystore: KeystoreKind::File,
        hub_override: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_new_user_onboards_without_a_keyring_and_talks_with_a_cli_user() -> Result<()> {
    // Given a hub, and bob, a headless user on it.
    let hub = Hub::spawn().await?;
    let bob_home = tempfile::tempdir()?;
    let bob = Client::register(bob_home.path(), &hub.url, "bob", None, &file_keystore()).await?;

    // And the app on a fresh data directory, on a machine whose keyring cannot be reached.
    let app_home = tempfile::tempdir()?;
    let home = app_home.path().to_str().context("utf-8 temp path")?;
    let driver = Driver::start(&[
        ("CONCLAVE_HOME", home),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/conclave-test",
        ),
        ("NO_AT_BRIDGE", "1"),
    ])?;
    let web = driver.session().await?;

    let story = async {
        // When alice registers through onboarding…
        let hub_field = element(&web, "input[aria-label='Hub URL']").await?;
        hub_field.clear().await?;
        hub_field.send_keys(&hub.url).await?;
        element(&web, "input[aria-label='User name']")
            .await?
            .send_keys("alice")
            .await?;
        screenshot(&web, "onboarding").await?;
        element(&web, "form button[type='submit']").await?.click().await?;

        // …the app says plainly that there is no keyring, and she chooses the file fallback.
        element(&web, "#nokeyring").await?;
        screenshot(&web, "no-keyring").await?;
        xpath(&web, "//button[contains(., 'Use a file for my keys')]")
            .await?
            .click()
            .await?;
        let badge = element(&web, "[aria-label='Keys are kept in a file, not in the OS keyring']")
            .await?;
        ensure!(badge.text().await?.contains("Keys in a file"));

        // She creates a room and invites bob.
        element(&web, "button[aria-label='New room']")
            .await?
            .click()
            .await?;
        element(&web, "input[aria-label='Room name']")
            .await?
            .send_keys("Team")
            .await?;
        element(&web, "dialog form button[type='submit']")
            .await?
            .click()
            .await?;
        xpath(&web, "//header[@class and contains(@class,'room-header')]//h1[.='Team']").await?;
        element(&web, "button[aria-label='Invite people']")
            .await?
            .click()
            .await?;
        element(&web, "input[aria-label='User names to invite']")
            .await?
            .send_keys("bob")
            .await?;
        element(&web, "dialog form button[type='submit']")
            .await?
            .click()
            .await?;
        xpath(&web, "//dialog//p[contains(., 'Invited bob.')]").await?;
        screenshot(&web, "invite").await?;
        element(&web, "dialog form button[type='button']")
            .await?
            .click()
            .await?;
        element(&web, "aside[aria-label='Members'] li[title='mimi://localhost/u/bob']").await?;

        // Then bob joins the room.
        let room = sync_until(&bob, "the room", async |c| {
            c.rooms().await.ok()?.into_iter().find(|r| r.name == "Team")
        })
        .await?;
        let room = bob.resolve_room(&room.uri)?;

        // When alice sends a message from the composer (Enter sends)…
        let composer = element(&web, "textarea[aria-label='Message']").await?;
        composer
            .send_keys(&format!("Hello from the app{}", Key::Enter))
            .await?;
        xpath(
            &web,
            "//article[contains(@class,'message')]//p[.='Hello from the app']",
        )
        .await?;
        ensure!(composer.prop("value").await?.as_deref() == Some(""), "the composer was not cleared");

        // …bob receives it.
        let got = sync_until(&bob, "alice's message", async |c| {
            c.messages(&room, 50)
                .await
                .ok()?
                .into_iter()
                .find(|m| m.text.as_deref() == Some("Hello from the app"))
        })
        .await?;
        ensure!(got.sender == "mimi://localhost/u/alice", "sender: {}", got.sender);

        // Shift+Enter makes a new line instead of sending.
        composer.send_keys("line one").await?;
        // Modifiers stay pressed until the end of one Send Keys command.
        composer
            .send_keys(&format!("{}{}", Key::Shift, Key::Enter))
            .await?;
        composer.send_keys("line two").await?;
        let draft = composer.prop("value").await?;
        ensure!(draft.as_deref() == Some("line one\nline two"), "draft: {draft:?}");
        composer.send_keys(&Key::Enter).await?;
        let two_lines = xpath(
            &web,
            "//article[contains(@class,'message')]//p[starts-with(., 'line one')]",
        )
        .await?;
        let shown = two_lines.text().await?;
        ensure!(shown == "line one\nline two", "shown: {shown:?}");

        // When bob answers, the app shows it without anyone clicking anything (the long-poll).
        bob.send_text(&room, "Hi alice, bob here").await?;
        xpath(
            &web,
            "//article[contains(@class,'message')]//p[.='Hi alice, bob here']",
        )
        .await?;

        // When bob invites alice to a room of his and writes there, it appears with an unread
        // count while alice stays in Team.
        let bobs = bob.create_room("Bob's corner").await?;
        bob.invite(&bobs, &["alice".to_owned()]).await?;
        xpath(&web, "//nav[@aria-label='Rooms']//button[contains(., \"Bob's corner\")]").await?;
        bob.send_text(&bobs, "Psst, over here").await?;
        bob.send_text(&bobs, "Two unread now").await?;
        xpath(
            &web,
            "//nav[@aria-label='Rooms']//button[contains(., \"Bob's corner\")]//span[@aria-label='2 unread']",
        )
        .await?;
        xpath(&web, "//header[contains(@class,'room-header')]//h1[.='Team']").await?;
        screenshot(&web, "timeline").await?;
        Ok::<(), anyhow::Error>(())
    }
    .await;
    if let Err(e) = story {
        let _ = screenshot(&web, "failure").await;
        let _ = web.close().await;
        return Err(e);
    }
    web.close().await?;

    // The file fallback was an explicit, remembered choice, and the key file is private.
    let settings = std::fs::read_to_string(app_home.path().join("desktop.json"))?;
    assert!(settings.contains("\"file\""), "{settings}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(app_home.path().join("keystore.json"))?.permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    Ok(())
}
