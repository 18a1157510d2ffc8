//! Moderation: reporting a message to the hub's operator, the moderation panel (roles, bans,
//! history, the role editor), and what a muted, suspended or promoted member sees.

use anyhow::{Context, Result, ensure};
use conclave_client::Client;
use fantoccini::Locator;

use crate::support::*;

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
        // Bob and carol agreed to be added by alice (inviting needs the invitee's consent).
        bob.grant_consent("alice", None).await?;
        carol.run(&["consent", "grant", "alice"]).await?;

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
        let room = bob.resolve_room(&room.uri)?.uri().clone();
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
            let me = c.room(&room).me_in().await.ok()?;
            (me.name == "speaker").then_some(())
        })
        .await?;

        // …bob spams the room, once honestly and once with a franking tag that does not match.
        bob.room(&room).send_text("Buy cheap watches, only today")
            .await?;
        bob.set_forge_franking_tag(true);
        bob.room(&room).send_text("This one lies about its bytes")
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
        fill(
            web,
            "textarea[aria-label=\"Note for the hub's operator\"]",
            "He posts this in every room",
        )
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
        // Bob asks alice to let him add her to rooms, and she allows it.
        bob.request_consent("alice", None).await?;
        allow_to_add(web, "bob").await?;
        let room = bob
            .create_room_with("Stage", conclave_desktop::policy::preset("moderated")?)
            .await?;
        bob.room(&room)
            .invite_as(&["alice".to_owned()], Some("speaker"))
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
        bob.room(&room).mute("alice").await?;
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
        bob.room(&room).suspend("alice").await?;
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
        bob.room(&room).set_role("alice", "moderator").await?;
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
