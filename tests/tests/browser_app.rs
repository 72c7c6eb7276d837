//! The built WASM app really runs: Chromium loads it from the server under the strict CSP
//! and a Leptos component renders the server's health.

use std::time::Duration;

use folio_tests::browser::{Browser, artifact, wait_for};
use folio_tests::{Engine, TestServer, app_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wasm_app_renders_under_the_csp() {
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}: run `cargo xtask test`, which builds it",
        dist.display()
    );
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist).await;
    let browser = Browser::launch(390, 844).await;
    let page = browser.open(&server.url("/")).await;

    let status = wait_for(
        &page,
        "(document.querySelector('[data-testid=server-status]')||{}).innerText",
        Duration::from_secs(20),
    )
    .await;
    assert!(status.contains("Connected"), "the app says: {status}");
    assert!(status.contains("sqlite"), "the app says: {status}");
    let heading = wait_for(
        &page,
        "document.querySelector('h2') && document.querySelector('h2').innerText",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(heading, "Your health record, held by you");

    // The web manifest: the app's name, start page, standalone display and an icon.
    let manifest: serde_json::Value = page
        .evaluate(
            "(async () => { const link = document.querySelector('link[rel=manifest]'); \
               const answer = await fetch(link.href); \
               return { type: answer.headers.get('content-type'), body: await answer.json() }; })()",
        )
        .await
        .expect("the manifest is fetched")
        .into_value()
        .expect("JSON");
    assert_eq!(manifest["body"]["short_name"], "Folio", "{manifest:#}");
    assert_eq!(manifest["body"]["start_url"], "/");
    assert_eq!(manifest["body"]["display"], "standalone");
    assert!(
        manifest["body"]["icons"][0]["src"]
            .as_str()
            .is_some_and(|s| s.starts_with("/icons/")),
        "{manifest:#}"
    );
    assert!(
        manifest["type"]
            .as_str()
            .is_some_and(|t| t.contains("manifest+json") || t.contains("json")),
        "{manifest:#}"
    );

    page.save_screenshot(
        chromiumoxide::page::ScreenshotParams::builder()
            .full_page(true)
            .build(),
        artifact("foundation-home-phone.png"),
    )
    .await
    .expect("a screenshot");

    // An unknown app route renders the app's own not-found page, not a server error.
    let missing = browser.open(&server.url("/no/such/page")).await;
    let text = wait_for(
        &missing,
        "document.querySelector('h2') && document.querySelector('h2').innerText",
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(text, "This page does not exist");

    browser.close().await;
    server.stop().await;
}
