// The member list of the open room, reloaded when the room's membership changes.
import { asIpcError, call, type ClientEvent, type IpcError, type MemberInfo } from "../ipc";

class MembersState {
  room = $state<string | null>(null);
  list = $state<MemberInfo[]>([]);
  error = $state<IpcError | null>(null);

  async load(room: string | null): Promise<void> {
    this.room = room;
    if (!room) {
      this.list = [];
      return;
    }
    try {
      const list = await call("members", { room });
      if (this.room === room) {
        this.list = list;
        this.error = null;
      }
    } catch (e) {
      if (this.room === room) this.error = asIpcError(e);
    }
  }

  onEvent(ev: ClientEvent): void {
    if ((ev.type === "members_changed" || ev.type === "room_joined") && this.room) {
      const room = ev.type === "members_changed" ? ev.room : ev.uri;
      if (room === this.room) void this.load(room);
    }
  }
}

export const members = new MembersState();
