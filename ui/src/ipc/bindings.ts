// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit: run
// `cargo test -p conclave-desktop bindings` and commit the result.

/**
 * One capability of the MIMI registry (POLICY §8, §10.2).
 */
export type CapabilityInfo = { 
/**
 * The code point.
 */
code: number, 
/**
 * The draft's name, as role definitions spell it.
 */
name: string, 
/**
 * The POLICY §8 group it belongs to.
 */
group: string, 
/**
 * Reserved: known, but no action consults it, so holding it grants nothing.
 */
reserved: boolean, };

/**
 * A user whose key changed since it was pinned.
 */
export type ChangedKey = { 
/**
 * The user.
 */
user: string, 
/**
 * When the new key was first seen, ms.
 */
seen_at: number, 
/**
 * The pinned key's fingerprint and the new one's (hex of their first 8 bytes).
 */
pinned: string, 
/**
 * The new key's fingerprint.
 */
new: string, };

/**
 * Something that happened, as a UI wants to hear it.
 */
export type ClientEvent = { "type": "message" } & Message | { "type": "message_updated" } & Message | { "type": "room_joined" } & RoomInfo | { "type": "room_left", 
/**
 * The room.
 */
room: string, } | { "type": "members_changed", 
/**
 * The room.
 */
room: string, 
/**
 * Its new epoch.
 */
epoch: number, } | { "type": "retried", 
/**
 * The room.
 */
room: string, 
/**
 * The hub's epoch at the refusal.
 */
epoch: number | null, } | { "type": "connection_requested", 
/**
 * The requester.
 */
user: string, } | { "type": "connected", 
/**
 * The peer.
 */
user: string, } | { "type": "consent_requested", 
/**
 * The requester.
 */
user: string, 
/**
 * The room it is for, if one.
 */
room: string | null, } | { "type": "consent_granted", 
/**
 * The user who consented.
 */
user: string, 
/**
 * The room it is for, if one.
 */
room: string | null, } | { "type": "device_added", 
/**
 * The new device.
 */
client: string, } | { "type": "user_key_changed", 
/**
 * The user.
 */
user: string, } | { "type": "refused", 
/**
 * The room.
 */
room: string, 
/**
 * The capability or constraint that failed.
 */
rule: string, 
/**
 * Why.
 */
reason: string, } | { "type": "dropped", 
/**
 * The room, if known.
 */
room: string | null, 
/**
 * Why.
 */
reason: string, };

/**
 * A connection as listed to users.
 */
export type ConnectionInfo = { 
/**
 * The peer's user URI.
 */
user: string, 
/**
 * `requested` (we asked), `incoming` (they asked) or `connected`.
 */
state: string, };

/**
 * One consent to be added, or one request for it (`GET /v1/consent`).
 */
export type ConsentEntry = { 
/**
 * The other user.
 */
user: string, 
/**
 * The room it is for; none for any room.
 */
room: string | null, };

/**
 * This user's consents to be added (SECURITY.md "KeyPackages"; PROTO §5.7).
 */
export type Consents = { 
/**
 * Users this user consented to be added by.
 */
granted: Array<ConsentEntry>, 
/**
 * Users who consented to be added by this user.
 */
received: Array<ConsentEntry>, 
/**
 * Users who ask this user's consent.
 */
requests_in: Array<ConsentEntry>, 
/**
 * Users this user asked.
 */
requests_out: Array<ConsentEntry>, };

/**
 * A device of the user.
 */
export type Device = { 
/**
 * Client URI.
 */
client: string, 
/**
 * Registration time, ms.
 */
created_at: number, 
/**
 * Its last request, ms, as the hub noted it (at most once a minute).
 */
last_active: number | null, 
/**
 * Whether it removed itself.
 */
removed: boolean, };

/**
 * What went wrong, as the UI branches on it.
 */
export type ErrorCode = "no_keyring" | "passphrase_needed" | "wrong_passphrase" | "keystore" | "not_registered" | "already_registered" | "not_open" | "hub" | "transport" | "insecure_hub" | "unknown_room" | "invalid_input" | "not_allowed" | "nothing_to_add" | "no_consent" | "internal";

/**
 * An abuse report this client filed.
 */
export type FiledReport = { 
/**
 * The hub's id for it.
 */
id: number, 
/**
 * The room.
 */
room: string, 
/**
 * Whom it accuses (as the room names them: a pseudonym in a pseudonymous room).
 */
abuser: string, 
/**
 * The reported messages' IDs (hex).
 */
message_ids: Array<string>, 
/**
 * The reason given.
 */
reason: string, 
/**
 * The note.
 */
note: string, 
/**
 * When the hub accepted it, ms.
 */
filed_at: number, };

/**
 * The error every command returns.
 */
export type IpcError = { 
/**
 * What went wrong, for the UI to branch on.
 */
code: ErrorCode, 
/**
 * A sentence for the user.
 */
message: string, 
/**
 * The hub's stable code when `code` is `hub` (for example `not_allowed`).
 */
hub_code: string | null, };

/**
 * Where the client keeps its secrets.
 */
export type Keystore = "os" | "file" | "passphrase";

/**
 * A member as listed to users: a listed user, its role and its clients in the room.
 */
export type MemberInfo = { 
/**
 * The user URI.
 */
user: string, 
/**
 * Its client URIs in the room (none for a kicked or banned user).
 */
clients: Array<string>, 
/**
 * Its role's name.
 */
role: string, 
/**
 * Its role's index in `roles_list`.
 */
role_index: number, 
/**
 * Pseudonymous rooms (`user` is then a user pseudonym): the real user behind it, if every
 * one of its clients resolved (`specs/mimi.md` §4.7).
 */
real_user: string | null, 
/**
 * Pseudonymous rooms: whether the pseudonym resolved to a real user; `None` elsewhere (and
 * for a listed pseudonym with no client in the room).
 */
verified: boolean | null, 
/**
 * Why the pseudonym is unverified: the first failed check's sentence.
 */
reason: string | null, 
/**
 * Why it is unverified, as a stable code (`mimi::identity::Unresolved::code`).
 */
reason_code: string | null, 
/**
 * Another member whose name looks like this one's (`mimi::display::confusable_with`): its
 * verified real user, else its user URI. Both are marked.
 */
confusable_with: string | null, };

/**
 * A timeline message (or history event) as it stands now: edits applied, deletes shown as
 * such, its reactions gathered (CONTENT §3, §4.3).
 */
export type Message = { 
/**
 * The room.
 */
room: string, 
/**
 * Message ID, hex (CONTENT §3.3) of the first version; for events, an ID derived from the
 * room and epoch.
 */
id: string, 
/**
 * A message or a history event.
 */
kind: MessageKind, 
/**
 * Sender's user URI.
 */
sender: string, 
/**
 * Sender's client URI.
 */
sender_client: string, 
/**
 * Its text (the newest version's), if it is a text message that was not deleted.
 */
text: string | null, 
/**
 * Hub acceptance time of the first version, ms.
 */
timestamp: number, 
/**
 * The hub's frank verified (PROTO §5.4.1.3); only verified messages can be reported.
 */
verified: boolean, 
/**
 * The message this one answers, if it is a reply.
 */
reply_to: Quote | null, 
/**
 * Reactions to it, one entry per emoji in the order they first came.
 */
reactions: Array<Reaction>, 
/**
 * Hub time of the newest edit, ms; `None` if it was never edited.
 */
edited_at: number | null, 
/**
 * Deleted by its sender or a moderator; the text is gone.
 */
deleted: boolean, };

/**
 * What a timeline row is.
 */
export type MessageKind = "message" | "event";

/**
 * The user asked, from outside the window (a notification), to see a room.
 */
export type OpenRoom = { 
/**
 * The room's URI.
 */
room: string, };

/**
 * The message a reply answers, as the reply shows it.
 */
export type Quote = { 
/**
 * Its ID (first version), hex.
 */
id: string, 
/**
 * Its sender, if this client has it (a reply may answer a message from before the join).
 */
sender: string | null, 
/**
 * Its current text, if this client has it and it was not deleted.
 */
text: string | null, 
/**
 * It was deleted.
 */
deleted: boolean, };

/**
 * One emoji's reactions to a message.
 */
export type Reaction = { 
/**
 * The reaction's text (usually one emoji).
 */
emoji: string, 
/**
 * Who reacted so, in order.
 */
users: Array<string>, };

/**
 * The UI fell behind the event stream and must reload its rooms and the open timeline.
 */
export type Resync = { 
/**
 * How many events were missed.
 */
missed: number, };

/**
 * One `SingleSourceRoleChangeTargets`.
 */
export type RoleChanges = { 
/**
 * `from_role_index`.
 */
from: number, 
/**
 * `target_role_indexes`.
 */
to: Array<number>, };

/**
 * One role.
 */
export type RoleInfo = { 
/**
 * `role_index`.
 */
index: number, 
/**
 * `role_name`.
 */
name: string, 
/**
 * `role_description`.
 */
description: string, 
/**
 * `role_capabilities`, by name.
 */
capabilities: Array<string>, 
/**
 * `minimum_participants_constraint`.
 */
min_participants: number, 
/**
 * `maximum_participants_constraint` (none: unlimited).
 */
max_participants: number | null, 
/**
 * `minimum_active_participants_constraint`.
 */
min_active: number, 
/**
 * `maximum_active_participants_constraint` (none: unlimited).
 */
max_active: number | null, 
/**
 * `authorized_role_changes`.
 */
authorized_role_changes: Array<RoleChanges>, };

/**
 * A room this client is in.
 */
export type RoomInfo = { 
/**
 * The room URI.
 */
uri: string, 
/**
 * Its name (may be empty).
 */
name: string, 
/**
 * The preset its roles are (`private`, `moderated`, …); `None` once its roles were edited.
 */
preset: string | null, 
/**
 * Whether it is a pseudonymous room.
 */
pseudonymous: boolean, 
/**
 * Messages from others after the read marker ([`crate::Room::mark_read`]).
 */
unread: number, };

/**
 * Who is signed in, for the UI.
 */
export type Session = { 
/**
 * The user URI.
 */
user: string, 
/**
 * This device's client URI.
 */
client: string, 
/**
 * The hub this client talks to.
 */
hub_url: string, 
/**
 * Where the keys are.
 */
keystore: Keystore, 
/**
 * The data directory.
 */
data_dir: string, };

/**
 * Whether the app is in touch with its hub.
 */
export type SyncState = { "state": "online" } | { "state": "offline", 
/**
 * Why.
 */
error: IpcError, 
/**
 * Seconds until the next attempt.
 */
retry_in: number, };

/**
 * The policy engine's answer to one action, as the UI shows it before the user confirms.
 */
export type Verdict = { "answer": "allowed" } | { "answer": "denied", 
/**
 * The capability or constraint that failed (e.g. `canBan`).
 */
rule: string, 
/**
 * The engine's sentence (e.g. "… (moderator) cannot ban …: moderator has no canBan").
 */
reason: string, };

/**
 * The app's commands: the arguments and the result of each.
 */
export type Commands = {
  /**
   * The data directory (`CONCLAVE_HOME`, or the OS data directory's `conclave` folder).
   */
  data_dir: { args: Record<string, never>; result: string };
  /**
   * Whether the app reaches its hub (`null` until the first sync answered); later changes
   * come as `sync-state` events.
   */
  sync_state: { args: Record<string, never>; result: SyncState | null };
  /**
   * Opens the client registered in the data directory. Fails with `not_registered` (show
   * onboarding), `no_keyring` (the keys are in an OS keyring that cannot be reached), or
   * `passphrase_needed` (ask for it and call again with it; a wrong one is
   * `wrong_passphrase`).
   */
  session: { args: { passphrase: string | null }; result: Session };
  /**
   * Registers a new user on a hub and opens its client. `keystore` is the user's explicit
   * choice after a `no_keyring` answer; `null` uses the default (the OS keyring). A plain
   * `http://` hub on another machine fails with `insecure_hub` unless `insecure` is true: the
   * user's confirmation, remembered for that URL. With the `passphrase` keystore,
   * `passphrase` is the one the user chose.
   */
  register: { args: { hub_url: string; name: string; keystore: Keystore | null; insecure: boolean; passphrase: string | null }; result: Session };
  /**
   * This user's devices at the hub, oldest first, with each one's last activity; the
   * session's `client` is this device.
   */
  devices: { args: Record<string, never>; result: Array<Device> };
  /**
   * Removes this device from its account: it leaves every room it is in and the hub revokes
   * its token at once; the session ends with it.
   */
  remove_this_device: { args: Record<string, never>; result: null };
  /**
   * Removes another device of this user (its client URI): the removal is signed with the
   * user key, the hub revokes its token at once, and this device removes it from its rooms.
   */
  remove_device: { args: { device: string }; result: null };
  /**
   * Users whose key changed since this device first saw it; devices the new key approved
   * are refused until the change is accepted. Changes come as `user_key_changed` events.
   */
  changed_user_keys: { args: Record<string, never>; result: Array<ChangedKey> };
  /**
   * Accepts `user`'s new key, once the user checked with them.
   */
  accept_user_key: { args: { user: string }; result: null };
  /**
   * The rooms this client is in.
   */
  rooms: { args: Record<string, never>; result: Array<RoomInfo> };
  /**
   * Marks everything in a room read: its unread count (in `rooms`) is 0 until the next message.
   */
  mark_read: { args: { room: string }; result: null };
  /**
   * The presets a new room can start from (`private` first, the default).
   */
  presets: { args: Record<string, never>; result: Array<string> };
  /**
   * Creates a room whose roles come from `preset` (a name from `presets`); answers its URI. In
   * a `pseudonymous` room this client joins as a fresh pseudonym, and only users connected to
   * a member can be added.
   */
  create_room: { args: { name: string; preset: string; pseudonymous: boolean }; result: string };
  /**
   * Invites users (names on this hub, or `mimi://` user URIs) to a room.
   */
  invite: { args: { room: string; users: Array<string> }; result: null };
  /**
   * This user's connections (needed to add each other to pseudonymous rooms), with their
   * state: `requested`, `incoming` or `connected`.
   */
  connections: { args: Record<string, never>; result: Array<ConnectionInfo> };
  /**
   * Asks a user (a name on this hub or a user URI) to connect.
   */
  connect: { args: { user: string }; result: null };
  /**
   * Accepts a user's request to connect.
   */
  accept_connection: { args: { user: string }; result: null };
  /**
   * The consents to be added this user gave and received, and the requests both ways
   * (inviting someone needs their consent, or a connection with them).
   */
  consents: { args: Record<string, never>; result: Consents };
  /**
   * Asks a user to consent to being added to rooms by this user.
   */
  request_consent: { args: { user: string }; result: null };
  /**
   * Consents to being added to rooms by a user.
   */
  grant_consent: { args: { user: string }; result: null };
  /**
   * Withdraws the consent given to a user.
   */
  revoke_consent: { args: { user: string }; result: null };
  /**
   * Blocks a user (a name on this hub or a user URI): their connection requests and
   * invitations no longer reach this user, and a request of theirs waiting here is dropped.
   */
  block_user: { args: { user: string }; result: null };
  /**
   * Lifts a block; answers whether there was one.
   */
  unblock_user: { args: { user: string }; result: boolean };
  /**
   * The users this user blocked (user URIs).
   */
  blocked_users: { args: Record<string, never>; result: Array<string> };
  /**
   * The members of a room, by user.
   */
  members: { args: { room: string }; result: Array<MemberInfo> };
  /**
   * The last `limit` messages of a room, oldest first.
   */
  messages: { args: { room: string; limit: number }; result: Array<Message> };
  /**
   * Sends a text message; answers its message ID.
   */
  send_text: { args: { room: string; text: string }; result: string };
  /**
   * Replies to a message (its ID) with text; answers the reply's ID.
   */
  reply: { args: { room: string; to: string; text: string }; result: string };
  /**
   * Reacts to a message with an emoji; answers the reaction's ID.
   */
  react: { args: { room: string; to: string; emoji: string }; result: string };
  /**
   * Withdraws the local user's reaction with that emoji to a message.
   */
  unreact: { args: { room: string; to: string; emoji: string }; result: string };
  /**
   * Replaces the text of the local user's message; answers the edit's ID.
   */
  edit_message: { args: { room: string; id: string; text: string }; result: string };
  /**
   * Deletes a message (the user's own, or anyone's with canDeleteOtherMessage).
   */
  delete_message: { args: { room: string; id: string }; result: string };
  /**
   * Whether OS notifications for new messages in the background are on.
   */
  notifications: { args: Record<string, never>; result: boolean };
  /**
   * Turns OS notifications for new messages in the background on or off (remembered).
   */
  set_notifications: { args: { enabled: boolean }; result: null };
  /**
   * Leaves a room.
   */
  leave: { args: { room: string }; result: null };
  /**
   * The room's role definitions.
   */
  roles: { args: { room: string }; result: Array<RoleInfo> };
  /**
   * The local user's role in a room, with its capabilities.
   */
  me_in: { args: { room: string }; result: RoleInfo };
  /**
   * The policy engine's answer if the local user did `verb` now (`add`, `remove`, `kick`,
   * `ban`, `unban`, `role`, `leave`, `send`, `receive`, `report`, `reply`, `react`, `unreact`,
   * `edit`, `delete-own`, `delete-other`; `user` and `role` as the verb needs them): what the UI shows before the user confirms, and which actions it offers.
   */
  can: { args: { room: string; verb: string; user: string | null; role: string | null }; result: Verdict };
  /**
   * The policy engine's answer if the local user replaced the room's role definitions with
   * `roles` now (canChangeRoleDefinitions, and whether the roles are valid).
   */
  can_define_roles: { args: { room: string; roles: Array<RoleInfo> }; result: Verdict };
  /**
   * Replaces the room's role definitions (canChangeRoleDefinitions).
   */
  define_roles: { args: { room: string; roles: Array<RoleInfo> }; result: null };
  /**
   * Every registered capability with its POLICY §8 group, for the role editor.
   */
  capabilities: { args: Record<string, never>; result: Array<CapabilityInfo> };
  /**
   * Moves another user to a role (a name or index).
   */
  set_role: { args: { room: string; user: string; role: string }; result: null };
  /**
   * Takes all of a user's devices out of the room; the user stays listed with their role.
   */
  kick: { args: { room: string; user: string }; result: null };
  /**
   * Bans a user: role `banned`, all their devices out.
   */
  ban: { args: { room: string; user: string }; result: null };
  /**
   * Unbans a user to `role` (by default the role the local user may unban to).
   */
  unban: { args: { room: string; user: string; role: string | null }; result: null };
  /**
   * Removes a user from the room: off the participant list, all devices out.
   */
  remove_user: { args: { room: string; user: string }; result: null };
  /**
   * Mutes a user: a role without canSendMessage that still receives.
   */
  mute: { args: { room: string; user: string }; result: null };
  /**
   * Gives a muted user their voice back: `role`, or the role this device remembers.
   */
  unmute: { args: { room: string; user: string; role: string | null }; result: null };
  /**
   * Takes canReceiveMessage away from a user (a role without it, e.g. `suspended`).
   */
  suspend: { args: { room: string; user: string }; result: null };
  /**
   * Gives a suspended user their messages back: `role`, or the role this device remembers.
   */
  unsuspend: { args: { room: string; user: string; role: string | null }; result: null };
  /**
   * Reports messages of one sender to the hub with their franks (PROTO §5.9); answers the
   * report's id at the hub.
   */
  report: { args: { room: string; message_ids: Array<string>; reason: string | null; note: string | null }; result: number };
  /**
   * The reports this device filed and the hub accepted ("My reports"), newest first.
   */
  my_reports: { args: Record<string, never>; result: Array<FiledReport> };
  /**
   * How many of the room's messages this device did not show because the local user could not
   * receive them or their sender could not send them.
   */
  hidden_count: { args: { room: string }; result: number };
};

/**
 * The app's events: the payload of each.
 */
export type Events = {
  "client-event": ClientEvent;
  "sync-state": SyncState;
  "resync": Resync;
  "open-room": OpenRoom;
};
