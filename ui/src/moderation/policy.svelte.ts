// What the local user may do in the open room, as the policy engine answers it (`me_in`, `can`):
// whether they may send (the composer), receive (the timeline's notice) and report (the report
// buttons), whether their role moderates (the panel's entry point), and how many messages this
// device hid. Reloaded when the room's membership or roles change.
import { asIpcError, call, type ClientEvent, type IpcError, type RoleInfo, type Verdict } from "../ipc";
import { moderates } from "./roles";

/** How long after a message arrives the hidden count is asked again (hidden messages come with
 * no event of their own, so the count is refreshed after visible traffic settles). */
const HIDDEN_REFRESH_MS = 1000;

class RoomPolicy {
  room = $state<string | null>(null);
  me = $state<RoleInfo | null>(null);
  send = $state<Verdict | null>(null);
  receive = $state<Verdict | null>(null);
  report = $state<Verdict | null>(null);
  hidden = $state(0);
  error = $state<IpcError | null>(null);
  moderator = $derived(moderates(this.me));
  private hiddenTimer: ReturnType<typeof setTimeout> | undefined;

  async load(room: string | null): Promise<void> {
    this.room = room;
    if (!room) {
      this.me = this.send = this.receive = this.report = null;
      this.hidden = 0;
      return;
    }
    try {
      const [me, send, receive, report, hidden] = await Promise.all([
        call("me_in", { room }),
        call("can", { room, verb: "send", user: null, role: null }),
        call("can", { room, verb: "receive", user: null, role: null }),
        call("can", { room, verb: "report", user: null, role: null }),
        call("hidden_count", { room }),
      ]);
      if (this.room !== room) return;
      this.me = me;
      this.send = send;
      this.receive = receive;
      this.report = report;
      this.hidden = hidden;
      this.error = null;
    } catch (e) {
      if (this.room === room) this.error = asIpcError(e);
    }
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
