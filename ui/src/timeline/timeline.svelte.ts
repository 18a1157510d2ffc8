// The open room's messages, in hub order, and the rows the timeline shows (messages with day
// separators between days).
import { asIpcError, call, type ClientEvent, type IpcError, type Message } from "../ipc";
import { dayKey } from "./format";

/** How many of the latest messages a room shows first, at once. */
const FIRST_PAGE = 100;
/** How many messages a room loads right after: all of them, for any room this app is meant for. */
export const HISTORY_LIMIT = 100_000;
/** Messages from one sender closer together than this are shown as one group. */
const GROUP_GAP_MS = 5 * 60 * 1000;

export type Row =
  | { kind: "day"; key: string; timestamp: number }
  | { kind: "message"; key: string; message: Message; continued: boolean }
  /** A room history event (membership or role change), shown as a line of its own. */
  | { kind: "event"; key: string; message: Message };

function byHubOrder(a: Message, b: Message): number {
  return a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Turns messages (in hub order) into rows. */
export function toRows(messages: Message[]): Row[] {
  const rows: Row[] = [];
  let day = "";
  let prev: Message | null = null;
  for (const m of messages) {
    const d = dayKey(m.timestamp);
    if (d !== day) {
      rows.push({ kind: "day", key: `day:${d}`, timestamp: m.timestamp });
      day = d;
      prev = null;
    }
    if (m.kind === "event") {
      rows.push({ kind: "event", key: m.id, message: m });
      prev = null;
      continue;
    }
    const continued =
      prev !== null && prev.sender === m.sender && m.timestamp - prev.timestamp < GROUP_GAP_MS;
    rows.push({ kind: "message", key: m.id, message: m, continued });
    prev = m;
  }
  return rows;
}

class TimelineState {
  room = $state<string | null>(null);
  messages = $state.raw<Message[]>([]);
  loading = $state(false);
  error = $state<IpcError | null>(null);
  rows = $derived(toRows(this.messages));
  private ids = new Set<string>();

  async open(room: string | null): Promise<void> {
    this.room = room;
    this.messages = [];
    this.ids = new Set();
    this.error = null;
    if (!room) return;
    this.loading = true;
    try {
      // The latest messages first, so that the room is there at once; then the whole history.
      const recent = await call("messages", { room, limit: FIRST_PAGE });
      if (this.room !== room) return;
      this.replace(recent);
      this.loading = false;
      if (recent.length < FIRST_PAGE) return;
      const all = await call("messages", { room, limit: HISTORY_LIMIT });
      if (this.room !== room) return;
      this.replace(all);
    } catch (e) {
      if (this.room === room) this.error = asIpcError(e);
    } finally {
      if (this.room === room) this.loading = false;
    }
  }

  /** Shows `list` (in hub order), keeping any message that arrived meanwhile. */
  private replace(list: Message[]): void {
    const known = new Set(list.map((m) => m.id));
    const arrived = this.messages.filter((m) => !known.has(m.id));
    this.ids = known;
    this.messages = list;
    for (const m of arrived) this.add(m);
  }

  /** Adds a message if it is new, keeping hub order. */
  add(m: Message): void {
    if (m.room !== this.room || this.ids.has(m.id)) return;
    this.ids.add(m.id);
    const list = this.messages;
    const last = list[list.length - 1];
    if (!last || byHubOrder(last, m) <= 0) {
      this.messages = [...list, m];
    } else {
      this.messages = [...list, m].sort(byHubOrder);
    }
  }

  /** Replaces a shown message with its new view (edited, deleted, reacted to). */
  update(m: Message): void {
    if (m.room !== this.room || !this.ids.has(m.id)) return;
    this.messages = this.messages.map((old) => {
      if (old.id === m.id) return m;
      // A reply shows what it answers: keep its quote current.
      if (old.reply_to?.id === m.id) {
        return { ...old, reply_to: { id: m.id, sender: m.sender, text: m.text, deleted: m.deleted } };
      }
      return old;
    });
  }

  onEvent(ev: ClientEvent): void {
    if (ev.type === "message") {
      const { type: _, ...m } = ev;
      this.add(m);
    } else if (ev.type === "message_updated") {
      const { type: _, ...m } = ev;
      this.update(m);
    }
  }
}

export const timeline = new TimelineState();
