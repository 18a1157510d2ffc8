//! `conclave-hub`: parses flags and serves. Everything else lives in the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use conclave_hub::{AppState, Config};
use mimi::display::{json as safe_json, one_line};

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
    /// Serve the provider and hub API: HTTPS with --tls-cert and --tls-key, else plain HTTP
    /// (which clients accept only on this machine unless told otherwise).
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
        /// A TOML config file; its `[limits]` table sets rates, sizes and quotas (SECURITY.md
        /// lists each with its default). Without it, the defaults apply.
        #[arg(long)]
        config: Option<PathBuf>,
        /// PEM certificate chain (leaf first) to serve HTTPS with.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Abuse reports filed with this hub.
    #[command(subcommand)]
    Reports(ReportsCmd),
    /// The hub's franking keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Write a consistent copy of the hub's database to FILE (mode 0600; an existing FILE is
    /// never replaced), while the hub serves. A restore also needs the data directory's
    /// provider.key and franking.keys.
    Backup {
        /// The hub's data directory.
        #[arg(long)]
        data: PathBuf,
        /// The new file to write.
        file: PathBuf,
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

#[derive(Subcommand)]
enum ReportsCmd {
    /// Every report, newest first.
    List {
        /// The hub's data directory.
        #[arg(long)]
        data: PathBuf,
        /// Print one JSON array.
        #[arg(long)]
        json: bool,
    },
    /// One report, as JSON.
    Show {
        /// The hub's data directory.
        #[arg(long)]
        data: PathBuf,
        /// The report's id.
        id: i64,
    },
    /// Resolve a report.
    Resolve {
        /// The hub's data directory.
        #[arg(long)]
        data: PathBuf,
        /// The report's id.
        id: i64,
        /// Dismiss it.
        #[arg(long, conflicts_with = "uphold", required_unless_present = "uphold")]
        dismiss: bool,
        /// Uphold it: the hub, as the room's policy enforcer, proposes removing the alleged
        /// abuser's clients from the room; the next committer includes it. Refused for a report
        /// whose franking proof did not verify (UNVERIFIED in `list`): dismiss those.
        #[arg(long)]
        uphold: bool,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Start a new generation of franking keys: new rooms use it, old franks stay verifiable.
    Rotate {
        /// The hub's data directory.
        #[arg(long)]
        data: PathBuf,
    },
}

fn open_existing(data: &std::path::Path) -> anyhow::Result<rusqlite::Connection> {
    let db = data.join("hub.sqlite3");
    if !db.exists() {
        anyhow::bail!("{} holds no hub database", data.display());
    }
    Ok(conclave_hub::store::open(&db)?)
}

fn main() -> std::process::ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Errors can quote what a report says.
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "conclave_hub=info,conclave_sqlite=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Reports(ReportsCmd::List { data, json }) => {
            let conn = open_existing(&data)?;
            let reports = conclave_hub::reports::list(&conn)?;
            // What a report names comes from its reporter: printed as text, never as escapes
            // a terminal acts on (mimi::display).
            if json {
                println!("{}", safe_json(&serde_json::to_string(&reports)?));
            } else {
                for r in reports {
                    println!(
                        "{}\t{}\t{}\t{} -> {}\t{}",
                        r.id,
                        one_line(&r.status),
                        if r.verified { "verified" } else { "UNVERIFIED" },
                        one_line(&r.reporter),
                        one_line(&r.alleged_abuser),
                        one_line(&r.room)
                    );
                }
            }
            Ok(())
        }
        Command::Reports(ReportsCmd::Show { data, id }) => {
            let conn = open_existing(&data)?;
            let r = conclave_hub::reports::get(&conn, id)?
                .ok_or_else(|| anyhow::anyhow!("no report {id}"))?;
            println!("{}", safe_json(&serde_json::to_string_pretty(&r)?));
            Ok(())
        }
        Command::Reports(ReportsCmd::Resolve {
            data,
            id,
            dismiss: _,
            uphold,
        }) => {
            let mut conn = open_existing(&data)?;
            let r = conclave_hub::reports::resolve(&conn, id, uphold)?;
            if uphold {
                let n = conclave_hub::enforce::remove_user(
                    &mut conn,
                    &data,
                    &r.room,
                    &r.alleged_abuser,
                )?;
                println!(
                    "report {id} upheld: proposed removing {n} client(s) of {} from {}",
                    one_line(&r.alleged_abuser),
                    one_line(&r.room)
                );
            } else {
                println!("report {id} dismissed");
            }
            Ok(())
        }
        Command::Keys(KeysCmd::Rotate { data }) => {
            let n = conclave_hub::franking_keys::rotate(&data, conclave_hub::store::now_ms())?;
            println!("franking key generation {n} is in force; new rooms use it");
            Ok(())
        }
        Command::Backup { data, file } => {
            let w = conclave_hub::backup::backup(&data, &file)?;
            println!(
                "wrote {}: a consistent copy of {} ({} bytes)",
                w.dest.display(),
                w.source.display(),
                w.bytes
            );
            Ok(())
        }
        Command::Withheld { data, json } => {
            let conn = open_existing(&data)?;
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
            config,
            tls_cert,
            tls_key,
        } => {
            // A bad certificate stops the hub before it opens anything.
            let tls = match (&tls_cert, &tls_key) {
                (Some(cert), Some(key)) => Some(
                    conclave_hub::tls::TlsConfig::from_pem_files(cert, key)
                        .context("--tls-cert/--tls-key")?,
                ),
                _ => None,
            };
            let mut cfg = Config::new(&data, &domain);
            if let Some(path) = config {
                cfg.limits = conclave_hub::limits::ConfigFile::read(&path)?.limits;
            }
            // Listening for the signals before the hub says it listens: one sent right after
            // that line is a shutdown, not a kill.
            let signals = StopSignals::new().context("listening for SIGTERM and SIGINT")?;
            let state =
                AppState::open(&cfg).with_context(|| format!("opening {}", data.display()))?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            let addr = listener.local_addr()?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            // The first line on stdout says where we listen, for scripts and tests.
            println!("conclave-hub listening on {scheme}://{addr} for mimi://{domain}");
            let (got, signal) = tokio::sync::oneshot::channel();
            let shutdown = async move {
                let _ = got.send(signals.next().await);
            };
            match tls {
                Some(tls) => conclave_hub::tls::serve_tls(state, listener, tls, shutdown).await?,
                None => conclave_hub::serve(state, listener, shutdown).await?,
            }
            // `serve` returned: no longer accepting, the requests in flight answered (or cut
            // off after the drain limit, with a warning), the queued database work committed.
            let signal = signal.await.unwrap_or("a shutdown");
            tracing::info!("conclave-hub stopped on {signal}; everything it answered is committed");
            Ok(())
        }
    }
}

/// SIGTERM (service managers, `kill`) and SIGINT (Ctrl-C), both a graceful shutdown.
struct StopSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// The name of the first signal that comes.
    async fn next(mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
