//! `conclave-hub`: parses flags and serves. Everything else lives in the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use conclave_hub::{AppState, Config};

#[derive(Parser)]
#[command(
    name = "conclave-hub",
    version,
    about = "Conclave's MIMI provider and hub"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the provider and hub API over HTTP.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8480 (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:8480")]
        listen: SocketAddr,
        /// Data directory (SQLite database and provider key); created if missing.
        #[arg(long)]
        data: PathBuf,
        /// The provider domain users and rooms are named under (mimi://DOMAIN/...).
        #[arg(long, default_value = "localhost")]
        domain: String,
    },
    /// How many application messages the hub withheld from clients whose role lacks
    /// canReceiveMessage, per room and client. Works while the hub is serving.
    Withheld {
        /// The hub's data directory.
        #[arg(long)]
        data: PathBuf,
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "conclave_hub=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Withheld { data, json } => {
            let db = data.join("hub.sqlite3");
            if !db.exists() {
                anyhow::bail!("{} holds no hub database", data.display());
            }
            let conn = conclave_hub::store::open(&db)?;
            let rows = conclave_hub::store::withheld(&conn)?;
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|(room, client, count)| {
                        serde_json::json!({ "room": room, "client": client, "withheld": count })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for (room, client, count) in rows {
                    println!("{room}\t{client}\t{count}");
                }
            }
            Ok(())
        }
        Command::Serve {
            listen,
            data,
            domain,
        } => {
            let state = AppState::open(&Config::new(&data, &domain))
                .with_context(|| format!("opening {}", data.display()))?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            let addr = listener.local_addr()?;
            // The first line on stdout says where we listen, for scripts and tests.
            println!("conclave-hub listening on http://{addr} for mimi://{domain}");
            conclave_hub::serve(state, listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
            Ok(())
        }
    }
}
