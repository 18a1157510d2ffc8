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
