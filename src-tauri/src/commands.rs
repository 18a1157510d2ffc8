//! The IPC commands: each one is a one-line adapter into `conclave-client` (DESIGN "Parts":
//! src-tauri only wires). The [`commands!`] macro declares each command once and derives both the
//! Tauri handler and its TypeScript signature, so the two cannot drift apart.

use conclave_client::connections::ConnectionInfo;
use conclave_client::roles::RoleInfo;
use conclave_client::transport::{Consents, Device};
use conclave_client::user_key::ChangedKey;
use conclave_client::{FiledReport, MemberInfo, Message, RoomInfo};
use mimi::policy::Action;

use crate::error::IpcError;
use crate::policy::{self, CapabilityInfo, Verdict};
use crate::session::{App, Keystore, Session, SyncState};

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
    /// onboarding), `no_keyring` (the keys are in an OS keyring that cannot be reached), or
    /// `passphrase_needed` (ask for it and call again with it; a wrong one is
    /// `wrong_passphrase`).
    fn session(app, passphrase: Option<String>) -> Session {
        app.open(passphrase).await
    }

    /// Registers a new user on a hub and opens its client. `keystore` is the user's explicit
    /// choice after a `no_keyring` answer; `null` uses the default (the OS keyring). A plain
    /// `http://` hub on another machine fails with `insecure_hub` unless `insecure` is true: the
    /// user's confirmation, remembered for that URL. With the `passphrase` keystore,
    /// `passphrase` is the one the user chose.
    fn register(app, hub_url: String, name: String, keystore: Option<Keystore>, insecure: bool, passphrase: Option<String>) -> Session {
        app.register(&hub_url, &name, keystore, insecure, passphrase).await
    }

    /// This user's devices at the hub, oldest first, with each one's last activity; the
    /// session's `client` is this device.
    fn devices(app) -> Vec<Device> {
        app.with_client(|c| async move { c.devices().await }).await
    }

    /// Removes this device from its account: it leaves every room it is in and the hub revokes
    /// its token at once; the session ends with it.
    fn remove_this_device(app) -> () {
        app.with_client(|c| async move { c.remove_this_device().await }).await
    }

    /// Removes another device of this user (its client URI): the removal is signed with the
    /// user key, the hub revokes its token at once, and this device removes it from its rooms.
    fn remove_device(app, device: String) -> () {
        app.with_client(|c| async move { c.remove_device(&device).await }).await
    }

    /// Users whose key changed since this device first saw it; devices the new key approved
    /// are refused until the change is accepted. Changes come as `user_key_changed` events.
    fn changed_user_keys(app) -> Vec<ChangedKey> {
        app.with_client(|c| async move { c.changed_user_keys().await }).await
    }

    /// Accepts `user`'s new key, once the user checked with them.
    fn accept_user_key(app, user: String) -> () {
        app.with_client(|c| async move { c.accept_user_key(&user).await }).await
    }

    /// The rooms this client is in.
    fn rooms(app) -> Vec<RoomInfo> {
        app.with_client(|c| async move { c.rooms().await }).await
    }

    /// Marks everything in a room read: its unread count (in `rooms`) is 0 until the next message.
    fn mark_read(app, room: String) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.mark_read().await }).await
    }

    /// The presets a new room can start from (`private` first, the default).
    fn presets(_app) -> Vec<String> {
        Ok(policy::presets())
    }

    /// Creates a room whose roles come from `preset` (a name from `presets`); answers its URI. In
    /// a `pseudonymous` room this client joins as a fresh pseudonym, and only users connected to
    /// a member can be added.
    fn create_room(app, name: String, preset: String, pseudonymous: bool) -> String {
        app.with_client(move |c| async move { Ok(c.create_room_opts(&name, policy::preset(&preset)?, pseudonymous).await?.to_string()) }).await
    }

    /// Invites users (names on this hub, or `mimi://` user URIs) to a room.
    fn invite(app, room: String, users: Vec<String>) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.invite(&users).await }).await
    }

    /// This user's connections (needed to add each other to pseudonymous rooms), with their
    /// state: `requested`, `incoming` or `connected`.
    fn connections(app) -> Vec<ConnectionInfo> {
        app.with_client(|c| async move { c.connections().await }).await
    }

    /// Asks a user (a name on this hub or a user URI) to connect.
    fn connect(app, user: String) -> () {
        app.with_client(|c| async move { c.connect(&user).await }).await
    }

    /// Accepts a user's request to connect.
    fn accept_connection(app, user: String) -> () {
        app.with_client(|c| async move { c.accept_connection(&user).await }).await
    }

    /// The consents to be added this user gave and received, and the requests both ways
    /// (inviting someone needs their consent, or a connection with them).
    fn consents(app) -> Consents {
        app.with_client(|c| async move { c.consents().await }).await
    }

    /// Asks a user to consent to being added to rooms by this user.
    fn request_consent(app, user: String) -> () {
        app.with_client(|c| async move { c.request_consent(&user, None).await }).await
    }

    /// Consents to being added to rooms by a user.
    fn grant_consent(app, user: String) -> () {
        app.with_client(|c| async move { c.grant_consent(&user, None).await }).await
    }

    /// Withdraws the consent given to a user.
    fn revoke_consent(app, user: String) -> () {
        app.with_client(|c| async move { c.revoke_consent(&user, None).await }).await
    }

    /// Blocks a user (a name on this hub or a user URI): their connection requests and
    /// invitations no longer reach this user, and a request of theirs waiting here is dropped.
    fn block_user(app, user: String) -> () {
        app.with_client(|c| async move { c.block(&user).await }).await
    }

    /// Lifts a block; answers whether there was one.
    fn unblock_user(app, user: String) -> bool {
        app.with_client(|c| async move { c.unblock(&user).await }).await
    }

    /// The users this user blocked (user URIs).
    fn blocked_users(app) -> Vec<String> {
        app.with_client(|c| async move { c.blocked().await }).await
    }

    /// The members of a room, by user.
    fn members(app, room: String) -> Vec<MemberInfo> {
        app.with_client(|c| async move { c.resolve_room(&room)?.members().await }).await
    }

    /// The last `limit` messages of a room, oldest first.
    fn messages(app, room: String, limit: u32) -> Vec<Message> {
        app.with_client(move |c| async move { c.resolve_room(&room)?.messages(limit).await }).await
    }

    /// Sends a text message; answers its message ID.
    fn send_text(app, room: String, text: String) -> String {
        app.with_client(|c| async move { c.resolve_room(&room)?.send_text(&text).await }).await
    }

    /// Replies to a message (its ID) with text; answers the reply's ID.
    fn reply(app, room: String, to: String, text: String) -> String {
        app.with_client(|c| async move { c.resolve_room(&room)?.reply(&to, &text).await }).await
    }

    /// Reacts to a message with an emoji; answers the reaction's ID.
    fn react(app, room: String, to: String, emoji: String) -> String {
        app.with_client(|c| async move { c.resolve_room(&room)?.react(&to, &emoji).await }).await
    }

    /// Withdraws the local user's reaction with that emoji to a message.
    fn unreact(app, room: String, to: String, emoji: String) -> String {
        app.with_client(|c| async move { c.resolve_room(&room)?.unreact(&to, &emoji).await }).await
    }

    /// Replaces the text of the local user's message; answers the edit's ID.
    fn edit_message(app, room: String, id: String, text: String) -> String {
        app.with_client(|c| async move { c.resolve_room(&room)?.edit(&id, &text).await }).await
    }

    /// Deletes a message (the user's own, or anyone's with canDeleteOtherMessage).
    fn delete_message(app, room: String, id: String) -> String {
        app.with_client(|c| async move { c.resolve_room(&room)?.delete_message(&id).await }).await
    }

    /// Whether OS notifications for new messages in the background are on.
    fn notifications(app) -> bool {
        Ok(app.notifications_setting())
    }

    /// Turns OS notifications for new messages in the background on or off (remembered).
    fn set_notifications(app, enabled: bool) -> () {
        app.set_notifications_setting(enabled)?;
        app.notifier().set_enabled(enabled);
        Ok(())
    }

    /// Leaves a room.
    fn leave(app, room: String) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.leave().await }).await
    }

    /// The room's role definitions.
    fn roles(app, room: String) -> Vec<RoleInfo> {
        app.with_client(|c| async move { c.resolve_room(&room)?.roles().await }).await
    }

    /// The local user's role in a room, with its capabilities.
    fn me_in(app, room: String) -> RoleInfo {
        app.with_client(|c| async move { c.resolve_room(&room)?.me_in().await }).await
    }

    /// The policy engine's answer if the local user did `verb` now (`add`, `remove`, `kick`,
    /// `ban`, `unban`, `role`, `leave`, `send`, `receive`, `report`, `reply`, `react`, `unreact`,
    /// `edit`, `delete-own`, `delete-other`; `user` and `role` as the verb needs them): what the UI shows before the user confirms, and which actions it offers.
    fn can(app, room: String, verb: String, user: Option<String>, role: Option<String>) -> Verdict {
        app.with_client(|c| async move { let r = c.resolve_room(&room)?; Ok(r.can(&r.action(&verb, user.as_deref(), role.as_deref()).await?).await?.into()) }).await
    }

    /// The policy engine's answer if the local user replaced the room's role definitions with
    /// `roles` now (canChangeRoleDefinitions, and whether the roles are valid).
    fn can_define_roles(app, room: String, roles: Vec<RoleInfo>) -> Verdict {
        app.with_client(|c| async move { Ok(c.resolve_room(&room)?.can(&Action::UpdateRoles(policy::role_data(&roles)?)).await?.into()) }).await
    }

    /// Replaces the room's role definitions (canChangeRoleDefinitions).
    fn define_roles(app, room: String, roles: Vec<RoleInfo>) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.define_roles(&policy::role_data(&roles)?).await }).await
    }

    /// Every registered capability with its POLICY §8 group, for the role editor.
    fn capabilities(_app) -> Vec<CapabilityInfo> {
        Ok(policy::capabilities())
    }

    /// Moves another user to a role (a name or index).
    fn set_role(app, room: String, user: String, role: String) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.set_role(&user, &role).await }).await
    }

    /// Takes all of a user's devices out of the room; the user stays listed with their role.
    fn kick(app, room: String, user: String) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.kick(&user).await }).await
    }

    /// Bans a user: role `banned`, all their devices out.
    fn ban(app, room: String, user: String) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.ban(&user).await }).await
    }

    /// Unbans a user to `role` (by default the role the local user may unban to).
    fn unban(app, room: String, user: String, role: Option<String>) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.unban(&user, role.as_deref()).await }).await
    }

    /// Removes a user from the room: off the participant list, all devices out.
    fn remove_user(app, room: String, user: String) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.remove_user(&user).await }).await
    }

    /// Mutes a user: a role without canSendMessage that still receives.
    fn mute(app, room: String, user: String) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.mute(&user).await }).await
    }

    /// Gives a muted user their voice back: `role`, or the role this device remembers.
    fn unmute(app, room: String, user: String, role: Option<String>) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.unmute(&user, role.as_deref()).await }).await
    }

    /// Takes canReceiveMessage away from a user (a role without it, e.g. `suspended`).
    fn suspend(app, room: String, user: String) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.suspend(&user).await }).await
    }

    /// Gives a suspended user their messages back: `role`, or the role this device remembers.
    fn unsuspend(app, room: String, user: String, role: Option<String>) -> () {
        app.with_client(|c| async move { c.resolve_room(&room)?.unsuspend(&user, role.as_deref()).await }).await
    }

    /// Reports messages of one sender to the hub with their franks (PROTO §5.9); answers the
    /// report's id at the hub.
    fn report(app, room: String, message_ids: Vec<String>, reason: Option<String>, note: Option<String>) -> i64 {
        app.with_client(|c| async move { c.resolve_room(&room)?.report(&message_ids, reason.as_deref(), note.as_deref()).await }).await
    }

    /// The reports this device filed and the hub accepted ("My reports"), newest first.
    fn my_reports(app) -> Vec<FiledReport> {
        app.with_client(|c| async move { c.my_reports().await }).await
    }

    /// How many of the room's messages this device did not show because the local user could not
    /// receive them or their sender could not send them.
    fn hidden_count(app, room: String) -> u64 {
        app.with_client(|c| async move { c.resolve_room(&room)?.hidden_count().await }).await
    }
}
