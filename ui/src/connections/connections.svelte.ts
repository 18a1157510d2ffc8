// This user's connections (MIMIMI §5): only connected users can add each other to pseudonymous
// rooms. Requests and answers arrive with the sync (`connection_requested`, `connected` events),
// which reload the list.
import {
  asIpcError,
  call,
  Loads,
  type ClientEvent,
  type ConnectionInfo,
  type Consents,
  type IpcError,
} from "../ipc";

class ConnectionsState {
  list = $state<ConnectionInfo[]>([]);
  /** The users this user blocked (user URIs). */
  blocked = $state<string[]>([]);
  error = $state<IpcError | null>(null);
  /** Consents to be added: given, received, and requests both ways. */
  consents = $state<Consents>({ granted: [], received: [], requests_in: [], requests_out: [] });
  /** How many users asked to connect, or asked consent to add this user, and wait for an answer. */
  incoming = $derived(this.list.filter((c) => c.state === "incoming").length + this.consents.requests_in.length);

  private loads = new Loads();

  async load(): Promise<void> {
    const latest = this.loads.start();
    try {
      const [list, blocked, consents] = await Promise.all([
        call("connections", {}),
        call("blocked_users", {}),
        call("consents", {}),
      ]);
      if (!latest()) return;
      this.list = list;
      this.blocked = blocked;
      this.consents = consents;
      this.error = null;
    } catch (e) {
      if (latest()) this.error = asIpcError(e);
    }
  }

  /** Asks `user` (a name on this hub or a user URI) to connect. */
  async connect(user: string): Promise<void> {
    await call("connect", { user });
    await this.load();
  }

  /** Accepts `user`'s request. */
  async accept(user: string): Promise<void> {
    await call("accept_connection", { user });
    await this.load();
  }

  /** Lets `user` add this user to rooms. */
  async grant(user: string): Promise<void> {
    await call("grant_consent", { user });
    await this.load();
  }

  /** Withdraws the consent given to `user`. */
  async revoke(user: string): Promise<void> {
    await call("revoke_consent", { user });
    await this.load();
  }

  /** Blocks `user`: their requests and invitations no longer reach this user. */
  async block(user: string): Promise<void> {
    await call("block_user", { user });
    await this.load();
  }

  /** Lifts the block on `user`. */
  async unblock(user: string): Promise<void> {
    await call("unblock_user", { user });
    await this.load();
  }

  onEvent(ev: ClientEvent): void {
    if (
      ev.type === "connection_requested" ||
      ev.type === "connected" ||
      ev.type === "consent_requested" ||
      ev.type === "consent_granted"
    )
      void this.load();
  }
}

export const connections = new ConnectionsState();
