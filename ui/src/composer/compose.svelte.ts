// What the composer is doing besides writing a new message: answering one (a reply, CONTENT §4.1
// inReplyTo) or replacing the text of one of the user's own (an edit, CONTENT §3 replaces). The
// timeline's message actions set it; the composer shows it above the box and Esc cancels it.
import type { Message } from "../ipc";

class Compose {
  /** The message being answered. */
  replyTo = $state<Message | null>(null);
  /** The user's message being edited. */
  editing = $state<Message | null>(null);
  /** Bumped to ask the composer to take focus (and, for an edit, the old text). */
  focus = $state(0);

  reply(m: Message): void {
    this.editing = null;
    this.replyTo = m;
    this.focus++;
  }

  edit(m: Message): void {
    this.replyTo = null;
    this.editing = m;
    this.focus++;
  }

  cancel(): void {
    this.replyTo = null;
    this.editing = null;
  }
}

export const compose = new Compose();
