// How users and rooms are shown. A user is their URI's name; in a pseudonymous room a member is
// a user pseudonym (`mimi://DOMAIN/u/UUID`), shown by the real user the client core resolved it
// to when that is verified, else as a short pseudonym.
import type { MemberInfo } from "../ipc";

/** `mimi://example.org/u/alice` → `alice`. */
export function displayName(userUri: string): string {
  const i = userUri.lastIndexOf("/u/");
  return i >= 0 ? decodeURIComponent(userUri.slice(i + 3)) : userUri;
}

/** The provider domain of a user or room URI. */
export function domainOf(uri: string): string {
  const m = /^mimi:\/\/([^/]+)\//.exec(uri);
  return m ? m[1] : "";
}

/** A room's name, or a short form of its id when it has none. */
export function roomTitle(room: { uri: string; name: string }): string {
  if (room.name.trim()) return room.name;
  const id = room.uri.slice(room.uri.lastIndexOf("/") + 1);
  return `Room ${id.slice(0, 6)}`;
}

/** One or two letters for an avatar. */
export function initials(name: string): string {
  const parts = name.split(/[\s._-]+/).filter(Boolean);
  const s = parts.length > 1 ? parts[0][0] + parts[1][0] : name.slice(0, 2);
  return s.toUpperCase();
}

/** A stable hue per user, so that senders are told apart at a glance. */
export function hueOf(key: string): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return h % 360;
}

/**
 * A sentence from the client core with the user URIs in it replaced by names: `nameOf` each URI
 * (by default the name in it; the open room's members name pseudonyms, `members.withNames`).
 */
export function withNames(text: string, nameOf: (userUri: string) => string = displayName): string {
  return text.replace(/mimi:\/\/[^\s/]+\/u\/[^\s,.;:()]+/g, (uri) => nameOf(uri));
}

/** `mimi://localhost/u/3f2a91c4-…` → `Pseudonym 3f2a91c4`. */
export function pseudonymName(userUri: string): string {
  return `Pseudonym ${displayName(userUri).slice(0, 8)}`;
}

/**
 * How a member is named. In a pseudonymous room: by the real user the client core verified the
 * pseudonym to be, else as the pseudonym.
 */
export function memberName(m: MemberInfo, pseudonymous: boolean): string {
  if (!pseudonymous) return displayName(m.user);
  return m.verified && m.real_user ? displayName(m.real_user) : pseudonymName(m.user);
}

/** Whether a member is the signed-in user (`me`), directly or as their verified pseudonym. */
export function isMe(m: MemberInfo, me: string): boolean {
  return m.user === me || (m.verified === true && m.real_user === me);
}
