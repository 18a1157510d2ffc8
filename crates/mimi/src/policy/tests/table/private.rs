//! The grids of the `private` preset. How to read them: the `table` module's documentation.

use super::Grid;

#[rustfmt::skip]
pub(super) const GRIDS: &[Grid] = &[
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
