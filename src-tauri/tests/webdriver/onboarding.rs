//! A newcomer's first steps: onboarding without a keyring and talking with a CLI user (replies,
//! reactions, edits, deletes, the room switcher, settings), and the demo room with two bots.

use anyhow::{Context, Result, ensure};
use conclave_client::Client;
use fantoccini::Locator;
use fantoccini::key::Key;

use crate::support::*;

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
    let (_driver, web) = launch_without_keyring(app_home.path()).await?;

    let story = async {
        // When alice registers through onboarding…
        fill(&web, "input[aria-label='Hub URL']", &hub.url).await?;
        fill(&web, "input[aria-label='User name']", "alice").await?;
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
        // Bob agreed to be added by her (inviting needs the invitee's consent).
        bob.grant_consent("alice", None).await?;

        // She creates a room and invites bob.
        element(&web, "button[aria-label='New room']")
            .await?
            .click()
            .await?;
        fill(&web, "input[aria-label='Room name']", "Team").await?;
        element(&web, "dialog form button[type='submit']")
            .await?
            .click()
            .await?;
        xpath(&web, "//header[@class and contains(@class,'room-header')]//h1[.='Team']").await?;
        element(&web, "button[aria-label='Invite people']")
            .await?
            .click()
            .await?;
        fill(&web, "input[aria-label='User names to invite']", "bob").await?;
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
        let room = bob.resolve_room(&room.uri)?.uri().clone();

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
            c.room(&room).messages(50)
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
        bob.room(&room).send_text("Hi alice, bob here").await?;
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
            let m = c.room(&room).messages(50).await.ok()?;
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
        bob.room(&room).react(&hello_id, "🎉").await?;
        xpath(
            &web,
            &format!(
                "{}//div[@aria-label='Reactions']/button[@aria-pressed='false' and contains(., '1')]",
                "//article[contains(@class,'message')][.//p[contains(@class,'text') and starts-with(., 'Hello from the app, edited')]]"
            ),
        )
        .await?;
        let his_id = bob
            .room(&room).messages(50)
            .await?
            .into_iter()
            .find(|m| m.text.as_deref() == Some("Hi alice, bob here"))
            .context("bob's message")?
            .id;
        bob.room(&room).edit(&his_id, "Hi alice, bob here (typo fixed)").await?;
        xpath(
            &web,
            "//article[contains(@class,'message')]//p[contains(@class,'text') and starts-with(., 'Hi alice, bob here (typo fixed)')]/span[.='(edited)']",
        )
        .await?;
        screenshot(&web, "replies-reactions-edits").await?;

        // When bob asks alice to let him add her to rooms and she allows it from the
        // Connections dialog…
        bob.request_consent("alice", None).await?;
        allow_to_add(&web, "bob").await?;
        // …and bob invites alice to a room of his and writes there, it appears with an unread
        // count while alice stays in Team.
        let bobs = bob.create_room("Bob's corner").await?;
        bob.room(&bobs).invite(&["alice".to_owned()]).await?;
        xpath(&web, "//nav[@aria-label='Rooms']//button[contains(., \"Bob's corner\")]").await?;
        bob.room(&bobs).send_text("Psst, over here").await?;
        bob.room(&bobs).send_text("Two unread now").await?;
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
