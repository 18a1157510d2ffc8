// The moderation actions on one member, each with the policy engine's answer. Every answer comes
// from `can` (the client asks `mimi::policy::decide_action`); this module only lists which
// questions to ask and words what each action does.
import { call, type MemberInfo, type RoleInfo, type Verdict } from "../ipc";
import { members } from "../rooms/members.svelte";
import { asideRole, fitsAside, roleName } from "./roles";

/** One action the panel can offer on a member. */
export type Offer = {
  /** Unique among a member's offers. */
  key: string;
  /** The row it is shown in. */
  group: "Role" | "Voice" | "Messages" | "Devices" | "Membership";
  /** The button's text. */
  label: string;
  /** The button's accessible label and the confirmation's question. */
  question: string;
  /** What happens, in a sentence. */
  effect: string;
  /** The engine's question: a `can` verb with its role (the member is the target). */
  verb: string;
  role: string | null;
  /** The engine's answer when the panel asked. */
  verdict: Verdict;
  /** Takes the action (the client checks with the engine again before committing). */
  run: () => Promise<unknown>;
};

type Draft = Omit<Offer, "verdict">;

/**
 * Asks the engine about every action on `member` (shown as `name`) that makes sense for their
 * current state.
 */
export async function offersFor(
  room: string,
  member: MemberInfo,
  name: string,
  roles: RoleInfo[],
): Promise<Offer[]> {
  const user = member.user;
  const current = roles.find((r) => r.index === member.role_index) ?? null;
  const drafts: Draft[] = [];
  const role = (r: RoleInfo) => String(r.index);
  const others = roles.filter((r) => r.index > 1 && r.index !== member.role_index);

  if (member.role_index === 1) {
    for (const r of others) {
      drafts.push({
        key: `unban:${r.index}`,
        group: "Membership",
        label: `Unban as ${r.name}`,
        question: `Unban ${name} as ${r.name}`,
        effect: `${name} is listed as ${r.name} again. Their devices are not added back: invite ${name} to let them in.`,
        verb: "unban",
        role: role(r),
        run: () => call("unban", { room, user, role: role(r) }),
      });
    }
  } else {
    for (const r of others) {
      const noDevices = r.max_active === 0;
      drafts.push({
        key: `role:${r.index}`,
        group: noDevices ? "Devices" : "Role",
        label: noDevices ? `Remove from encryption (${r.name})` : `Make ${r.name}`,
        question: noDevices ? `Remove ${name} from the room's encryption as ${r.name}` : `Make ${name} ${r.name}`,
        effect: noDevices
          ? `${name} becomes ${r.name}, a role that allows no devices: all of ${name}'s devices leave the MLS group, so later messages are encrypted without them. ${name} stays listed.`
          : `${name} becomes ${r.name}.`,
        verb: "role",
        role: role(r),
        run: () => call("set_role", { room, user, role: role(r) }),
      });
    }
    if (current && fitsAside(current, "mute")) {
      for (const r of others.filter((r) => r.capabilities.includes("canSendMessage"))) {
        drafts.push({
          key: `unmute:${r.index}`,
          group: "Voice",
          label: `Unmute as ${r.name}`,
          question: `Unmute ${name} as ${r.name}`,
          effect: `${name} becomes ${r.name} and can send again.`,
          verb: "role",
          role: role(r),
          run: () => call("unmute", { room, user, role: role(r) }),
        });
      }
    } else {
      const to = asideRole(roles, "mute");
      if (to) {
        drafts.push({
          key: "mute",
          group: "Voice",
          label: "Mute",
          question: `Mute ${name}`,
          effect: `${name} becomes ${to.name}: they still read the room but cannot send. Unmuting gives them back their role.`,
          verb: "role",
          role: role(to),
          run: () => call("mute", { room, user }),
        });
      }
    }
    if (current && fitsAside(current, "suspend")) {
      for (const r of others.filter((r) => r.capabilities.includes("canReceiveMessage"))) {
        drafts.push({
          key: `unsuspend:${r.index}`,
          group: "Messages",
          label: `Unsuspend as ${r.name}`,
          question: `Unsuspend ${name} as ${r.name}`,
          effect: `${name} becomes ${r.name} and receives the room's messages again.`,
          verb: "role",
          role: role(r),
          run: () => call("unsuspend", { room, user, role: role(r) }),
        });
      }
    } else {
      const to = asideRole(roles, "suspend");
      if (to) {
        drafts.push({
          key: "suspend",
          group: "Messages",
          label: "Suspend",
          question: `Suspend ${name}`,
          effect: `${name} becomes ${to.name}: the hub stops delivering the room's messages to them and their devices hide what arrives anyway. This is best effort; removing them from the encryption is the cryptographic version.`,
          verb: "role",
          role: role(to),
          run: () => call("suspend", { room, user }),
        });
      }
    }
    if (member.clients.length > 0) {
      drafts.push({
        key: "kick",
        group: "Devices",
        label: "Kick",
        question: `Kick ${name}`,
        effect: `All of ${name}'s devices leave the room; ${name} stays listed as ${roleName(roles, member.role_index)} and can be invited back.`,
        verb: "kick",
        role: null,
        run: () => call("kick", { room, user }),
      });
    }
    drafts.push({
      key: "ban",
      group: "Membership",
      label: "Ban",
      question: `Ban ${name}`,
      effect: `${name} becomes banned and all of their devices are removed. They cannot come back until someone unbans them.`,
      verb: "ban",
      role: null,
      run: () => call("ban", { room, user }),
    });
  }
  drafts.push({
    key: "remove",
    group: "Membership",
    label: "Remove from room",
    question: `Remove ${name} from the room`,
    effect: `${name} is taken off the participant list and all of their devices are removed.`,
    verb: "remove",
    role: null,
    run: () => call("remove_user", { room, user }),
  });

  const verdicts = await Promise.all(drafts.map((d) => ask(room, user, d.verb, d.role)));
  return drafts.map((d, i) => ({ ...d, verdict: verdicts[i] }));
}

/** The engine's answer to one action on `user`. */
export function ask(room: string, user: string, verb: string, role: string | null): Promise<Verdict> {
  return call("can", { room, verb, user, role });
}

/** The engine's sentence for a person: names instead of URIs, "You" for the local user. */
export function explain(verdict: Verdict, me: string): string {
  if (verdict.answer === "allowed") return "The room's policy allows it.";
  const first = verdict.reason.split(" ", 1)[0];
  const reason = members.isMe(first, me) ? `You ${verdict.reason.slice(first.length + 1)}` : verdict.reason;
  return `${members.withNames(reason)} (${verdict.rule}).`;
}
