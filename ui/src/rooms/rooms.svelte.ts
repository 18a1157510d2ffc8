// The room list: the rooms this client is in, which one is open, and unread counts. Unread
// counts are counted from the events that arrived since a room was last opened (in memory: the
// client core keeps no read marker yet).
import { asIpcError, call, type ClientEvent, type IpcError, type RoomInfo } from "../ipc";

class RoomsState {
  list = $state<RoomInfo[]>([]);
  selected = $state<string | null>(null);
  unread = $state<Record<string, number>>({});
  error = $state<IpcError | null>(null);
  /** The signed-in user, whose own messages never count as unread. */
  me = "";

  get current(): RoomInfo | null {
    return this.list.find((r) => r.uri === this.selected) ?? null;
  }

  async load(): Promise<void> {
    try {
      this.list = await call("rooms", {});
      this.error = null;
      if (this.selected && !this.list.some((r) => r.uri === this.selected)) this.selected = null;
      if (!this.selected && this.list.length > 0) this.select(this.list[0].uri);
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  select(uri: string | null): void {
    this.selected = uri;
    if (uri) this.unread[uri] = 0;
  }

  /** Creates a room with a preset's roles and opens it. */
  async create(name: string, preset: string, pseudonymous: boolean): Promise<void> {
    const uri = await call("create_room", { name, preset, pseudonymous });
    if (!this.list.some((r) => r.uri === uri)) this.list.push({ uri, name });
    this.select(uri);
  }

  async leave(uri: string): Promise<void> {
    await call("leave", { room: uri });
    this.remove(uri);
  }

  private remove(uri: string): void {
    this.list = this.list.filter((r) => r.uri !== uri);
    delete this.unread[uri];
    if (this.selected === uri) this.select(this.list[0]?.uri ?? null);
  }

  onEvent(ev: ClientEvent): void {
    switch (ev.type) {
      case "room_joined":
        if (!this.list.some((r) => r.uri === ev.uri)) this.list.push({ uri: ev.uri, name: ev.name });
        if (!this.selected) this.select(ev.uri);
        break;
      case "room_left":
        this.remove(ev.room);
        break;
      case "message":
        if (ev.kind === "message" && ev.room !== this.selected && ev.sender !== this.me) {
          this.unread[ev.room] = (this.unread[ev.room] ?? 0) + 1;
        }
        break;
    }
  }
}

export const rooms = new RoomsState();
