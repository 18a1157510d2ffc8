//! The event stream UIs subscribe to ([`crate::Client::subscribe`]).

use serde::Serialize;

use crate::store::{Message, RoomInfo};

/// Something that happened, as a UI wants to hear it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientEvent {
    /// A message was stored (received, or sent by this client).
    Message(Message),
    /// A stored message changed: edited, deleted, reacted to or a reaction withdrawn. Carries
    /// its whole new view; the UI replaces the message with the same `id`.
    MessageUpdated(Message),
    /// This client joined a room.
    RoomJoined(RoomInfo),
    /// This client left or was removed from a room.
    RoomLeft {
        /// The room.
        room: String,
    },
    /// A room's membership changed (a commit was merged).
    MembersChanged {
        /// The room.
        room: String,
        /// Its new epoch.
        epoch: u64,
    },
    /// The hub refused this client's commit or message because the room had moved to a newer
    /// epoch; the client caught up and tried again.
    Retried {
        /// The room.
        room: String,
        /// The hub's epoch at the refusal.
        epoch: Option<u64>,
    },
    /// A user asked to connect (MIMIMI §5); `connections accept` answers.
    ConnectionRequested {
        /// The requester.
        user: String,
    },
    /// A connection is established.
    Connected {
        /// The peer.
        user: String,
    },
    /// A user asks this user's consent to add them to rooms (PROTO §5.7): `consent grant`
    /// answers.
    ConsentRequested {
        /// The requester.
        user: String,
        /// The room it is for, if one.
        room: Option<String>,
    },
    /// A user consented to be added by this user.
    ConsentGranted {
        /// The user who consented.
        user: String,
        /// The room it is for, if one.
        room: Option<String>,
    },
    /// Another device of this user was added to this client's rooms.
    DeviceAdded {
        /// The new device.
        client: String,
    },
    /// A user's key changed since this client pinned it (SECURITY.md "Devices"): devices the
    /// new key approved are refused until the local user accepts it
    /// ([`crate::Client::accept_user_key`]). Shown as a warning.
    UserKeyChanged {
        /// The user.
        user: String,
    },
    /// A handshake the room policy forbids arrived (a misbehaving hub, or a race); it was not
    /// applied and the room did not change.
    Refused {
        /// The room.
        room: String,
        /// The capability or constraint that failed.
        rule: String,
        /// Why.
        reason: String,
    },
    /// Something arrived that could not be used; it was dropped.
    Dropped {
        /// The room, if known.
        room: Option<String>,
        /// Why.
        reason: String,
    },
}
