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
pub mod demo;
pub mod error;
pub mod events;
pub mod notify;
pub mod policy;
pub mod session;
pub mod webkit;

use std::path::PathBuf;

use tauri::Manager;

/// The environment variable that overrides the data directory (tests use a temporary one).
pub const HOME_ENV: &str = "CONCLAVE_HOME";

/// How the app was started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mode {
    /// `--demo`: bring two bot members and a demo room ([`demo`]).
    pub demo: bool,
}

impl Mode {
    /// Parses the command line (without the program name). `Err` is the text to print: usage
    /// for `--help`, or what was wrong.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Mode, String> {
        let mut mode = Mode::default();
        for a in args {
            match a.as_str() {
                "--demo" => mode.demo = true,
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
            }
        }
        Ok(mode)
    }
}

/// `conclave-desktop --help`.
pub const USAGE: &str = "usage: conclave-desktop [--demo]

  --demo   once you are signed in, two bot members (real clients on your hub) join you in a
           moderated room called Demo: they answer, react and can be muted, suspended,
           banned and reported

The data directory is $CONCLAVE_HOME, or the OS data directory's conclave folder.";

/// Runs the app until its window is closed.
pub fn run(mode: Mode) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONCLAVE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = tauri::Builder::default()
        .setup(move |app| {
            let dir = data_dir(app.handle())?;
            // What happens to each client the app opens: its events reach the UI, it long-polls,
            // and in demo mode the bots join it (session knows none of these modules).
            let on_open: session::OnOpen = Box::new(move |state, client| {
                events::start(state, client);
                if mode.demo {
                    demo::start(state.handle().clone());
                }
            });
            let state = session::App::new(dir, app.handle().clone(), on_open);
            let notifier = notify::Notifier::new(state.notifications_setting());
            if let Some(w) = app.get_webview_window("main") {
                notifier.set_focused(w.is_focused().unwrap_or(true));
                webkit::tune(&w);
            }
            app.manage(state);
            app.manage(notifier);
            Ok(())
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::Focused(focused) = event {
                window.state::<notify::Notifier>().set_focused(*focused);
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Mode, String> {
        Mode::parse(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn the_command_line_takes_demo_and_refuses_anything_else_with_the_usage() {
        assert_eq!(parse(&[]), Ok(Mode { demo: false }));
        assert_eq!(parse(&["--demo"]), Ok(Mode { demo: true }));
        let e = parse(&["--demo", "--dmeo"]).unwrap_err();
        assert!(e.starts_with("unknown argument \"--dmeo\""), "{e}");
        assert!(e.contains("usage: conclave-desktop"), "{e}");
        assert_eq!(parse(&["--help"]).unwrap_err(), USAGE);
    }
}
