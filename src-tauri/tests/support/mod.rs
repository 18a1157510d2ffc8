//! What the WebDriver stories (`webdriver/`) and the desktop measurements
//! (`examples/desktop_numbers.rs`) share: a hub in this process, tauri-driver and a WebDriver
//! session on the app, CLI users, and the verbs of the UI (sign up, create a room, invite).
//! STACK.md "WebDriver tests".

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
pub const PATIENCE: Duration = Duration::from_secs(30);

/// One app at a time: each story starts its own app, and two at once on a 2-core machine would
/// only make every step slower.
pub static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A hub serving on a free port of 127.0.0.1 from a temporary directory, in this process.
pub struct Hub {
    pub url: String,
    pub data: TempDir,
}

impl Hub {
    pub async fn spawn() -> Result<Hub> {
        let data = tempfile::tempdir()?;
        let mut config = Config::new(data.path(), "localhost");
        config.limits = conclave_hub::limits::Limits::loose();
        let state = AppState::open(&config)?;
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
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// The process id of tauri-driver, which leads the process group that also holds
    /// WebKitWebDriver and the app.
    #[allow(
        dead_code,
        reason = "the desktop numbers example uses it, the stories do not"
    )]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
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

/// Two distinct free ports (both held while the second is chosen, so they cannot be the same).
pub fn free_ports() -> Result<(u16, u16)> {
    let first = TcpListener::bind("127.0.0.1:0")?;
    let second = TcpListener::bind("127.0.0.1:0")?;
    Ok((first.local_addr()?.port(), second.local_addr()?.port()))
}

pub fn find_tool(name: &str) -> Option<PathBuf> {
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
    pub fn start(env: &[(&str, &str)]) -> Result<Driver> {
        let tauri_driver = find_tool("tauri-driver").context(
            "tauri-driver is not installed: run scripts/deps.sh (cargo install tauri-driver --locked)",
        )?;
        find_tool("WebKitWebDriver")
            .context("WebKitWebDriver is not installed: run scripts/deps.sh (webkit2gtk-driver)")?;
        if std::env::var_os("DISPLAY").is_none() {
            bail!("no DISPLAY: run this test under xvfb-run (make test does)");
        }
        let (port, native_port) = free_ports()?;
        let mut cmd = Command::new(tauri_driver);
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        // tauri-driver says on stdout why it dropped a request.
        .stdout(Stdio::inherit())
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
        // tauri-driver forwards each request to WebKitWebDriver, which it starts at once but
        // which takes a while to listen (seconds on a cold machine); a session asked for before
        // then is dropped without an answer. Both must listen.
        let deadline = Instant::now() + PATIENCE;
        for (who, port) in [("tauri-driver", port), ("WebKitWebDriver", native_port)] {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                if Instant::now() > deadline {
                    bail!("{who} did not listen on port {port}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(driver)
    }

    /// tauri-driver with a WebDriver session on the app at `app`, started with `args` and this
    /// environment. A session can still be refused (tauri-driver drops a request it could not
    /// forward, which [`Driver::start`] now makes unlikely by waiting for both ports), and the
    /// app launched for it may be left running: a refused attempt stops the whole
    /// driver (and with it that app) and starts afresh, so that only one app ever uses the data
    /// directory.
    pub async fn launch(
        env: &[(&str, &str)],
        app: &Path,
        args: &[&str],
    ) -> Result<(Driver, WebDriver)> {
        let mut attempts = 0;
        loop {
            let driver = Driver::start(env)?;
            let asked = Instant::now();
            match driver.session_on(app, args).await {
                Ok(web) => return Ok((driver, web)),
                Err(e) if attempts < 4 => {
                    eprintln!(
                        "no WebDriver session after {:?} ({e:#}); starting the driver again",
                        asked.elapsed()
                    );
                    attempts += 1;
                    drop(driver);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One attempt at a WebDriver session on the app at `app`, started with `args`.
    async fn session_on(&self, app: &Path, args: &[&str]) -> Result<WebDriver> {
        let app = app.to_str().context("utf-8 app path")?;
        let caps = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": app, "args": args },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        ClientBuilder::rustls()?
            .capabilities(caps)
            .connect(&self.url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open a WebDriver session on the app: {e:?}"))
    }
}

/// Waits for an element.
pub async fn element(web: &WebDriver, css: &str) -> Result<fantoccini::elements::Element> {
    web.wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for {css}"))
}

/// Waits for an element by XPath.
pub async fn xpath(web: &WebDriver, path: &str) -> Result<fantoccini::elements::Element> {
    web.wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(path))
        .await
        .with_context(|| format!("waiting for {path}"))
}

/// Clicks the element at `path` once it takes the click: a row of the virtualised timeline can be
/// re-rendered between finding a button in it and clicking it (it grows, it is measured), which
/// WebDriver reports as an error; the button is then found again.
pub async fn click_xpath(web: &WebDriver, path: &str) -> Result<()> {
    let mut last = None;
    let clicked = eventually(&format!("a click on {path}"), async || {
        let e = xpath(web, path).await?;
        match e.click().await {
            Ok(()) => Ok(Some(())),
            Err(err) => {
                last = Some(format!("{err:?}"));
                Ok(None)
            }
        }
    })
    .await;
    clicked.with_context(|| format!("the last refusal: {last:?}"))
}

/// Types `text` into the field at `css`, replacing what it held, and waits until the field holds
/// exactly that before the story moves on. Under load WebKitWebDriver can deliver a field's last
/// keystrokes after `send_keys` answered, into whatever has the focus by then (seen in CI: a hub
/// URL's last digit typed into the user name). A field that never gets there is typed again.
pub async fn fill(web: &WebDriver, css: &str, text: &str) -> Result<()> {
    let mut polls = 0u32;
    eventually(&format!("{css} to hold {text:?}"), async || {
        let e = element(web, css).await?;
        if e.prop("value").await?.as_deref() == Some(text) {
            return Ok(Some(()));
        }
        // Typed now, and again after each second it does not hold the text.
        if polls.is_multiple_of(10) {
            e.clear().await?;
            e.send_keys(text).await?;
        }
        polls += 1;
        Ok(None)
    })
    .await
}

/// Saves a screenshot as a test artefact; answers its path.
pub async fn screenshot(web: &WebDriver, name: &str) -> Result<PathBuf> {
    let dir = bin_dir()?.with_file_name("tmp").join("webdriver");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.png"));
    // WebKit captures the last frame it painted: wait until the page has painted twice since the
    // step before, so the picture shows what the test just saw.
    // Bounded: a page that paints no more frames would otherwise hold the story forever.
    tokio::time::timeout(
        PATIENCE,
        web.execute_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done()));",
            vec![],
        ),
    )
    .await
    .with_context(|| format!("no two frames painted for the screenshot {name}"))??;
    let png = tokio::time::timeout(PATIENCE, web.screenshot())
        .await
        .with_context(|| format!("the screenshot {name} did not come"))??;
    std::fs::write(&path, png)?;
    eprintln!("screenshot: {}", path.display());
    Ok(path)
}

/// Syncs a headless client until `check` holds.
pub async fn sync_until<T>(
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

pub fn file_keystore() -> Options {
    Options {
        keystore: KeystoreKind::File,
        ..Default::default()
    }
}

/// Polls `check` until it answers `Some`, for at most [`PATIENCE`]: for evidence that comes with
/// no event to wait on (an element going away, another process's view of the room).
pub async fn eventually<T>(
    what: &str,
    mut check: impl AsyncFnMut() -> Result<Option<T>>,
) -> Result<T> {
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

/// The folder of this cargo invocation's binaries (`target/debug`): the running test is in its
/// `deps/` folder, an example in its `examples/` folder.
pub fn bin_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the test binary has no grandparent folder")?;
    Ok(dir.to_path_buf())
}

/// A binary of this workspace, beside this test's (`cargo build --workspace --bins` builds them;
/// cargo builds the app's for its integration tests).
pub fn workspace_bin(name: &str) -> Result<PathBuf> {
    let path = bin_dir()?.join(name);
    ensure!(
        path.is_file(),
        "{} is missing: run `cargo build --workspace --bins` first (make test does)",
        path.display()
    );
    Ok(path)
}

/// Runs a workspace binary to completion off the runtime's threads; answers its stdout.
pub async fn run(bin: &str, args: Vec<String>, env: &[(&str, &str)]) -> Result<String> {
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
pub struct Cli {
    pub home: TempDir,
    pub hub: String,
}

impl Cli {
    pub async fn register(hub: &Hub, name: &str) -> Result<Cli> {
        let cli = Cli {
            home: tempfile::tempdir()?,
            hub: hub.url.clone(),
        };
        cli.run(&["register", name]).await?;
        Ok(cli)
    }

    pub async fn run(&self, args: &[&str]) -> Result<String> {
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
    pub async fn synced_json(&self, args: &[&str]) -> Result<serde_json::Value> {
        self.run(&["sync"]).await?;
        let mut args = args.to_vec();
        args.push("--json");
        Ok(serde_json::from_str(&self.run(&args).await?)?)
    }
}

/// The app on a data directory of its own, on a machine whose keyring cannot be reached.
pub struct App {
    pub web: WebDriver,
    _driver: Driver,
    _home: TempDir,
}

impl App {
    pub async fn start() -> Result<App> {
        App::start_with(&[]).await
    }

    /// The app started with these command-line arguments, on a machine whose session bus
    /// cannot be reached (so no keyring: stories sign up with the key file).
    pub async fn start_with(args: &[&str]) -> Result<App> {
        App::start_on_bus(args, "unix:path=/nonexistent/conclave-test").await
    }

    /// The app started with these arguments on the session bus at `bus`.
    pub async fn start_on_bus(args: &[&str], bus: &str) -> Result<App> {
        App::start_in(
            tempfile::tempdir()?,
            &[("DBUS_SESSION_BUS_ADDRESS", bus)],
            args,
        )
        .await
    }

    /// The app started on the data directory `home` (prepared by the story), with `env` (which
    /// must name the session bus, `DBUS_SESSION_BUS_ADDRESS`) and these arguments.
    pub async fn start_in(home: TempDir, env: &[(&str, &str)], args: &[&str]) -> Result<App> {
        let path = home.path().to_str().context("utf-8 temp path")?;
        let mut all = vec![("CONCLAVE_HOME", path), ("NO_AT_BRIDGE", "1")];
        all.extend_from_slice(env);
        let (driver, web) = Driver::launch(&all, &workspace_bin("conclave-desktop")?, args).await?;
        Ok(App {
            web,
            _driver: driver,
            _home: home,
        })
    }

    /// Ends the session; on a failed story, first saves a screenshot of where it stopped.
    pub async fn finish(self, story: &str, result: Result<()>) -> Result<()> {
        if let Err(e) = result {
            let _ = screenshot(&self.web, &format!("{story}-failure")).await;
            let _ = self.web.close().await;
            return Err(e);
        }
        self.web.close().await?;
        Ok(())
    }
}

/// A private D-Bus session bus with a notification server on it (python3-dbusmock's
/// `notification_daemon` template) that logs every Notify call: what an app's OS notifications
/// reach on a desktop, observable by a test. No keyring runs on this bus.
pub struct NotificationServer {
    /// The bus address, for DBUS_SESSION_BUS_ADDRESS.
    pub address: String,
    log: PathBuf,
    bus: Child,
    mock: Child,
    _dir: TempDir,
}

impl NotificationServer {
    pub fn start() -> Result<NotificationServer> {
        use std::io::BufRead as _;
        let dir = tempfile::tempdir()?;
        let socket = dir.path().join("bus");
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::piped())
            .spawn()
            .context("start dbus-daemon (Debian package dbus-daemon)")?;
        let mut address = String::new();
        std::io::BufReader::new(bus.stdout.take().context("dbus-daemon stdout")?)
            .read_line(&mut address)?;
        let address = address.trim().to_owned();
        ensure!(!address.is_empty(), "dbus-daemon printed no address");
        let log = dir.path().join("notifications.log");
        // Debian's python3 (python3-dbusmock), not whatever python3 comes first on PATH.
        let mock = Command::new("/usr/bin/python3")
            .args([
                "-m",
                "dbusmock",
                "--session",
                "--template",
                "notification_daemon",
                "-l",
            ])
            .arg(&log)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .stdout(Stdio::null())
            .spawn()
            .context("start python3-dbusmock")?;
        let server = NotificationServer {
            address,
            log,
            bus,
            mock,
            _dir: dir,
        };
        let ready = Command::new("gdbus")
            .args([
                "wait",
                "--session",
                "--timeout",
                "20",
                "org.freedesktop.Notifications",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &server.address)
            .status()
            .context("gdbus wait")?;
        ensure!(ready.success(), "no notification server on the private bus");
        Ok(server)
    }

    /// The Notify calls so far, one line each: app name, replaces id, icon, summary, body, ….
    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(" Notify "))
            .map(str::to_owned)
            .collect()
    }

    /// Waits for a Notify call whose summary and body are these.
    pub async fn wait_for(&self, summary: &str, body: &str) -> Result<String> {
        let wanted = format!("\"{summary}\" \"{body}\"");
        eventually(&format!("a notification {wanted}"), async || {
            Ok(self.calls().into_iter().find(|l| l.contains(&wanted)))
        })
        .await
        .with_context(|| format!("notifications so far: {:?}", self.calls()))
    }

    /// The id the server gave the notification of `call` (a line of [`Self::calls`]): the mock
    /// numbers new notifications 1, 2, … and a replacing one keeps the id it replaces.
    pub fn id_of(&self, call: &str) -> Result<u32> {
        let mut next = 1;
        for line in self.calls() {
            // `<time> Notify "<app>" <replaces id> "<icon>" …`
            let replaces: u32 = line
                .split_once(" Notify \"")
                .and_then(|(_, rest)| rest.split_once("\" "))
                .and_then(|(_, rest)| rest.split(' ').next())
                .with_context(|| format!("no replaces id in {line:?}"))?
                .parse()?;
            let id = if replaces == 0 {
                next += 1;
                next - 1
            } else {
                replaces
            };
            if line == call {
                return Ok(id);
            }
        }
        bail!("no notification {call:?}")
    }

    /// The ids the app asked the server to close (CloseNotification calls), in order.
    pub fn closed(&self) -> Vec<u32> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once(" CloseNotification ")?.1.trim().parse().ok())
            .collect()
    }

    /// The user clicks notification `id`: the server announces its default action.
    pub fn click(&self, id: u32) -> Result<()> {
        let emitted = Command::new("gdbus")
            .args([
                "emit",
                "--session",
                "--object-path",
                "/org/freedesktop/Notifications",
                "--signal",
                "org.freedesktop.Notifications.ActionInvoked",
            ])
            .arg(format!("uint32 {id}"))
            .arg("'default'")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .status()
            .context("gdbus emit")?;
        ensure!(emitted.success(), "gdbus emit failed");
        Ok(())
    }
}

/// Another window on the display that takes the input focus from the app, as switching to
/// another program does (xmessage from x11-utils, focused with xdotool: there is no window
/// manager on the test display, and without one the app keeps the focus it got when mapped).
pub struct Elsewhere(Child);

impl Elsewhere {
    pub fn focus() -> Result<Elsewhere> {
        let window = Command::new("xmessage")
            .args(["-name", "conclave-elsewhere", "Another program"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start xmessage (Debian package x11-utils)")?;
        let elsewhere = Elsewhere(window);
        focus_window("--classname", "conclave-elsewhere")?;
        Ok(elsewhere)
    }

    /// The user switches back to the app: the other window goes and the app's has the focus.
    pub fn back(mut self) -> Result<()> {
        let _ = self.0.kill();
        let _ = self.0.wait();
        focus_window("--name", "^Conclave$")
    }
}

/// Gives the input focus to the window found by `xdotool search <by> <pattern>`, once it exists.
fn focus_window(by: &str, pattern: &str) -> Result<()> {
    let focused = Command::new("xdotool")
        .args(["search", "--sync", by, pattern, "windowfocus", "--sync"])
        .status()
        .context("run xdotool (Debian package xdotool)")?;
    ensure!(
        focused.success(),
        "xdotool could not focus the window {by} {pattern}"
    );
    Ok(())
}

impl Drop for Elsewhere {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for NotificationServer {
    fn drop(&mut self) {
        for child in [&mut self.mock, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The app on the data directory `home`, on a machine whose keyring cannot be reached, for
/// stories that start it more than once on one home or prepare the home themselves.
pub async fn launch_without_keyring(home: &Path) -> Result<(Driver, WebDriver)> {
    let home = home.to_str().context("utf-8 temp path")?;
    Driver::launch(
        &[
            ("CONCLAVE_HOME", home),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/conclave-test",
            ),
            ("NO_AT_BRIDGE", "1"),
        ],
        &workspace_bin("conclave-desktop")?,
        &[],
    )
    .await
}

/// Registers `name` on `hub` through onboarding, choosing the key file on the no-keyring screen.
pub async fn sign_up(web: &WebDriver, hub: &str, name: &str) -> Result<()> {
    fill(web, "input[aria-label='Hub URL']", hub).await?;
    fill(web, "input[aria-label='User name']", name).await?;
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
pub async fn create_room(web: &WebDriver, name: &str, preset: &str) -> Result<()> {
    create_room_with(web, name, preset, false).await
}

/// Creates a room with a preset from the New room dialog, pseudonymous if asked (the dialog's
/// toggle), and waits until it is open.
pub async fn create_room_with(
    web: &WebDriver,
    name: &str,
    preset: &str,
    pseudonymous: bool,
) -> Result<()> {
    element(web, "button[aria-label='New room']")
        .await?
        .click()
        .await?;
    fill(web, "input[aria-label='Room name']", name).await?;
    if pseudonymous {
        element(web, "input[aria-label='Pseudonymous room']")
            .await?
            .click()
            .await?;
    }
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
pub async fn invite(web: &WebDriver, names: &str) -> Result<()> {
    element(web, "button[aria-label='Invite people']")
        .await?
        .click()
        .await?;
    fill(web, "input[aria-label='User names to invite']", names).await?;
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

/// The app's user lets `name` add them to rooms (SECURITY.md "KeyPackages": inviting someone
/// needs their consent, or a connection): answers `name`'s consent request from the Connections
/// dialog, and closes it. `name` asked first (`request_consent`).
pub async fn allow_to_add(web: &WebDriver, name: &str) -> Result<()> {
    // "Connections", or "Connections, 1 request to answer" once the request is in.
    element(web, "button[aria-label^='Connections']")
        .await?
        .click()
        .await?;
    element(
        web,
        &format!("button[aria-label=\"Let {name} add you to rooms\"]"),
    )
    .await?
    .click()
    .await?;
    element(
        web,
        &format!(
            "ul[aria-label='Consent to be added'] \
             li[data-user='mimi://localhost/u/{name}'][data-state='consent-granted']"
        ),
    )
    .await?;
    escape_dialog(web).await
}

/// Presses Esc in the open dialog and waits until no dialog is left.
pub async fn escape_dialog(web: &WebDriver) -> Result<()> {
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
pub fn message_xpath(text: &str) -> String {
    format!("//article[contains(@class,'message')][.//p[contains(@class,'text') and .='{text}']]")
}
