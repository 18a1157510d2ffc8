//! `conclave`: the headless Conclave client, for scripts, bots, moderators and tests. Every
//! command is a thin call into `conclave-client`; output is text, or one JSON array with `--json`.
//! What other people wrote (texts, names, reasons) is printed through `mimi::display`: as text,
//! never as escape sequences or control characters the terminal would act on.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use conclave_client::{Client, ClientEvent, Options};
use mimi::content::{MimiContent, message_id};
use mimi::display::{json as safe_json, one_line};
use mimi::policy::{Decision, Preset};

mod passphrase;

#[derive(Parser)]
#[command(name = "conclave", version, about = "Headless Conclave (MIMI) client")]
struct Cli {
    /// The client's data directory (database; keys live in the OS keyring).
    #[arg(long, env = "CONCLAVE_HOME", global = true)]
    home: Option<PathBuf>,
    /// The hub URL; remembered in the home at `register`.
    #[arg(long, env = "CONCLAVE_HUB", global = true)]
    hub: Option<String>,
    /// Allow a plain http:// hub on another machine (tokens and messages' metadata cross the
    /// network unencrypted). Loopback hubs need no flag; `register` remembers the permission
    /// for its hub URL.
    #[arg(long, global = true)]
    insecure: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone, Copy)]
struct Json {
    /// Print one JSON array instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Register a new user NAME, or with --link a new device of NAME.
    Register {
        /// The user name.
        name: String,
        /// A one-time code from `device link` on one of NAME's devices.
        #[arg(long)]
        link: Option<String>,
    },
    /// Print this client's user, client and hub.
    Whoami {
        #[command(flatten)]
        json: Json,
    },
    /// Devices of this user.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Rooms.
    #[command(subcommand)]
    Room(RoomCmd),
    /// Send a text message; prints its message ID (hex).
    Send {
        /// Room URI or id.
        room: String,
        /// The text.
        text: String,
    },
    /// Reply to a message (its ID, as `messages --json` shows); prints the reply's ID
    /// (canReplyToMessage).
    Reply {
        /// Room URI or id.
        room: String,
        /// The message answered.
        id: String,
        /// The text.
        text: String,
    },
    /// React to a message with an emoji (canReactToMessage), or withdraw the reaction with
    /// `--remove` (canDeleteOwnReaction).
    React {
        /// Room URI or id.
        room: String,
        /// The message.
        id: String,
        /// The reaction, usually one emoji.
        emoji: String,
        /// Withdraw this reaction instead.
        #[arg(long)]
        remove: bool,
    },
    /// Replace the text of one of your messages (canEditOwnMessage).
    Edit {
        /// Room URI or id.
        room: String,
        /// The message.
        id: String,
        /// The new text.
        text: String,
    },
    /// Delete a message: your own (canDeleteOwnMessage) or anyone's (canDeleteOtherMessage).
    Delete {
        /// Room URI or id.
        room: String,
        /// The message.
        id: String,
    },
    /// Change a user's role, or the room's role definitions.
    #[command(subcommand)]
    Role(RoleCmd),
    /// Take all of a user's clients out of a room; the user stays listed (canKick).
    Kick {
        /// Room URI or id.
        room: String,
        /// The user.
        user: String,
    },
    /// Ban a user: role `banned` and all clients out (canBan).
    Ban {
        /// Room URI or id.
        room: String,
        /// The user.
        user: String,
    },
    /// Unban a user, to ROLE or the role the local user may give (canUnban).
    Unban {
        /// Room URI or id.
        room: String,
        /// The user.
        user: String,
        /// The role to give (name or index).
        role: Option<String>,
    },
    /// Remove a user from the room's participant list and all their clients (canRemoveParticipant).
    Remove {
        /// Room URI or id.
        room: String,
        /// The user.
        user: String,
    },
    /// Mute a user: move them to a role that receives but cannot send (e.g. guest).
    Mute {
        /// Room URI or id.
        room: String,
        /// The user.
        user: String,
    },
    /// Give a muted user their voice back: ROLE, or the role they had before.
    Unmute {
        /// Room URI or id.
        room: String,
        /// The user.
        user: String,
        /// The role (name or index).
        role: Option<String>,
    },
    /// Stop a user receiving the room's messages: move them to a role without
    /// canReceiveMessage (e.g. suspended).
    Suspend {
        /// Room URI or id.
        room: String,
        /// The user.
        user: String,
    },
    /// Give a suspended user the room's messages back: ROLE, or the role they had before.
    Unsuspend {
        /// Room URI or id.
        room: String,
        /// The user.
        user: String,
        /// The role (name or index).
        role: Option<String>,
    },
    /// Report messages to the hub (they carry the hub's franking proof); prints the report id.
    Report {
        /// Room URI or id.
        room: String,
        /// The message IDs (hex), all from one sender.
        #[arg(required = true)]
        message_ids: Vec<String>,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
        /// A note for the operator.
        #[arg(long)]
        note: Option<String>,
    },
    /// Ask a user to connect (needed to add each other to pseudonymous rooms).
    Connect {
        /// The user (a name on this hub or a user URI).
        user: String,
    },
    /// Block a user: their connection requests and invitations no longer reach you.
    Block {
        /// The user (a name on this hub or a user URI).
        user: String,
    },
    /// Lift a block.
    Unblock {
        /// The user (a name on this hub or a user URI).
        user: String,
    },
    /// The users you blocked.
    Blocked {
        #[command(flatten)]
        json: Json,
    },
    /// Consent to be added to rooms (a claim of someone's KeyPackages needs theirs, or a
    /// connection with them): `consent` lists what you gave, received and were asked.
    Consent {
        #[command(subcommand)]
        cmd: Option<ConsentCmd>,
        #[command(flatten)]
        json: Json,
    },
    /// This user's connections; `connections accept USER` answers a request.
    Connections {
        #[command(subcommand)]
        cmd: Option<ConnectionsCmd>,
        #[command(flatten)]
        json: Json,
    },
    /// Fetch and process everything pending, then exit.
    Sync,
    /// A room's messages in hub order.
    Messages {
        /// Room URI or id.
        room: String,
        /// At most this many (the newest).
        #[arg(long, default_value_t = 1000)]
        limit: u32,
        #[command(flatten)]
        json: Json,
    },
    /// Follow events (one JSON object a line) until interrupted.
    Tail,
    /// Other users' keys this device pinned (SECURITY.md "Devices").
    #[command(subcommand)]
    Keys(KeysCmd),
    /// The passphrase this device's keys are sealed under (CONCLAVE_KEYSTORE=passphrase).
    #[command(subcommand)]
    Passphrase(PassphraseCmd),
    /// Tools that need neither a home nor a hub.
    #[command(subcommand)]
    Debug(DebugCmd),
}

#[derive(Subcommand)]
enum DeviceCmd {
    /// Print a one-time code that lets a new device join this user.
    Link,
    /// List this user's devices, with each one's last activity.
    List {
        #[command(flatten)]
        json: Json,
    },
    /// Remove a device: its token is revoked at once and it leaves every room. Another device
    /// of this user is removed with the removal signed by the user key.
    Remove {
        /// The device's client URI or id (`device list`).
        device: String,
    },
}

#[derive(Subcommand)]
enum PassphraseCmd {
    /// Change it (asks for the current one and twice for the new one, or reads
    /// CONCLAVE_PASSPHRASE and CONCLAVE_NEW_PASSPHRASE), and re-key the database. The app and
    /// other commands on this home must be closed.
    Change,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Users whose key changed since this device first saw it: their devices approved by the
    /// new key are refused until you accept it.
    Changed {
        #[command(flatten)]
        json: Json,
    },
    /// Accept USER's new key, once you checked with them that they reset their devices.
    Accept {
        /// The user.
        user: String,
    },
}

#[derive(Subcommand)]
enum ConnectionsCmd {
    /// Accept USER's request to connect.
    Accept {
        /// The requester.
        user: String,
    },
}

#[derive(Subcommand)]
enum ConsentCmd {
    /// Ask USER to consent to being added by you (to ROOM, or any room).
    Request {
        /// The user.
        user: String,
        /// Only for this room (URI or id).
        #[arg(long)]
        room: Option<String>,
    },
    /// Withdraw your request to USER.
    Cancel {
        /// The user.
        user: String,
        /// The room the request was for.
        #[arg(long)]
        room: Option<String>,
    },
    /// Consent to being added by USER (to ROOM, or any room).
    Grant {
        /// The user.
        user: String,
        /// Only for this room (URI or id).
        #[arg(long)]
        room: Option<String>,
    },
    /// Withdraw your consent to USER (for ROOM, or every one).
    Revoke {
        /// The user.
        user: String,
        /// Only this room's.
        #[arg(long)]
        room: Option<String>,
    },
}

#[derive(Subcommand)]
enum RoleCmd {
    /// Move USER to ROLE (name or index).
    Set {
        /// Room URI or id.
        room: String,
        /// The user.
        user: String,
        /// The role.
        role: String,
    },
    /// Replace the room's role definitions with those in a JSON file (the shape of
    /// `room roles --json`, wrapped as {"roles": [...]}; see conclave-client's `roles` module).
    Define {
        /// Room URI or id.
        room: String,
        /// The JSON file.
        #[arg(long)]
        from_file: PathBuf,
    },
}

#[derive(Subcommand)]
enum RoomCmd {
    /// Create a room; prints its URI.
    Create {
        /// The room's name.
        #[arg(long, default_value = "")]
        name: String,
        /// Its roles: private (default), cooperative, strict, moderated, multi-organisation or
        /// announcement.
        #[arg(long, default_value = "private")]
        preset: String,
        /// A pseudonymous room (PROTO §6.1): every member takes part as a fresh pseudonym that
        /// only other members can resolve; only connected users can add each other.
        #[arg(long)]
        pseudonymous: bool,
    },
    /// The room's roles: capabilities, constraints, allowed role changes.
    Roles {
        /// Room URI or id.
        room: String,
        #[command(flatten)]
        json: Json,
    },
    /// How many messages of the room were not shown (sent while you could not receive, or by
    /// someone who could not send).
    Hidden {
        /// Room URI or id.
        room: String,
    },
    /// My role in a room and what it lets me do.
    Me {
        /// Room URI or id.
        room: String,
        #[command(flatten)]
        json: Json,
    },
    /// Ask the policy engine: may I do ACTION (add, remove, kick, ban, unban, role, leave, send,
    /// receive, report) now? Prints `allowed` or `denied: <reason>`.
    Can {
        /// Room URI or id.
        room: String,
        /// The action.
        action: String,
        /// The user it is done to.
        user: Option<String>,
        /// The role it moves the user to (name or index).
        #[arg(long)]
        role: Option<String>,
    },
    /// Rooms this client is in.
    List {
        #[command(flatten)]
        json: Json,
    },
    /// Invite users (names on this hub or user URIs).
    Invite {
        /// Room URI or id.
        room: String,
        /// Users.
        #[arg(required = true)]
        users: Vec<String>,
        /// The role to give them (name or index); by default the first one you may give.
        #[arg(long)]
        role: Option<String>,
    },
    /// Mark everything in a room read (its unread count goes to 0).
    Read {
        /// Room URI or id.
        room: String,
    },
    /// Members of a room.
    Members {
        /// Room URI or id.
        room: String,
        #[command(flatten)]
        json: Json,
    },
    /// Leave a room.
    Leave {
        /// Room URI or id.
        room: String,
    },
}

#[derive(Subcommand)]
enum DebugCmd {
    /// Print a MIMI content CBOR file as JSON; fails with the reason if it breaks CONTENT §6.4.
    Content {
        /// The file.
        file: PathBuf,
    },
    /// Print the message ID (hex) of a MIMI content CBOR file.
    ContentId {
        /// The file.
        file: PathBuf,
        /// Sender user URI.
        #[arg(long)]
        sender: String,
        /// Room URI.
        #[arg(long)]
        room: String,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // The data directory's modes narrowed at start are worth a line on stderr.
                .unwrap_or_else(|_| "error,conclave_sqlite::private=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Debug(cmd) => debug(cmd),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the runtime")
            .and_then(|rt| rt.block_on(run(cli))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors can quote the hub and the room's own words.
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn read_content(file: &Path) -> anyhow::Result<(Vec<u8>, MimiContent)> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let content = MimiContent::decode(&bytes)
        .with_context(|| format!("{} is not valid MIMI content", file.display()))?;
    Ok((bytes, content))
}

fn debug(cmd: DebugCmd) -> anyhow::Result<()> {
    match cmd {
        DebugCmd::Content { file } => {
            let (_, c) = read_content(&file)?;
            println!("{}", serde_json::to_string_pretty(&c.to_json())?);
        }
        DebugCmd::ContentId { file, sender, room } => {
            mimi::uri::UserUri::parse(&sender).context("--sender")?;
            mimi::uri::RoomUri::parse(&room).context("--room")?;
            let (bytes, c) = read_content(&file)?;
            println!("{}", message_id(&sender, &room, &bytes, &c.salt));
        }
    }
    Ok(())
}

fn print<T: serde::Serialize>(
    json: Json,
    items: &[T],
    text: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    if json.json {
        println!("{}", safe_json(&serde_json::to_string(items)?));
    } else {
        for i in items {
            println!("{}", text(i));
        }
    }
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let Some(home) = cli.home else {
        bail!("--home DIR (or CONCLAVE_HOME) is required for this command");
    };
    let mut options = Options::from_env()?;
    options.insecure = cli.insecure;
    if let Command::Passphrase(PassphraseCmd::Change) = &cli.command {
        return passphrase::change(&home);
    }
    passphrase::fill(
        &mut options,
        &home,
        matches!(cli.command, Command::Register { .. }),
    )?;
    if let Command::Register { name, link } = &cli.command {
        let hub = cli
            .hub
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:8480".to_owned());
        let c = Client::register(&home, &hub, name, link.as_deref(), &options).await?;
        println!("{}", c.user());
        return Ok(());
    }
    options.hub_override = cli.hub.clone();
    let c = Client::open(&home, &options)?;
    let warn_keys = !matches!(cli.command, Command::Keys(_));
    match cli.command {
        Command::Register { .. } | Command::Debug(_) | Command::Passphrase(_) => {
            unreachable!("handled above")
        }
        Command::Whoami { json } => {
            let v = serde_json::json!({
                "user": c.user().to_string(),
                "client": c.client_uri().to_string(),
                "hub": c.hub_url(),
                "keystore": c.keystore(),
            });
            if json.json {
                println!("{}", safe_json(&v.to_string()));
            } else {
                // The keystore holds the database key too (SECURITY.md "Secrets at rest").
                println!(
                    "{}\n{}\n{}\n{}; the database key is there too",
                    c.user(),
                    c.client_uri(),
                    c.hub_url(),
                    one_line(&c.keystore())
                );
            }
        }
        Command::Device(DeviceCmd::Link) => {
            let (code, _) = c.link_code().await?;
            println!("{code}");
        }
        Command::Device(DeviceCmd::List { json }) => {
            let d = c.devices().await?;
            let now = conclave_client::store::now_ms();
            print(json, &d, |d| {
                let active = match d.last_active {
                    Some(t) => format!("active {} s ago", now.saturating_sub(t) / 1000),
                    None => "never active".into(),
                };
                let removed = if d.removed { "\tremoved" } else { "" };
                format!("{}\t{active}{removed}", one_line(&d.client))
            })?;
        }
        Command::Device(DeviceCmd::Remove { device }) => {
            c.remove_device(&device).await?;
            println!("removed {}", one_line(&device));
        }
        Command::Keys(KeysCmd::Changed { json }) => {
            let k = c.changed_user_keys().await?;
            print(json, &k, |k| {
                format!("{}\t{} -> {}", one_line(&k.user), k.pinned, k.new)
            })?;
        }
        Command::Keys(KeysCmd::Accept { user }) => {
            c.accept_user_key(&user).await?;
            println!("accepted the new key of {}", one_line(&user));
        }
        Command::Room(RoomCmd::Create {
            name,
            preset,
            pseudonymous,
        }) => {
            let preset: Preset = preset
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--preset: {e}"))?;
            println!("{}", c.create_room_opts(&name, preset, pseudonymous).await?);
        }
        Command::Room(RoomCmd::Roles { room, json }) => {
            let room = c.resolve_room(&room)?;
            let roles = room.roles().await?;
            print(json, &roles, |r| {
                format!(
                    "{}\t{}\t{}",
                    r.index,
                    one_line(&r.name),
                    one_line(&r.capabilities.join(","))
                )
            })?;
        }
        Command::Room(RoomCmd::Me { room, json }) => {
            let room = c.resolve_room(&room)?;
            let me = room.me_in().await?;
            if json.json {
                let v = serde_json::json!({
                    "user": c.user().to_string(),
                    "role": me.name,
                    "role_index": me.index,
                    "capabilities": me.capabilities,
                });
                println!("{}", safe_json(&v.to_string()));
            } else {
                println!(
                    "{} ({})\n{}",
                    one_line(&me.name),
                    me.index,
                    one_line(&me.capabilities.join("\n"))
                );
            }
        }
        Command::Room(RoomCmd::Can {
            room,
            action,
            user,
            role,
        }) => {
            let room = c.resolve_room(&room)?;
            let action = room
                .action(&action, user.as_deref(), role.as_deref())
                .await?;
            match room.can(&action).await? {
                Decision::Allowed => println!("allowed"),
                Decision::Denied { rule, reason } => {
                    println!("denied: {} ({rule})", one_line(&reason));
                    std::process::exit(2);
                }
            }
        }
        Command::Role(RoleCmd::Set { room, user, role }) => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.set_role(&user, &role).await?;
        }
        Command::Role(RoleCmd::Define { room, from_file }) => {
            let room = c.resolve_room(&room)?;
            let json = std::fs::read_to_string(&from_file)
                .with_context(|| format!("reading {}", from_file.display()))?;
            let roles = conclave_client::roles::parse_file(&json)?;
            c.sync().await?;
            room.define_roles(&roles).await?;
        }
        Command::Connect { user } => {
            c.connect(&user).await?;
            println!("asked {} to connect", c.resolve_user(&user)?);
        }
        Command::Block { user } => {
            c.block(&user).await?;
            println!("blocked {}", c.resolve_user(&user)?);
        }
        Command::Unblock { user } => {
            let who = c.resolve_user(&user)?;
            if c.unblock(&user).await? {
                println!("unblocked {who}");
            } else {
                println!("{who} was not blocked");
            }
        }
        Command::Blocked { json } => {
            let list = c.blocked().await?;
            print(json, &list, |u| u.clone())?;
        }
        Command::Consent { cmd: None, json } => {
            let k = c.consents().await?;
            if json.json {
                println!("{}", safe_json(&serde_json::to_string(&k)?));
            } else {
                for (what, list) in [
                    ("granted", &k.granted),
                    ("received", &k.received),
                    ("asks you", &k.requests_in),
                    ("asked", &k.requests_out),
                ] {
                    for e in list {
                        let room = e.room.as_deref().unwrap_or("any room");
                        println!("{what}\t{}\t{}", one_line(&e.user), one_line(room));
                    }
                }
            }
        }
        Command::Consent { cmd: Some(cmd), .. } => {
            let room_of = |r: Option<String>| -> anyhow::Result<Option<mimi::uri::RoomUri>> {
                Ok(r.map(|r| c.resolve_room(&r))
                    .transpose()?
                    .map(|r| r.uri().clone()))
            };
            let said = match cmd {
                ConsentCmd::Request { user, room } => {
                    c.request_consent(&user, room_of(room)?.as_ref()).await?;
                    format!("asked {}", one_line(&user))
                }
                ConsentCmd::Cancel { user, room } => {
                    c.cancel_consent_request(&user, room_of(room)?.as_ref())
                        .await?;
                    format!("withdrew the request to {}", one_line(&user))
                }
                ConsentCmd::Grant { user, room } => {
                    c.grant_consent(&user, room_of(room)?.as_ref()).await?;
                    format!("{} may add you", one_line(&user))
                }
                ConsentCmd::Revoke { user, room } => {
                    c.revoke_consent(&user, room_of(room)?.as_ref()).await?;
                    format!("{} may no longer add you", one_line(&user))
                }
            };
            println!("{said}");
        }
        Command::Connections { cmd: None, json } => {
            c.sync().await?;
            let list = c.connections().await?;
            print(json, &list, |x| {
                format!("{}\t{}", one_line(&x.user), one_line(&x.state))
            })?;
        }
        Command::Connections {
            cmd: Some(ConnectionsCmd::Accept { user }),
            ..
        } => {
            c.sync().await?;
            c.accept_connection(&user).await?;
            println!("connected with {}", c.resolve_user(&user)?);
        }
        Command::Report {
            room,
            message_ids,
            reason,
            note,
        } => {
            let room = c.resolve_room(&room)?;
            let id = room
                .report(&message_ids, reason.as_deref(), note.as_deref())
                .await?;
            println!("{id}");
        }
        Command::Mute { room, user } => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.mute(&user).await?;
        }
        Command::Unmute { room, user, role } => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.unmute(&user, role.as_deref()).await?;
        }
        Command::Suspend { room, user } => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.suspend(&user).await?;
        }
        Command::Unsuspend { room, user, role } => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.unsuspend(&user, role.as_deref()).await?;
        }
        Command::Room(RoomCmd::Hidden { room }) => {
            let room = c.resolve_room(&room)?;
            println!("{}", room.hidden_count().await?);
        }
        Command::Kick { room, user } => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.kick(&user).await?;
        }
        Command::Ban { room, user } => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.ban(&user).await?;
        }
        Command::Unban { room, user, role } => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.unban(&user, role.as_deref()).await?;
        }
        Command::Remove { room, user } => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.remove_user(&user).await?;
        }
        Command::Room(RoomCmd::Read { room }) => {
            let room = c.resolve_room(&room)?;
            room.mark_read().await?;
        }
        Command::Room(RoomCmd::List { json }) => {
            let rooms = c.rooms().await?;
            print(json, &rooms, |r| {
                let kind = match (&r.preset, r.pseudonymous) {
                    (Some(p), true) => format!("{p}, pseudonymous"),
                    (Some(p), false) => p.clone(),
                    (None, true) => "custom roles, pseudonymous".into(),
                    (None, false) => "custom roles".into(),
                };
                format!(
                    "{}\t{}\t{kind}\t{} unread",
                    one_line(&r.uri),
                    one_line(&r.name),
                    r.unread
                )
            })?;
        }
        Command::Room(RoomCmd::Invite { room, users, role }) => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.invite_as(&users, role.as_deref()).await?;
        }
        Command::Room(RoomCmd::Members { room, json }) => {
            let room = c.resolve_room(&room)?;
            let m = room.members().await?;
            print(json, &m, |m| {
                let mut who = match (m.verified, &m.real_user, &m.reason) {
                    (Some(true), Some(real), _) => format!("\tverified: {}", one_line(real)),
                    (Some(false), _, Some(why)) => format!("\tunverified: {}", one_line(why)),
                    _ => String::new(),
                };
                if let Some(other) = &m.confusable_with {
                    who.push_str(&format!("\tconfusable with: {}", one_line(other)));
                }
                format!(
                    "{}\t{}\t{}{who}",
                    one_line(&m.user),
                    one_line(&m.role),
                    one_line(&m.clients.join(","))
                )
            })?;
        }
        Command::Room(RoomCmd::Leave { room }) => {
            let room = c.resolve_room(&room)?;
            c.sync().await?;
            room.leave().await?;
        }
        Command::Send { room, text } => {
            let room = c.resolve_room(&room)?;
            println!("{}", room.send_text(&text).await?);
        }
        Command::Reply { room, id, text } => {
            let room = c.resolve_room(&room)?;
            println!("{}", room.reply(&id, &text).await?);
        }
        Command::React {
            room,
            id,
            emoji,
            remove,
        } => {
            let room = c.resolve_room(&room)?;
            let out = if remove {
                room.unreact(&id, &emoji).await?
            } else {
                room.react(&id, &emoji).await?
            };
            println!("{out}");
        }
        Command::Edit { room, id, text } => {
            let room = c.resolve_room(&room)?;
            println!("{}", room.edit(&id, &text).await?);
        }
        Command::Delete { room, id } => {
            let room = c.resolve_room(&room)?;
            println!("{}", room.delete_message(&id).await?);
        }
        Command::Sync => {
            let r = c.sync().await?;
            eprintln!("processed {} ({} dropped)", r.processed, r.dropped);
        }
        Command::Messages { room, limit, json } => {
            let room = c.resolve_room(&room)?;
            let m = room.messages(limit).await?;
            if json.json {
                println!("{}", safe_json(&serde_json::to_string(&m)?));
            } else {
                for m in m {
                    // One line per message: a text's line breaks show as ⏎, so it cannot
                    // forge the next line.
                    let mut line = format!("{}\t{}\t", m.timestamp, one_line(&m.sender));
                    if let Some(q) = &m.reply_to {
                        let who = q.sender.as_deref().unwrap_or("an earlier message");
                        line.push_str(&format!("[reply to {}] ", one_line(who)));
                    }
                    if m.deleted {
                        line.push_str("[deleted]");
                    } else {
                        line.push_str(&one_line(m.text.as_deref().unwrap_or_default()));
                    }
                    if m.edited_at.is_some() && !m.deleted {
                        line.push_str(" (edited)");
                    }
                    for r in &m.reactions {
                        line.push_str(&format!(" {}×{}", one_line(&r.emoji), r.users.len()));
                    }
                    println!("{line}");
                }
            }
        }
        Command::Tail => {
            let mut events = c.subscribe();
            let printer = tokio::spawn(async move {
                while let Ok(e) = events.recv().await {
                    if !matches!(e, ClientEvent::Dropped { ref reason, .. } if reason.is_empty())
                        && let Ok(s) = serde_json::to_string(&e)
                    {
                        println!("{}", safe_json(&s));
                    }
                }
            });
            loop {
                tokio::select! {
                    r = c.sync_waiting(Duration::from_secs(25)) => { r?; }
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
            printer.abort();
        }
    }
    // SECURITY.md "Devices": a user whose key changed is said after every command until the
    // change is accepted.
    if warn_keys {
        for k in c.changed_user_keys().await.unwrap_or_default() {
            eprintln!(
                "warning: the user key of {} changed ({} -> {}): devices it approved are refused; check with them, then run `conclave keys accept {}`",
                one_line(&k.user),
                k.pinned,
                k.new,
                one_line(&k.user)
            );
        }
    }
    Ok(())
}
