// Whether the app reaches its hub (the background long-poll reports it with `sync-state`).
import type { SyncState } from "../ipc";

class ConnectionState {
  state = $state<SyncState | null>(null);
}

export const connection = new ConnectionState();
