// "My reports": the reports this device filed, as the client core keeps them (`my_reports`), and
// the reported messages' texts for the ones sent in this session.
import { call, type FiledReport, type Message } from "../ipc";

export type SentReport = {
  /** The report's id at the hub. */
  id: number;
  room: string;
  roomTitle: string;
  /** The reported message. */
  message: Message;
  reason: string;
  note: string;
  /** When the hub accepted it, ms. */
  at: number;
};

/** The reasons offered; the hub files whatever text is sent (PROTO §5.9 has no reason codes yet). */
export const REASONS = ["Spam", "Harassment", "Threats or violence", "Hate", "Illegal content", "Something else"];

class Reports {
  /** This session's reports, with their messages. */
  list = $state<SentReport[]>([]);
  /** Every report this device filed, newest first (kept by the client core). */
  filed = $state<FiledReport[]>([]);

  /** Reads the filed reports from the client core. */
  async load(): Promise<void> {
    this.filed = await call("my_reports", {});
  }

  /** The reported message's text, if it was reported in this session. */
  textOf(r: FiledReport): string | null {
    return this.list.find((s) => s.id === r.id && s.room === r.room)?.message.text ?? null;
  }

  /** Sends a report of one message; answers it once the hub accepted it. */
  async send(room: string, roomTitle: string, message: Message, reason: string, note: string): Promise<SentReport> {
    const id = await call("report", {
      room,
      message_ids: [message.id],
      reason,
      note: note.trim() === "" ? null : note.trim(),
    });
    const sent: SentReport = { id, room, roomTitle, message, reason, note: note.trim(), at: Date.now() };
    this.list = [sent, ...this.list];
    await this.load().catch(() => undefined);
    return sent;
  }
}

export const reports = new Reports();
