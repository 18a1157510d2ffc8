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

use super::*;

type Grid = (&'static str, &'static str, &'static [&'static str]);

#[rustfmt::skip]
const GRIDS: &[Grid] = &[
    // ---- cooperative: columns are roles 0=no_role 1=banned 2=ordinary_user 3=group_admin 4=super_admin 5=policy_enforcer
    // cooperative / add
    ("cooperative", "add", &[
        "no_role          - N N N N N",
        "banned           - N N N N N",
        "ordinary_user    - N Y N N N",
        "group_admin      - Y Y Y N N",
        "super_admin      - Y Y Y Y N",
        "policy_enforcer  - Y N N N N",
    ]),
    // cooperative / remove
    ("cooperative", "remove", &[
        "no_role          - N N N N N",
        "banned           - N N N N N",
        "ordinary_user    - N Y N N N",
        "group_admin      - Y Y Y N N",
        "super_admin      - Y Y Y Y N",
        "policy_enforcer  - Y Y Y Y N",
    ]),
    // cooperative / kick
    ("cooperative", "kick", &[
        "no_role          - - N N N -",
        "banned           - - N N N -",
        "ordinary_user    - - N N N -",
        "group_admin      - - Y Y Y -",
        "super_admin      - - Y Y Y -",
        "policy_enforcer  - - Y Y Y -",
    ]),
    // cooperative / ban
    ("cooperative", "ban", &[
        "no_role          N - N N N N",
        "banned           N - N N N N",
        "ordinary_user    N - N N N N",
        "group_admin      Y - Y Y N N",
        "super_admin      Y - Y Y Y N",
        "policy_enforcer  Y - Y Y Y N",
    ]),
    // cooperative / unban
    ("cooperative", "unban", &[
        "no_role          - - N N N N",
        "banned           - - N N N N",
        "ordinary_user    - - N N N N",
        "group_admin      - - Y Y N N",
        "super_admin      - - Y Y Y N",
        "policy_enforcer  - - N N N N",
    ]),
    // cooperative / change_to_1
    ("cooperative", "change_to_1", &[
        "no_role          - - N N N N",
        "banned           - - N N N N",
        "ordinary_user    - - N N N N",
        "group_admin      - - Y Y N N",
        "super_admin      - - Y Y Y N",
        "policy_enforcer  - - Y Y Y N",
    ]),
    // cooperative / change_to_2
    ("cooperative", "change_to_2", &[
        "no_role          - N - N N N",
        "banned           - N - N N N",
        "ordinary_user    - N - N N N",
        "group_admin      - Y - Y N N",
        "super_admin      - Y - Y Y N",
        "policy_enforcer  - N - N N N",
    ]),
    // cooperative / change_to_3
    ("cooperative", "change_to_3", &[
        "no_role          - N N - N N",
        "banned           - N N - N N",
        "ordinary_user    - N N - N N",
        "group_admin      - Y Y - N N",
        "super_admin      - Y Y - Y N",
        "policy_enforcer  - N N - N N",
    ]),
    // cooperative / change_to_4
    ("cooperative", "change_to_4", &[
        "no_role          - N N N - N",
        "banned           - N N N - N",
        "ordinary_user    - N N N - N",
        "group_admin      - N N N - N",
        "super_admin      - Y Y Y - N",
        "policy_enforcer  - N N N - N",
    ]),
    // cooperative / change_to_5
    ("cooperative", "change_to_5", &[
        "no_role          - N N N N -",
        "banned           - N N N N -",
        "ordinary_user    - N N N N -",
        "group_admin      - N N N N -",
        "super_admin      - N N N N -",
        "policy_enforcer  - N N N N -",
    ]),
    ("cooperative", "leave", &[
        "no_role          -",
        "banned           N",
        "ordinary_user    Y",
        "group_admin      Y",
        "super_admin      Y",
        "policy_enforcer  N",
    ]),
    ("cooperative", "send", &[
        "no_role          N",
        "banned           N",
        "ordinary_user    Y",
        "group_admin      Y",
        "super_admin      Y",
        "policy_enforcer  N",
    ]),
    ("cooperative", "receive", &[
        "no_role          N",
        "banned           N",
        "ordinary_user    Y",
        "group_admin      Y",
        "super_admin      Y",
        "policy_enforcer  N",
    ]),
    // ---- strict: columns are roles 0=no_role 1=banned 2=ordinary_user 3=group_admin 4=super_admin 5=policy_enforcer
    // strict / add
    ("strict", "add", &[
        "no_role          - N N N N N",
        "banned           - N N N N N",
        "ordinary_user    - N N N N N",
        "group_admin      - Y Y Y N N",
        "super_admin      - Y Y Y Y N",
        "policy_enforcer  - Y N N N N",
    ]),
    // strict / remove
    ("strict", "remove", &[
        "no_role          - N N N N N",
        "banned           - N N N N N",
        "ordinary_user    - N N N N N",
        "group_admin      - Y Y Y N N",
        "super_admin      - Y Y Y Y N",
        "policy_enforcer  - Y Y Y Y N",
    ]),
    // strict / kick
    ("strict", "kick", &[
        "no_role          - - N N N -",
        "banned           - - N N N -",
        "ordinary_user    - - N N N -",
        "group_admin      - - Y Y Y -",
        "super_admin      - - Y Y Y -",
        "policy_enforcer  - - Y Y Y -",
    ]),
    // strict / ban
    ("strict", "ban", &[
        "no_role          N - N N N N",
        "banned           N - N N N N",
        "ordinary_user    N - N N N N",
        "group_admin      Y - Y Y N N",
        "super_admin      Y - Y Y Y N",
        "policy_enforcer  Y - Y Y Y N",
    ]),
    // strict / unban
    ("strict", "unban", &[
        "no_role          - - N N N N",
        "banned           - - N N N N",
        "ordinary_user    - - N N N N",
        "group_admin      - - Y Y N N",
        "super_admin      - - Y Y Y N",
        "policy_enforcer  - - N N N N",
    ]),
    // strict / change_to_1
    ("strict", "change_to_1", &[
        "no_role          - - N N N N",
        "banned           - - N N N N",
        "ordinary_user    - - N N N N",
        "group_admin      - - Y Y N N",
        "super_admin      - - Y Y Y N",
        "policy_enforcer  - - Y Y Y N",
    ]),
    // strict / change_to_2
    ("strict", "change_to_2", &[
        "no_role          - N - N N N",
        "banned           - N - N N N",
        "ordinary_user    - N - N N N",
        "group_admin      - Y - Y N N",
        "super_admin      - Y - Y Y N",
        "policy_enforcer  - N - N N N",
    ]),
    // strict / change_to_3
    ("strict", "change_to_3", &[
        "no_role          - N N - N N",
        "banned           - N N - N N",
        "ordinary_user    - N N - N N",
        "group_admin      - Y Y - N N",
        "super_admin      - Y Y - Y N",
        "policy_enforcer  - N N - N N",
    ]),
    // strict / change_to_4
    ("strict", "change_to_4", &[
        "no_role          - N N N - N",
        "banned           - N N N - N",
        "ordinary_user    - N N N - N",
        "group_admin      - N N N - N",
        "super_admin      - Y Y Y - N",
        "policy_enforcer  - N N N - N",
    ]),
    // strict / change_to_5
    ("strict", "change_to_5", &[
        "no_role          - N N N N -",
        "banned           - N N N N -",
        "ordinary_user    - N N N N -",
        "group_admin      - N N N N -",
        "super_admin      - N N N N -",
        "policy_enforcer  - N N N N -",
    ]),
    ("strict", "leave", &[
        "no_role          -",
        "banned           N",
        "ordinary_user    Y",
        "group_admin      Y",
        "super_admin      Y",
        "policy_enforcer  N",
    ]),
    ("strict", "send", &[
        "no_role          N",
        "banned           N",
        "ordinary_user    Y",
        "group_admin      Y",
        "super_admin      Y",
        "policy_enforcer  N",
    ]),
    ("strict", "receive", &[
        "no_role          N",
        "banned           N",
        "ordinary_user    Y",
        "group_admin      Y",
        "super_admin      Y",
        "policy_enforcer  N",
    ]),
    // ---- moderated: columns are roles 0=no_role 1=banned 2=guest 3=attendee 4=speaker 5=moderator 6=super_admin 7=policy_enforcer 8=suspended
    // moderated / add
    ("moderated", "add", &[
        "no_role          - N N N N N N N N",
        "banned           - N N N N N N N N",
        "guest            - N N N N N N N N",
        "attendee         - N N N N N N N N",
        "speaker          - N N N N N N N N",
        "moderator        - Y Y Y Y Y N N N",
        "super_admin      - Y Y Y Y Y Y N N",
        "policy_enforcer  - Y N N N N N N N",
        "suspended        - N N N N N N N N",
    ]),
    // moderated / remove
    ("moderated", "remove", &[
        "no_role          - N N N N N N N N",
        "banned           - N N N N N N N N",
        "guest            - N N N N N N N N",
        "attendee         - N N N N N N N N",
        "speaker          - N N N N N N N N",
        "moderator        - Y Y Y Y Y N N Y",
        "super_admin      - Y Y Y Y Y Y N Y",
        "policy_enforcer  - Y Y Y Y Y Y N Y",
        "suspended        - N N N N N N N N",
    ]),
    // moderated / kick
    ("moderated", "kick", &[
        "no_role          - - N N N N N - N",
        "banned           - - N N N N N - N",
        "guest            - - N N N N N - N",
        "attendee         - - N N N N N - N",
        "speaker          - - N N N N N - N",
        "moderator        - - Y Y Y Y Y - Y",
        "super_admin      - - Y Y Y Y Y - Y",
        "policy_enforcer  - - Y Y Y Y Y - Y",
        "suspended        - - N N N N N - N",
    ]),
    // moderated / ban
    ("moderated", "ban", &[
        "no_role          N - N N N N N N N",
        "banned           N - N N N N N N N",
        "guest            N - N N N N N N N",
        "attendee         N - N N N N N N N",
        "speaker          N - N N N N N N N",
        "moderator        Y - Y Y Y Y N N Y",
        "super_admin      Y - Y Y Y Y Y N Y",
        "policy_enforcer  Y - Y Y Y Y Y N Y",
        "suspended        N - N N N N N N N",
    ]),
    // moderated / unban
    ("moderated", "unban", &[
        "no_role          - - N N N N N N N",
        "banned           - - N N N N N N N",
        "guest            - - N N N N N N N",
        "attendee         - - N N N N N N N",
        "speaker          - - N N N N N N N",
        "moderator        - - Y Y Y Y N N N",
        "super_admin      - - Y Y Y Y Y N N",
        "policy_enforcer  - - N N N N N N N",
        "suspended        - - N N N N N N N",
    ]),
    // moderated / change_to_1
    ("moderated", "change_to_1", &[
        "no_role          - - N N N N N N N",
        "banned           - - N N N N N N N",
        "guest            - - N N N N N N N",
        "attendee         - - N N N N N N N",
        "speaker          - - N N N N N N N",
        "moderator        - - Y Y Y Y N N Y",
        "super_admin      - - Y Y Y Y Y N Y",
        "policy_enforcer  - - Y Y Y Y Y N Y",
        "suspended        - - N N N N N N N",
    ]),
    // moderated / change_to_2
    ("moderated", "change_to_2", &[
        "no_role          - N - N N N N N N",
        "banned           - N - N N N N N N",
        "guest            - N - N N N N N N",
        "attendee         - N - N N N N N N",
        "speaker          - N - N N N N N N",
        "moderator        - Y - Y Y Y N N Y",
        "super_admin      - Y - Y Y Y Y N Y",
        "policy_enforcer  - N - N N N N N N",
        "suspended        - N - N N N N N N",
    ]),
    // moderated / change_to_3
    ("moderated", "change_to_3", &[
        "no_role          - N N - N N N N N",
        "banned           - N N - N N N N N",
        "guest            - N N - N N N N N",
        "attendee         - N N - N N N N N",
        "speaker          - N N - N N N N N",
        "moderator        - Y Y - Y Y N N Y",
        "super_admin      - Y Y - Y Y Y N Y",
        "policy_enforcer  - N N - N N N N N",
        "suspended        - N N - N N N N N",
    ]),
    // moderated / change_to_4
    ("moderated", "change_to_4", &[
        "no_role          - N N N - N N N N",
        "banned           - N N N - N N N N",
        "guest            - N N N - N N N N",
        "attendee         - N N N - N N N N",
        "speaker          - N N N - N N N N",
        "moderator        - Y Y Y - Y N N Y",
        "super_admin      - Y Y Y - Y Y N Y",
        "policy_enforcer  - N N N - N N N N",
        "suspended        - N N N - N N N N",
    ]),
    // moderated / change_to_5
    ("moderated", "change_to_5", &[
        "no_role          - N N N N - N N N",
        "banned           - N N N N - N N N",
        "guest            - N N N N - N N N",
        "attendee         - N N N N - N N N",
        "speaker          - N N N N - N N N",
        "moderator        - Y Y Y Y - N N N",
        "super_admin      - Y Y Y Y - Y N Y",
        "policy_enforcer  - N N N N - N N N",
        "suspended        - N N N N - N N N",
    ]),
    // moderated / change_to_6
    ("moderated", "change_to_6", &[
        "no_role          - N N N N N - N N",
        "banned           - N N N N N - N N",
        "guest            - N N N N N - N N",
        "attendee         - N N N N N - N N",
        "speaker          - N N N N N - N N",
        "moderator        - N N N N N - N N",
        "super_admin      - Y Y Y Y Y - N Y",
        "policy_enforcer  - N N N N N - N N",
        "suspended        - N N N N N - N N",
    ]),
    // moderated / change_to_7
    ("moderated", "change_to_7", &[
        "no_role          - N N N N N N - N",
        "banned           - N N N N N N - N",
        "guest            - N N N N N N - N",
        "attendee         - N N N N N N - N",
        "speaker          - N N N N N N - N",
        "moderator        - N N N N N N - N",
        "super_admin      - N N N N N N - N",
        "policy_enforcer  - N N N N N N - N",
        "suspended        - N N N N N N - N",
    ]),
    // moderated / change_to_8
    ("moderated", "change_to_8", &[
        "no_role          - N N N N N N N -",
        "banned           - N N N N N N N -",
        "guest            - N N N N N N N -",
        "attendee         - N N N N N N N -",
        "speaker          - N N N N N N N -",
        "moderator        - N Y Y Y N N N -",
        "super_admin      - N Y Y Y Y Y N -",
        "policy_enforcer  - N N N N N N N -",
        "suspended        - N N N N N N N -",
    ]),
    ("moderated", "leave", &[
        "no_role          -",
        "banned           N",
        "guest            Y",
        "attendee         Y",
        "speaker          Y",
        "moderator        Y",
        "super_admin      Y",
        "policy_enforcer  N",
        "suspended        Y",
    ]),
    ("moderated", "send", &[
        "no_role          N",
        "banned           N",
        "guest            N",
        "attendee         N",
        "speaker          Y",
        "moderator        Y",
        "super_admin      Y",
        "policy_enforcer  N",
        "suspended        N",
    ]),
    ("moderated", "receive", &[
        "no_role          N",
        "banned           N",
        "guest            Y",
        "attendee         Y",
        "speaker          Y",
        "moderator        Y",
        "super_admin      Y",
        "policy_enforcer  N",
        "suspended        N",
    ]),
    // ---- multi-organisation: columns are roles 0=no_role 1=banned 2=org_a_user 3=org_b_user 4=org_c_user 5=org_a_admin 6=org_b_admin 7=org_c_admin 8=super_admin 9=policy_enforcer
    // multi-organisation / add
    ("multi-organisation", "add", &[
        "no_role          - N N N N N N N N N",
        "banned           - N N N N N N N N N",
        "org_a_user       - N N N N N N N N N",
        "org_b_user       - N N N N N N N N N",
        "org_c_user       - N N N N N N N N N",
        "org_a_admin      - N Y N N Y N N N N",
        "org_b_admin      - N N Y N N Y N N N",
        "org_c_admin      - N N N Y N N Y N N",
        "super_admin      - Y Y Y Y Y Y Y Y N",
        "policy_enforcer  - Y N N N N N N N N",
    ]),
    // multi-organisation / remove
    ("multi-organisation", "remove", &[
        "no_role          - N N N N N N N N N",
        "banned           - N N N N N N N N N",
        "org_a_user       - N N N N N N N N N",
        "org_b_user       - N N N N N N N N N",
        "org_c_user       - N N N N N N N N N",
        "org_a_admin      - N Y N N Y N N N N",
        "org_b_admin      - N N Y N N Y N N N",
        "org_c_admin      - N N N Y N N Y N N",
        "super_admin      - Y Y Y Y Y Y Y Y N",
        "policy_enforcer  - Y N Y Y Y Y Y Y N",
    ]),
    // multi-organisation / kick
    ("multi-organisation", "kick", &[
        "no_role          - - N N N N N N N -",
        "banned           - - N N N N N N N -",
        "org_a_user       - - N N N N N N N -",
        "org_b_user       - - N N N N N N N -",
        "org_c_user       - - N N N N N N N -",
        "org_a_admin      - - Y Y Y Y Y Y Y -",
        "org_b_admin      - - Y Y Y Y Y Y Y -",
        "org_c_admin      - - Y Y Y Y Y Y Y -",
        "super_admin      - - Y Y Y Y Y Y Y -",
        "policy_enforcer  - - Y Y Y Y Y Y Y -",
    ]),
    // multi-organisation / ban
    ("multi-organisation", "ban", &[
        "no_role          N - N N N N N N N N",
        "banned           N - N N N N N N N N",
        "org_a_user       N - N N N N N N N N",
        "org_b_user       N - N N N N N N N N",
        "org_c_user       N - N N N N N N N N",
        "org_a_admin      N - Y N N Y N N N N",
        "org_b_admin      N - N Y N N Y N N N",
        "org_c_admin      N - N N Y N N Y N N",
        "super_admin      Y - Y Y Y Y Y Y Y N",
        "policy_enforcer  Y - N Y Y Y Y Y Y N",
    ]),
    // multi-organisation / unban
    ("multi-organisation", "unban", &[
        "no_role          - - N N N N N N N N",
        "banned           - - N N N N N N N N",
        "org_a_user       - - N N N N N N N N",
        "org_b_user       - - N N N N N N N N",
        "org_c_user       - - N N N N N N N N",
        "org_a_admin      - - N N N N N N N N",
        "org_b_admin      - - N N N N N N N N",
        "org_c_admin      - - N N N N N N N N",
        "super_admin      - - Y Y Y Y Y Y Y N",
        "policy_enforcer  - - N N N N N N N N",
    ]),
    // multi-organisation / change_to_1
    ("multi-organisation", "change_to_1", &[
        "no_role          - - N N N N N N N N",
        "banned           - - N N N N N N N N",
        "org_a_user       - - N N N N N N N N",
        "org_b_user       - - N N N N N N N N",
        "org_c_user       - - N N N N N N N N",
        "org_a_admin      - - Y N N Y N N N N",
        "org_b_admin      - - N Y N N Y N N N",
        "org_c_admin      - - N N Y N N Y N N",
        "super_admin      - - Y Y Y Y Y Y Y N",
        "policy_enforcer  - - N Y Y Y Y Y Y N",
    ]),
    // multi-organisation / change_to_2
    ("multi-organisation", "change_to_2", &[
        "no_role          - N - N N N N N N N",
        "banned           - N - N N N N N N N",
        "org_a_user       - N - N N N N N N N",
        "org_b_user       - N - N N N N N N N",
        "org_c_user       - N - N N N N N N N",
        "org_a_admin      - N - N N Y N N N N",
        "org_b_admin      - N - N N N N N N N",
        "org_c_admin      - N - N N N N N N N",
        "super_admin      - Y - N N Y N N Y N",
        "policy_enforcer  - N - N N N N N N N",
    ]),
    // multi-organisation / change_to_3
    ("multi-organisation", "change_to_3", &[
        "no_role          - N N - N N N N N N",
        "banned           - N N - N N N N N N",
        "org_a_user       - N N - N N N N N N",
        "org_b_user       - N N - N N N N N N",
        "org_c_user       - N N - N N N N N N",
        "org_a_admin      - N N - N N N N N N",
        "org_b_admin      - N N - N N Y N N N",
        "org_c_admin      - N N - N N N N N N",
        "super_admin      - Y N - N N Y N N N",
        "policy_enforcer  - N N - N N N N N N",
    ]),
    // multi-organisation / change_to_4
    ("multi-organisation", "change_to_4", &[
        "no_role          - N N N - N N N N N",
        "banned           - N N N - N N N N N",
        "org_a_user       - N N N - N N N N N",
        "org_b_user       - N N N - N N N N N",
        "org_c_user       - N N N - N N N N N",
        "org_a_admin      - N N N - N N N N N",
        "org_b_admin      - N N N - N N N N N",
        "org_c_admin      - N N N - N N Y N N",
        "super_admin      - Y N N - N N Y N N",
        "policy_enforcer  - N N N - N N N N N",
    ]),
    // multi-organisation / change_to_5
    ("multi-organisation", "change_to_5", &[
        "no_role          - N N N N - N N N N",
        "banned           - N N N N - N N N N",
        "org_a_user       - N N N N - N N N N",
        "org_b_user       - N N N N - N N N N",
        "org_c_user       - N N N N - N N N N",
        "org_a_admin      - N Y N N - N N N N",
        "org_b_admin      - N N N N - N N N N",
        "org_c_admin      - N N N N - N N N N",
        "super_admin      - Y Y N N - N N Y N",
        "policy_enforcer  - N N N N - N N N N",
    ]),
    // multi-organisation / change_to_6
    ("multi-organisation", "change_to_6", &[
        "no_role          - N N N N N - N N N",
        "banned           - N N N N N - N N N",
        "org_a_user       - N N N N N - N N N",
        "org_b_user       - N N N N N - N N N",
        "org_c_user       - N N N N N - N N N",
        "org_a_admin      - N N N N N - N N N",
        "org_b_admin      - N N Y N N - N N N",
        "org_c_admin      - N N N N N - N N N",
        "super_admin      - Y N Y N N - N N N",
        "policy_enforcer  - N N N N N - N N N",
    ]),
    // multi-organisation / change_to_7
    ("multi-organisation", "change_to_7", &[
        "no_role          - N N N N N N - N N",
        "banned           - N N N N N N - N N",
        "org_a_user       - N N N N N N - N N",
        "org_b_user       - N N N N N N - N N",
        "org_c_user       - N N N N N N - N N",
        "org_a_admin      - N N N N N N - N N",
        "org_b_admin      - N N N N N N - N N",
        "org_c_admin      - N N N Y N N - N N",
        "super_admin      - Y N N Y N N - N N",
        "policy_enforcer  - N N N N N N - N N",
    ]),
    // multi-organisation / change_to_8
    ("multi-organisation", "change_to_8", &[
        "no_role          - N N N N N N N - N",
        "banned           - N N N N N N N - N",
        "org_a_user       - N N N N N N N - N",
        "org_b_user       - N N N N N N N - N",
        "org_c_user       - N N N N N N N - N",
        "org_a_admin      - N N N N N N N - N",
        "org_b_admin      - N N N N N N N - N",
        "org_c_admin      - N N N N N N N - N",
        "super_admin      - Y Y N N Y N N - N",
        "policy_enforcer  - N N N N N N N - N",
    ]),
    // multi-organisation / change_to_9
    ("multi-organisation", "change_to_9", &[
        "no_role          - N N N N N N N N -",
        "banned           - N N N N N N N N -",
        "org_a_user       - N N N N N N N N -",
        "org_b_user       - N N N N N N N N -",
        "org_c_user       - N N N N N N N N -",
        "org_a_admin      - N N N N N N N N -",
        "org_b_admin      - N N N N N N N N -",
        "org_c_admin      - N N N N N N N N -",
        "super_admin      - N N N N N N N N -",
        "policy_enforcer  - N N N N N N N N -",
    ]),
    ("multi-organisation", "leave", &[
        "no_role          -",
        "banned           N",
        "org_a_user       Y",
        "org_b_user       Y",
        "org_c_user       Y",
        "org_a_admin      Y",
        "org_b_admin      Y",
        "org_c_admin      Y",
        "super_admin      Y",
        "policy_enforcer  N",
    ]),
    ("multi-organisation", "send", &[
        "no_role          N",
        "banned           N",
        "org_a_user       Y",
        "org_b_user       Y",
        "org_c_user       Y",
        "org_a_admin      Y",
        "org_b_admin      Y",
        "org_c_admin      Y",
        "super_admin      Y",
        "policy_enforcer  N",
    ]),
    ("multi-organisation", "receive", &[
        "no_role          N",
        "banned           N",
        "org_a_user       Y",
        "org_b_user       Y",
        "org_c_user       Y",
        "org_a_admin      Y",
        "org_b_admin      Y",
        "org_c_admin      Y",
        "super_admin      Y",
        "policy_enforcer  N",
    ]),
    // ---- announcement: columns are roles 0=no_role 1=banned 2=guest 3=attendee 4=speaker 5=moderator 6=super_admin 7=policy_enforcer 8=suspended
    // announcement / add
    ("announcement", "add", &[
        "no_role          - N N N N N N N N",
        "banned           - N N N N N N N N",
        "guest            - N N N N N N N N",
        "attendee         - N N N N N N N N",
        "speaker          - N N N N N N N N",
        "moderator        - Y Y Y Y Y N N N",
        "super_admin      - Y Y Y Y Y Y N N",
        "policy_enforcer  - Y N N N N N N N",
        "suspended        - N N N N N N N N",
    ]),
    // announcement / remove
    ("announcement", "remove", &[
        "no_role          - N N N N N N N N",
        "banned           - N N N N N N N N",
        "guest            - N N N N N N N N",
        "attendee         - N N N N N N N N",
        "speaker          - N N N N N N N N",
        "moderator        - Y Y Y Y Y N N Y",
        "super_admin      - Y Y Y Y Y Y N Y",
        "policy_enforcer  - Y Y Y Y Y Y N Y",
        "suspended        - N N N N N N N N",
    ]),
    // announcement / kick
    ("announcement", "kick", &[
        "no_role          - - N N N N N - N",
        "banned           - - N N N N N - N",
        "guest            - - N N N N N - N",
        "attendee         - - N N N N N - N",
        "speaker          - - N N N N N - N",
        "moderator        - - Y Y Y Y Y - Y",
        "super_admin      - - Y Y Y Y Y - Y",
        "policy_enforcer  - - Y Y Y Y Y - Y",
        "suspended        - - N N N N N - N",
    ]),
    // announcement / ban
    ("announcement", "ban", &[
        "no_role          N - N N N N N N N",
        "banned           N - N N N N N N N",
        "guest            N - N N N N N N N",
        "attendee         N - N N N N N N N",
        "speaker          N - N N N N N N N",
        "moderator        Y - Y Y Y Y N N Y",
        "super_admin      Y - Y Y Y Y Y N Y",
        "policy_enforcer  Y - Y Y Y Y Y N Y",
        "suspended        N - N N N N N N N",
    ]),
    // announcement / unban
    ("announcement", "unban", &[
        "no_role          - - N N N N N N N",
        "banned           - - N N N N N N N",
        "guest            - - N N N N N N N",
        "attendee         - - N N N N N N N",
        "speaker          - - N N N N N N N",
        "moderator        - - Y Y Y Y N N N",
        "super_admin      - - Y Y Y Y Y N N",
        "policy_enforcer  - - N N N N N N N",
        "suspended        - - N N N N N N N",
    ]),
    // announcement / change_to_1
    ("announcement", "change_to_1", &[
        "no_role          - - N N N N N N N",
        "banned           - - N N N N N N N",
        "guest            - - N N N N N N N",
        "attendee         - - N N N N N N N",
        "speaker          - - N N N N N N N",
        "moderator        - - Y Y Y Y N N Y",
        "super_admin      - - Y Y Y Y Y N Y",
        "policy_enforcer  - - Y Y Y Y Y N Y",
        "suspended        - - N N N N N N N",
    ]),
    // announcement / change_to_2
    ("announcement", "change_to_2", &[
        "no_role          - N - N N N N N N",
        "banned           - N - N N N N N N",
        "guest            - N - N N N N N N",
        "attendee         - N - N N N N N N",
        "speaker          - N - N N N N N N",
        "moderator        - Y - Y Y Y N N Y",
        "super_admin      - Y - Y Y Y Y N Y",
        "policy_enforcer  - N - N N N N N N",
        "suspended        - N - N N N N N N",
    ]),
    // announcement / change_to_3
    ("announcement", "change_to_3", &[
        "no_role          - N N - N N N N N",
        "banned           - N N - N N N N N",
        "guest            - N N - N N N N N",
        "attendee         - N N - N N N N N",
        "speaker          - N N - N N N N N",
        "moderator        - Y Y - Y Y N N Y",
        "super_admin      - Y Y - Y Y Y N Y",
        "policy_enforcer  - N N - N N N N N",
        "suspended        - N N - N N N N N",
    ]),
    // announcement / change_to_4
    ("announcement", "change_to_4", &[
        "no_role          - N N N - N N N N",
        "banned           - N N N - N N N N",
        "guest            - N N N - N N N N",
        "attendee         - N N N - N N N N",
        "speaker          - N N N - N N N N",
        "moderator        - Y Y Y - Y N N Y",
        "super_admin      - Y Y Y - Y Y N Y",
        "policy_enforcer  - N N N - N N N N",
        "suspended        - N N N - N N N N",
    ]),
    // announcement / change_to_5
    ("announcement", "change_to_5", &[
        "no_role          - N N N N - N N N",
        "banned           - N N N N - N N N",
        "guest            - N N N N - N N N",
        "attendee         - N N N N - N N N",
        "speaker          - N N N N - N N N",
        "moderator        - Y Y Y Y - N N N",
        "super_admin      - Y Y Y Y - Y N Y",
        "policy_enforcer  - N N N N - N N N",
        "suspended        - N N N N - N N N",
    ]),
    // announcement / change_to_6
    ("announcement", "change_to_6", &[
        "no_role          - N N N N N - N N",
        "banned           - N N N N N - N N",
        "guest            - N N N N N - N N",
        "attendee         - N N N N N - N N",
        "speaker          - N N N N N - N N",
        "moderator        - N N N N N - N N",
        "super_admin      - Y Y Y Y Y - N Y",
        "policy_enforcer  - N N N N N - N N",
        "suspended        - N N N N N - N N",
    ]),
    // announcement / change_to_7
    ("announcement", "change_to_7", &[
        "no_role          - N N N N N N - N",
        "banned           - N N N N N N - N",
        "guest            - N N N N N N - N",
        "attendee         - N N N N N N - N",
        "speaker          - N N N N N N - N",
        "moderator        - N N N N N N - N",
        "super_admin      - N N N N N N - N",
        "policy_enforcer  - N N N N N N - N",
        "suspended        - N N N N N N - N",
    ]),
    // announcement / change_to_8
    ("announcement", "change_to_8", &[
        "no_role          - N N N N N N N -",
        "banned           - N N N N N N N -",
        "guest            - N N N N N N N -",
        "attendee         - N N N N N N N -",
        "speaker          - N N N N N N N -",
        "moderator        - N Y Y Y N N N -",
        "super_admin      - N Y Y Y Y Y N -",
        "policy_enforcer  - N N N N N N N -",
        "suspended        - N N N N N N N -",
    ]),
    ("announcement", "leave", &[
        "no_role          -",
        "banned           N",
        "guest            Y",
        "attendee         Y",
        "speaker          Y",
        "moderator        Y",
        "super_admin      Y",
        "policy_enforcer  N",
        "suspended        Y",
    ]),
    ("announcement", "send", &[
        "no_role          N",
        "banned           N",
        "guest            N",
        "attendee         N",
        "speaker          Y",
        "moderator        Y",
        "super_admin      Y",
        "policy_enforcer  N",
        "suspended        N",
    ]),
    ("announcement", "receive", &[
        "no_role          N",
        "banned           N",
        "guest            Y",
        "attendee         Y",
        "speaker          Y",
        "moderator        Y",
        "super_admin      Y",
        "policy_enforcer  N",
        "suspended        N",
    ]),
    // ---- private: columns are roles 0=no_role 1=banned 2=member
    // private / add
    ("private", "add", &[
        "no_role  - N N",
        "banned   - N N",
        "member   - N Y",
    ]),
    // private / remove
    ("private", "remove", &[
        "no_role  - N N",
        "banned   - N N",
        "member   - N Y",
    ]),
    // private / kick
    ("private", "kick", &[
        "no_role  - - N",
        "banned   - - N",
        "member   - - N",
    ]),
    // private / ban
    ("private", "ban", &[
        "no_role  N - N",
        "banned   N - N",
        "member   N - N",
    ]),
    // private / unban
    ("private", "unban", &[
        "no_role  - - N",
        "banned   - - N",
        "member   - - N",
    ]),
    // private / change_to_1
    ("private", "change_to_1", &[
        "no_role  - - N",
        "banned   - - N",
        "member   - - N",
    ]),
    // private / change_to_2
    ("private", "change_to_2", &[
        "no_role  - N -",
        "banned   - N -",
        "member   - N -",
    ]),
    ("private", "leave", &[
        "no_role  -",
        "banned   N",
        "member   Y",
    ]),
    ("private", "send", &[
        "no_role  N",
        "banned   N",
        "member   Y",
    ]),
    ("private", "receive", &[
        "no_role  N",
        "banned   N",
        "member   Y",
    ]),
];

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

fn decide_cell(preset: Preset, action: &str, actor_role: u32, column: u32) -> Decision {
    let (state, action) = cell(preset, action, actor_role, column);
    decide_action(&state, &user("actor"), &action)
}

#[test]
fn every_preset_role_action_and_target_role_as_written() {
    let mut cases = 0;
    let mut wrong = Vec::new();
    for (preset_name, action, rows) in GRIDS {
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
