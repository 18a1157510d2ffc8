// Users whose key changed since this device pinned it (SECURITY.md "Devices"): their devices
// approved by the new key are refused until the user accepts it. A `user_key_changed` event
// reloads the list; the banner in Main shows it.
import { asIpcError, call, type ChangedKey, type ClientEvent, type IpcError } from "../ipc";

class KeyChanges {
  list = $state<ChangedKey[]>([]);
  error = $state<IpcError | null>(null);

  async load(): Promise<void> {
    try {
      this.list = await call("changed_user_keys", {});
      this.error = null;
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  /** Accepts `user`'s new key: the user checked with them that they reset their devices. */
  async accept(user: string): Promise<void> {
    try {
      await call("accept_user_key", { user });
      await this.load();
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  onEvent(ev: ClientEvent): void {
    if (ev.type === "user_key_changed") void this.load();
  }
}

export const keyChanges = new KeyChanges();
