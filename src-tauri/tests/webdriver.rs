//! The real app, driven through WebDriver (fantoccini → tauri-driver → WebKitWebDriver → the
//! `conclave-desktop` binary built by this cargo invocation), against a real hub on 127.0.0.1
//! and a second, headless user (`conclave-client` in this test). STACK.md "WebDriver tests".
//!
//! It needs a display (Xvfb), `tauri-driver` and `WebKitWebDriver`, so it is `#[ignore]`d by
//! default; `make test` installs them and runs it under `xvfb-run` with `--include-ignored`.
//! Some stories also run the workspace's `conclave` and `conclave-hub` binaries, which
//! `cargo build --workspace --bins` (run first by `make test`) puts beside the app's.
//! Screenshots of the main screens are saved under `target/tmp/webdriver/` as test artefacts.

mod support;

use anyhow::{Context, Result, ensure};
use conclave_client::Client;
use fantoccini::Locator;
use fantoccini::key::Key;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_new_user_onboards_without_a_keyring_and_talks_with_a_cli_user() -> Result<()> {
    let _one_app = ONE_APP.lock().await;
    // Given a hub, and bob, a headless user on it.
    let hub = Hub::spawn().await?;
    let bob_home = tempfile::tempdir()?;
    let bob = Client::register(bob_home.path(), &hub.url, "bob", None, &file_keystore()).await?;

    // And the app on a fresh data directory, on a machine whose keyring cannot be reached.
    let app_home = tempfile::tempdir()?;
    let home = app_home.path().to_str().context("utf-8 temp path")?;
    let (_driver, web) = Driver::launch(
        &[
            ("CONCLAVE_HOME", home),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/conclave-test",
            ),
            ("NO_AT_BRIDGE", "1"),
        ],
        &workspace_bin("conclave-desktop")?,
        &[],
    )
    .await?;

    let story = async {
        // When alice registers through onboarding…
        let hub_field = element(&web, "input[aria-label='Hub URL']").await?;
        hub_field.clear().await?;
        hub_field.send_keys(&hub.url).await?;
        element(&web, "input[aria-label='User name']")
            .await?
            .send_keys("alice")
            .await?;
        screenshot(&web, "onboarding").await?;
        element(&web, "form button[type='submit']").await?.click().await?;

        // …the app says plainly that there is no keyring, and she chooses the file fallback.
        element(&web, "#nokeyring").await?;
        screenshot(&web, "no-keyring").await?;
        xpath(&web, "//button[contains(., 'Use a file for my keys')]")
            .await?
            .click()
            .await?;
        let badge = element(&web, "[aria-label='Keys are kept in a file, not in the OS keyring']")
            .await?;
        ensure!(badge.text().await?.contains("Keys in a file"));

        // She creates a room and invites bob.
        element(&web, "button[aria-label='New room']")
            .await?
            .click()
            .await?;
        element(&web, "input[aria-label='Room name']")
            .await?
            .send_keys("Team")
            .await?;
        element(&web, "dialog form button[type='submit']")
            .await?
            .click()
            .await?;
        xpath(&web, "//header[@class and contains(@class,'room-header')]//h1[.='Team']").await?;
        element(&web, "button[aria-label='Invite people']")
            .await?
            .click()
            .await?;
        element(&web, "input[aria-label='User names to invite']")
            .await?
            .send_keys("bob")
            .await?;
        element(&web, "dialog form button[type='submit']")
            .await?
            .click()
            .await?;
        xpath(&web, "//dialog//p[contains(., 'Invited bob.')]").await?;
        screenshot(&web, "invite").await?;
        element(&web, "dialog form button[type='button']")
            .await?
            .click()
            .await?;
        element(&web, "aside[aria-label='Members'] li[title='mimi://localhost/u/bob']").await?;
        // Not a pseudonymous room: members are who they are, with no identity badge.
        ensure!(
            web.find_all(Locator::Css("aside[aria-label='Members'] span[role='img']"))
                .await?
                .is_empty(),
            "a member of a plain room has an identity badge"
        );

        // Then bob joins the room.
        let room = sync_until(&bob, "the room", async |c| {
            c.rooms().await.ok()?.into_iter().find(|r| r.name == "Team")
        })
        .await?;
        let room = bob.resolve_room(&room.uri)?;

        // When alice sends a message from the composer (Enter sends)…
        let composer = element(&web, "textarea[aria-label='Message']").await?;
        composer
            .send_keys(&format!("Hello from the app{}", Key::Enter))
            .await?;
        xpath(
            &web,
            "//article[contains(@class,'message')]//p[.='Hello from the app']",
        )
        .await?;
        ensure!(composer.prop("value").await?.as_deref() == Some(""), "the composer was not cleared");

        // …bob receives it.
        let got = sync_until(&bob, "alice's message", async |c| {
            c.messages(&room, 50)
                .await
                .ok()?
                .into_iter()
                .find(|m| m.text.as_deref() == Some("Hello from the app"))
        })
        .await?;
        ensure!(got.sender == "mimi://localhost/u/alice", "sender: {}", got.sender);

        // Shift+Enter makes a new line instead of sending.
        composer.send_keys("line one").await?;
        // Modifiers stay pressed until the end of one Send Keys command.
        composer
            .send_keys(&format!("{}{}", Key::Shift, Key::Enter))
            .await?;
        composer.send_keys("line two").await?;
        let draft = composer.prop("value").await?;
        ensure!(draft.as_deref() == Some("line one\nline two"), "draft: {draft:?}");
        composer.send_keys(&Key::Enter).await?;
        let two_lines = xpath(
            &web,
            "//article[contains(@class,'message')]//p[starts-with(., 'line one')]",
        )
        .await?;
        let shown = two_lines.text().await?;
        ensure!(shown == "line one\nline two", "shown: {shown:?}");

        // When bob answers, the app shows it without anyone clicking anything (the long-poll).
        bob.send_text(&room, "Hi alice, bob here").await?;
        xpath(
            &web,
            "//article[contains(@class,'message')]//p[.='Hi alice, bob here']",
        )
        .await?;

        // Replies, reactions, edits and deletes (CONTENT §3, §4.3): alice reacts to bob's
        // message and answers it from the message's own actions…
        let bobs_hello = message_xpath("Hi alice, bob here");
        click_xpath(&web, &format!("{bobs_hello}//button[@aria-label='React to this message from bob']")).await?;
        click_xpath(&web, &format!("{bobs_hello}//button[@aria-label='React with thumbs up']")).await?;
        xpath(&web, &format!("{bobs_hello}//div[@aria-label='Reactions']/button[@aria-pressed='true' and contains(., '1')]"))
            .await?;
        click_xpath(&web, &format!("{bobs_hello}//button[@aria-label='Reply to this message from bob']")).await?;
        xpath(&web, "//footer//div[@role='status' and contains(., 'Replying to')]").await?;
        composer
            .send_keys(&format!("Answered from the app{}", Key::Enter))
            .await?;
        xpath(
            &web,
            &format!(
                "{}//p[@aria-label='In reply to' and contains(., 'Hi alice, bob here')]",
                message_xpath("Answered from the app")
            ),
        )
        .await?;
        // …edits her first message and deletes the two-line one.
        click_xpath(
            &web,
            &format!("{}//button[@aria-label='Edit your message']", message_xpath("Hello from the app")),
        )
        .await?;
        ensure!(
            composer.prop("value").await?.as_deref() == Some("Hello from the app"),
            "an edit starts from the message's text"
        );
        composer.send_keys(&format!(", edited{}", Key::Enter)).await?;
        xpath(
            &web,
            "//article[contains(@class,'message')]//p[contains(@class,'text') and starts-with(., 'Hello from the app, edited')]/span[.='(edited)']",
        )
        .await?;
        let two_lines_msg = "//article[contains(@class,'message')][.//p[starts-with(., 'line one')]]";
        click_xpath(&web, &format!("{two_lines_msg}//button[starts-with(@aria-label, 'Delete this message')]")).await?;
        screenshot(&web, "delete-dialog").await?;
        element(&web, "dialog[open] button[aria-label='Confirm delete']")
            .await?
            .click()
            .await?;
        xpath(&web, "//article[contains(@class,'message')]//p[contains(@class,'deleted')]").await?;

        // Bob sees all of it as the app shows it: his client applied the same documents.
        let hello_id = sync_until(&bob, "alice's edit, reply, reaction and delete", async |c| {
            let m = c.messages(&room, 50).await.ok()?;
            let edited = m
                .iter()
                .find(|m| m.text.as_deref() == Some("Hello from the app, edited") && m.edited_at.is_some())?;
            let his = m.iter().find(|m| m.text.as_deref() == Some("Hi alice, bob here"))?;
            let reacted = his.reactions.iter().any(|r| r.emoji == "👍" && r.users == ["mimi://localhost/u/alice"]);
            let replied = m.iter().any(|r| {
                r.text.as_deref() == Some("Answered from the app")
                    && r.reply_to.as_ref().is_some_and(|q| q.id == his.id)
            });
            let deleted = m.iter().any(|m| m.deleted && m.sender == "mimi://localhost/u/alice");
            (reacted && replied && deleted).then(|| edited.id.clone())
        })
        .await?;
        // And when bob reacts and edits, the app updates the messages in place.
        bob.react(&room, &hello_id, "🎉").await?;
        xpath(
            &web,
            &format!(
                "{}//div[@aria-label='Reactions']/button[@aria-pressed='false' and contains(., '1')]",
                "//article[contains(@class,'message')][.//p[contains(@class,'text') and starts-with(., 'Hello from the app, edited')]]"
            ),
        )
        .await?;
        let his_id = bob
            .messages(&room, 50)
            .await?
            .into_iter()
            .find(|m| m.text.as_deref() == Some("Hi alice, bob here"))
            .context("bob's message")?
            .id;
        bob.edit(&room, &his_id, "Hi alice, bob here (typo fixed)").await?;
        xpath(
            &web,
            "//article[contains(@class,'message')]//p[contains(@class,'text') and starts-with(., 'Hi alice, bob here (typo fixed)')]/span[.='(edited)']",
        )
        .await?;
        screenshot(&web, "replies-reactions-edits").await?;

        // When bob invites alice to a room of his and writes there, it appears with an unread
        // count while alice stays in Team.
        let bobs = bob.create_room("Bob's corner").await?;
        bob.invite(&bobs, &["alice".to_owned()]).await?;
        xpath(&web, "//nav[@aria-label='Rooms']//button[contains(., \"Bob's corner\")]").await?;
        bob.send_text(&bobs, "Psst, over here").await?;
        bob.send_text(&bobs, "Two unread now").await?;
        xpath(
            &web,
            "//nav[@aria-label='Rooms']//button[contains(., \"Bob's corner\")]//span[@aria-label='2 unread']",
        )
        .await?;
        xpath(&web, "//header[contains(@class,'room-header')]//h1[.='Team']").await?;
        screenshot(&web, "timeline").await?;

        // Ctrl+K opens the room switcher: typing part of a name and Enter opens that room.
        composer
            .send_keys(&format!("{}k", Key::Control))
            .await?;
        element(&web, "dialog[open] input[aria-label='Filter rooms']")
            .await?
            .send_keys(&format!("corner{}", Key::Enter))
            .await?;
        xpath(&web, "//header[contains(@class,'room-header')]//h1[.=\"Bob's corner\"]").await?;
        ensure!(
            web.find_all(Locator::Css("dialog")).await?.is_empty(),
            "the switcher stayed open"
        );

        // Settings list this device, marked as this one; Esc closes them.
        element(&web, "button[aria-label='Settings']")
            .await?
            .click()
            .await?;
        xpath(
            &web,
            "//dialog//ul[@aria-label='Devices']/li[@aria-current='true' and contains(., 'This device')]",
        )
        .await?;
        screenshot(&web, "settings").await?;
        escape_dialog(&web).await?;
        Ok::<(), anyhow::Error>(())
    }
    .await;
    if let Err(e) = story {
        let _ = screenshot(&web, "failure").await;
        let _ = web.close().await;
        return Err(e);
    }
    web.close().await?;

    // The file fallback was an explicit, remembered choice, and the key file is private.
    let settings = std::fs::read_to_string(app_home.path().join("desktop.json"))?;
    assert!(settings.contains("\"file\""), "{settings}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(app_home.path().join("keystore.json"))?.permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_moderator_reports_a_message_and_bans_a_cli_user_from_the_moderation_panel() -> Result<()>
{
    let _one_app = ONE_APP.lock().await;
    // Given a hub; bob, a headless user; carol, a user of the `conclave` CLI; and alice in the app.
    let hub = Hub::spawn().await?;
    let bob_home = tempfile::tempdir()?;
    let bob = Client::register(bob_home.path(), &hub.url, "bob", None, &file_keystore()).await?;
    let carol = Cli::register(&hub, "carol").await?;
    let app = App::start().await?;
    let web = &app.web;

    let story = async {
        sign_up(web, &hub.url, "alice").await?;

        // When alice creates a moderated room and invites bob and carol…
        create_room(web, "Town hall", "moderated").await?;
        xpath(
            web,
            "//nav[@aria-label='Rooms']//button[contains(., 'Town hall')]//span[.='moderated']",
        )
        .await?;
        invite(web, "bob, carol").await?;
        screenshot(web, "room-list").await?;
        let room = sync_until(&bob, "the room", async |c| {
            c.rooms()
                .await
                .ok()?
                .into_iter()
                .find(|r| r.name == "Town hall")
        })
        .await?;
        let uri = room.uri.clone();
        let room = bob.resolve_room(&room.uri)?;
        eventually("carol to join", async || {
            let rooms = carol.synced_json(&["room", "list"]).await?;
            Ok(rooms
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r["uri"] == uri.as_str()))
                .then_some(()))
        })
        .await?;

        // When alice makes bob a speaker from the moderation panel (attendees only read)…
        element(web, "button[aria-label='Open the moderation panel']")
            .await?
            .click()
            .await?;
        element(
            web,
            "#moderation button[data-user='mimi://localhost/u/bob']",
        )
        .await?
        .click()
        .await?;
        element(web, "#moderation button[data-action='role:4']")
            .await?
            .click()
            .await?;
        element(web, "#moderation p[data-verdict='allowed']").await?;
        element(
            web,
            "#moderation button[aria-label='Confirm: Make bob speaker']:not([disabled])",
        )
        .await?
        .click()
        .await?;
        xpath(
            web,
            "//*[@id='moderation']//p[@role='status' and contains(., 'Done: make bob speaker')]",
        )
        .await?;
        escape_dialog(web).await?;
        sync_until(&bob, "his new role", async |c| {
            let me = c.me_in(&room).await.ok()?;
            (me.name == "speaker").then_some(())
        })
        .await?;

        // …bob spams the room, once honestly and once with a franking tag that does not match.
        bob.send_text(&room, "Buy cheap watches, only today")
            .await?;
        bob.set_forge_franking_tag(true);
        bob.send_text(&room, "This one lies about its bytes")
            .await?;
        bob.set_forge_franking_tag(false);

        // Then the forged message shows as unverified, with no report button…
        let forged = xpath(web, &message_xpath("This one lies about its bytes")).await?;
        forged
            .find(Locator::XPath(".//span[contains(@class,'unverified')]"))
            .await
            .context("the forged message is not marked unverified")?;
        ensure!(
            forged
                .find_all(Locator::Css("button.report"))
                .await?
                .is_empty(),
            "an unverified message offers a report button"
        );

        // …and alice reports the verified one: reason, note, confirm.
        xpath(
            web,
            &format!(
                "{}//button[@aria-label='Report this message from bob']",
                message_xpath("Buy cheap watches, only today")
            ),
        )
        .await?
        .click()
        .await?;
        element(web, "select[aria-label='Reason'] option[value='Spam']").await?;
        element(web, "select[aria-label='Reason']")
            .await?
            .select_by_value("Spam")
            .await?;
        element(web, "textarea[aria-label=\"Note for the hub's operator\"]")
            .await?
            .send_keys("He posts this in every room")
            .await?;
        screenshot(web, "report-dialog").await?;
        element(web, "button[aria-label='Send the report']")
            .await?
            .click()
            .await?;
        let accepted = element(web, "#report-accepted").await?.text().await?;
        ensure!(
            accepted.contains("The hub accepted your report (#"),
            "{accepted}"
        );
        escape_dialog(web).await?;

        // The hub's operator sees it, verified, with the reason and the note.
        let data = hub.data.path().to_str().context("utf-8 temp path")?;
        let listed = run(
            "conclave-hub",
            ["reports", "list", "--data", data, "--json"]
                .map(str::to_owned)
                .to_vec(),
            &[],
        )
        .await?;
        let reports: serde_json::Value = serde_json::from_str(&listed)?;
        let report = reports
            .as_array()
            .and_then(|a| a.first())
            .context("no report listed")?;
        ensure!(report["verified"] == true, "{report}");
        ensure!(report["reporter"] == "mimi://localhost/u/alice", "{report}");
        ensure!(
            report["alleged_abuser"] == "mimi://localhost/u/bob",
            "{report}"
        );
        ensure!(report["reason"] == "Spam", "{report}");
        ensure!(report["note"] == "He posts this in every room", "{report}");
        let text = run(
            "conclave-hub",
            ["reports", "list", "--data", data]
                .map(str::to_owned)
                .to_vec(),
            &[],
        )
        .await?;
        let line = "\topen\tverified\tmimi://localhost/u/alice -> mimi://localhost/u/bob";
        ensure!(text.contains(line), "{text}");

        // "My reports" lists it.
        element(web, "button[aria-label='My reports']")
            .await?
            .click()
            .await?;
        let listed =
            "//ul[@aria-label='Reports sent']//li[contains(., 'Spam') and contains(., 'bob')]";
        xpath(web, listed).await?;
        escape_dialog(web).await?;

        // When alice opens the moderation panel and chooses bob, the engine's answers decide
        // what she is offered; she bans him after seeing the engine allow it.
        element(web, "button[aria-label='Open the moderation panel']")
            .await?
            .click()
            .await?;
        element(
            web,
            "#moderation button[data-user='mimi://localhost/u/bob']",
        )
        .await?
        .click()
        .await?;
        let ban = element(web, "#moderation button[data-action='ban']").await?;
        element(web, "#moderation button[data-action='mute']").await?;
        element(web, "#moderation button[data-action='kick']").await?;
        screenshot(web, "moderation-panel").await?;
        ban.click().await?;
        element(web, "#moderation p[data-verdict='allowed']").await?;
        element(web, "#moderation button[aria-label='Confirm: Ban bob']:not([disabled])")
            .await?
            .click()
            .await?;
        let done = "//*[@id='moderation']//p[@role='status' and contains(., 'Done: ban bob')]";
        xpath(web, done).await?;

        // Then bob's client is out of the room…
        sync_until(&bob, "himself removed", async |c| {
            let rooms = c.rooms().await.ok()?;
            (!rooms.iter().any(|r| r.name == "Town hall")).then_some(())
        })
        .await?;
        // …carol's CLI sees him listed as banned with no devices…
        eventually("carol's CLI to see bob banned", async || {
            let members = carol.synced_json(&["room", "members", &uri]).await?;
            let bob = members
                .as_array()
                .and_then(|a| a.iter().find(|m| m["user"] == "mimi://localhost/u/bob"))
                .cloned();
            Ok(bob.filter(|m| {
                m["role"] == "banned" && m["clients"].as_array().is_some_and(|c| c.is_empty())
            }))
        })
        .await?;
        // …and the panel now offers to unban him, and its history says what happened.
        let banned = concat!(
            "//*[@id='moderation']//button[@data-user='mimi://localhost/u/bob'",
            " and contains(@aria-label, 'banned')]"
        );
        xpath(web, banned).await?;
        element(web, "#moderation button[data-action^='unban:']").await?;
        element(web, "#mod-tab-history").await?.click().await?;
        xpath(
            web,
            "//ol[@aria-label='Room history']//li[contains(., 'alice banned bob')]",
        )
        .await?;
        screenshot(web, "moderation-history").await?;

        // When alice gives attendees canSendMessage in the role editor, after the engine agreed…
        element(web, "#mod-tab-roles").await?.click().await?;
        element(web, "#mod-panel-roles button.primary")
            .await?
            .click()
            .await?;
        xpath(web, "//details[./summary/strong[.='attendee']]/summary")
            .await?
            .click()
            .await?;
        element(web, "input[aria-label='attendee has canSendMessage']")
            .await?
            .click()
            .await?;
        xpath(web, "//button[.=\"Check with the room's policy\"]")
            .await?
            .click()
            .await?;
        xpath(
            web,
            "//*[@id='mod-panel-roles']//p[@role='status' and contains(., \"The room's policy allows it\")]",
        )
        .await?;
        screenshot(web, "role-editor").await?;
        element(web, "button[aria-label='Save the role definitions']")
            .await?
            .click()
            .await?;
        xpath(web, "//p[@role='status' and contains(., 'The new role definitions are in force')]").await?;
        escape_dialog(web).await?;

        // …carol, an attendee, can write from the CLI, and the app shows it.
        eventually("carol's CLI to see the new roles", async || {
            let me = carol.synced_json(&["room", "me", &uri]).await?;
            Ok(me["capabilities"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c == "canSendMessage"))
                .then_some(()))
        })
        .await?;
        carol.run(&["send", &uri, "Attendees may speak now"]).await?;
        xpath(web, &message_xpath("Attendees may speak now")).await?;
        Ok(())
    }
    .await;
    app.finish("moderation", story).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_muted_user_sees_the_composer_disabled_with_the_reason() -> Result<()> {
    let _one_app = ONE_APP.lock().await;
    // Given a hub, bob (headless) and alice in the app, in bob's moderated room as a speaker.
    let hub = Hub::spawn().await?;
    let bob_home = tempfile::tempdir()?;
    let bob = Client::register(bob_home.path(), &hub.url, "bob", None, &file_keystore()).await?;
    let app = App::start().await?;
    let web = &app.web;

    let story = async {
        sign_up(web, &hub.url, "alice").await?;
        let room = bob
            .create_room_with("Stage", conclave_desktop::policy::preset("moderated")?)
            .await?;
        bob.invite_as(&room, &["alice".to_owned()], Some("speaker"))
            .await?;
        xpath(
            web,
            "//header[contains(@class,'room-header')]//h1[.='Stage']",
        )
        .await?;
        xpath(
            web,
            "//aside[@aria-label='Members']//p[contains(., 'Your role here')]//strong[.='speaker']",
        )
        .await?;
        element(web, "textarea[aria-label='Message']").await?;
        ensure!(
            web.find_all(Locator::Css(
                "button[aria-label='Open the moderation panel']"
            ))
            .await?
            .is_empty(),
            "a speaker is offered the moderation panel"
        );

        // When bob mutes her, the composer gives way to the reason.
        bob.mute(&room, "alice").await?;
        let disabled = element(web, "#composer-disabled").await?;
        let said = disabled.text().await?;
        ensure!(said.contains("You are muted in this room"), "{said}");
        ensure!(
            said.contains("canSendMessage"),
            "the engine's reason is missing: {said}"
        );
        ensure!(
            web.find_all(Locator::Css("textarea[aria-label='Message']"))
                .await?
                .is_empty(),
            "a muted user still has a message box"
        );
        screenshot(web, "composer-muted").await?;

        // When bob suspends her, the timeline says she no longer receives the room's messages.
        bob.suspend(&room, "alice").await?;
        let notice = element(web, "[aria-label='Hidden messages']")
            .await?
            .text()
            .await?;
        ensure!(
            notice.contains("You no longer receive this room's messages"),
            "{notice}"
        );

        // When bob makes her a moderator, she can write again and gets the moderation panel,
        // which offers only what the engine allows on bob, the super_admin, and says why not.
        bob.set_role(&room, "alice", "moderator").await?;
        element(web, "textarea[aria-label='Message']").await?;
        eventually("the revocation notice to go", async || {
            Ok(web
                .find_all(Locator::Css("[aria-label='Hidden messages']"))
                .await?
                .is_empty()
                .then_some(()))
        })
        .await?;
        element(web, "button[aria-label='Open the moderation panel']")
            .await?
            .click()
            .await?;
        element(
            web,
            "#moderation button[data-user='mimi://localhost/u/bob']",
        )
        .await?
        .click()
        .await?;
        element(web, "#moderation details.denied summary")
            .await?
            .click()
            .await?;
        let why = element(web, "#moderation li[data-denied='ban']")
            .await?
            .text()
            .await?;
        ensure!(why.contains("You (moderator) cannot ban bob"), "{why}");
        ensure!(why.contains("canBan"), "{why}");
        ensure!(
            web.find_all(Locator::Css("#moderation button[data-action='ban']"))
                .await?
                .is_empty(),
            "a ban the engine denies is offered"
        );
        screenshot(web, "moderation-denied").await?;
        escape_dialog(web).await?;
        Ok(())
    }
    .await;
    app.finish("muted", story).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_user_connects_and_sees_pseudonymous_members_verified_by_their_real_names() -> Result<()>
{
    let _one_app = ONE_APP.lock().await;
    // Given a hub; bob, a headless user; carol, a user of the `conclave` CLI; and alice in the app.
    let hub = Hub::spawn().await?;
    let bob_home = tempfile::tempdir()?;
    let bob = Client::register(bob_home.path(), &hub.url, "bob", None, &file_keystore()).await?;
    let carol = Cli::register(&hub, "carol").await?;
    let app = App::start().await?;
    let web = &app.web;
    let connection = |user: &str, state: &str| {
        format!(
            "ul[aria-label='Your connections'] li[data-user='mimi://localhost/u/{user}'][data-state='{state}']"
        )
    };

    let story = async {
        sign_up(web, &hub.url, "alice").await?;

        // When alice asks bob to connect from the Connections dialog…
        element(web, "button[aria-label='Connections']")
            .await?
            .click()
            .await?;
        element(web, "input[aria-label='User name to connect with']")
            .await?
            .send_keys(&format!("bob{}", Key::Enter))
            .await?;
        xpath(web, "//dialog//p[@role='status' and contains(., 'Asked bob to connect')]").await?;
        element(web, &connection("bob", "requested")).await?;

        // …and bob accepts, the dialog shows them connected without a click (the long-poll).
        sync_until(&bob, "alice's request", async |c| {
            let list = c.connections().await.ok()?;
            list.into_iter()
                .find(|x| x.user == "mimi://localhost/u/alice" && x.state == "incoming")
        })
        .await?;
        bob.accept_connection("alice").await?;
        element(web, &connection("bob", "connected")).await?;

        // When carol asks alice from the CLI, the request shows up with an Accept button…
        carol.run(&["connect", "alice"]).await?;
        element(web, &connection("carol", "incoming")).await?;
        element(
            web,
            "button[aria-label='Connections, 1 request to answer']",
        )
        .await?;
        screenshot(web, "connections").await?;
        element(
            web,
            "button[aria-label=\"Accept carol's request to connect\"]",
        )
        .await?
        .click()
        .await?;
        element(web, &connection("carol", "connected")).await?;
        escape_dialog(web).await?;
        // …and carol's CLI sees the connection made.
        eventually("carol's CLI to see alice connected", async || {
            let list = carol.synced_json(&["connections"]).await?;
            Ok(list
                .as_array()
                .is_some_and(|a| {
                    a.iter().any(|x| {
                        x["user"] == "mimi://localhost/u/alice" && x["state"] == "connected"
                    })
                })
                .then_some(()))
        })
        .await?;

        // When alice creates a pseudonymous room from the dialog and invites them both…
        create_room_with(web, "Hideout", "cooperative", true).await?;
        xpath(
            web,
            "//nav[@aria-label='Rooms']//button[contains(., 'Hideout')]\
             //span[.='cooperative · pseudonymous']",
        )
        .await?;
        invite(web, "bob, carol").await?;
        let room = sync_until(&bob, "the room", async |c| {
            c.rooms().await.ok()?.into_iter().find(|r| r.name == "Hideout")
        })
        .await?;
        let uri = room.uri.clone();
        let room = bob.resolve_room(&room.uri)?;
        eventually("carol to join", async || {
            let rooms = carol.synced_json(&["room", "list"]).await?;
            Ok(rooms
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r["uri"] == uri.as_str()))
                .then_some(()))
        })
        .await?;

        // Then the member list names them by their verified real names, with the real identity in
        // the badge's tooltip and accessible label, while the room lists only pseudonyms.
        for name in ["bob", "carol"] {
            let real = format!("mimi://localhost/u/{name}");
            let badge = xpath(
                web,
                &format!(
                    "//aside[@aria-label='Members']//li[.//span[@class and contains(@class,'name') and .='{name}']]\
                     //span[@role='img' and starts-with(@aria-label, 'Verified: {name} ({real}), as the pseudonym ')]"
                ),
            )
            .await?;
            ensure!(badge.text().await?.contains("verified"), "badge text");
            let title = badge.attr("title").await?.unwrap_or_default();
            ensure!(title.contains(&real), "the tooltip lacks the real identity: {title}");
            let listed = xpath(
                web,
                &format!("//aside[@aria-label='Members']//li[.//span[contains(@class,'name') and .='{name}']]"),
            )
            .await?
            .attr("data-user")
            .await?
            .unwrap_or_default();
            ensure!(
                listed.starts_with("mimi://localhost/u/") && listed != real,
                "{name} is listed as {listed}, not as a pseudonym"
            );
        }
        xpath(
            web,
            "//aside[@aria-label='Members']//li//span[contains(@class,'name') and .='alice (you)']",
        )
        .await?;
        xpath(
            web,
            "//aside[@aria-label='Members']//p[contains(., 'Pseudonymous room')]",
        )
        .await?;

        // A message from bob carries his pseudonym, and the timeline shows it as bob's, verified.
        bob.send_text(&room, "Nobody at the hub knows it is me").await?;
        let message = xpath(web, &message_xpath("Nobody at the hub knows it is me")).await?;
        let sender = message
            .find(Locator::Css("header .sender"))
            .await?
            .text()
            .await?;
        ensure!(sender == "bob", "the sender is shown as {sender:?}");
        message
            .find(Locator::XPath(
                ".//header//span[@role='img' and starts-with(@aria-label, 'Verified: bob')]",
            ))
            .await
            .context("the message has no verified badge")?;
        screenshot(web, "members-pseudonymous").await?;

        // Carol's CLI resolves alice's pseudonym in the room the app made, too.
        let listed = carol.synced_json(&["room", "members", &uri]).await?;
        ensure!(
            listed.as_array().is_some_and(|a| a.iter().any(|m| {
                m["real_user"] == "mimi://localhost/u/alice"
                    && m["verified"] == true
                    && m["user"] != "mimi://localhost/u/alice"
            })),
            "carol does not see alice verified behind a pseudonym: {listed}"
        );
        Ok(())
    }
    .await;
    app.finish("pseudonymous", story).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_newcomer_alone_tries_the_demo_room_with_two_bots() -> Result<()> {
    let _one_app = ONE_APP.lock().await;
    // Given a hub and the app started as `make run` starts it: `--demo`.
    let hub = Hub::spawn().await?;
    let app = App::start_with(&["--demo"]).await?;
    let web = &app.web;

    let story = async {
        // When a newcomer signs up, a moderated Demo room appears with two bot members, real
        // clients on the same hub, who greet them.
        sign_up(web, &hub.url, "newcomer").await?;
        xpath(web, "//nav[@aria-label='Rooms']//button[contains(., 'Demo')]")
            .await?
            .click()
            .await?;
        xpath(web, "//header[contains(@class,'room-header')]//h1[.='Demo']").await?;
        for bot in ["ada", "max"] {
            xpath(
                web,
                &format!("//aside[@aria-label='Members']//li[@title='mimi://localhost/u/{bot}' and contains(., 'speaker')]"),
            )
            .await?;
        }
        xpath(web, "//article[contains(@class,'message')]//p[starts-with(., \"Hi, I'm Ada\")]").await?;
        let spam = message_xpath("Buy cheap watches at watches.example, only today!!!");
        xpath(web, &format!("{spam}//button[@aria-label='Report this message from max']")).await?;

        // They answer: Ada to what the newcomer writes (as a message: no role of the moderated
        // preset may reply), Max with a reaction.
        element(web, "textarea[aria-label='Message']")
            .await?
            .send_keys(&format!("Hello, bots{}", Key::Enter))
            .await?;
        xpath(
            web,
            "//article[contains(@class,'message')]//p[contains(@class,'text') and starts-with(., 'You said “Hello, bots”')]",
        )
        .await?;
        xpath(
            web,
            &format!("{}//div[@aria-label='Reactions']/button[contains(., '1')]", message_xpath("Hello, bots")),
        )
        .await?;
        screenshot(web, "demo").await?;

        // The newcomer is the room's super_admin: they mute Ada from the moderation panel.
        element(web, "button[aria-label='Open the moderation panel']")
            .await?
            .click()
            .await?;
        element(web, "#moderation button[data-user='mimi://localhost/u/ada']")
            .await?
            .click()
            .await?;
        element(web, "#moderation button[data-action='mute']")
            .await?
            .click()
            .await?;
        // The confirmation is enabled once the engine has answered.
        element(web, "#moderation p[data-verdict='allowed']").await?;
        element(web, "#moderation button[aria-label='Confirm: Mute ada']:not([disabled])")
            .await?
            .click()
            .await?;
        xpath(web, "//*[@id='moderation']//p[@role='status' and contains(., 'Done: mute ada')]").await?;
        escape_dialog(web).await?;
        xpath(
            web,
            "//aside[@aria-label='Members']//li[@title='mimi://localhost/u/ada' and not(contains(., 'speaker'))]",
        )
        .await?;
        Ok(())
    }
    .await;
    app.finish("demo", story).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver, WebKitWebDriver and python3-dbusmock: `make test` runs it"]
async fn a_message_in_the_background_raises_an_os_notification_unless_turned_off() -> Result<()> {
    let _one_app = ONE_APP.lock().await;
    // Given a desktop session with a notification server, a hub, bob (headless) and alice in
    // the app, in bob's room.
    let notifications = NotificationServer::start()?;
    let hub = Hub::spawn().await?;
    let bob_home = tempfile::tempdir()?;
    let bob = Client::register(bob_home.path(), &hub.url, "bob", None, &file_keystore()).await?;
    let app = App::start_on_bus(&[], &notifications.address).await?;
    let web = &app.web;

    let story = async {
        sign_up(web, &hub.url, "alice").await?;
        let room = bob.create_room("Porch").await?;
        bob.invite(&room, &["alice".to_owned()]).await?;
        xpath(web, "//nav[@aria-label='Rooms']//button[contains(., 'Porch')]").await?;

        // While the app's window is focused, bob's message raises no notification.
        bob.send_text(&room, "Still at the desk").await?;
        xpath(web, &message_xpath("Still at the desk")).await?;

        // When alice switches to another program and bob writes, the OS shows who wrote where,
        // and what.
        let elsewhere = Elsewhere::focus()?;
        bob.send_text(&room, "Are you there?").await?;
        let call = notifications
            .wait_for("bob in Porch", "Are you there?")
            .await?;
        ensure!(call.contains("\"Conclave\""), "app name: {call}");
        let porch_id = notifications.id_of(&call)?;
        // A second message replaces it with a count.
        bob.send_text(&room, "Hello?").await?;
        notifications
            .wait_for("Porch: 2 new messages", "The latest from bob")
            .await?;
        // Her own messages are never notified.
        element(web, "textarea[aria-label='Message']")
            .await?
            .send_keys(&format!("Here now{}", Key::Enter))
            .await?;

        // When she turns notifications off in Settings, the next message raises none.
        element(web, "button[aria-label='Settings']").await?.click().await?;
        let toggle = element(
            web,
            "input[aria-label='Notify me of new messages while Conclave is in the background']:not([disabled])",
        )
        .await?;
        ensure!(toggle.prop("checked").await?.as_deref() == Some("true"), "on by default");
        toggle.click().await?;
        screenshot(web, "settings-notifications").await?;
        escape_dialog(web).await?;
        let before = notifications.calls().len();
        bob.send_text(&room, "Nobody will be told").await?;
        xpath(web, &message_xpath("Nobody will be told")).await?;
        // Turned on again, the next message is the room's third notified one: the one sent
        // while they were off was neither shown nor counted.
        element(web, "button[aria-label='Settings']").await?.click().await?;
        element(
            web,
            "input[aria-label='Notify me of new messages while Conclave is in the background']:not([disabled])",
        )
        .await?
        .click()
        .await?;
        escape_dialog(web).await?;
        bob.send_text(&room, "Back on").await?;
        notifications
            .wait_for("Porch: 3 new messages", "The latest from bob")
            .await?;
        let calls = notifications.calls();
        ensure!(
            calls.len() == before + 1
                && !calls.iter().any(|c| {
                    c.contains("Here now") || c.contains("Nobody") || c.contains("Still at the desk")
                }),
            "notified: {calls:?}"
        );

        // A notification from another room, clicked, brings that room forward. (The click is
        // announced again until the room opens: the app starts listening for it just after the
        // server showed the notification.)
        let garden = bob.create_room("Garden").await?;
        bob.invite(&garden, &["alice".to_owned()]).await?;
        xpath(web, "//nav[@aria-label='Rooms']//button[contains(., 'Garden')]").await?;
        xpath(
            web,
            "//nav[@aria-label='Rooms']//button[@aria-current='page'][contains(., 'Porch')]",
        )
        .await?;
        bob.send_text(&garden, "Come outside").await?;
        let call = notifications.wait_for("bob in Garden", "Come outside").await?;
        ensure!(call.contains("[\"default\", \"Open\"]"), "clickable: {call}");
        let id = notifications.id_of(&call)?;
        let opened = "//nav[@aria-label='Rooms']//button[@aria-current='page'][contains(., 'Garden')]";
        eventually("the clicked notification's room to open", async || {
            notifications.click(id)?;
            Ok(web.find_all(Locator::XPath(opened)).await?.first().map(|_| ()))
        })
        .await?;
        xpath(web, &message_xpath("Come outside")).await?;

        // Back in the app (the click brought its window forward; switching back to it does the
        // same), the notifications shown are taken away: the room list counts what is unread.
        elsewhere.back()?;
        eventually("both rooms' notifications to be closed", async || {
            let mut closed = notifications.closed();
            closed.sort_unstable();
            Ok((closed == [porch_id.min(id), porch_id.max(id)]).then_some(()))
        })
        .await
        .with_context(|| format!("closed: {:?}", notifications.closed()))?;
        Ok(())
    }
    .await;
    app.finish("notifications", story).await
}
