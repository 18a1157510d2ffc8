// "My reports": the reports this app sent during this session. The client core keeps no record of
// the reports it filed (`Client::report` answers only the hub's report id), so the list lives in
// memory and is empty after a restart.
import { call, type Message } from "../ipc";

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
  list = $state<SentReport[]>([]);

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
    return sent;
  }
}

export const reports = new Reports();
