//! The desktop app's numbers (BENCHMARKS.md "Desktop app", issue 7 §9), measured on the real app
//! driven through WebDriver under Xvfb, against a hub in this process:
//!
//! - **start to interactive**: from the app process's start (its start time in `/proc`) until the
//!   main screen is usable (the UI's `conclave:interactive` performance mark, set when the room
//!   list is there), on a registered data directory;
//! - **idle memory**: RSS and PSS of the app and every process under it (WebKit's web and network
//!   processes) after it sat idle;
//! - **opening a room of 10,000 messages**: from the click on the room until the timeline shows its
//!   last message (measured in the page, frame by frame), and until the whole history is there
//!   (its first message can be scrolled to).
//!
//! Start-up and idle memory are also measured without WebDriver, which slows the start: the app
//! is started as a user would, and the screen is watched (ImageMagick's `import`) until the
//! selected room's row is painted.
//!
//! A headless client (bob) writes the 10,000 messages through the hub; the app's user (alice)
//! receives them with a headless client on the app's data directory before the app starts.
//! It prints numbers and asserts none. Run it with `make desktop-numbers`; set
//! `CONCLAVE_DESKTOP_APP` to measure another build of the app (e.g. the installed .deb's
//! `/usr/bin/conclave-desktop`), `NUMBERS_MESSAGES` for another room size, `NUMBERS_RUNS` for
//! more or fewer starts, `NUMBERS_DROP_CACHES=1` (as root) to empty the page cache before the
//! first start.

#[allow(dead_code)]
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use conclave_client::Client;
use fantoccini::Client as WebDriver;
use support::{Driver, Hub, element, eventually, file_keystore, sync_until, workspace_bin};

/// How long the app sits idle before its memory is read.
const IDLE: Duration = Duration::from_secs(10);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let messages: usize = env_or("NUMBERS_MESSAGES", 10_000)?;
    let runs: usize = env_or("NUMBERS_RUNS", 5)?;
    let app = match std::env::var_os("CONCLAVE_DESKTOP_APP") {
        Some(p) => PathBuf::from(p),
        None => workspace_bin("conclave-desktop")?,
    };
    println!("app: {}", app.display());

    // Given a hub, alice (the app's user) and bob, with a small room and a room of `messages`.
    let hub = Hub::spawn().await?;
    let alice_home = tempfile::tempdir()?;
    let bob_home = tempfile::tempdir()?;
    let alice =
        Client::register(alice_home.path(), &hub.url, "alice", None, &file_keystore()).await?;
    let bob = Client::register(bob_home.path(), &hub.url, "bob", None, &file_keystore()).await?;
    let lobby = alice.create_room("Lobby").await?;
    let archive = alice.create_room("Archive").await?;
    for room in [&lobby, &archive] {
        alice.room(room).invite(&["bob".to_owned()]).await?;
    }
    sync_until(&bob, "both rooms", async |c| {
        (c.rooms().await.ok()?.len() == 2).then_some(())
    })
    .await?;
    bob.room(&lobby).send_text("Welcome").await?;
    let started = Instant::now();
    for i in 1..=messages {
        bob.room(&archive).send_text(&text(i)).await?;
        if i % 1000 == 0 {
            eprintln!("bob sent {i} messages ({:.0?})", started.elapsed());
        }
    }
    println!("bob sent {messages} messages in {:.1?}", started.elapsed());
    let started = Instant::now();
    loop {
        alice.sync_waiting(Duration::from_secs(1)).await?;
        let have = alice
            .room(&archive)
            .messages(u32::MAX)
            .await?
            .iter()
            .filter(|m| m.text.as_deref().is_some_and(|t| t.starts_with("Message ")))
            .count();
        if have >= messages {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("alice has only {have} messages after 30 min");
        }
    }
    println!("alice received them in {:.1?}", started.elapsed());
    drop(alice);

    let home = alice_home.path().to_str().context("utf-8 temp path")?;
    let env = [
        ("CONCLAVE_HOME", home),
        ("CONCLAVE_KEYSTORE", "file"),
        (
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/conclave-numbers",
        ),
        ("NO_AT_BRIDGE", "1"),
    ];
    // Without WebDriver: the app as a user starts it, watched on the screen. The selected room's
    // row (the first room, Lobby) is painted once the room list is there; the app sits at 0,0
    // (Xvfb has no window manager).
    let mut shown = Vec::new();
    let mut idle_pss = None;
    let can_watch = Command::new("import").arg("-version").output().is_ok();
    if !can_watch {
        println!("ImageMagick's import is missing: no start-up seen on the screen");
    }
    for run in 1..=runs {
        if !can_watch {
            break;
        }
        if run == 1 && std::env::var_os("NUMBERS_DROP_CACHES").is_some() {
            drop_caches()?;
        }
        let started = Instant::now();
        let mut child = Command::new(&app)
            .envs(env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let result = watch_for_main_screen(started).await;
        if let (Ok(_), true) = (&result, run == runs) {
            tokio::time::sleep(IDLE).await;
            let (_, pss) = print_memory(
                &format!("idle, {} s after start, no WebDriver", IDLE.as_secs()),
                child.id(),
            )?;
            idle_pss = Some(pss);
        }
        let _ = Command::new("kill").arg(child.id().to_string()).status();
        child.wait()?;
        let ms = result?;
        println!("start {run}, no WebDriver: the main screen was on the screen after {ms:.0} ms");
        shown.push(ms);
    }
    if let Some(app_pss) = idle_pss {
        baseline_memory(&env, app_pss).await?;
    }

    // With WebDriver: the UI's own mark, then the big room.
    let mut starts = Vec::new();
    for run in 1..=runs {
        let (driver, web) = Driver::launch(&env, &app, &[]).await?;
        let pid = app_pid(driver.pid())?;
        let (ms, page) = interactive_ms(&web, pid).await?;
        println!(
            "start {run}, WebDriver: interactive after {ms:.0} ms (the page started loading after {page:.0} ms)"
        );
        starts.push(ms);
        if run < runs {
            web.close().await?;
            continue;
        }

        // The last run goes on: idle memory, then the big room, then memory with it open.
        tokio::time::sleep(IDLE).await;
        print_memory(
            &format!("idle, {} s after start, under WebDriver", IDLE.as_secs()),
            pid,
        )?;
        let mut opens = Vec::new();
        let mut full = Vec::new();
        for _ in 0..runs {
            open_room(&web, &lobby.to_string(), "Welcome", None).await?;
            let (shown, all) =
                open_room(&web, &archive.to_string(), &text(messages), Some(&text(1))).await?;
            println!(
                "open the {messages}-message room: last message shown after {shown:.0} ms, whole history after {all:.0} ms"
            );
            opens.push(shown);
            full.push(all);
        }
        print_memory(&format!("with the {messages}-message room open"), pid)?;
        if !shown.is_empty() {
            println!(
                "summary: on the screen (no WebDriver) first {:.0} ms, median {:.0} ms",
                shown[0],
                median(&shown)
            );
        }
        println!(
            "summary: interactive (WebDriver) first {:.0} ms, median {:.0} ms; open {messages}-message room: first {:.0} ms, median {:.0} ms (whole history median {:.0} ms)",
            starts[0],
            median(&starts),
            opens[0],
            median(&opens),
            median(&full)
        );
        web.close().await?;
    }
    Ok(())
}

/// The colour of the selected room's row (`--side-selected`) and a point inside the first row.
const SELECTED_ROW: (&str, &str) = ("srgb(79,70,229)", "1x1+125+100");

/// Milliseconds from `started` until the selected room's row is on the screen, polling the
/// screen with ImageMagick's `import` (each look takes a few tens of milliseconds).
async fn watch_for_main_screen(started: Instant) -> Result<f64> {
    loop {
        let out = Command::new("import")
            .args([
                "-silent",
                "-window",
                "root",
                "-crop",
                SELECTED_ROW.1,
                "txt:-",
            ])
            .output()?;
        if String::from_utf8_lossy(&out.stdout).contains(SELECTED_ROW.0) {
            return Ok(started.elapsed().as_secs_f64() * 1000.0);
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the main screen did not show within 30 s");
        }
        tokio::task::yield_now().await;
    }
}

/// Empties the kernel's page cache (root only), so that the next start reads the app and its
/// libraries from the disk: a cold start.
fn drop_caches() -> Result<()> {
    let synced = Command::new("sync").status()?;
    std::fs::write("/proc/sys/vm/drop_caches", "3\n")
        .context("dropping the page cache needs root")?;
    println!("dropped the page cache (sync: {synced})");
    Ok(())
}

fn text(i: usize) -> String {
    format!("Message {i:05}")
}

fn env_or(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v}")),
        Err(_) => Ok(default),
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Milliseconds from the app process's start until the UI marked itself interactive, and of
/// those, until the web view started loading the page (the rest is the page's own work: scripts,
/// the session and the room list over IPC, rendering).
async fn interactive_ms(web: &WebDriver, pid: u32) -> Result<(f64, f64)> {
    let (origin, mark) = eventually("the main screen", async || {
        let v = web
            .execute(
                "const m = performance.getEntriesByName('conclave:interactive')[0];\
                 return m ? [performance.timeOrigin, m.startTime] : null;",
                vec![],
            )
            .await?;
        Ok(v.as_array()
            .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?))))
    })
    .await?;
    let start = process_start_ms(pid)?;
    Ok((origin + mark - start, origin - start))
}

/// Clicks a room in the room list and measures, in the page, the milliseconds until the timeline
/// shows `last` (after the frame that shows it was painted) and, with `first`, until the view can
/// be scrolled to `first` (the whole history loaded).
async fn open_room(
    web: &WebDriver,
    room: &str,
    last: &str,
    first: Option<&str>,
) -> Result<(f64, f64)> {
    element(
        web,
        &format!("nav[aria-label='Rooms'] button[data-room='{room}']"),
    )
    .await?;
    let v = web
        .execute_async(
            r#"
            const [room, last, first] = arguments;
            const done = arguments[arguments.length - 1];
            const has = (t) => [...document.querySelectorAll("article.message p.text")].some((p) => p.textContent === t);
            const t0 = performance.now();
            document.querySelector(`nav[aria-label='Rooms'] button[data-room='${room}']`).click();
            let shown = null;
            const step = () => {
              const now = performance.now();
              if (now - t0 > 60000) return done({ error: "timed out" });
              if (shown === null) {
                // This frame paints the last message; the next frame starts after that paint.
                if (has(last)) requestAnimationFrame(() => { shown = performance.now() - t0; step2(); });
                else requestAnimationFrame(step);
                return;
              }
            };
            const step2 = () => {
              if (first === null) return done({ shown, all: shown });
              const view = document.querySelector("[role=log]");
              if (view) view.scrollTop = 0;
              if (has(first)) return done({ shown, all: performance.now() - t0 });
              if (performance.now() - t0 > 60000) return done({ error: "timed out" });
              requestAnimationFrame(step2);
            };
            requestAnimationFrame(step);
            "#,
            vec![room.into(), last.into(), first.map_or(serde_json::Value::Null, Into::into)],
        )
        .await?;
    if let Some(e) = v.get("error") {
        bail!("opening {room}: {e}");
    }
    let n = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_f64)
            .context("no timing")
    };
    Ok((n("shown")?, n("all")?))
}

/// The stat fields after the command name: state is [0], ppid [1], starttime [19].
fn stat(pid: u32) -> Result<(String, Vec<String>)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let open = s.find('(').context("stat")?;
    let close = s.rfind(')').context("stat")?;
    let comm = s[open + 1..close].to_owned();
    Ok((comm, s[close + 2..].split(' ').map(str::to_owned).collect()))
}

/// Every process under `root`, with its command name.
fn descendants(root: u32) -> Result<Vec<(u32, String)>> {
    let mut children: HashMap<u32, Vec<(u32, String)>> = HashMap::new();
    for entry in std::fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok((comm, fields)) = stat(pid) else {
            continue;
        };
        let ppid: u32 = fields[1].parse()?;
        children.entry(ppid).or_default().push((pid, comm));
    }
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(p) = todo.pop() {
        for (c, comm) in children.remove(&p).unwrap_or_default() {
            todo.push(c);
            out.push((c, comm));
        }
    }
    Ok(out)
}

/// The app's process id, under tauri-driver (through WebKitWebDriver).
fn app_pid(driver: u32) -> Result<u32> {
    descendants(driver)?
        .into_iter()
        .find(|(_, comm)| comm.starts_with("conclave-deskto"))
        .map(|(pid, _)| pid)
        .context("no conclave-desktop process under tauri-driver")
}

/// When a process started, in milliseconds since the Unix epoch (10 ms resolution).
fn process_start_ms(pid: u32) -> Result<f64> {
    let ticks: f64 = stat(pid)?.1[19].parse()?;
    let hz: f64 = String::from_utf8(
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()?
            .stdout,
    )?
    .trim()
    .parse()?;
    let btime: f64 = std::fs::read_to_string("/proc/stat")?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .context("no btime")?
        .trim()
        .parse()?;
    Ok((btime + ticks / hz) * 1000.0)
}

/// A `kB` field of a /proc file, in MiB.
fn field_mib(path: &str, key: &str) -> Result<f64> {
    let s = std::fs::read_to_string(path)?;
    let kb: f64 = s
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .with_context(|| format!("{key} in {path}"))?
        .trim()
        .parse()?;
    Ok(kb / 1024.0)
}

/// Prints RSS and PSS of the app and every process under it.
/// The baseline for idle memory, measured the same way in the same run: WebKitGTK's own
/// MiniBrowser showing `about:blank` in the app's environment, i.e. what three WebKit processes
/// take before any page of ours.
async fn baseline_memory(env: &[(&str, &str)], app_pss: f64) -> Result<()> {
    const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
    if !std::path::Path::new(MINIBROWSER).exists() {
        println!("no {MINIBROWSER}: no WebKit baseline for memory");
        return Ok(());
    }
    let mut cmd = Command::new(MINIBROWSER);
    cmd.arg("about:blank")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn()?;
    tokio::time::sleep(IDLE).await;
    let measured = print_memory(
        &format!(
            "baseline: WebKitGTK's MiniBrowser on about:blank, {} s after start",
            IDLE.as_secs()
        ),
        child.id(),
    );
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    child.wait()?;
    let (_, pss) = measured?;
    println!(
        "idle memory: the app's PSS is {:.2}× the WebKit baseline's ({app_pss:.0} / {pss:.0} MiB)",
        app_pss / pss
    );
    Ok(())
}

fn print_memory(when: &str, app: u32) -> Result<(f64, f64)> {
    let root = stat(app).map_or_else(|_| "app".to_owned(), |(comm, _)| comm);
    let mut all = vec![(app, root)];
    all.extend(descendants(app)?);
    let (mut rss, mut pss) = (0.0, 0.0);
    println!("memory, {when}:");
    for (pid, comm) in all {
        let r = field_mib(&format!("/proc/{pid}/status"), "VmRSS:").unwrap_or(0.0);
        let p = field_mib(&format!("/proc/{pid}/smaps_rollup"), "Pss:").unwrap_or(0.0);
        println!("  {comm:<22} pid {pid:<7} RSS {r:7.1} MiB  PSS {p:7.1} MiB");
        rss += r;
        pss += p;
    }
    println!("  total                                RSS {rss:7.1} MiB  PSS {pss:7.1} MiB");
    Ok((rss, pss))
}
