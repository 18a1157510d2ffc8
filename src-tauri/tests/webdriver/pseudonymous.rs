//! Connections and pseudonymous rooms: asking and accepting from the Connections dialog, and
//! members of a pseudonymous room shown by their verified real names.

use anyhow::{Context, Result, ensure};
use conclave_client::Client;
use fantoccini::Locator;
use fantoccini::key::Key;

use crate::support::*;

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
        let room = bob.resolve_room(&room.uri)?.uri().clone();
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
        bob.room(&room).send_text("Nobody at the hub knows it is me").await?;
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
