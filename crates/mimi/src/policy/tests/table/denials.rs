//! Denials of grid cells: the rule each one names and the sentence it gives.

use super::*;

#[test]
fn denials_name_the_rule_that_failed() {
    // (preset, action, actor role, column, rule)
    let samples: &[(&str, &str, u32, u32, &str)] = &[
        // no capability
        ("cooperative", "ban", 2, 3, "canBan"),
        ("cooperative", "kick", 2, 3, "canKick"),
        ("cooperative", "add", 0, 2, "canAddParticipant"),
        ("cooperative", "change_to_3", 2, 2, "canChangeUserRole"),
        ("strict", "add", 2, 2, "canAddParticipant"),
        ("strict", "remove", 2, 2, "canRemoveParticipant"),
        ("strict", "leave", 1, 0, "canRemoveSelf"),
        ("moderated", "ban", 3, 5, "canBan"),
        ("moderated", "send", 3, 0, "canSendMessage"),
        ("moderated", "send", 2, 0, "canSendMessage"),
        ("moderated", "receive", 8, 0, "canReceiveMessage"),
        ("moderated", "receive", 1, 0, "canReceiveMessage"),
        ("multi-organisation", "unban", 6, 3, "canUnban"),
        ("announcement", "send", 3, 0, "canSendMessage"),
        ("private", "ban", 2, 2, "canBan"),
        ("private", "kick", 2, 2, "canKick"),
        // capability held, but no authorized_role_changes entry
        ("cooperative", "ban", 3, 4, "canBan"),
        ("cooperative", "add", 2, 3, "canAddParticipant"),
        ("cooperative", "remove", 5, 5, "canRemoveParticipant"),
        ("cooperative", "unban", 5, 2, "canUnban"),
        ("cooperative", "change_to_4", 3, 2, "canChangeUserRole"),
        ("moderated", "change_to_6", 5, 3, "canChangeUserRole"),
        ("multi-organisation", "remove", 9, 2, "canRemoveParticipant"),
        ("multi-organisation", "add", 6, 4, "canAddParticipant"),
        ("multi-organisation", "ban", 6, 4, "canBan"),
        // moves into and out of "banned" are bans and unbans, whatever the verb
        ("cooperative", "add", 2, 1, "canBan"),
        ("cooperative", "change_to_1", 2, 3, "canBan"),
        ("cooperative", "change_to_4", 3, 1, "canUnban"),
        ("private", "change_to_2", 2, 1, "canUnban"),
        // structural
        ("moderated", "add", 5, 0, "canAddParticipant"),
        ("strict", "remove", 3, 0, "canRemoveParticipant"),
        ("cooperative", "kick", 3, 5, "canKick"),
        ("cooperative", "ban", 3, 1, "canBan"),
        ("cooperative", "unban", 3, 1, "canUnban"),
        ("cooperative", "change_to_2", 4, 2, "canChangeUserRole"),
        ("cooperative", "leave", 0, 0, "canRemoveSelf"),
    ];
    for (preset, action, actor, column, want) in samples {
        let d = decide_cell(preset.parse().unwrap(), action, *actor, *column);
        assert_eq!(
            rule_of(&d),
            *want,
            "{preset} {action} {actor} {column}: {d:?}"
        );
    }
}

#[test]
fn a_denial_is_a_sentence_naming_actor_target_and_capability() {
    let d = decide_cell(Preset::Moderated, "ban", 3, 5);
    let Decision::Denied { reason, .. } = d else {
        panic!("allowed")
    };
    assert_eq!(
        reason,
        "mimi://h/u/actor (attendee) cannot ban mimi://h/u/target: attendee has no canBan"
    );
    let d = decide_cell(Preset::Cooperative, "ban", 3, 4);
    let Decision::Denied { reason, .. } = d else {
        panic!("allowed")
    };
    assert_eq!(
        reason,
        "mimi://h/u/actor (group_admin) cannot ban mimi://h/u/target: the authorized_role_changes \
         of group_admin do not allow moving from super_admin to banned"
    );
}
