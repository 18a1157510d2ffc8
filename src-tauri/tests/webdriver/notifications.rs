//! OS notifications: a message that arrives while the app is in the background, the setting
//! that turns them off, and a clicked notification bringing its room forward.

use anyhow::{Context, Result, ensure};
use conclave_client::Client;
use fantoccini::Locator;
use fantoccini::key::Key;

use crate::support::*;

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
        // Bob asks alice to let him add her to rooms, and she allows it.
        bob.request_consent("alice", None).await?;
        allow_to_add(web, "bob").await?;
        let room = bob.create_room("Porch").await?;
        bob.room(&room).invite(&["alice".to_owned()]).await?;
        xpath(web, "//nav[@aria-label='Rooms']//button[contains(., 'Porch')]").await?;

        // While the app's window is focused, bob's message raises no notification.
        bob.room(&room).send_text("Still at the desk").await?;
        xpath(web, &message_xpath("Still at the desk")).await?;

        // When alice switches to another program and bob writes, the OS shows who wrote where,
        // and what.
        let elsewhere = Elsewhere::focus()?;
        bob.room(&room).send_text("Are you there?").await?;
        let call = notifications
            .wait_for("bob in Porch", "Are you there?")
            .await?;
        ensure!(call.contains("\"Conclave\""), "app name: {call}");
        let porch_id = notifications.id_of(&call)?;
        // A second message replaces it with a count.
        bob.room(&room).send_text("Hello?").await?;
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
        bob.room(&room).send_text("Nobody will be told").await?;
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
        bob.room(&room).send_text("Back on").await?;
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
        bob.room(&garden).invite(&["alice".to_owned()]).await?;
        xpath(web, "//nav[@aria-label='Rooms']//button[contains(., 'Garden')]").await?;
        xpath(
            web,
            "//nav[@aria-label='Rooms']//button[@aria-current='page'][contains(., 'Porch')]",
        )
        .await?;
        bob.room(&garden).send_text("Come outside").await?;
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
