//! # display: untrusted text shown as text
//!
//! What members type (message texts, room and role names, report reasons and notes) and the
//! names they chose reach people through terminals (the `conclave` CLI, the hub's operator
//! commands), OS notifications and the app. This module is the one place that decides how such
//! text is shown, so that every front end shows the same thing:
//!
//! - [`plain`] and [`one_line`] keep the text and drop what a terminal or a text renderer would
//!   act on instead of showing: escape sequences (ECMA-48 CSI, OSC — hyperlinks, clipboard
//!   writes, window titles —, DCS, SOS, PM, APC, found by the `vte` parser that Alacritty uses),
//!   every other C0 and C1 control character and DEL (a lone CR or a backspace rewrites what is
//!   already on the line), and the bidi embedding, override and isolate controls U+202A–U+202E,
//!   U+2066–U+2069 that reorder the text after them ("Trojan Source", CVE-2021-42574). Line
//!   breaks stay line breaks in [`plain`] and become a visible `⏎` in [`one_line`], which is
//!   for fields of a line (tabs become spaces), so that a text cannot forge the next line.
//! - [`markup_escaped`] escapes `&`, `<` and `>` for notification servers that read the body as
//!   markup (freedesktop `body-markup`).
//! - [`json`] escapes, in JSON text, what serde_json leaves raw (DEL, C1 controls, bidi
//!   controls, U+2028/U+2029); the value a parser reads is unchanged.
//! - [`confusable_with`] finds names that look alike: equal UTS #39 skeletons (`l`, `I` and `1`;
//!   `rn` and `m`; `0` and `O`), or equal but for case.
//!
//! Pure text processing: no I/O, like the rest of the crate.

mod confusable;
mod text;

pub use confusable::{confusable_with, skeleton};
pub use text::{json, markup_escaped, one_line, plain};

#[cfg(test)]
mod tests;
