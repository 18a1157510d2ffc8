//! Demo mode (`conclave-desktop --demo`, what `make run` opens): once the user is signed in, two
//! bot members join them in a moderated room called "Demo", so that someone alone can try
//! messages, replies, reactions, moderation (mute, suspend, ban), receive revocation and reports.
//!
//! The bots are real `conclave-client` instances on the user's hub, each on a thread of its own
//! with its own data directory under `<data dir>/demo/` and its keys in a file there (demo
//! accounts: nothing of the user's). They act only through the same client API the app uses, so
//! whatever the room's policy forbids them, the hub and every client refuse:
//!
//! - **Ada** answers every message of a person in the room (a reply where the room's roles allow
//!   one). Mute her and she cannot;
//!   suspend her and she no longer receives what is said.
//! - **Max** reacts 👍 to every message of a person, and on joining posts spam worth reporting.
//!
//! The room is created once (its URI is kept in `<data dir>/demo/room`); a later start only
//! brings the bots back online.
//!
//! The user's client invites the bots, and inviting someone needs their consent (SECURITY.md
//! "KeyPackages"): each bot, once online, consents to being added by the user who started it.
//! The consent is the bots' (demo accounts), so nothing is given away on the user's behalf.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use conclave_client::{Client, ClientEvent, Error, KeystoreKind, Message, MessageKind, Options};
use mimi::policy::Preset;
use tauri::{AppHandle, Manager};

use crate::session::App;

/// The demo room's name.
pub const ROOM_NAME: &str = "Demo";
/// The role the bots are invited as: the moderated preset's role that may send.
const BOT_ROLE: &str = "speaker";
/// How long a bot's long-poll waits for news.
const POLL: Duration = Duration::from_secs(25);
/// How long a bot waits after its hub could not be reached.
const RETRY: Duration = Duration::from_secs(3);

/// Who a bot is and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persona {
    Ada,
    Max,
}

impl Persona {
    const ALL: [Persona; 2] = [Persona::Ada, Persona::Max];

    fn name(self) -> &'static str {
        match self {
            Persona::Ada => "ada",
            Persona::Max => "max",
        }
    }

    /// What the bot posts when it joins the demo room.
    fn greeting(self) -> &'static [&'static str] {
        match self {
            Persona::Ada => &[
                "Hi, I'm Ada, a demo bot on this hub. Write something and I'll answer it. \
                 Then open Moderate… to mute me (I can no longer answer), suspend me (I no \
                 longer receive what you write) or ban me.",
            ],
            Persona::Max => &[
                "Buy cheap watches at watches.example, only today!!!",
                "(I'm Max, a demo bot. That was spam: report it with the Report button beside it. \
                 I'll also react to what you write.)",
            ],
        }
    }

    /// The bot's answer to a person's message.
    async fn answer(self, client: &Client, m: &Message) -> conclave_client::Result<()> {
        let room = client.resolve_room(&m.room)?;
        match self {
            Persona::Ada => {
                let said = m.text.as_deref().unwrap_or_default();
                let short: String = said.chars().take(80).collect();
                let ellipsis = if short.len() < said.len() { "…" } else { "" };
                let text = format!(
                    "You said “{short}{ellipsis}”. I read it, so I may still receive here."
                );
                // A reply where the room allows one (the moderated preset of POLICY App. A.3
                // gives no role canReplyToMessage), a plain message otherwise.
                match room.reply(&m.id, &text).await {
                    Err(Error::NotAllowed { rule, .. }) if rule == "canReplyToMessage" => {
                        room.send_text(&text).await?;
                    }
                    other => {
                        other?;
                    }
                }
            }
            Persona::Max => {
                room.react(&m.id, "👍").await?;
            }
        }
        Ok(())
    }
}

/// Starts demo mode for the signed-in client: the bots, then the room. Errors are logged; the
/// app itself works without its bots.
pub fn start(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        if let Err(e) = set_up(&app).await {
            tracing::error!("demo mode: {e}");
        }
    });
}

async fn set_up(app: &AppHandle) -> Result<(), String> {
    let state = app.state::<App>();
    let (hub_url, user) = state
        .with_client(|c| async move { Ok((c.hub_url().to_owned(), c.user().to_string())) })
        .await
        .map_err(|e| e.message)?;
    let dir = bots_dir(state.data_dir());
    conclave_client::private::create_dir(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;

    // The bots, each on its own thread (the client's futures are not Send).
    let bots: Arc<RwLock<HashSet<String>>> = Arc::default();
    let mut uris = Vec::new();
    for persona in Persona::ALL {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (bot_dir, hub, set) = (dir.join(persona.name()), hub_url.clone(), bots.clone());
        let owner = user.clone();
        std::thread::Builder::new()
            .name(format!("demo-{}", persona.name()))
            .spawn(move || run_bot(persona, &bot_dir, &hub, &owner, set, tx))
            .map_err(|e| format!("cannot start the bot {}: {e}", persona.name()))?;
        let uri = rx
            .await
            .map_err(|_| format!("the bot {} stopped", persona.name()))??;
        if let Ok(mut set) = bots.write() {
            set.insert(uri.clone());
        }
        uris.push(uri);
    }

    // The room, once.
    let remembered = dir.join("room");
    let known = std::fs::read_to_string(&remembered).ok();
    let rooms = state
        .with_client(|c| async move { c.rooms().await })
        .await
        .map_err(|e| e.message)?;
    if known.is_some_and(|k| rooms.iter().any(|r| r.uri == k.trim())) {
        return Ok(());
    }
    let room = state
        .with_client(move |c| async move {
            let room = c.create_room_with(ROOM_NAME, Preset::Moderated).await?;
            c.room(&room).invite_as(&uris, Some(BOT_ROLE)).await?;
            Ok(room.to_string())
        })
        .await
        .map_err(|e| e.message)?;
    conclave_client::private::write(&remembered, room.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", remembered.display()))?;
    tracing::info!(%user, %room, "demo room ready");
    Ok(())
}

/// A bot's life: open (or register) its client, consent to being added by `owner` (the user
/// who started the demo, who invites it), report its URI, then long-poll and answer.
fn run_bot(
    persona: Persona,
    dir: &Path,
    hub_url: &str,
    owner: &str,
    bots: Arc<RwLock<HashSet<String>>>,
    ready: tokio::sync::oneshot::Sender<Result<String, String>>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(format!("no runtime for the bot: {e}")));
            return;
        }
    };
    rt.block_on(async move {
        let client = match open_or_register(persona, dir, hub_url).await {
            Ok(c) => c,
            Err(e) => {
                let _ = ready.send(Err(format!("the bot {} cannot start: {e}", persona.name())));
                return;
            }
        };
        // Granted on every start: granting again changes nothing.
        if let Err(e) = client.grant_consent(owner, None).await {
            let _ = ready.send(Err(format!(
                "the bot {} cannot consent to being added by {owner}: {e}",
                persona.name()
            )));
            return;
        }
        let _ = ready.send(Ok(client.user().to_string()));
        let me = client.user().to_string();
        let mut events = client.subscribe();
        loop {
            if let Err(e) = client.sync_waiting(POLL).await {
                tracing::warn!(bot = persona.name(), "sync: {e}");
                tokio::time::sleep(RETRY).await;
            }
            while let Ok(ev) = events.try_recv() {
                let result = match ev {
                    ClientEvent::RoomJoined(r) if r.name == ROOM_NAME => {
                        greet(&client, persona, &r.uri).await
                    }
                    ClientEvent::Message(m)
                        if m.kind == MessageKind::Message
                            && !m.deleted
                            && m.sender != me
                            && !bots.read().is_ok_and(|b| b.contains(&m.sender)) =>
                    {
                        persona.answer(&client, &m).await
                    }
                    _ => Ok(()),
                };
                // Muted, suspended, banned: the policy says no, and the bot stays quiet.
                if let Err(e) = result {
                    tracing::info!(bot = persona.name(), "not answering: {e}");
                }
            }
        }
    });
}

async fn greet(client: &Client, persona: Persona, room: &str) -> conclave_client::Result<()> {
    let room = client.resolve_room(room)?;
    for line in persona.greeting() {
        room.send_text(line).await?;
    }
    Ok(())
}

/// The bot's client in `dir`, registering it on first use. A name someone else took gets a
/// number (`ada-2`, …).
async fn open_or_register(persona: Persona, dir: &Path, hub_url: &str) -> Result<Client, String> {
    let options = Options {
        keystore: KeystoreKind::File,
        // The user's own client talks to this hub: if it is plain HTTP, the user allowed that.
        insecure: true,
        ca_cert: conclave_client::transport::ca_cert_from_env(),
        ..Options::default()
    };
    if dir.exists() {
        match Client::open(dir, &options) {
            Ok(c) => return Ok(c),
            Err(e) => {
                tracing::warn!(bot = persona.name(), "starting afresh: {e}");
                std::fs::remove_dir_all(dir).map_err(|e| e.to_string())?;
            }
        }
    }
    for n in 1..=20 {
        let name = match n {
            1 => persona.name().to_owned(),
            n => format!("{}-{n}", persona.name()),
        };
        conclave_client::private::create_dir(dir).map_err(|e| e.to_string())?;
        match Client::register(dir, hub_url, &name, None, &options).await {
            Ok(c) => return Ok(c),
            Err(Error::Hub { code, .. }) if code == "user_exists" => {
                std::fs::remove_dir_all(dir).map_err(|e| e.to_string())?;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!(
        "every name like {} is taken on this hub",
        persona.name()
    ))
}

/// The demo bots' data directory under the app's.
pub fn bots_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("demo")
}
