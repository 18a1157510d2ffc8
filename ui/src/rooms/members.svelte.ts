// The member list of the open room, reloaded when the room's membership changes. In a
// pseudonymous room the members are user pseudonyms, each with the real user the client core
// resolved it to (or why not): names come from here, so that the timeline, the member list and the
// moderation panel name a pseudonym the same way.
import { displayName, isMe, memberName, withNames } from "../identity/names";
import { asIpcError, call, Loads, type ClientEvent, type IpcError, type MemberInfo } from "../ipc";

class MembersState {
  room = $state<string | null>(null);
  list = $state<MemberInfo[]>([]);
  error = $state<IpcError | null>(null);
  /**
   * Whether the open room is pseudonymous: the client core resolved (or tried) its members. (The
   * core leaves `verified` out elsewhere, so it is `undefined` there, despite its type.)
   */
  pseudonymous = $derived(this.list.some((m) => m.verified != null));
  private byUser = $derived(new Map(this.list.map((m) => [m.user, m])));

  private loads = new Loads();

  async load(room: string | null): Promise<void> {
    const latest = this.loads.start();
    this.room = room;
    if (!room) {
      this.list = [];
      return;
    }
    try {
      const list = await call("members", { room });
      if (latest()) {
        this.list = list;
        this.error = null;
      }
    } catch (e) {
      if (latest()) this.error = asIpcError(e);
    }
  }

  /** The member listed as `user` (a user URI or pseudonym) in the open room. */
  get(user: string): MemberInfo | null {
    return this.byUser.get(user) ?? null;
  }

  /** How a member is named (see `memberName`). */
  name(m: MemberInfo): string {
    return memberName(m, this.pseudonymous);
  }

  /** How a sender of the open room is named, member or not. */
  nameOf(user: string): string {
    const m = this.get(user);
    return m ? this.name(m) : displayName(user);
  }

  /** A sentence from the client core about the open room, with its members named. */
  withNames(text: string): string {
    return withNames(text, (u) => this.nameOf(u));
  }

  /** Whether `user` (a sender or member of the open room) is the signed-in user `me`. */
  isMe(user: string, me: string): boolean {
    const m = this.get(user);
    return user === me || (m !== null && isMe(m, me));
  }

  onEvent(ev: ClientEvent): void {
    if ((ev.type === "members_changed" || ev.type === "room_joined") && this.room) {
      const room = ev.type === "members_changed" ? ev.room : ev.uri;
      if (room === this.room) void this.load(room);
    }
  }
}

export const members = new MembersState();
