//! The client's database is encrypted at rest (SECURITY.md "Secrets at rest"): a home made
//! before that (`tests/fixtures/plain-client`, the file keystore) opens in the app, which
//! encrypts it in place and shows its rooms and messages as they were.

use std::path::Path;

use anyhow::{Result, ensure};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_home_made_before_encryption_opens_in_the_app_with_its_rooms() -> Result<()> {
    let _one_app = ONE_APP.lock().await;
    // Given alice's home as an earlier Conclave left it: a plain database, the key file.
    let app_home = tempfile::tempdir()?;
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/plain-client");
    for f in ["conclave.sqlite3", "keystore.json"] {
        std::fs::copy(fixture.join(f), app_home.path().join(f))?;
    }
    let db = app_home.path().join("conclave.sqlite3");
    ensure!(std::fs::read(&db)?.starts_with(b"SQLite format 3\0"));
    // When the app starts on it (its hub is gone: the app says it is offline and goes on)
    let app = App::start_in(
        app_home,
        &[
            ("CONCLAVE_KEYSTORE", "file"),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/conclave-test",
            ),
        ],
        &[],
    )
    .await?;
    let web = &app.web;
    let story = async {
        // Then it shows her room and its messages
        xpath(
            web,
            "//header[@class and contains(@class,'room-header')]//h1[.='Lunch']",
        )
        .await?;
        xpath(web, &message_xpath("Noon at the usual place?")).await?;
        xpath(web, &message_xpath("Yes, see you there")).await?;
        screenshot(web, "encrypted-home").await?;
        // And the database on disk is encrypted now
        ensure!(
            !std::fs::read(&db)?.starts_with(b"SQLite format 3\0"),
            "the database is still plain"
        );
        Ok::<(), anyhow::Error>(())
    }
    .await;
    app.finish("encrypted-home", story).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and WebKitWebDriver: `make test` runs it"]
async fn a_user_who_chose_a_passphrase_is_asked_for_it_at_every_start() -> Result<()> {
    let _one_app = ONE_APP.lock().await;
    let hub = Hub::spawn().await?;
    let app_home = tempfile::tempdir()?;
    let passphrase = "a long walk in the hills";

    // Given alice signing up on a machine without a keyring, who seals her keys under a
    // passphrase, told that a forgotten one cannot be recovered
    let (driver, web) = launch_without_keyring(app_home.path()).await?;
    let story = async {
        fill(&web, "input[aria-label='Hub URL']", &hub.url).await?;
        fill(&web, "input[aria-label='User name']", "alice").await?;
        element(&web, "form button[type='submit']")
            .await?
            .click()
            .await?;
        let choice = element(&web, "form[aria-labelledby='choice-passphrase']").await?;
        ensure!(
            choice.text().await?.contains("cannot be recovered"),
            "the passphrase choice does not say a forgotten one is lost"
        );
        for field in ["New passphrase", "New passphrase again"] {
            fill(&web, &format!("input[aria-label='{field}']"), passphrase).await?;
        }
        xpath(&web, "//button[contains(., 'Use a passphrase')]")
            .await?
            .click()
            .await?;
        element(&web, "button[aria-label='Settings']").await?;
        Ok::<(), anyhow::Error>(())
    }
    .await;
    if let Err(e) = story {
        let _ = screenshot(&web, "passphrase-signup-failure").await;
        return Err(e);
    }
    web.close().await?;
    drop(driver);
    // Then her keys are sealed, in no file in clear
    ensure!(app_home.path().join("keystore.sealed").exists());
    ensure!(!app_home.path().join("keystore.json").exists());

    // When the app starts again, it asks for the passphrase; a wrong one is refused
    let (_driver, web) = launch_without_keyring(app_home.path()).await?;
    let story = async {
        element(&web, "#unlock").await?;
        screenshot(&web, "unlock").await?;
        fill(
            &web,
            "input[aria-label='Passphrase']",
            "a short walk in the hills",
        )
        .await?;
        element(&web, "form button[type='submit']")
            .await?
            .click()
            .await?;
        let alert = element(&web, "[role='alert']").await?;
        ensure!(alert.text().await?.contains("does not open"));
        // and the right one opens her account
        fill(&web, "input[aria-label='Passphrase']", passphrase).await?;
        element(&web, "form button[type='submit']")
            .await?
            .click()
            .await?;
        element(&web, "button[aria-label='Settings']").await?;
        Ok::<(), anyhow::Error>(())
    }
    .await;
    if story.is_err() {
        let _ = screenshot(&web, "unlock-failure").await;
    }
    web.close().await?;
    story
}
