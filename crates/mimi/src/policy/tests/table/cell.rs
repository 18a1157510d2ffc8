//! The fixture and the action of one grid cell (described in the `table` module's
//! documentation), shared by the grid test and the denial tests.

use super::*;

fn fixture(preset: Preset, actor_role: u32, target_role: u32) -> PolicyState {
    let roles = preset.roles();
    let clients = |r: u32| usize::from(roles.role(r).is_some_and(|x| x.allows_active()));
    let mut users: Vec<(String, u32, usize)> = roles
        .roles
        .iter()
        .filter(|r| r.role_index != 0)
        .map(|r| {
            (
                format!("by{}", r.role_index),
                r.role_index,
                clients(r.role_index),
            )
        })
        .collect();
    if actor_role != 0 {
        users.push(("actor".into(), actor_role, clients(actor_role)));
    }
    if target_role != 0 {
        users.push(("target".into(), target_role, clients(target_role)));
    }
    let users: Vec<(&str, u32, usize)> =
        users.iter().map(|(n, r, c)| (n.as_str(), *r, *c)).collect();
    room(preset, &users)
}

/// The state and the action of one cell.
fn cell(preset: Preset, action: &str, actor_role: u32, column: u32) -> (PolicyState, Action) {
    let target = user("target");
    let (target_role, action) = match action {
        "add" => (
            0,
            Action::Add {
                target,
                role: column,
            },
        ),
        "remove" => (column, Action::Remove { target }),
        "kick" => (column, Action::Kick { target }),
        "ban" => (column, Action::Ban { target }),
        "unban" => (
            1,
            Action::Unban {
                target,
                role: column,
            },
        ),
        "leave" => (0, Action::Leave),
        "send" => (0, Action::SendMessage),
        "receive" => (0, Action::ReceiveMessage),
        other => {
            let to: u32 = other.strip_prefix("change_to_").unwrap().parse().unwrap();
            (column, Action::ChangeRole { target, role: to })
        }
    };
    (fixture(preset, actor_role, target_role), action)
}

pub(super) fn decide_cell(preset: Preset, action: &str, actor_role: u32, column: u32) -> Decision {
    let (state, action) = cell(preset, action, actor_role, column);
    decide_action(&state, &user("actor"), &action)
}
