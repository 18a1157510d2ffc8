// Reading role definitions for display: which capabilities make a moderator (the panel's entry
// point), which roles mute and suspend move users to, and how roles are named. Whether an action
// is allowed is never decided here: the panel asks the policy engine (`can`) for every answer.
import type { RoleInfo } from "../ipc";

/** Capabilities that act on other participants or the room's roles: a role holding any of them
 * gets the moderation panel. */
export const MODERATION_CAPABILITIES: readonly string[] = [
  "canKick",
  "canBan",
  "canUnban",
  "canChangeUserRole",
  "canRemoveParticipant",
  "canChangeRoleDefinitions",
];

/** Whether a role holds any moderation capability. */
export function moderates(role: RoleInfo | null): boolean {
  return role?.capabilities.some((c) => MODERATION_CAPABILITIES.includes(c)) ?? false;
}

export type Aside = "mute" | "suspend";

/**
 * Whether `mute` (or `suspend`) would move a user to this role. This mirrors the role choice of
 * `Client::mute`/`Client::suspend` (`move_aside` in crates/client/src/client.rs): a role above
 * `banned` that may have devices and has no canSendMessage, with (mute) or without (suspend)
 * canReceiveMessage. The client core does not expose its choice yet, and the panel needs the
 * target role to ask the engine before the user confirms; the move itself is made by the client.
 */
export function fitsAside(role: RoleInfo, kind: Aside): boolean {
  const send = role.capabilities.includes("canSendMessage");
  const receive = role.capabilities.includes("canReceiveMessage");
  return role.index > 1 && role.max_active !== 0 && !send && (kind === "mute" ? receive : !receive);
}

/** The role `mute`/`suspend` would pick: `guest`/`suspended` if it fits, else the lowest fitting
 * index (as the client picks it). */
export function asideRole(roles: RoleInfo[], kind: Aside): RoleInfo | null {
  const preferred = kind === "mute" ? "guest" : "suspended";
  const fitting = roles.filter((r) => fitsAside(r, kind));
  fitting.sort((a, b) => Number(a.name !== preferred) - Number(b.name !== preferred) || a.index - b.index);
  return fitting[0] ?? null;
}

/** A role's name by index, or the index when the room does not define it. */
export function roleName(roles: RoleInfo[], index: number): string {
  return roles.find((r) => r.index === index)?.name ?? (index === 0 ? "not listed" : `role ${index}`);
}
