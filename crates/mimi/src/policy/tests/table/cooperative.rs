//! The grids of the `cooperative` preset. How to read them: the `table` module's documentation.

use super::Grid;

#[rustfmt::skip]
pub(super) const GRIDS: &[Grid] = &[
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
];
