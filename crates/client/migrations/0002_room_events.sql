-- Conclave client schema, version 2: room history. Membership and role changes are stored beside
-- messages as `event` rows (who did what to whom, when), so that the timeline shows them in hub order.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
