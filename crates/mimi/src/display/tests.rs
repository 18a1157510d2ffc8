//! Hostile inputs for the display functions.

use super::*;

const ESC: char = '\u{1b}';

/// No byte a terminal acts on: C0 (but LF, tab in `plain`), DEL, C1, bidi controls.
fn assert_inert(s: &str, line_breaks: bool) {
    for c in s.chars() {
        let allowed = line_breaks && matches!(c, '\n' | '\t');
        assert!(
            allowed
                || !(c.is_control()
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
            "{c:?} left in {s:?}"
        );
    }
}

#[test]
fn ordinary_text_is_left_as_it_is() {
    for s in [
        "hello",
        "you will regret this 🙂",
        "ça va? — 日本語 עברית",
        "a\tb",
        "x < y & z",
    ] {
        assert!(matches!(plain(s), std::borrow::Cow::Borrowed(_)), "{s}");
        assert_eq!(plain(s), s);
    }
    assert_eq!(plain("two\nlines"), "two\nlines");
    assert_eq!(one_line("hello 🙂"), "hello 🙂");
    // A family emoji is joined by ZWJ, a format character that stays.
    assert_eq!(one_line("👨\u{200d}👩\u{200d}👧"), "👨\u{200d}👩\u{200d}👧");
}

#[test]
fn csi_sequences_that_clear_the_screen_or_colour_text_are_removed() {
    let s = format!("{ESC}[2J{ESC}[H{ESC}[31mred{ESC}[0m alert{ESC}[?1049h");
    assert_eq!(plain(&s), "red alert");
    assert_eq!(one_line(&s), "red alert");
    // 8-bit CSI (U+009B) is removed; what followed it is harmless text.
    assert_eq!(plain("a\u{9b}2Jb"), "a2Jb");
}

#[test]
fn osc_hyperlinks_clipboard_writes_and_titles_are_removed() {
    let link = format!("{ESC}]8;;https://evil.example/{ESC}\\click here{ESC}]8;;{ESC}\\");
    assert_eq!(plain(&link), "click here");
    let clipboard = format!("copy{ESC}]52;c;Y3VybCBldmlsIHwgc2g={}!", '\u{7}');
    assert_eq!(plain(&clipboard), "copy!");
    let title = format!("{ESC}]0;root@server{}hi", '\u{7}');
    assert_eq!(one_line(&title), "hi");
    // DCS and APC strings, terminated by ST.
    assert_eq!(plain(&format!("a{ESC}P1$r{ESC}\\b{ESC}_x{ESC}\\c")), "abc");
    // An unterminated sequence takes the rest of its own text only.
    assert_eq!(plain(&format!("before{ESC}]8;;https://x")), "before");
}

#[test]
fn carriage_returns_and_backspaces_cannot_rewrite_the_line() {
    // "alice: hi" printed, then CR and bob's words over it.
    let s = "alice: hi\rbob: send me your password";
    assert_eq!(plain(s), "alice: hi\nbob: send me your password");
    assert_eq!(one_line(s), "alice: hi⏎bob: send me your password");
    assert_eq!(plain("windows\r\nline"), "windows\nline");
    assert_eq!(one_line("a\r\nb\nc\u{2028}d"), "a⏎b⏎c⏎d");
    assert_eq!(plain("abc\u{8}\u{8}\u{8}xyz"), "abcxyz");
    assert_eq!(plain("bell\u{7}\u{0}\u{7f}\u{85}"), "bell");
    // A forged next line of `conclave messages` output stays on its own line.
    assert_eq!(
        one_line("ok\n1700000000000\tmimi://localhost/u/admin\tfake"),
        "ok⏎1700000000000 mimi://localhost/u/admin fake"
    );
}

#[test]
fn bidi_overrides_and_isolates_are_removed() {
    // "Trojan Source": RLO makes "txt.exe" read as "exe.txt".
    assert_eq!(plain("invoice\u{202e}txt.exe"), "invoicetxt.exe");
    let all: String = ('\u{202a}'..='\u{202e}')
        .chain('\u{2066}'..='\u{2069}')
        .collect();
    assert_eq!(plain(&format!("a{all}b")), "ab");
    assert_eq!(one_line(&format!("a{all}b")), "ab");
    // Right-to-left text itself stays.
    assert_eq!(plain("שלום"), "שלום");
}

#[test]
fn every_ascii_and_c1_control_and_random_escape_soup_comes_out_inert() {
    let mut soup = String::new();
    for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
        soup.push_str(&format!("x{c}[1;2m{c}]0;t{c}"));
    }
    assert_inert(&plain(&soup), true);
    assert_inert(&one_line(&soup), false);
    assert!(!one_line(&soup).contains('\n'));
}

#[test]
fn markup_is_escaped_for_notification_servers_that_read_it() {
    assert_eq!(markup_escaped("<b>urgent</b>"), "&lt;b&gt;urgent&lt;/b&gt;");
    assert_eq!(
        markup_escaped(r#"<a href="https://evil.example">bank</a> & co"#),
        r#"&lt;a href="https://evil.example"&gt;bank&lt;/a&gt; &amp; co"#
    );
    assert_eq!(markup_escaped("&lt;"), "&amp;lt;", "entities are text too");
    assert!(matches!(
        markup_escaped("plain"),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn json_text_escapes_what_serde_leaves_raw_and_parses_to_the_same_value() {
    let text = format!("{ESC}[2J \u{9b}31m \u{202e}evil \u{2028} \u{7f} ok");
    let serde = serde_json::to_string_pretty(&serde_json::json!({ "text": text })).unwrap();
    assert!(
        serde.contains('\u{9b}'),
        "serde_json leaves C1 raw: {serde}"
    );
    let safe = json(&serde);
    assert_inert(&safe, true);
    assert!(
        safe.contains("\\u009b") && safe.contains("\\u202e"),
        "{safe}"
    );
    let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
    assert_eq!(back["text"], text.as_str());
}

#[test]
fn look_alike_names_are_found_and_different_ones_are_not() {
    assert_eq!(skeleton("aIice"), skeleton("alice"));
    assert_eq!(skeleton("a1ice"), skeleton("alice"));
    assert_eq!(skeleton("rnallory"), skeleton("mallory"));
    assert_eq!(skeleton("b0b"), skeleton("bOb"));
    assert_eq!(skeleton("аlice"), skeleton("alice"), "Cyrillic а");
    assert_eq!(
        confusable_with(&["alice", "bob", "aIice", "carol"]),
        [Some(2), None, Some(0), None]
    );
    assert_eq!(
        confusable_with(&["mallory", "rnallory", "Carol", "carol", "dave"]),
        [Some(1), Some(0), Some(3), Some(2), None]
    );
    // Three alike: each names another.
    let three = confusable_with(&["alice", "aIice", "a1ice"]);
    assert!(
        three
            .iter()
            .enumerate()
            .all(|(i, j)| j.is_some_and(|j| j != i)),
        "{three:?}"
    );
    // The same name at two providers.
    assert_eq!(confusable_with(&["alice", "alice"]), [Some(1), Some(0)]);
    assert_eq!(
        confusable_with(&["alice", "bob", "carol", "dave", "erin"]),
        [None; 5]
    );
    assert_eq!(confusable_with::<&str>(&[]), Vec::<Option<usize>>::new());
}
