//! The written-out tables: for every preset, every actor role × action × target role, whether
//! `decide_action` allows it.
//!
//! How to read a grid: one row per actor role (named at the start of the row), one column per
//! role index 0, 1, 2, … in order (the column header comment above each preset lists them).
//! - `add`: the column is the role the (unlisted) target is added as. Adding as 1 is a ban.
//! - `remove`, `kick`, `ban`: the column is the target's current role (0 = not listed).
//! - `unban`: the target is banned; the column is the role it is unbanned to.
//! - `change_to_R`: the column is the target's current role; the target is moved to R. A move to
//!   1 is judged as a ban, a move from 1 as an unban.
//! - `leave`, `send`, `receive`: one column, the actor's own role.
//!
//! `Y` = allowed. `N` = denied by the actor's role (capability, authorized_role_changes or a
//! constraint). `-` = denied because the action makes no sense for that target (not listed,
//! already in that role, no client to kick, role 0 or 1 as an unban target).
//!
//! The fixture of every cell: each non-zero role has one bystander user; the actor (role = row,
//! unlisted for row 0) and the target (role = column where the column is the target's role; not
//! listed for `add`, banned for `unban`) are two more users. Every listed user whose role allows
//! clients has one client in the group. The bystanders keep the minimum constraints of the draft
//! from deciding the cells (those are in `stories.rs`); the tables test capabilities and
//! `authorized_role_changes`.
//!
//! The grids were written from a separate transcription of POLICY -03 Appendix A (and of the
//! Conclave presets' documented additions), not computed by the engine under test.

mod announcement;
mod cell;
mod cooperative;
mod denials;
mod moderated;
mod multi_organisation;
mod private;
mod strict;

use super::*;
use cell::decide_cell;

type Grid = (&'static str, &'static str, &'static [&'static str]);

/// The grids of every preset, one file each.
const GRIDS: &[&[Grid]] = &[
    cooperative::GRIDS,
    strict::GRIDS,
    moderated::GRIDS,
    multi_organisation::GRIDS,
    announcement::GRIDS,
    private::GRIDS,
];

#[test]
fn every_preset_role_action_and_target_role_as_written() {
    let mut cases = 0;
    let mut wrong = Vec::new();
    for (preset_name, action, rows) in GRIDS.iter().copied().flatten() {
        let preset: Preset = preset_name.parse().unwrap();
        let roles = preset.roles();
        assert_eq!(
            rows.len(),
            roles.roles.len(),
            "{preset_name} {action}: one row per role"
        );
        for (actor_role, row) in rows.iter().enumerate() {
            let mut tokens = row.split_whitespace();
            let name = tokens.next().unwrap();
            assert_eq!(
                name,
                roles.roles[actor_role].name(),
                "{preset_name} {action}: row order"
            );
            let cells: Vec<&str> = tokens.collect();
            let single = matches!(*action, "leave" | "send" | "receive");
            assert_eq!(
                cells.len(),
                if single { 1 } else { roles.roles.len() },
                "{row}"
            );
            for (column, want) in cells.iter().enumerate() {
                cases += 1;
                let d = decide_cell(preset, action, actor_role as u32, column as u32);
                let ok = match *want {
                    "Y" => is_allowed(&d),
                    "N" | "-" => !is_allowed(&d),
                    other => panic!("bad cell {other:?} in {row}"),
                };
                if !ok {
                    wrong.push(format!(
                        "{preset_name} {action} actor={name} column={column}: want {want}, got {d:?}"
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(cases >= 1000, "only {cases} cases");
    assert_eq!(cases, 4418);
}
