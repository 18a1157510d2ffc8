//! The real binaries: `conclave-hub serve` in its own process and `conclave` commands against it.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use conclave_e2e::bin;
use serde_json::Value;

struct HubProcess(Child, String, std::path::PathBuf);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_hub(data: &Path) -> HubProcess {
    let mut child = Command::new(bin("conclave-hub"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--domain",
            "localhost",
            "--data",
        ])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first line says where it listens: wait for it rather than for time to pass.
    let url = conclave_e2e::listening_url(&conclave_e2e::listening_line(&mut child));
    HubProcess(child, url, data.to_path_buf())
}

fn hub_cmd(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin("conclave-hub"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

fn conclave(home: &Path, hub: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut c = Command::new(bin("conclave"));
    c.arg("--home").arg(home).env("CONCLAVE_KEYSTORE", "file");
    if let Some(h) = hub {
        c.args(["--hub", h]);
    }
    let out = c.args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

fn ok(home: &Path, args: &[&str]) -> String {
    let (success, out, err) = conclave(home, None, args);
    assert!(success, "conclave {args:?} failed: {err}");
    out
}

#[test]
fn alice_and_bob_talk_through_the_cli_and_a_hub_process() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = start_hub(&tmp.path().join("hub"));
    let (a, b) = (tmp.path().join("alice"), tmp.path().join("bob"));

    let (s, out, err) = conclave(&a, Some(&hub.1), &["register", "alice"]);
    assert!(s, "{err}");
    assert_eq!(out, "mimi://localhost/u/alice");
    assert!(
        err.contains("CONCLAVE_KEYSTORE=file"),
        "the file keystore warns: {err}"
    );
    assert!(conclave(&b, Some(&hub.1), &["register", "bob"]).0);
    // The hub URL is remembered: no --hub from here on.
    let who: Value = serde_json::from_str(&ok(&a, &["whoami", "--json"])).unwrap();
    assert_eq!(who["hub"], hub.1.as_str());
    // bob agrees to being added by alice.
    ok(&b, &["consent", "grant", "alice"]);

    let room = ok(&a, &["room", "create", "--name", "Book club"]);
    assert!(room.starts_with("mimi://localhost/r/"), "{room}");
    ok(&a, &["room", "invite", &room, "bob"]);
    ok(&b, &["sync"]);
    let rooms: Value = serde_json::from_str(&ok(&b, &["room", "list", "--json"])).unwrap();
    assert_eq!(
        rooms,
        serde_json::json!([{
            "uri": room,
            "name": "Book club",
            "preset": "private",
            "pseudonymous": false,
            "unread": 0
        }])
    );

    let id = ok(&a, &["send", &room, "Chapter 3 tonight?"]);
    assert_eq!(id.len(), 64);
    assert!(id.starts_with("01"));
    ok(&b, &["sync"]);
    let msgs: Value = serde_json::from_str(&ok(&b, &["messages", &room, "--json"])).unwrap();
    assert_eq!(msgs[0]["id"], id.as_str());
    assert_eq!(msgs[0]["sender"], "mimi://localhost/u/alice");
    assert_eq!(msgs[0]["text"], "Chapter 3 tonight?");
    assert!(msgs[0]["timestamp"].as_u64().unwrap() > 1_600_000_000_000);
    let unread = |home: &Path| -> Value {
        serde_json::from_str::<Value>(&ok(home, &["room", "list", "--json"])).unwrap()[0]["unread"]
            .clone()
    };
    assert_eq!(unread(&b), 1);
    ok(&b, &["room", "read", &room]);
    assert_eq!(unread(&b), 0);
    let listed = ok(&b, &["room", "list"]);
    assert!(listed.ends_with("Book club\tprivate\t0 unread"), "{listed}");

    let members: Value =
        serde_json::from_str(&ok(&a, &["room", "members", &room, "--json"])).unwrap();
    let users: Vec<_> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user"].clone())
        .collect();
    assert_eq!(
        users,
        ["mimi://localhost/u/alice", "mimi://localhost/u/bob"]
    );

    // Errors: one line, non-zero exit
    let (s, _, err) = conclave(&a, None, &["room", "invite", &room, "nobody"]);
    assert!(!s);
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: ") && last.contains("unknown_user"),
        "{err}"
    );
    assert_eq!(err.lines().filter(|l| l.starts_with("error")).count(), 1);
    let (s, _, err) = conclave(&tmp.path().join("nobody"), None, &["room", "list"]);
    assert!(!s && err.contains("register NAME"), "{err}");
}

#[test]
fn replies_reactions_edits_and_deletes_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = start_hub(&tmp.path().join("hub"));
    let (a, b) = (tmp.path().join("alice"), tmp.path().join("bob"));
    assert!(conclave(&a, Some(&hub.1), &["register", "alice"]).0);
    assert!(conclave(&b, Some(&hub.1), &["register", "bob"]).0);
    ok(&b, &["consent", "grant", "alice"]);
    let room = ok(&a, &["room", "create", "--name", "Garden"]);
    ok(&a, &["room", "invite", &room, "bob"]);
    ok(&b, &["sync"]);

    let first = ok(&a, &["send", &room, "Tomatoes are in"]);
    ok(&b, &["sync"]);
    let reply = ok(&b, &["reply", &room, &first, "Save me some"]);
    ok(&b, &["react", &room, &first, "🍅"]);
    ok(&a, &["sync"]);
    ok(&a, &["edit", &room, &first, "Tomatoes and beans are in"]);
    ok(&a, &["react", &room, &reply, "👍"]);
    ok(&a, &["react", &room, &reply, "👍", "--remove"]);
    ok(&b, &["delete", &room, &reply]);
    ok(&a, &["sync"]);
    ok(&b, &["sync"]);

    for home in [&a, &b] {
        let msgs: Value = serde_json::from_str(&ok(home, &["messages", &room, "--json"])).unwrap();
        let msgs: Vec<&Value> = msgs
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == "message")
            .collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert_eq!(msgs[0]["id"], first.as_str());
        assert_eq!(msgs[0]["text"], "Tomatoes and beans are in");
        assert!(msgs[0]["edited_at"].as_u64().is_some());
        assert_eq!(
            msgs[0]["reactions"],
            serde_json::json!([{"emoji": "🍅", "users": ["mimi://localhost/u/bob"]}])
        );
        assert_eq!(msgs[1]["id"], reply.as_str());
        assert_eq!(msgs[1]["deleted"], true);
        assert_eq!(
            msgs[1]["reactions"],
            serde_json::json!([]),
            "the 👍 was withdrawn"
        );
        assert_eq!(msgs[1]["reply_to"]["id"], first.as_str());
    }
    let text = ok(&a, &["messages", &room]);
    assert!(
        text.contains("Tomatoes and beans are in (edited) 🍅×1"),
        "{text}"
    );
    assert!(
        text.contains("[reply to mimi://localhost/u/alice] [deleted]"),
        "{text}"
    );

    // Refusals: one error line saying why; nothing is sent.
    for (home, args, why) in [
        (
            &b,
            vec!["edit", room.as_str(), first.as_str(), "Not mine"],
            "CONTENT §9.3",
        ),
        (
            &b,
            vec!["reply", room.as_str(), "abc", "x"],
            "is not a message ID",
        ),
        (
            &a,
            vec!["react", room.as_str(), first.as_str(), "🍅", "--remove"],
            "you have no",
        ),
        (
            &a,
            vec!["delete", room.as_str(), &"00".repeat(32)],
            "there is no message",
        ),
    ] {
        let (s, _, err) = conclave(home, None, &args);
        assert!(!s, "{args:?} succeeded");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{err}"
        );
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("error: ") && last.contains(why),
            "{args:?}: {err}"
        );
    }
    ok(&b, &["sync"]);
    let msgs: Value = serde_json::from_str(&ok(&b, &["messages", &room, "--json"])).unwrap();
    assert_eq!(
        msgs[msgs.as_array().unwrap().len() - 1]["id"],
        reply.as_str()
    );
}

#[test]
fn debug_content_reads_a_mimi_content_file_without_home_or_hub() {
    let tmp = tempfile::tempdir().unwrap();
    let salt = [0x5e; 16];
    let content = mimi::content::MimiContent::text(
        salt,
        "mimi://example.com/u/alice",
        "mimi://example.com/r/room",
        "hello",
    );
    let bytes = content.encode();
    let file = tmp.path().join("m.cbor");
    std::fs::write(&file, &bytes).unwrap();

    let out = Command::new(bin("conclave"))
        .args(["debug", "content"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.to_string().contains("hello"), "{v}");

    let out = Command::new(bin("conclave"))
        .args(["debug", "content-id"])
        .arg(&file)
        .args([
            "--sender",
            "mimi://example.com/u/alice",
            "--room",
            "mimi://example.com/r/room",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let want = mimi::content::message_id(
        "mimi://example.com/u/alice",
        "mimi://example.com/r/room",
        &bytes,
        &salt,
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        want.to_string()
    );

    // A file that breaks CONTENT §6.4 (trailing byte) fails with the reason
    let mut bad = bytes.clone();
    bad.push(0);
    std::fs::write(&file, &bad).unwrap();
    let out = Command::new(bin("conclave"))
        .args(["debug", "content"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not valid MIMI content") && err.contains("trailing"),
        "{err}"
    );
}

#[test]
fn moderation_through_the_cli_names_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = start_hub(&tmp.path().join("hub"));
    let (a, b, c) = (
        tmp.path().join("alice"),
        tmp.path().join("bob"),
        tmp.path().join("carol"),
    );
    for (home, name) in [(&a, "alice"), (&b, "bob"), (&c, "carol")] {
        assert!(conclave(home, Some(&hub.1), &["register", name]).0);
    }
    ok(&b, &["consent", "grant", "alice"]);
    ok(&c, &["consent", "grant", "alice"]);
    let room = ok(
        &a,
        &["room", "create", "--preset", "moderated", "--name", "Q&A"],
    );
    ok(&a, &["room", "invite", &room, "bob", "carol"]);
    ok(&b, &["sync"]);
    ok(&c, &["sync"]);

    let roles: Value = serde_json::from_str(&ok(&c, &["room", "roles", &room, "--json"])).unwrap();
    let names: Vec<_> = roles
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"moderator") && names.contains(&"suspended"),
        "{names:?}"
    );
    let members: Value =
        serde_json::from_str(&ok(&c, &["room", "members", &room, "--json"])).unwrap();
    let bob = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user"] == "mimi://localhost/u/bob")
        .unwrap();
    assert_eq!(
        (bob["role"].as_str(), bob["role_index"].as_u64()),
        (Some("attendee"), Some(3))
    );

    // carol may not ban alice: `room can` says why, and the command fails naming canBan
    let (s, out, _) = conclave(&c, None, &["room", "can", &room, "ban", "alice"]);
    assert!(
        !s && out.starts_with("denied: ") && out.contains("canBan"),
        "{out}"
    );
    let (s, _, err) = conclave(&c, None, &["ban", &room, "alice"]);
    assert!(!s && err.contains("canBan"), "{err}");
    assert_eq!(
        ok(
            &a,
            &["room", "can", &room, "role", "bob", "--role", "guest"]
        ),
        "allowed"
    );

    // alice moves bob to guest; the history says so
    ok(&a, &["role", "set", &room, "bob", "guest"]);
    ok(&b, &["sync"]);
    let me: Value = serde_json::from_str(&ok(&b, &["room", "me", &room, "--json"])).unwrap();
    assert_eq!(me["role"], "guest");
    let msgs: Value = serde_json::from_str(&ok(&b, &["messages", &room, "--json"])).unwrap();
    assert!(
        msgs.as_array().unwrap().iter().any(|m| m["kind"] == "event"
            && m["text"]
                .as_str()
                .unwrap()
                .contains("from attendee to guest")),
        "{msgs}"
    );

    // A roles file round-trips through `room roles --json` and `role define`
    let file = tmp.path().join("roles.json");
    let mut roles = roles;
    for r in roles.as_array_mut().unwrap() {
        if r["name"] == "attendee" {
            r["capabilities"]
                .as_array_mut()
                .unwrap()
                .push("canKick".into());
        }
    }
    std::fs::write(&file, serde_json::json!({ "roles": roles }).to_string()).unwrap();
    ok(
        &a,
        &[
            "role",
            "define",
            &room,
            "--from-file",
            file.to_str().unwrap(),
        ],
    );
    ok(&c, &["sync"]);
    assert_eq!(ok(&c, &["room", "can", &room, "kick", "bob"]), "allowed");
    std::fs::write(&file, r#"{"roles": "nope"}"#).unwrap();
    let (s, _, err) = conclave(
        &a,
        None,
        &[
            "role",
            "define",
            &room,
            "--from-file",
            file.to_str().unwrap(),
        ],
    );
    assert!(!s && err.contains("not a roles file"), "{err}");
}

#[test]
fn a_report_from_the_cli_reaches_the_operator_while_the_hub_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = start_hub(&tmp.path().join("hub"));
    let data = hub.2.to_str().unwrap().to_owned();
    let (a, b) = (tmp.path().join("alice"), tmp.path().join("bob"));
    assert!(conclave(&a, Some(&hub.1), &["register", "alice"]).0);
    assert!(conclave(&b, Some(&hub.1), &["register", "bob"]).0);
    ok(&b, &["consent", "grant", "alice"]);
    let room = ok(&a, &["room", "create", "--preset", "cooperative"]);
    ok(&a, &["room", "invite", &room, "bob"]);
    ok(&b, &["sync"]);
    let id = ok(&b, &["send", &room, "buy my pills"]);
    ok(&a, &["sync"]);
    let msgs: Value = serde_json::from_str(&ok(&a, &["messages", &room, "--json"])).unwrap();
    let m = msgs
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id.as_str())
        .unwrap();
    assert_eq!(m["verified"], true);

    let report = ok(
        &a,
        &["report", &room, &id, "--reason", "spam", "--note", "again"],
    );
    let (s, out, err) = hub_cmd(&["reports", "list", "--data", &data, "--json"]);
    assert!(s, "{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    let r = &list[0];
    assert_eq!(r["id"].to_string(), report);
    assert_eq!(r["verified"], true);
    assert_eq!(r["messages"][0]["text"], "buy my pills");
    assert_eq!(
        (r["reporter"].as_str(), r["alleged_abuser"].as_str()),
        (
            Some("mimi://localhost/u/alice"),
            Some("mimi://localhost/u/bob")
        )
    );
    assert_eq!(
        (r["reason"].as_str(), r["status"].as_str()),
        (Some("spam"), Some("open"))
    );

    let (s, out, _) = hub_cmd(&["reports", "resolve", "--data", &data, &report, "--dismiss"]);
    assert!(s && out.contains("dismissed"), "{out}");
    let (s, _, err) = hub_cmd(&["reports", "resolve", "--data", &data, &report, "--uphold"]);
    assert!(!s && err.contains("already dismissed"), "{err}");
    let (s, out, _) = hub_cmd(&["reports", "show", "--data", &data, &report]);
    assert!(s);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["status"], "dismissed");
    let (s, _, err) = hub_cmd(&["reports", "show", "--data", &data, "999"]);
    assert!(!s && err.contains("no report 999"), "{err}");
    let (s, _, err) = hub_cmd(&[
        "reports",
        "list",
        "--data",
        tmp.path().join("nothing").to_str().unwrap(),
    ]);
    assert!(!s && err.contains("no hub database"), "{err}");
    let (s, out, _) = hub_cmd(&["withheld", "--data", &data, "--json"]);
    assert!(s && out == "[]", "{out}");
}

#[test]
fn a_pseudonymous_room_through_the_cli_lists_pseudonyms_with_their_real_users() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = start_hub(&tmp.path().join("hub"));
    let (a, b) = (tmp.path().join("alice"), tmp.path().join("bob"));
    assert!(conclave(&a, Some(&hub.1), &["register", "alice"]).0);
    assert!(conclave(&b, Some(&hub.1), &["register", "bob"]).0);
    ok(&a, &["connect", "bob"]);
    ok(&b, &["sync"]);
    ok(&b, &["connections", "accept", "alice"]);
    ok(&a, &["sync"]);
    ok(&b, &["sync"]);

    let room = ok(
        &a,
        &["room", "create", "--name", "Hideout", "--pseudonymous"],
    );
    ok(&a, &["room", "invite", &room, "bob"]);
    ok(&b, &["sync"]);
    let members: Value =
        serde_json::from_str(&ok(&b, &["room", "members", &room, "--json"])).unwrap();
    let members = members.as_array().unwrap();
    assert_eq!(members.len(), 2);
    let mut real: Vec<&str> = members
        .iter()
        .map(|m| {
            assert_eq!(m["verified"], true, "{m}");
            assert!(m["reason"].is_null(), "{m}");
            let user = m["user"].as_str().unwrap();
            assert!(!user.ends_with("/alice") && !user.ends_with("/bob"), "{m}");
            m["real_user"].as_str().unwrap()
        })
        .collect();
    real.sort();
    assert_eq!(real, ["mimi://localhost/u/alice", "mimi://localhost/u/bob"]);
    // The text form says it too.
    let text = ok(&a, &["room", "members", &room]);
    assert!(text.contains("verified: mimi://localhost/u/bob"), "{text}");

    // A user who is not connected cannot be added: a clear error.
    let c = tmp.path().join("carol");
    assert!(conclave(&c, Some(&hub.1), &["register", "carol"]).0);
    let (s, _, err) = conclave(&a, None, &["room", "invite", &room, "carol"]);
    assert!(
        !s && err.contains("connect with mimi://localhost/u/carol first"),
        "{err}"
    );
}

/// Fails if `out` holds anything a terminal acts on instead of showing: a control character
/// other than the line feeds and tabs of the output's own layout, or a bidi control.
fn assert_inert(out: &str) {
    let bad: Vec<char> = out
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(bad.is_empty(), "{bad:?} in {out:?}");
}

#[test]
fn hostile_text_and_look_alike_names_are_printed_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = start_hub(&tmp.path().join("hub"));
    let (a, fake, b) = (
        tmp.path().join("alice"),
        tmp.path().join("fake"),
        tmp.path().join("bob"),
    );
    for (home, name) in [(&a, "alice"), (&fake, "aIice"), (&b, "bob")] {
        assert!(conclave(home, Some(&hub.1), &["register", name]).0);
    }
    // alice adds bob; bob adds alice and the look-alike, who each agreed to it.
    ok(&b, &["consent", "grant", "alice"]);
    for home in [&a, &fake] {
        ok(home, &["consent", "grant", "bob"]);
    }
    // A room without look-alike names marks nobody.
    let plain = ok(&a, &["room", "create", "--name", "Plain"]);
    ok(&a, &["room", "invite", &plain, "bob"]);
    let members = ok(&a, &["room", "members", &plain, "--json"]);
    assert!(!members.contains("confusable_with"), "{members}");
    assert!(!ok(&a, &["room", "members", &plain]).contains("confusable"));

    // bob's room holds alice and "aIice" (a capital I), whose room name and message carry
    // escape sequences: clear screen, a hyperlink, a clipboard write, a CR that starts a forged
    // line, a right-to-left override and an 8-bit CSI.
    let name = "\u{1b}]0;root@bank\u{7}Lobby\u{202e}";
    let room = ok(&b, &["room", "create", "--name", name]);
    ok(&b, &["room", "invite", &room, "alice", "aIice"]);
    ok(&fake, &["sync"]);
    let hostile = "\u{1b}[2J\u{1b}]8;;https://evil.example/\u{1b}\\click here\u{1b}]8;;\u{1b}\\ \
                   \u{1b}]52;c;cm0gLXJmIH4=\u{7}\rmimi://localhost/u/alice\ttrust me \
                   \u{202e}gpj.exe \u{9b}31mred";
    ok(&fake, &["send", &room, hostile]);
    ok(&b, &["sync"]);

    let out = ok(&b, &["messages", &room]);
    assert_inert(&out);
    assert!(!out.contains('\u{1b}'), "no ESC byte");
    let line = out
        .lines()
        .find(|l| l.contains("click here"))
        .unwrap_or_else(|| panic!("the text is shown: {out}"));
    assert!(
        line.contains("/u/aIice\tclick here ⏎mimi://localhost/u/alice trust me gpj.exe 31mred"),
        "one line, the CR shown as ⏎: {line}"
    );
    // JSON keeps the exact text, escaped.
    let (json_out, msgs) = {
        let s = ok(&b, &["messages", &room, "--json"]);
        let v: Value = serde_json::from_str(&s).unwrap();
        (s, v)
    };
    assert_inert(&json_out);
    let sent = msgs
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "message")
        .unwrap();
    assert_eq!(sent["text"], hostile);
    let rooms = ok(&b, &["room", "list"]);
    assert_inert(&rooms);
    assert!(rooms.contains("\tLobby\t"), "{rooms}");

    // Both look-alikes are marked, each naming the other; bob is not.
    let text = ok(&b, &["room", "members", &room]);
    let line_of = |user: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("mimi://localhost/u/{user}\t")))
            .unwrap_or_else(|| panic!("{user} in {text}"))
            .to_owned()
    };
    assert!(
        line_of("alice").ends_with("\tconfusable with: mimi://localhost/u/aIice"),
        "{text}"
    );
    assert!(
        line_of("aIice").ends_with("\tconfusable with: mimi://localhost/u/alice"),
        "{text}"
    );
    assert!(!line_of("bob").contains("confusable"), "{text}");
    let members: Value =
        serde_json::from_str(&ok(&b, &["room", "members", &room, "--json"])).unwrap();
    let marks: Vec<(&str, &str)> = members
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| Some((m["user"].as_str()?, m["confusable_with"].as_str()?)))
        .collect();
    assert_eq!(marks.len(), 2, "{members}");
    assert!(marks.contains(&("mimi://localhost/u/alice", "mimi://localhost/u/aIice")));
    assert!(marks.contains(&("mimi://localhost/u/aIice", "mimi://localhost/u/alice")));
}
