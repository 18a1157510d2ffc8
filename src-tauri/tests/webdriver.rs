//! The real app, driven through WebDriver (fantoccini → tauri-driver → WebKitWebDriver → the
//! `conclave-desktop` binary built by this cargo invocation), against a real hub on 127.0.0.1
//! and a second, headless user (`conclave-client` in this test). STACK.md "WebDriver tests".
//!
//! It needs a display (Xvfb), `tauri-driver` and `WebKitWebDriver`, so it is `#[ignore]`d by
//! default; `make test` installs them and runs it under `xvfb-run` with `--include-ignored`.
//! Some stories also run the workspace's `conclave` and `conclave-hub` binaries, which
//! `cargo build --workspace --bins` (run first by `make test`) puts beside the app's.
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

/// One app at a time: each story starts its own app, and two at once on a 2-core machine would
/// only make every step slower.
static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A hub serving on a free port of 127.0.0.1 from a temporary directory, in this process.
struct Hub {
    url: String,
    data: TempDir,
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
        Ok(Hub { url, data })
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
    // WebKit captures the last frame it painted: wait until the page has painted twice since the
    // step before, so the picture shows what the test just saw.
    web.execute_async(
        "const done = arguments[arguments.length - 1];\
         requestAnimationFrame(() => requestAnimationFrame(() => done()));",
        vec![],
    )
    .await?;
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

/// Polls `check` until it answers `Some`, for at most [`PATIENCE`]: for evidence that comes with
/// no event to wait on (an element going away, another process's view of the room).
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A binary of this workspace, beside the app's (`cargo build --workspace --bins` builds them).
fn workspace_bin(name: &str) -> Result<PathBuf> {
    let path = Path::new(env!("CARGO_BIN_EXE_conclave-desktop")).with_file_name(name);
    ensure!(
        path.is_file(),
        "{} is missing: run `cargo build --workspace --bins` first (make test does)",
        path.display()
    );
    Ok(path)
}

/// Runs a workspace binary to completion off the runtime's threads; answers its stdout.
async fn run(bin: &str, args: Vec<String>, env: &[(&str, &str)]) -> Result<String> {
    let mut cmd = Command::new(workspace_bin(bin)?);
    cmd.args(&args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output()).await??;
    ensure!(
        out.status.success(),
        "{bin} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// A user of the `conclave` CLI, with its home in a temporary directory and keys in a file.
struct Cli {
    home: TempDir,
    hub: String,
}

impl Cli {
    async fn register(hub: &Hub, name: &str) -> Result<Cli> {
        let cli = Cli {
            home: tempfile::tempdir()?,
            hub: hub.url.clone(),
        };
        cli.run(&["register", name]).await?;
        Ok(cli)
    }

    async fn run(&self, args: &[&str]) -> Result<String> {
        let home = self.home.path().to_str().context("utf-8 temp path")?;
        let mut all = vec![
            "--home".to_owned(),
            home.to_owned(),
            "--hub".to_owned(),
            self.hub.clone(),
        ];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        run("conclave", all, &[("CONCLAVE_KEYSTORE", "file")]).await
    }

    /// `conclave sync`, then a command with `--json`, parsed.
    async fn synced_json(&self, args: &[&str]) -> Result<serde_json::Value> {
        self.run(&["sync"]).await?;
        let mut args = args.to_vec();
        args.push("--json");
        Ok(serde_json::from_str(&self.run(&args).await?)?)
    }
}

/// The app on a data directory of its own, on a machine whose keyring cannot be reached.
struct App {
    web: WebDriver,
    _driver: Driver,
    _home: TempDir,
}

impl App {
    async fn start() -> Result<App> {
        let home = tempfile::tempdir()?;
        let path = home.path().to_str().context("utf-8 temp path")?;
        let driver = Driver::start(&[
            ("CONCLAVE_HOME", path),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/conclave-test",
            ),
            ("NO_AT_BRIDGE", "1"),
        ])?;
        let web = driver.session().await?;
        Ok(App {
            web,
            _driver: driver,
            _home: home,
        })
    }

    /// Ends the session; on a failed story, first saves a screenshot of where it stopped.
    async fn finish(self, story: &str, result: Result<()>) -> Result<()> {
        if let Err(e) = result {
            let _ = screenshot(&self.web, &format!("{story}-failure")).await;
            let _ = self.web.close().await;
            return Err(e);
        }
        self.web.close().await?;
        Ok(())
    }
}

/// Registers `name` on `hub` through onboarding, choosing the key file on the no-keyring screen.
async fn sign_up(web: &WebDriver, hub: &str, name: &str) -> Result<()> {
    let hub_field = element(web, "input[aria-label='Hub URL']").await?;
    hub_field.clear().await?;
    hub_field.send_keys(hub).await?;
    element(web, "input[aria-label='User name']")
        .await?
        .send_keys(name)
        .await?;
    element(web, "form button[type='submit']")
        .await?
        .click()
        .await?;
    xpath(web, "//button[contains(., 'Use a file for my keys')]")
        .await?
        .click()
        .await?;
    element(
        web,
        "[aria-label='Keys are kept in a file, not in the OS keyring']",
    )
    .await?;
    Ok(())
}

/// Creates a room with a preset from the New room dialog and waits until it is open.
async fn create_room(web: &WebDriver, name: &str, preset: &str) -> Result<()> {
    element(web, "button[aria-label='New room']")
        .await?
        .click()
        .await?;
    element(web, "input[aria-label='Room name']")
        .await?
        .send_keys(name)
        .await?;
    // The presets come from the app; wait until they are there before choosing one.
    element(
        web,
        &format!("select[aria-label='Room preset'] option[value='{preset}']"),
    )
    .await?;
    element(web, "select[aria-label='Room preset']")
        .await?
        .select_by_value(preset)
        .await?;
    element(web, "dialog form button[type='submit']")
        .await?
        .click()
        .await?;
    xpath(
        web,
        &format!("//header[contains(@class,'room-header')]//h1[.='{name}']"),
    )
    .await?;
    Ok(())
}

/// Invites users to the open room from the Invite dialog.
async fn invite(web: &WebDriver, names: &str) -> Result<()> {
    element(web, "button[aria-label='Invite people']")
        .await?
        .click()
        .await?;
    element(web, "input[aria-label='User names to invite']")
        .await?
        .send_keys(names)
        .await?;
    element(web, "dialog form button[type='submit']")
        .await?
        .click()
        .await?;
    xpath(
        web,
        &format!("//dialog//p[contains(., 'Invited {names}.')]"),
    )
    .await?;
    element(web, "dialog form button[type='button']")
        .await?
        .click()
        .await?;
    Ok(())
}

/// Presses Esc in the open dialog and waits until no dialog is left.
async fn escape_dialog(web: &WebDriver) -> Result<()> {
    element(web, "dialog[open] header button[aria-label='Close']")
        .await?
        .send_keys(&Key::Escape)
        .await?;
    eventually("the dialog to close on Esc", async || {
        Ok(web
            .find_all(Locator::Css("dialog"))
            .await?
            .is_empty()
            .then_some(()))
    })
    .await
}

/// The message article whose text is `text`.
fn message_xpath(text: &str) -> String {
    format!("//article[contains(@class,'message')][.//p[contains(@class,'text') and .='{text}']]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_new_user_onboards_without_a_keyring_and_talks_with_a_cli_user() -> Result<()> {
    let _one_app = ONE_APP.lock().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_moderator_reports_a_message_and_bans_a_cli_user_from_the_moderation_panel() -> Result<()>
{
    let _one_app = ONE_APP.lock().await;
    // Given a hub; bob, a headless user; carol, a user of the `conclave` CLI; and alice in the app.
    let hub = Hub::spawn().await?;
    let bob_home = tempfile::tempdir()?;
    let bob = Client::register(bob_home.path(), &hub.url, "bob", None, &file_keystore()).await?;
    let carol = Cli::register(&hub, "carol").await?;
    let app = App::start().await?;
    let web = &app.web;

    let story = async {
        sign_up(web, &hub.url, "alice").await?;

        // When alice creates a moderated room and invites bob and carol…
        create_room(web, "Town hall", "moderated").await?;
        invite(web, "bob, carol").await?;
        screenshot(web, "room-list").await?;
        let room = sync_until(&bob, "the room", async |c| {
            c.rooms()
                .await
                .ok()?
                .into_iter()
                .find(|r| r.name == "Town hall")
        })
        .await?;
        let uri = room.uri.clone();
        let room = bob.resolve_room(&room.uri)?;
        eventually("carol to join", async || {
            let rooms = carol.synced_json(&["room", "list"]).await?;
            Ok(rooms
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r["uri"] == uri.as_str()))
                .then_some(()))
        })
        .await?;

        // When alice makes bob a speaker from the moderation panel (attendees only read)…
        element(web, "button[aria-label='Open the moderation panel']")
            .await?
            .click()
            .await?;
        element(
            web,
            "#moderation button[data-user='mimi://localhost/u/bob']",
        )
        .await?
        .click()
        .await?;
        element(web, "#moderation button[data-action='role:4']")
            .await?
            .click()
            .await?;
        element(web, "#moderation p[data-verdict='allowed']").await?;
        element(
            web,
            "#moderation button[aria-label='Confirm: Make bob speaker']",
        )
        .await?
        .click()
        .await?;
        xpath(
            web,
            "//*[@id='moderation']//p[@role='status' and contains(., 'Done: make bob speaker')]",
        )
        .await?;
        escape_dialog(web).await?;
        sync_until(&bob, "his new role", async |c| {
            let me = c.me_in(&room).await.ok()?;
            (me.name == "speaker").then_some(())
        })
        .await?;

        // …bob spams the room, once honestly and once with a franking tag that does not match.
        bob.send_text(&room, "Buy cheap watches, only today")
            .await?;
        bob.set_forge_franking_tag(true);
        bob.send_text(&room, "This one lies about its bytes")
            .await?;
        bob.set_forge_franking_tag(false);

        // Then the forged message shows as unverified, with no report button…
        let forged = xpath(web, &message_xpath("This one lies about its bytes")).await?;
        forged
            .find(Locator::XPath(".//span[contains(@class,'unverified')]"))
            .await
            .context("the forged message is not marked unverified")?;
        ensure!(
            forged
                .find_all(Locator::Css("button.report"))
                .await?
                .is_empty(),
            "an unverified message offers a report button"
        );

        // …and alice reports the verified one: reason, note, confirm.
        xpath(
            web,
            &format!(
                "{}//button[@aria-label='Report this message from bob']",
                message_xpath("Buy cheap watches, only today")
            ),
        )
        .await?
        .click()
        .await?;
        element(web, "select[aria-label='Reason'] option[value='Spam']").await?;
        element(web, "select[aria-label='Reason']")
            .await?
            .select_by_value("Spam")
            .await?;
        element(web, "textarea[aria-label=\"Note for the hub's operator\"]")
            .await?
            .send_keys("He posts this in every room")
            .await?;
        screenshot(web, "report-dialog").await?;
        element(web, "button[aria-label='Send the report']")
            .await?
            .click()
            .await?;
        let accepted = element(web, "#report-accepted").await?.text().await?;
        ensure!(
            accepted.contains("The hub accepted your report (#"),
            "{accepted}"
        );
        escape_dialog(web).await?;

        // The hub's operator sees it, verified, with the reason and the note.
        let data = hub.data.path().to_str().context("utf-8 temp path")?;
        let listed = run(
            "conclave-hub",
            ["reports", "list", "--data", data, "--json"]
                .map(str::to_owned)
                .to_vec(),
            &[],
        )
        .await?;
        let reports: serde_json::Value = serde_json::from_str(&listed)?;
        let report = reports
            .as_array()
            .and_then(|a| a.first())
            .context("no report listed")?;
        ensure!(report["verified"] == true, "{report}");
        ensure!(report["reporter"] == "mimi://localhost/u/alice", "{report}");
        ensure!(
            report["alleged_abuser"] == "mimi://localhost/u/bob",
            "{report}"
        );
        ensure!(report["reason"] == "Spam", "{report}");
        ensure!(report["note"] == "He posts this in every room", "{report}");
        let text = run(
            "conclave-hub",
            ["reports", "list", "--data", data]
                .map(str::to_owned)
                .to_vec(),
            &[],
        )
        .await?;
        let line = "\topen\tverified\tmimi://localhost/u/alice -> mimi://localhost/u/bob";
        ensure!(text.contains(line), "{text}");

        // "My reports" lists it.
        element(web, "button[aria-label='My reports']")
            .await?
            .click()
            .await?;
        let listed =
            "//ul[@aria-label='Reports sent']//li[contains(., 'Spam') and contains(., 'bob')]";
        xpath(web, listed).await?;
        escape_dialog(web).await?;

        // When alice opens the moderation panel and chooses bob, the engine's answers decide
        // what she is offered; she bans him after seeing the engine allow it.
        element(web, "button[aria-label='Open the moderation panel']")
            .await?
            .click()
            .await?;
        element(
            web,
            "#moderation button[data-user='mimi://localhost/u/bob']",
        )
        .await?
        .click()
        .await?;
        let ban = element(web, "#moderation button[data-action='ban']").await?;
        element(web, "#moderation button[data-action='mute']").await?;
        element(web, "#moderation button[data-action='kick']").await?;
        screenshot(web, "moderation-panel").await?;
        ban.click().await?;
        element(web, "#moderation p[data-verdict='allowed']").await?;
        element(web, "#moderation button[aria-label='Confirm: Ban bob']")
            .await?
            .click()
            .await?;
        let done = "//*[@id='moderation']//p[@role='status' and contains(., 'Done: ban bob')]";
        xpath(web, done).await?;

        // Then bob's client is out of the room…
        sync_until(&bob, "himself removed", async |c| {
            let rooms = c.rooms().await.ok()?;
            (!rooms.iter().any(|r| r.name == "Town hall")).then_some(())
        })
        .await?;
        // …carol's CLI sees him listed as banned with no devices…
        eventually("carol's CLI to see bob banned", async || {
            let members = carol.synced_json(&["room", "members", &uri]).await?;
            let bob = members
                .as_array()
                .and_then(|a| a.iter().find(|m| m["user"] == "mimi://localhost/u/bob"))
                .cloned();
            Ok(bob.filter(|m| {
                m["role"] == "banned" && m["clients"].as_array().is_some_and(|c| c.is_empty())
            }))
        })
        .await?;
        // …and the panel now offers to unban him, and its history says what happened.
        let banned = concat!(
            "//*[@id='moderation']//button[@data-user='mimi://localhost/u/bob'",
            " and contains(@aria-label, 'banned')]"
        );
        xpath(web, banned).await?;
        element(web, "#moderation button[data-action^='unban:']").await?;
        element(web, "#mod-tab-history").await?.click().await?;
        xpath(
            web,
            "//ol[@aria-label='Room history']//li[contains(., 'alice banned bob')]",
        )
        .await?;
        screenshot(web, "moderation-history").await?;

        // When alice gives attendees canSendMessage in the role editor, after the engine agreed…
        element(web, "#mod-tab-roles").await?.click().await?;
        element(web, "#mod-panel-roles button.primary")
            .await?
            .click()
            .await?;
        xpath(web, "//details[./summary/strong[.='attendee']]/summary")
            .await?
            .click()
            .await?;
        element(web, "input[aria-label='attendee has canSendMessage']")
            .await?
            .click()
            .await?;
        xpath(web, "//button[.=\"Check with the room's policy\"]")
            .await?
            .click()
            .await?;
        xpath(
            web,
            "//*[@id='mod-panel-roles']//p[@role='status' and contains(., \"The room's policy allows it\")]",
        )
        .await?;
        screenshot(web, "role-editor").await?;
        element(web, "button[aria-label='Save the role definitions']")
            .await?
            .click()
            .await?;
        xpath(web, "//p[@role='status' and contains(., 'The new role definitions are in force')]").await?;
        escape_dialog(web).await?;

        // …carol, an attendee, can write from the CLI, and the app shows it.
        eventually("carol's CLI to see the new roles", async || {
            let me = carol.synced_json(&["room", "me", &uri]).await?;
            Ok(me["capabilities"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c == "canSendMessage"))
                .then_some(()))
        })
        .await?;
        carol.run(&["send", &uri, "Attendees may speak now"]).await?;
        xpath(web, &message_xpath("Attendees may speak now")).await?;
        Ok(())
    }
    .await;
    app.finish("moderation", story).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_muted_user_sees_the_composer_disabled_with_the_reason() -> Result<()> {
    let _one_app = ONE_APP.lock().await;
    // Given a hub, bob (headless) and alice in the app, in bob's moderated room as a speaker.
    let hub = Hub::spawn().await?;
    let bob_home = tempfile::tempdir()?;
    let bob = Client::register(bob_home.path(), &hub.url, "bob", None, &file_keystore()).await?;
    let app = App::start().await?;
    let web = &app.web;

    let story = async {
        sign_up(web, &hub.url, "alice").await?;
        let room = bob
            .create_room_with("Stage", conclave_desktop::policy::preset("moderated")?)
            .await?;
        bob.invite_as(&room, &["alice".to_owned()], Some("speaker"))
            .await?;
        xpath(
            web,
            "//header[contains(@class,'room-header')]//h1[.='Stage']",
        )
        .await?;
        xpath(
            web,
            "//aside[@aria-label='Members']//p[contains(., 'Your role here')]//strong[.='speaker']",
        )
        .await?;
        element(web, "textarea[aria-label='Message']").await?;
        ensure!(
            web.find_all(Locator::Css(
                "button[aria-label='Open the moderation panel']"
            ))
            .await?
            .is_empty(),
            "a speaker is offered the moderation panel"
        );

        // When bob mutes her, the composer gives way to the reason.
        bob.mute(&room, "alice").await?;
        let disabled = element(web, "#composer-disabled").await?;
        let said = disabled.text().await?;
        ensure!(said.contains("You are muted in this room"), "{said}");
        ensure!(
            said.contains("canSendMessage"),
            "the engine's reason is missing: {said}"
        );
        ensure!(
            web.find_all(Locator::Css("textarea[aria-label='Message']"))
                .await?
                .is_empty(),
            "a muted user still has a message box"
        );
        screenshot(web, "composer-muted").await?;

        // When bob suspends her, the timeline says she no longer receives the room's messages.
        bob.suspend(&room, "alice").await?;
        let notice = element(web, "[aria-label='Hidden messages']")
            .await?
            .text()
            .await?;
        ensure!(
            notice.contains("You no longer receive this room's messages"),
            "{notice}"
        );

        // When bob makes her a moderator, she can write again and gets the moderation panel,
        // which offers only what the engine allows on bob, the super_admin, and says why not.
        bob.set_role(&room, "alice", "moderator").await?;
        element(web, "textarea[aria-label='Message']").await?;
        eventually("the revocation notice to go", async || {
            Ok(web
                .find_all(Locator::Css("[aria-label='Hidden messages']"))
                .await?
                .is_empty()
                .then_some(()))
        })
        .await?;
        element(web, "button[aria-label='Open the moderation panel']")
            .await?
            .click()
            .await?;
        element(
            web,
            "#moderation button[data-user='mimi://localhost/u/bob']",
        )
        .await?
        .click()
        .await?;
        element(web, "#moderation details.denied summary")
            .await?
            .click()
            .await?;
        let why = element(web, "#moderation li[data-denied='ban']")
            .await?
            .text()
            .await?;
        ensure!(why.contains("You (moderator) cannot ban bob"), "{why}");
        ensure!(why.contains("canBan"), "{why}");
        ensure!(
            web.find_all(Locator::Css("#moderation button[data-action='ban']"))
                .await?
                .is_empty(),
            "a ban the engine denies is offered"
        );
        screenshot(web, "moderation-denied").await?;
        escape_dialog(web).await?;
        Ok(())
    }
    .await;
    app.finish("muted", story).await
}
