//! # conclave-desktop: the Tauri shell of the Conclave desktop app
//!
//! This crate only wires `conclave-client` to the web UI in `ui/` (DESIGN "Parts"). Data flows
//! like this. The UI calls a command ([`commands`]: one-line adapters into the client); a client
//! error comes back as a typed [`error::IpcError`] the UI switches on. Everything the client
//! reports ([`conclave_client::ClientEvent`]) is forwarded as a typed Tauri event, and a
//! background task long-polls the hub so that events keep coming ([`events`]). The state is one
//! optional client, opened from a data directory ([`session`]): `CONCLAVE_HOME`, or the OS data
//! directory's `conclave` folder. What the UI shows of room policy — the engine's answers, the
//! capability registry, the presets — has IPC types of its own ([`policy`]). The TypeScript types
//! of all of it are generated ([`bindings`]).

pub mod bindings;
pub mod commands;
pub mod error;
pub mod events;
pub mod policy;
pub mod session;

use std::path::PathBuf;

use tauri::Manager;

/// The environment variable that overrides the data directory (tests use a temporary one).
pub const HOME_ENV: &str = "CONCLAVE_HOME";

/// Runs the app until its window is closed.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONCLAVE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = tauri::Builder::default()
        .setup(|app| {
            let dir = data_dir(app.handle())?;
            app.manage(session::App::new(dir, app.handle().clone()));
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("conclave-desktop: {e}");
        std::process::exit(1);
    }
}

fn data_dir(app: &tauri::AppHandle) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os(HOME_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().data_dir()?.join("conclave"))
}
