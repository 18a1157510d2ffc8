//! The IPC commands: each one is a one-line adapter into `conclave-client` (DESIGN "Parts":
//! src-tauri only wires). The [`commands!`] macro declares each command once and derives both the
//! Tauri handler and its TypeScript signature, so the two cannot drift apart.

use conclave_client::{MemberInfo, Message, RoomInfo};

use crate::error::IpcError;
use crate::events::SyncState;
use crate::session::{App, Keystore, Session};

/// A command's TypeScript signature.
pub struct Signature {
    /// The command name, as `invoke` takes it.
    pub name: &'static str,
    /// Its doc comment.
    pub docs: &'static str,
    /// Argument names (snake_case, as sent) and TypeScript types.
    pub args: Vec<(&'static str, String)>,
    /// The TypeScript type of its result.
    pub result: String,
}

macro_rules! commands {
    ($(
        $(#[doc = $doc:literal])+
        fn $name:ident($app:ident $(, $arg:ident: $ty:ty)*) -> $ret:ty $body:block
    )*) => {
        $(
            $(#[doc = $doc])+
            #[tauri::command(rename_all = "snake_case")]
            pub async fn $name(
                $app: tauri::State<'_, App> $(, $arg: $ty)*
            ) -> Result<$ret, IpcError> $body
        )*

        /// The handler to give `tauri::Builder::invoke_handler`.
        pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// Visits every argument and result type, for the TypeScript bindings.
        pub fn visit_types(v: &mut impl ts_rs::TypeVisitor) {
            $($(v.visit::<$ty>();)* v.visit::<$ret>();)*
        }

        /// Every command's signature, for the TypeScript bindings.
        pub fn signatures(cfg: &ts_rs::Config) -> Vec<Signature> {
            vec![$(Signature {
                name: stringify!($name),
                docs: concat!($($doc, "\n"),+),
                args: vec![$((stringify!($arg), <$ty as ts_rs::TS>::name(cfg))),*],
                result: <$ret as ts_rs::TS>::name(cfg),
            }),*]
        }
    };
}

commands! {
    /// The data directory (`CONCLAVE_HOME`, or the OS data directory's `conclave` folder).
    fn data_dir(app) -> String {
        Ok(app.data_dir().display().to_string())
    }

    /// Whether the app reaches its hub (`null` until the first sync answered); later changes
    /// come as `sync-state` events.
    fn sync_state(app) -> Option<SyncState> {
        Ok(app.sync_state())
    }

    /// Opens the client registered in the data directory. Fails with `not_registered` (show
    /// onboarding) or `no_keyring` (the keys are in an OS keyring that cannot be reached).
    fn session(app) -> Session {
        app.open().await
    }

    /// Registers a new user on a hub and opens its client. `keystore` is the user's explicit
    /// choice after a `no_keyring` answer; `null` uses the default (the OS keyring).
    fn register(app, hub_url: String, name: String, keystore: Option<Keystore>) -> Session {
        app.register(&hub_url, &name, keystore).await
    }

    /// The rooms this client is in.
    fn rooms(app) -> Vec<RoomInfo> {
        app.with_client(|c| async move { c.rooms().await }).await
    }

    /// Creates a room; answers its URI.
    fn create_room(app, name: String) -> String {
        app.with_client(|c| async move { Ok(c.create_room(&name).await?.to_string()) }).await
    }

    /// Invites users (names on this hub, or `mimi://` user URIs) to a room.
    fn invite(app, room: String, users: Vec<String>) -> () {
        app.with_client(|c| async move { c.invite(&c.resolve_room(&room)?, &users).await }).await
    }

    /// The members of a room, by user.
    fn members(app, room: String) -> Vec<MemberInfo> {
        app.with_client(|c| async move { c.members(&c.resolve_room(&room)?).await }).await
    }

    /// The last `limit` messages of a room, oldest first.
    fn messages(app, room: String, limit: u32) -> Vec<Message> {
        app.with_client(move |c| async move { c.messages(&c.resolve_room(&room)?, limit).await }).await
    }

    /// Sends a text message; answers its message ID.
    fn send_text(app, room: String, text: String) -> String {
        app.with_client(|c| async move { c.send_text(&c.resolve_room(&room)?, &text).await }).await
    }

    /// Leaves a room.
    fn leave(app, room: String) -> () {
        app.with_client(|c| async move { c.leave(&c.resolve_room(&room)?).await }).await
    }
}
