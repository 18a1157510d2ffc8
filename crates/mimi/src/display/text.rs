//! Sanitising untrusted text for terminals, notifications and JSON (see the module doc).

use std::borrow::Cow;

/// What [`one_line`] shows for a line break.
const LINE_BREAK: char = '⏎';

/// The bidi controls that reorder the text after them: LRE, RLE, PDF, LRO, RLO and LRI, RLI,
/// FSI, PDI.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` is shown as itself in [`plain`] text: not a C0 or C1 control, DEL or a bidi
/// control.
fn is_shown(c: char) -> bool {
    !c.is_control() && !is_bidi_control(c)
}

/// Whether `s` can be shown as it is, with line breaks and tabs too if `breaks` (the fast path:
/// most texts are).
fn already_plain(s: &str, breaks: bool) -> bool {
    s.chars()
        .all(|c| is_shown(c) || (breaks && c == '\n') || (breaks && c == '\t'))
        && (breaks || !s.contains(['\u{2028}', '\u{2029}']))
}

/// Collects what a terminal would print, as [`vte::Parser`] sees it.
struct Printed {
    out: String,
    one_line: bool,
    /// The last thing was a CR, so an LF right after it ends the same line.
    after_cr: bool,
}

impl Printed {
    fn line_break(&mut self) {
        self.out.push(if self.one_line { LINE_BREAK } else { '\n' });
    }
}

impl vte::Perform for Printed {
    fn print(&mut self, c: char) {
        self.after_cr = false;
        if self.one_line && matches!(c, '\u{2028}' | '\u{2029}') {
            self.line_break();
        } else if is_shown(c) {
            self.out.push(c);
        }
    }

    fn execute(&mut self, byte: u8) {
        let after_cr = std::mem::take(&mut self.after_cr);
        match byte {
            b'\n' if after_cr => {}
            b'\n' => self.line_break(),
            // A lone CR would move the cursor back over the line: it is a line break here.
            b'\r' => {
                self.line_break();
                self.after_cr = true;
            }
            b'\t' => self.out.push(if self.one_line { ' ' } else { '\t' }),
            _ => {}
        }
    }
}

fn sanitise(s: &str, one_line: bool) -> Cow<'_, str> {
    if already_plain(s, !one_line) {
        return Cow::Borrowed(s);
    }
    let mut printed = Printed {
        out: String::with_capacity(s.len()),
        one_line,
        after_cr: false,
    };
    // Escape sequences are the parser's business (their bytes never reach `print`); an
    // unterminated one at the end swallows the rest of this text only.
    vte::Parser::new().advance(&mut printed, s.as_bytes());
    Cow::Owned(printed.out)
}

/// `s` as plain text: escape sequences, control characters (but line feeds and tabs) and bidi
/// controls removed; CR LF and lone CRs become line feeds.
pub fn plain(s: &str) -> Cow<'_, str> {
    sanitise(s, false)
}

/// `s` as one field of one line: as [`plain`], with each line break (LF, CR LF, CR, U+2028,
/// U+2029) shown as `⏎` and tabs as spaces.
pub fn one_line(s: &str) -> Cow<'_, str> {
    sanitise(s, true)
}

/// `s` with `&`, `<` and `>` written as entities, for a notification body that the server reads
/// as markup. Sanitise it with [`plain`] first.
pub fn markup_escaped(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether [`json`] writes `c` as a `\uXXXX` escape: DEL, a C1 control, a bidi control, U+2028
/// or U+2029 (never C0: serde_json escapes those in strings, and CR, LF and tab outside strings
/// are whitespace).
fn json_escaped(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}') || is_bidi_control(c)
}

/// JSON text (as serde_json writes it) with DEL, C1 controls, bidi controls and U+2028, U+2029
/// written as `\uXXXX` escapes: serde_json escapes C0 controls but leaves these raw, and a
/// terminal acts on them. Outside its strings JSON text is ASCII, so each of them is inside a
/// string, where the escape means the same character: a parser reads the same value.
pub fn json(s: &str) -> Cow<'_, str> {
    if !s.chars().any(json_escaped) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if json_escaped(c) {
            // All of these are in the Basic Multilingual Plane: one escape each.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}
