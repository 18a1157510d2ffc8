//! The grids of the `strict` preset. How to read them: the `table` module's documentation.

use super::Grid;

#[rustfmt::skip]
pub(super) const GRIDS: &[Grid] = &[
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
];
