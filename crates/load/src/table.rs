//! The one table: criterion's estimates (`target/criterion/GROUP/ID/new/estimates.json`) and the
//! load tool's rows (`target/bench/*.json`), one row per figure:
//! `| code | what | ours | baseline | ratio |`. The ratio is always ours ÷ baseline: for times
//! lower is better, for rates (marked "/s") higher is better; each row's "what" names its goal.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

/// One row of the table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// The figure's code (`P1`, `P3.add.1000`, …).
    pub code: String,
    /// What it measures, and its goal.
    pub what: String,
    /// Our figure, with its unit.
    pub ours: String,
    /// The raw baseline measured in the same run, with its unit.
    pub baseline: String,
    /// ours ÷ baseline; `None` if either is missing.
    pub ratio: Option<f64>,
}

/// Whether a criterion figure is a time per operation or a rate.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Shown as a time; the ratio is ours ÷ baseline (lower is better).
    Time,
    /// Shown as operations per second; the ratio is ours ÷ baseline (higher is better).
    Rate,
}

/// A criterion figure: the benchmark group and the two function ids in it.
struct Spec {
    code: &'static str,
    what: &'static str,
    group: &'static str,
    kind: Kind,
}

const BEFORE_P2: &[Spec] = &[
    Spec {
        code: "P1",
        what: "client pipeline, 1 KiB text in a room of 10: send (encode, policy, franking tag, MLS encrypt, store) + receive (decrypt, frank verify, policy, store) per message, vs raw OpenMLS create_message + process_message; goal ≤ 1.6",
        group: "p1",
        kind: Kind::Time,
    },
    Spec {
        code: "P1.send",
        what: "P1's send path alone vs raw create_message",
        group: "p1_send",
        kind: Kind::Time,
    },
    Spec {
        code: "P1.recv",
        what: "P1's receive path alone vs raw process_message",
        group: "p1_recv",
        kind: Kind::Time,
    },
    Spec {
        code: "P1.tmpfs",
        what: "P1 with both client stores on tmpfs (what is left without fsync)",
        group: "p1_tmpfs",
        kind: Kind::Time,
    },
    Spec {
        code: "P1.cipher",
        what: "P1 (client stores encrypted, as clients keep them) vs the same pipeline with unencrypted stores: what encryption at rest costs",
        group: "p1_cipher",
        kind: Kind::Time,
    },
];

const BEFORE_P4: &[Spec] = &[
    Spec {
        code: "P3.validate.100",
        what: "commit validation, 100 members: the hub's room::update of an Add commit (policy, PublicGroup process + merge, SQLite, fan-out) vs raw PublicGroup process + merge; goal ≤ 1.2",
        group: "p3_validate_100",
        kind: Kind::Time,
    },
    Spec {
        code: "P3.validate.1000",
        what: "commit validation, 1,000 members (as above); goal ≤ 1.2",
        group: "p3_validate_1000",
        kind: Kind::Time,
    },
    Spec {
        code: "P3.add.100",
        what: "add one member end to end through the hub, 100 members (client stage with precheck + hub room::update + client merge) vs raw OpenMLS add commit + merge; goal ≤ 1.3",
        group: "p3_add_100",
        kind: Kind::Time,
    },
    Spec {
        code: "P3.add.1000",
        what: "add one member end to end through the hub, 1,000 members (as above); goal ≤ 1.3",
        group: "p3_add_1000",
        kind: Kind::Time,
    },
];

const AFTER_P4: &[Spec] = &[
    Spec {
        code: "P5",
        what: "reports: verified reported messages/s at the hub (reports::check_message on genuine franked messages) vs raw Ed25519 verifications/s (ed25519-dalek)",
        group: "p5_reports",
        kind: Kind::Rate,
    },
    Spec {
        code: "P6.insert",
        what: "client store: insert 10,000 messages in one transaction (store::insert_message) vs raw rusqlite INSERTs, same schema",
        group: "p6_insert",
        kind: Kind::Time,
    },
    Spec {
        code: "P6.list",
        what: "client store: list 10,000 messages (store::messages) vs a raw SELECT of the same rows",
        group: "p6_list",
        kind: Kind::Time,
    },
    Spec {
        code: "P6.cipher.insert",
        what: "P6.insert on the encrypted store (as clients keep it) vs on an unencrypted one",
        group: "p6_cipher_insert",
        kind: Kind::Time,
    },
    Spec {
        code: "P6.cipher.list",
        what: "P6.list on the encrypted store vs on an unencrypted one",
        group: "p6_cipher_list",
        kind: Kind::Time,
    },
    Spec {
        code: "P6.open",
        what: "open a room of 10,000 messages, first page: Room::messages(50) vs a raw SELECT … LIMIT 50",
        group: "p6_open",
        kind: Kind::Time,
    },
];

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

/// Criterion's median time (ns) for `group/id`, if that benchmark ran.
fn median_ns(target: &Path, group: &str, id: &str) -> Option<f64> {
    let path = target
        .join("criterion")
        .join(group)
        .join(id)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str::<Estimates>(&text)
        .ok()
        .map(|e| e.median.point_estimate)
}

/// A duration in ns, in the unit that reads best.
pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A rate per second.
pub fn fmt_rate(per_s: f64) -> String {
    if per_s >= 100.0 {
        format!("{per_s:.0}/s")
    } else {
        format!("{per_s:.1}/s")
    }
}

fn criterion_row(target: &Path, s: &Spec) -> Row {
    let ours = median_ns(target, s.group, "ours");
    let base = median_ns(target, s.group, "raw");
    let show = |ns: Option<f64>| match (ns, s.kind) {
        (None, _) => "not run".to_owned(),
        (Some(ns), Kind::Time) => fmt_ns(ns),
        (Some(ns), Kind::Rate) => fmt_rate(1e9 / ns),
    };
    let ratio = match (ours, base, s.kind) {
        (Some(o), Some(b), Kind::Time) => Some(o / b),
        (Some(o), Some(b), Kind::Rate) => Some(b / o),
        _ => None,
    };
    Row {
        code: s.code.to_owned(),
        what: s.what.to_owned(),
        ours: show(ours),
        baseline: show(base),
        ratio,
    }
}

/// The load tool's rows saved under `target/bench/NAME.json`.
pub fn save_rows(target: &Path, name: &str, rows: &[Row]) -> Result<PathBuf> {
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(rows)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn load_rows(target: &Path, name: &str, missing: (&str, &str)) -> Vec<Row> {
    let path = target.join("bench").join(format!("{name}.json"));
    match std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Vec<Row>>(&b).ok())
    {
        Some(rows) => rows,
        None => vec![Row {
            code: missing.0.to_owned(),
            what: missing.1.to_owned(),
            ours: "not run".to_owned(),
            baseline: "not run".to_owned(),
            ratio: None,
        }],
    }
}

/// Every row, in figure order.
pub fn collect(target: &Path) -> Vec<Row> {
    let mut rows: Vec<Row> = BEFORE_P2.iter().map(|s| criterion_row(target, s)).collect();
    rows.extend(load_rows(
        target,
        "p2",
        ("P2", "hub throughput (conclave-load throughput)"),
    ));
    rows.extend(BEFORE_P4.iter().map(|s| criterion_row(target, s)));
    rows.extend(load_rows(
        target,
        "p4",
        ("P4", "large rooms (conclave-load large-room)"),
    ));
    rows.extend(AFTER_P4.iter().map(|s| criterion_row(target, s)));
    rows
}

/// The rows as one markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut out =
        String::from("| figure | what | ours | baseline | ratio |\n|---|---|---|---|---|\n");
    for r in rows {
        let ratio = r
            .ratio
            .map(|x| format!("{x:.2}"))
            .unwrap_or_else(|| "n/a".to_owned());
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.code,
            r.what.replace('|', "/"),
            r.ours,
            r.baseline,
            ratio
        ));
    }
    out
}

/// One line naming the machine: cores, CPU model, date (UTC).
pub fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("Measured on {cores} cores ({model}), {date}. Ratio = ours ÷ baseline.")
}
