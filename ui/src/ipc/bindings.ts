// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit: run
// `cargo test -p conclave-desktop bindings` and commit the result.

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
 * What went wrong, as the UI branches on it.
 */
export type ErrorCode = "no_keyring" | "keystore" | "not_registered" | "already_registered" | "not_open" | "hub" | "transport" | "unknown_room" | "invalid_input" | "not_allowed" | "nothing_to_add" | "internal";

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
 * Where the client keeps its secrets.
 */
export type Keystore = "os" | "file";

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
name: string, };

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
role_index: number, };

/**
 * A stored message.
 */
export type Message = { 
/**
 * The room.
 */
room: string, 
/**
 * Message ID, hex (CONTENT §3.3); for events, an ID derived from the room and epoch.
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
 * Its text, if it is a text message.
 */
text: string | null, 
/**
 * Hub acceptance time, ms.
 */
timestamp: number, 
/**
 * The hub's frank verified (PROTO §5.4.1.3); only verified messages can be reported.
 */
verified: boolean, };

/**
 * What a timeline row is.
 */
export type MessageKind = "message" | "event";

/**
 * Something that happened, as a UI wants to hear it.
 */
export type ClientEvent = { "type": "message" } & Message | { "type": "room_joined" } & RoomInfo | { "type": "room_left", 
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
user: string, } | { "type": "device_added", 
/**
 * The new device.
 */
client: string, } | { "type": "refused", 
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
 * The UI fell behind the event stream and must reload its rooms and the open timeline.
 */
export type Resync = { 
/**
 * How many events were missed.
 */
missed: number, };

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
   * onboarding) or `no_keyring` (the keys are in an OS keyring that cannot be reached).
   */
  session: { args: Record<string, never>; result: Session };
  /**
   * Registers a new user on a hub and opens its client. `keystore` is the user's explicit
   * choice after a `no_keyring` answer; `null` uses the default (the OS keyring).
   */
  register: { args: { hub_url: string; name: string; keystore: Keystore | null }; result: Session };
  /**
   * The rooms this client is in.
   */
  rooms: { args: Record<string, never>; result: Array<RoomInfo> };
  /**
   * Creates a room; answers its URI.
   */
  create_room: { args: { name: string }; result: string };
  /**
   * Invites users (names on this hub, or `mimi://` user URIs) to a room.
   */
  invite: { args: { room: string; users: Array<string> }; result: null };
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
   * Leaves a room.
   */
  leave: { args: { room: string }; result: null };
};

/**
 * The app's events: the payload of each.
 */
export type Events = {
  "client-event": ClientEvent;
  "sync-state": SyncState;
  "resync": Resync;
};
