//! `conclave-load`: the load tool (P2 hub throughput, P4 large rooms) and the collector of the
//! benchmark table. `make bench` runs the criterion benches, then `throughput`, `large-room` and
//! `report`. Everything it talks to is on 127.0.0.1, and every loop is bounded.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use conclave_load::{large_room, memory, table, throughput};

#[global_allocator]
static ALLOC: memory::Counting = memory::Counting;

#[derive(Parser)]
#[command(
    name = "conclave-load",
    about = "Conclave's load tool and benchmark table"
)]
struct Cli {
    /// Cargo's target directory (criterion's results and the table go there).
    #[arg(long, global = true, default_value = "target")]
    target_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// P2: concurrent senders into a room of 10 at a real hub vs a bare axum endpoint.
    Throughput {
        /// Concurrent senders.
        #[arg(long, default_value_t = 8)]
        senders: usize,
        /// Messages per round.
        #[arg(long, default_value_t = 6000)]
        messages: usize,
        /// A round stops after this many seconds.
        #[arg(long, default_value_t = 20)]
        max_seconds: u64,
        /// Rounds against each server (the best counts).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Run the hub in a child process (to profile it apart: `perf record -p PID`).
        #[arg(long)]
        hub_process: bool,
        /// Keep the hub's database on tmpfs (shows what the disk costs).
        #[arg(long)]
        hub_on_tmpfs: bool,
    },
    /// P4: a room of MEMBERS created by a real client at a hub in a child process.
    LargeRoom {
        /// Members, the creator included.
        #[arg(long, default_value_t = 1000)]
        members: usize,
        /// Users per invite (one commit each).
        #[arg(long, default_value_t = 250)]
        batch: usize,
        /// Single adds to time afterwards (the median counts).
        #[arg(long, default_value_t = 1)]
        adds: usize,
    },
    /// Prints the table of every figure and writes it to TARGET/bench-report.md.
    Report,
    /// Serves a real hub on a free loopback port until standard input closes (used by large-room).
    Hub {
        /// The hub's data directory.
        #[arg(long)]
        data: PathBuf,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Throughput {
            senders,
            messages,
            max_seconds,
            rounds,
            hub_process,
            hub_on_tmpfs,
        } => {
            let rows = throughput::run(&throughput::Options {
                senders,
                messages,
                max_seconds,
                rounds,
                hub_process,
                hub_on_tmpfs,
            })
            .await?;
            let path = table::save_rows(&cli.target_dir, "p2", &rows)?;
            eprintln!("P2: {} rows in {}", rows.len(), path.display());
        }
        Command::LargeRoom {
            members,
            batch,
            adds,
        } => {
            let rows = large_room::run(&large_room::Options {
                members,
                batch,
                adds,
            })
            .await?;
            let path = table::save_rows(&cli.target_dir, "p4", &rows)?;
            eprintln!("P4: {} rows in {}", rows.len(), path.display());
        }
        Command::Report => {
            let text = format!(
                "{}\n\n{}",
                table::machine(),
                table::markdown(&table::collect(&cli.target_dir))
            );
            print!("{text}");
            let path = cli.target_dir.join("bench-report.md");
            std::fs::write(&path, &text)?;
            eprintln!("written to {}", path.display());
        }
        Command::Hub { data } => conclave_load::http::run_hub_process(&data).await?,
    }
    Ok(())
}
