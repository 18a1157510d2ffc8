// What the local user may do in the open room, as the policy engine answers it (`me_in`, `can`):
// whether they may send (the composer), receive (the timeline's notice) and report (the report
// buttons), which message actions the timeline offers (reply, react, edit, delete: POLICY §8.3),
// whether their role moderates (the panel's entry point), and how many messages this device hid.
// Reloaded when the room's membership or roles change.
import { asIpcError, call, Loads, type ClientEvent, type IpcError, type RoleInfo, type Verdict } from "../ipc";
import { moderates } from "./roles";

/** How long after a message arrives the hidden count is asked again (hidden messages come with
 * no event of their own, so the count is refreshed after visible traffic settles). */
const HIDDEN_REFRESH_MS = 1000;

/** The message actions the engine is asked about, by `can` verb. */
const MESSAGE_VERBS = ["reply", "react", "unreact", "edit", "delete-own", "delete-other"] as const;
export type MessageVerb = (typeof MESSAGE_VERBS)[number];

class RoomPolicy {
  room = $state<string | null>(null);
  me = $state<RoleInfo | null>(null);
  send = $state<Verdict | null>(null);
  receive = $state<Verdict | null>(null);
  report = $state<Verdict | null>(null);
  hidden = $state(0);
  /** Each message action's verdict; every one of them also needs `send`. */
  message = $state<Partial<Record<MessageVerb, Verdict>>>({});
  error = $state<IpcError | null>(null);
  moderator = $derived(moderates(this.me));
  private hiddenTimer: ReturnType<typeof setTimeout> | undefined;

  private loads = new Loads();

  async load(room: string | null): Promise<void> {
    const latest = this.loads.start();
    this.room = room;
    if (!room) {
      this.me = this.send = this.receive = this.report = null;
      this.hidden = 0;
      this.message = {};
      return;
    }
    try {
      const [me, send, receive, report, hidden, ...verdicts] = await Promise.all([
        call("me_in", { room }),
        call("can", { room, verb: "send", user: null, role: null }),
        call("can", { room, verb: "receive", user: null, role: null }),
        call("can", { room, verb: "report", user: null, role: null }),
        call("hidden_count", { room }),
        ...MESSAGE_VERBS.map((verb) => call("can", { room, verb, user: null, role: null })),
      ]);
      if (!latest()) return;
      this.message = Object.fromEntries(MESSAGE_VERBS.map((v, i) => [v, verdicts[i]]));
      this.me = me;
      this.send = send;
      this.receive = receive;
      this.report = report;
      this.hidden = hidden;
      this.error = null;
    } catch (e) {
      if (latest()) this.error = asIpcError(e);
    }
  }

  /** Whether the engine lets the local user take this message action now (it also needs
   * canSendMessage: every reply, reaction, edit and delete is a message). */
  may(verb: MessageVerb): boolean {
    return this.send?.answer === "allowed" && this.message[verb]?.answer === "allowed";
  }

  private async refreshHidden(room: string): Promise<void> {
    try {
      const hidden = await call("hidden_count", { room });
      if (this.room === room) this.hidden = hidden;
    } catch {
      // The next load shows the error; a count is not worth an alert of its own.
    }
  }

  onEvent(ev: ClientEvent): void {
    const room = this.room;
    if (!room) return;
    if (ev.type === "members_changed" && ev.room === room) {
      void this.load(room);
    } else if (ev.type === "message" && ev.room === room) {
      clearTimeout(this.hiddenTimer);
      this.hiddenTimer = setTimeout(() => void this.refreshHidden(room), HIDDEN_REFRESH_MS);
    }
  }
}

export const policy = new RoomPolicy();
