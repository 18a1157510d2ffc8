// Which screen the app shows, and getting from "no account" to "signed in".
import { asIpcError, call, type IpcError, type Keystore, type Session } from "../ipc";

/** The hub a new account goes to unless the user types another (the local `make run` hub). */
export const DEFAULT_HUB = "http://127.0.0.1:8480";

/** A registration the user asked for: `insecure` is their confirmation of a plain-HTTP hub. */
export type Pending = { hub_url: string; name: string; insecure: boolean };

export type Screen =
  | { kind: "loading" }
  | { kind: "onboarding"; error: IpcError | null; hub_url: string; name: string }
  | {
      kind: "no_keyring";
      /** What the keyring said. */
      detail: string;
      /** The registration waiting for a keystore choice; null if the account already exists. */
      pending: Pending | null;
      error: IpcError | null;
    }
  /** The keys are sealed under a passphrase: ask for it (`error`: the last one was wrong). */
  | { kind: "unlock"; error: IpcError | null }
  | { kind: "failed"; error: IpcError }
  | { kind: "main"; session: Session };

class SessionState {
  screen = $state<Screen>({ kind: "loading" });
  dataDir = $state("");
  busy = $state(false);

  /**
   * Opens the account in the data directory, or shows onboarding if there is none. `passphrase`
   * is what the user typed on the unlock screen.
   */
  async boot(passphrase: string | null = null): Promise<void> {
    this.busy = true;
    try {
      this.dataDir = await call("data_dir", {});
      this.screen = { kind: "main", session: await call("session", { passphrase }) };
    } catch (e) {
      const err = asIpcError(e);
      if (err.code === "passphrase_needed") {
        this.screen = { kind: "unlock", error: null };
      } else if (err.code === "wrong_passphrase") {
        this.screen = { kind: "unlock", error: err };
      } else if (err.code === "not_registered") {
        this.screen = { kind: "onboarding", error: null, hub_url: DEFAULT_HUB, name: "" };
      } else if (err.code === "no_keyring") {
        this.screen = { kind: "no_keyring", detail: err.message, pending: null, error: null };
      } else {
        this.screen = { kind: "failed", error: err };
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * Registers a new account. `keystore` is null for the default (the OS keyring), and "file" or
   * "passphrase" (with the `passphrase` chosen) only when the user chose so on the no-keyring
   * screen; `insecure` only when the user confirmed a plain-HTTP hub on another machine after an
   * `insecure_hub` answer.
   */
  async register(
    hub_url: string,
    name: string,
    keystore: Keystore | null,
    insecure = false,
    passphrase: string | null = null,
  ): Promise<void> {
    this.busy = true;
    try {
      const session = await call("register", { hub_url, name, keystore, insecure, passphrase });
      this.screen = { kind: "main", session };
    } catch (e) {
      const err = asIpcError(e);
      if (err.code === "already_registered") {
        // An earlier attempt got as far as the hub: open that account.
        this.busy = false;
        await this.boot();
      } else if (err.code === "no_keyring") {
        this.screen = { kind: "no_keyring", detail: err.message, pending: { hub_url, name, insecure }, error: null };
      } else if (this.screen.kind === "no_keyring") {
        this.screen = { ...this.screen, error: err };
      } else {
        this.screen = { kind: "onboarding", error: err, hub_url, name };
      }
    } finally {
      this.busy = false;
    }
  }

  backToOnboarding(): void {
    const pending = this.screen.kind === "no_keyring" ? this.screen.pending : null;
    this.screen = {
      kind: "onboarding",
      error: null,
      hub_url: pending?.hub_url ?? DEFAULT_HUB,
      name: pending?.name ?? "",
    };
  }
}

export const session = new SessionState();
