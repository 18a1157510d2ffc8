// The room list: the rooms this client is in, which one is open, and unread counts. The client
// core keeps a read marker per room: the counts come from it when the list loads, grow with the
// messages that arrive, and opening a room (or reading it while open) marks it read.
import { asIpcError, call, type ClientEvent, type IpcError, type RoomInfo } from "../ipc";

class RoomsState {
  list = $state<RoomInfo[]>([]);
  selected = $state<string | null>(null);
  unread = $state<Record<string, number>>({});
  error = $state<IpcError | null>(null);
  /** The signed-in user, whose own messages never count as unread. */
  me = "";
  private readTimer: ReturnType<typeof setTimeout> | undefined;
  /** Per load in flight: the rooms joined and left while it waits for its answer. */
  private loading = new Set<ClientEvent[]>();

  get current(): RoomInfo | null {
    return this.list.find((r) => r.uri === this.selected) ?? null;
  }

  /** Loads the list. A room joined or left while the answer is on its way may or may not be in
   * it: those events are applied again on top of it (both are idempotent), so that the answer
   * never undoes them. */
  async load(): Promise<void> {
    const meanwhile: ClientEvent[] = [];
    this.loading.add(meanwhile);
    try {
      const list = await call("rooms", {});
      this.list = list;
      for (const r of this.list) if (r.uri !== this.selected) this.unread[r.uri] = r.unread;
      for (const ev of meanwhile) this.onMembership(ev);
      this.error = null;
      if (this.selected && !this.list.some((r) => r.uri === this.selected)) this.selected = null;
      if (!this.selected && this.list.length > 0) this.select(this.list[0].uri);
    } catch (e) {
      this.error = asIpcError(e);
    } finally {
      this.loading.delete(meanwhile);
    }
  }

  select(uri: string | null): void {
    this.selected = uri;
    if (uri) {
      this.unread[uri] = 0;
      this.markRead(uri, 0);
    }
  }

  /** Moves the room's read marker to its latest message, after `delay` ms (a burst, once). */
  private markRead(room: string, delay: number): void {
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(() => {
      call("mark_read", { room }).catch((e) => (this.error = asIpcError(e)));
    }, delay);
  }

  /** Creates a room with a preset's roles and opens it. */
  async create(name: string, preset: string, pseudonymous: boolean): Promise<void> {
    const uri = await call("create_room", { name, preset, pseudonymous });
    if (!this.list.some((r) => r.uri === uri)) this.list.push({ uri, name, preset, pseudonymous, unread: 0 });
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
    if (ev.type === "room_joined" || ev.type === "room_left") {
      for (const meanwhile of this.loading) meanwhile.push(ev);
    }
    this.onMembership(ev);
    if (ev.type === "message" && ev.kind === "message" && ev.sender !== this.me) {
      if (ev.room !== this.selected) this.unread[ev.room] = (this.unread[ev.room] ?? 0) + 1;
      else this.markRead(ev.room, 500);
    }
  }

  /** Applies a room joined or left (idempotent: applying it twice changes nothing more). */
  private onMembership(ev: ClientEvent): void {
    switch (ev.type) {
      case "room_joined": {
        const { type: _, ...room } = ev;
        if (!this.list.some((r) => r.uri === room.uri)) {
          this.list.push(room);
          this.unread[room.uri] = room.unread;
        }
        if (!this.selected) this.select(room.uri);
        break;
      }
      case "room_left":
        this.remove(ev.room);
        break;
    }
  }
}

export const rooms = new RoomsState();
