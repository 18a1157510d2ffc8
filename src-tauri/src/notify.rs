//! OS notifications for new messages while the window is in the background (Settings →
//! Notifications, on by default). One notification per room, replaced as more messages come:
//! "bob in Team" with the text, or "Team: 3 new messages" once several are waiting. Focusing the
//! window closes them and starts the count again.
//!
//! They go to the desktop's notification server over D-Bus (org.freedesktop.Notifications, via
//! notify-rust). A desktop without one only gets a log line: nothing else depends on it.
//!
//! Names and texts are other people's words, shown as text (`mimi::display`): no control
//! characters or bidi controls, the title on one line, and the body's `&`, `<`, `>` escaped
//! when the server reads bodies as markup (its `body-markup` capability), so that `<a href>` or
//! `<img>` in a message is shown, not followed or fetched.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use conclave_client::{Message, MessageKind};
use mimi::display::{markup_escaped, one_line, plain};

/// How long the body of a notification gets, in characters.
const BODY_CHARS: usize = 160;

/// The app's notification state (managed by Tauri).
pub struct Notifier {
    focused: AtomicBool,
    enabled: AtomicBool,
    /// Per room: messages since the window was last focused, and the server's notification id
    /// to replace.
    rooms: Mutex<HashMap<String, (u32, Option<u32>)>>,
    /// Whether the notification server reads bodies as markup; asked at the first note.
    markup: OnceLock<bool>,
}

/// A notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The room it is about.
    pub room: String,
    /// The title line.
    pub summary: String,
    /// The text.
    pub body: String,
    /// The server's id of this room's previous notification, to replace it.
    pub replaces: Option<u32>,
}

impl Notifier {
    /// Enabled or not (the user's setting); the window counts as focused until told otherwise.
    pub fn new(enabled: bool) -> Self {
        Notifier {
            focused: AtomicBool::new(true),
            enabled: AtomicBool::new(enabled),
            rooms: Mutex::default(),
            markup: OnceLock::new(),
        }
    }

    /// The window gained or lost focus. Gaining it starts the counts again and takes the shown
    /// notifications away: the room list's unread counts now tell what they told.
    pub fn set_focused(&self, focused: bool) {
        tracing::debug!(focused, "window focus");
        self.focused.store(focused, Ordering::SeqCst);
        if !focused {
            return;
        }
        let shown: Vec<u32> = match self.rooms.lock() {
            Ok(mut rooms) => rooms.drain().filter_map(|(_, (_, id))| id).collect(),
            Err(_) => return,
        };
        if !shown.is_empty() {
            // Blocking D-Bus calls, and this runs on the UI thread.
            let closing = std::thread::Builder::new()
                .name("notifications-close".into())
                .spawn(move || close(&shown));
            if let Err(e) = closing {
                tracing::warn!("cannot start a thread to close notifications: {e}");
            }
        }
    }

    /// Turns notifications on or off.
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::SeqCst);
    }

    /// Whether they are on.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::SeqCst)
    }

    /// Whether a new message could be notified now (cheap: asked before anything is looked up).
    pub fn wanted(&self, m: &Message) -> bool {
        self.enabled()
            && !self.focused.load(Ordering::SeqCst)
            && m.kind == MessageKind::Message
            && !m.deleted
    }

    /// The notification for `m` (someone else's message in the room named `room_name`), counted
    /// against what is already waiting in its room; `None` if no longer wanted. Its summary and
    /// body are plain text.
    pub fn note(&self, m: &Message, room_name: &str, sender_name: &str) -> Option<Note> {
        if !self.wanted(m) {
            return None;
        }
        let mut rooms = self.rooms.lock().ok()?;
        let entry = rooms.entry(m.room.clone()).or_insert((0, None));
        entry.0 += 1;
        let (room_name, sender_name) = (one_line(room_name), one_line(sender_name));
        let (summary, body) = if entry.0 == 1 {
            let text = plain(
                m.text
                    .as_deref()
                    .unwrap_or("(a message this version cannot show)"),
            );
            let mut body: String = text.chars().take(BODY_CHARS).collect();
            if body.len() < text.len() {
                body.push('…');
            }
            (format!("{sender_name} in {room_name}"), body)
        } else {
            (
                format!("{room_name}: {} new messages", entry.0),
                format!("The latest from {sender_name}"),
            )
        };
        Some(Note {
            room: m.room.clone(),
            summary,
            body,
            replaces: entry.1,
        })
    }

    /// Shows a note (blocking D-Bus call, at most ~2 s: run it off the UI thread) and remembers
    /// its id so that the room's next note replaces it. `open` runs if the user clicks it (the
    /// notification's default action).
    pub fn show(&self, note: Note, open: impl FnOnce() + Send + 'static) {
        let markup = *self.markup.get_or_init(server_reads_markup);
        let mut n = notify_rust::Notification::new();
        n.appname("Conclave")
            .summary(&note.summary)
            .body(&body_for_server(&note.body, markup))
            .icon("conclave-desktop")
            .action("default", "Open");
        if let Some(id) = note.replaces {
            n.id(id);
        }
        match n.show() {
            Ok(handle) => {
                let id = handle.id();
                // A replaced notification keeps its id, and the thread already waiting for a
                // click on it; a new one gets a thread of its own.
                if note.replaces != Some(id) {
                    wait_for_click(id, open);
                }
                let recorded = self.rooms.lock().is_ok_and(|mut rooms| {
                    rooms
                        .get_mut(&note.room)
                        .map(|entry| entry.1 = Some(id))
                        .is_some()
                });
                if !recorded {
                    // The window gained focus while it was being shown.
                    close(&[id]);
                }
            }
            Err(e) => tracing::info!("no OS notification (no notification server?): {e}"),
        }
    }
}

/// Whether the notification server reads bodies as markup (freedesktop Desktop Notifications
/// `body-markup`). If it cannot be asked, it is taken to: an escaped `&lt;` shown as such is
/// better than markup acted on.
fn server_reads_markup() -> bool {
    match notify_rust::get_capabilities() {
        Ok(caps) => caps.iter().any(|c| c == "body-markup"),
        Err(e) => {
            tracing::info!("cannot ask the notification server what it supports: {e}");
            true
        }
    }
}

/// A plain-text body as sent to a server that does (`markup`) or does not read markup: the spec
/// says a server without `body-markup` shows markup as it is, so escaping there would show
/// `&lt;`.
fn body_for_server(body: &str, markup: bool) -> Cow<'_, str> {
    if markup {
        markup_escaped(body)
    } else {
        Cow::Borrowed(body)
    }
}

/// Waits, on a thread of its own, until notification `id` is clicked (then runs `open`) or closed.
/// The server announces both as D-Bus signals (ActionInvoked "default", NotificationClosed); a
/// notification is closed when the window gains focus, if not before.
fn wait_for_click(id: u32, open: impl FnOnce() + Send + 'static) {
    let waiting = std::thread::Builder::new()
        .name(format!("notification-{id}"))
        .spawn(move || {
            let waited = notify_rust::handle_action(id, |response| {
                if let notify_rust::ActionResponse::Custom("default") = response {
                    open();
                }
            });
            if let Err(e) = waited {
                tracing::info!("cannot wait for clicks on notification {id}: {e}");
            }
        });
    if let Err(e) = waiting {
        tracing::warn!("cannot start a thread for notification {id}: {e}");
    }
}

/// Asks the notification server to close these notifications (which also ends the threads
/// waiting for clicks on them: the server announces NotificationClosed).
fn close(ids: &[u32]) {
    let closed = dbus::blocking::Connection::new_session().and_then(|bus| {
        let server = bus.with_proxy(
            "org.freedesktop.Notifications",
            "/org/freedesktop/Notifications",
            std::time::Duration::from_secs(2),
        );
        ids.iter().try_for_each(|id| {
            server.method_call::<(), _, _, _>(
                "org.freedesktop.Notifications",
                "CloseNotification",
                (*id,),
            )
        })
    });
    if let Err(e) = closed {
        tracing::info!("cannot close notifications {ids:?}: {e}");
    }
}

/// The name a notification gives a sender: the user's local name; in a pseudonymous room, not
/// the pseudonym's random one.
pub fn sender_name(sender: &str, pseudonymous: bool) -> String {
    if pseudonymous {
        return "A member".into();
    }
    sender.rsplit('/').next().unwrap_or(sender).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(room: &str, text: &str) -> Message {
        Message::new(
            room,
            "00".into(),
            MessageKind::Message,
            "mimi://h/u/bob".into(),
            "mimi://h/d/1".into(),
            Some(text.into()),
            1,
        )
    }

    #[test]
    fn notes_only_while_unfocused_and_enabled_and_count_per_room_until_focused() {
        let n = Notifier::new(true);
        assert_eq!(n.note(&message("r1", "hi"), "Team", "bob"), None, "focused");
        n.set_focused(false);
        let first = n.note(&message("r1", "hi"), "Team", "bob").unwrap();
        assert_eq!(
            (first.summary.as_str(), first.body.as_str()),
            ("bob in Team", "hi")
        );
        let second = n.note(&message("r1", "again"), "Team", "bob").unwrap();
        assert_eq!(second.summary, "Team: 2 new messages");
        let other = n.note(&message("r2", "elsewhere"), "Other", "bob").unwrap();
        assert_eq!(other.summary, "bob in Other");
        n.set_focused(true);
        n.set_focused(false);
        let fresh = n.note(&message("r1", "after"), "Team", "bob").unwrap();
        assert_eq!(
            fresh.summary, "bob in Team",
            "focusing starts the count again"
        );
        n.set_enabled(false);
        assert_eq!(n.note(&message("r1", "off"), "Team", "bob"), None);
    }

    #[test]
    fn hostile_names_and_texts_are_shown_as_text_and_markup_is_escaped_for_servers_that_read_it() {
        let n = Notifier::new(true);
        n.set_focused(false);
        let text = "<b>urgent</b> <a href=\"https://evil.example\">your bank</a> & \u{1b}]52;c;eA==\u{7}\u{202e}gpj.exe\rhi";
        let note = n
            .note(&message("r", text), "Team\u{1b}[2J\n", "bob\u{202e}")
            .unwrap();
        assert_eq!(note.summary, "bob in Team⏎");
        assert_eq!(
            note.body,
            "<b>urgent</b> <a href=\"https://evil.example\">your bank</a> & gpj.exe\nhi"
        );
        assert_eq!(
            body_for_server(&note.body, true),
            "&lt;b&gt;urgent&lt;/b&gt; &lt;a href=\"https://evil.example\"&gt;your bank&lt;/a&gt; &amp; gpj.exe\nhi"
        );
        assert_eq!(body_for_server(&note.body, false), note.body);
    }

    #[test]
    fn long_texts_are_cut_and_events_and_deleted_messages_are_not_notified() {
        let n = Notifier::new(true);
        n.set_focused(false);
        let long = "x".repeat(500);
        let note = n.note(&message("r", &long), "Team", "bob").unwrap();
        assert_eq!(note.body.chars().count(), BODY_CHARS + 1);
        let mut event = message("r", "joined");
        event.kind = MessageKind::Event;
        assert!(!n.wanted(&event));
        let mut deleted = message("r", "gone");
        deleted.deleted = true;
        assert!(!n.wanted(&deleted));
        assert_eq!(sender_name("mimi://h/u/bob", false), "bob");
        assert_eq!(sender_name("mimi://h/u/x7f3", true), "A member");
    }
}
