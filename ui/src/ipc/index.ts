// The only module that talks to Tauri (STYLE "UI"): typed commands and events over the generated
// bindings. Everything else imports from here.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Commands, ErrorCode, Events, IpcError } from "./bindings";

export type * from "./bindings";

/** Calls a command. Rejects with an {@link IpcError} and nothing else. */
export async function call<K extends keyof Commands>(
  command: K,
  args: Commands[K]["args"],
): Promise<Commands[K]["result"]> {
  try {
    return (await invoke(command, args)) as Commands[K]["result"];
  } catch (e) {
    throw asIpcError(e);
  }
}

/** Listens to an app event until the returned function is called. */
export function on<E extends keyof Events>(
  event: E,
  handler: (payload: Events[E]) => void,
): Promise<UnlistenFn> {
  return listen<Events[E]>(event, (e) => handler(e.payload));
}

/** Whether a value is an {@link IpcError}. */
export function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** Anything thrown, as an {@link IpcError} (Tauri itself rejects with strings, e.g. bad args). */
export function asIpcError(e: unknown): IpcError {
  if (isIpcError(e)) return e;
  const code: ErrorCode = "internal";
  return { code, message: e instanceof Error ? e.message : String(e), hub_code: null };
}

/**
 * Orders the loads of one piece of state: an event's reload may overtake an earlier load, whose
 * answer is then older and must not replace the newer one. `start()` hands out a check that holds
 * while no later load has started.
 */
export class Loads {
  private started = 0;

  start(): () => boolean {
    const mine = ++this.started;
    return () => mine === this.started;
  }
}
