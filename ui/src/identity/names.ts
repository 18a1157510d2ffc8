// How users and rooms are shown. Pseudonymous members (issue 7 §2, "Pseudonymous rooms") will
// get their verified real identity from the client core; until then a user is their URI's name.

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

/** A sentence from the client core with the user URIs in it replaced by names. */
export function withNames(text: string): string {
  return text.replace(/mimi:\/\/[^\s/]+\/u\/([^\s,.;:()]+)/g, (_, name: string) => decodeURIComponent(name));
}
