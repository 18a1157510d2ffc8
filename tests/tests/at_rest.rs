//! Secrets at rest: the real binaries, started under a umask that would leave everything
//! world-readable, keep every directory of their data directories 0700 and every file 0600; and
//! a data directory copied world-readable is narrowed at the next start.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use conclave_e2e::bin;

/// Runs `program args` with umask 000 (through `sh`, which sets it before exec).
fn wide_umask(program: &Path) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", "umask 000 && exec \"$0\" \"$@\""])
        .arg(program);
    c
}

struct Hub {
    child: Child,
    url: String,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_hub(data: &Path, log: &Path) -> Hub {
    let mut child = wide_umask(&bin("conclave-hub"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let url = conclave_e2e::listening_url(&conclave_e2e::listening_line(&mut child));
    Hub { child, url }
}

/// Runs `conclave --home HOME args` under umask 000: its stdout, and its stderr.
fn conclave(home: &Path, args: &[&str]) -> (String, String) {
    let out = wide_umask(&bin("conclave"))
        .arg("--home")
        .arg(home)
        .env("CONCLAVE_KEYSTORE", "file")
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    );
    assert!(out.status.success(), "conclave {args:?}: {stderr}");
    (stdout, stderr)
}

/// Every directory and file under `dir` (itself included) with its permission bits.
fn modes(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut out = vec![(dir.to_owned(), mode(dir))];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(modes(&p));
        } else {
            out.push((p.clone(), mode(&p)));
        }
    }
    out
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn assert_private(dir: &Path) {
    let all = modes(dir);
    for (p, m) in &all {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(*m, want, "{} is {m:o}", p.display());
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_hub_and_clients_under_a_wide_umask_leave_nothing_readable_by_others() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, log) = (tmp.path().join("hub"), tmp.path().join("hub.log"));
    let (a, b) = (tmp.path().join("alice"), tmp.path().join("bob"));
    let hub = start_hub(&data, &log);

    conclave(&a, &["--hub", &hub.url, "register", "alice"]);
    conclave(&b, &["--hub", &hub.url, "register", "bob"]);
    conclave(&b, &["consent", "grant", "alice"]);
    let (room, _) = conclave(&a, &["room", "create", "--name", "Files"]);
    conclave(&a, &["room", "invite", &room, "bob"]);
    conclave(&a, &["send", &room, "private, please"]);
    conclave(&b, &["sync"]);
    let (text, _) = conclave(&b, &["messages", &room, "--json"]);
    assert!(text.contains("private, please"), "{text}");

    // While the hub runs, its WAL and shared-memory files exist too.
    assert_eq!(
        names(&data),
        [
            "franking.keys",
            "hub.sqlite3",
            "hub.sqlite3-shm",
            "hub.sqlite3-wal",
            "provider.key"
        ]
    );
    assert!(
        names(&a).contains(&"keystore.json".to_owned()),
        "{:?}",
        names(&a)
    );
    for dir in [&data, &a, &b] {
        assert_private(dir);
    }
    drop(hub);
    for dir in [&data, &a, &b] {
        assert_private(dir);
    }
}

#[test]
fn a_data_directory_copied_world_readable_is_narrowed_at_the_next_start_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, log) = (tmp.path().join("hub"), tmp.path().join("hub.log"));
    let a = tmp.path().join("alice");
    let hub = start_hub(&data, &log);
    conclave(&a, &["--hub", &hub.url, "register", "alice"]);
    drop(hub);

    // Say, restored from a backup with the wrong modes.
    for dir in [&data, &a] {
        for (p, _) in modes(dir) {
            let wide = if p.is_dir() { 0o777 } else { 0o666 };
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(wide)).unwrap();
        }
    }

    let hub = start_hub(&data, &log);
    let (_, warned) = conclave(&a, &["--hub", &hub.url, "whoami"]);
    for dir in [&data, &a] {
        assert_private(dir);
    }
    let hub_log = std::fs::read_to_string(&log).unwrap();
    assert!(
        hub_log.contains("provider.key was mode 666") && hub_log.contains("narrowed it to 600"),
        "{hub_log}"
    );
    assert!(warned.contains("conclave.sqlite3 was mode 666"), "{warned}");
    drop(hub);
}
