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

    let heading = wait_for(
        &page,
        "document.querySelector('h2') && document.querySelector('h2').innerText",
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(heading, "Your health record, held by you");
    // What the server runs is for the settings page, not for a patient's first look.
    let landing: String = page
        .evaluate("document.querySelector('main').innerText")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    for word in ["sqlite", "storage", "version", "ciphertext", "vault"] {
        assert!(
            !landing.to_lowercase().contains(word),
            "{word} in: {landing}"
        );
    }
    // Asking whether this visitor is signed in fails no request (no 401 in the console).
    let failed: Vec<String> = page
        .evaluate(
            "performance.getEntriesByType('resource') \
             .filter(e => e.responseStatus >= 400).map(e => `${e.responseStatus} ${e.name}`)",
        )
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(failed.is_empty(), "failed requests: {failed:?}");
    let asked: bool = page
        .evaluate(
            "performance.getEntriesByType('resource') \
             .some(e => e.name.includes('/api/v1/session?optional=true') && e.responseStatus === 204)",
        )
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(asked, "the page asked whether it is signed in");

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

/// The paths of every file the page has fetched so far.
async fn fetched(page: &chromiumoxide::Page) -> Vec<String> {
    page.evaluate("performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)")
        .await
        .expect("the resource timings")
        .into_value()
        .expect("a list of paths")
}

/// The start page loads only the app's main module; a page loaded on demand fetches its
/// module when first opened, and says so, with a way to try again, when it cannot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_load_their_code_on_demand() {
    use chromiumoxide::cdp::browser_protocol::network::{
        BlockPattern, EnableParams, SetBlockedUrLsParams,
    };

    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = app_dir()).await;
    let browser = Browser::launch(390, 844).await;
    let page = browser.open(&server.url("/")).await;
    wait_for(
        &page,
        "(document.querySelector('#welcome')||{}).innerText",
        Duration::from_secs(20),
    )
    .await;
    let start = fetched(&page).await;
    assert!(
        start.iter().any(|p| p.ends_with("/folio-app_bg.wasm")),
        "the main module: {start:?}"
    );
    let on_demand = |paths: &[String]| -> Vec<String> {
        paths
            .iter()
            .filter(|p| p.ends_with(".wasm") && !p.ends_with("/folio-app_bg.wasm"))
            .cloned()
            .collect()
    };
    assert_eq!(
        on_demand(&start),
        Vec::<String>::new(),
        "the start page loads no page's module"
    );

    // In the app, "Create an account" opens the sign-up page, whose module comes then.
    folio_tests::browser::click(&page, "a[href=\"/signup\"]").await;
    wait_for(
        &page,
        "document.querySelector('#signup-title') ? 'ready' : ''",
        Duration::from_secs(20),
    )
    .await;
    let after = fetched(&page).await;
    assert!(
        on_demand(&after)
            .iter()
            .any(|p| p.ends_with("/split_account.wasm")),
        "{after:?}"
    );
    assert!(
        !after.iter().any(|p| p.ends_with("/split_patient.wasm")),
        "only the modules of the page opened are fetched: {after:?}"
    );

    // The clinician viewer's module cannot be fetched: the page says so and offers to try
    // again, which works once the network does. (The module loader logs the failed fetch.)
    browser.expect_console_errors("TypeError: Failed to fetch");
    let viewer = browser.open("about:blank").await;
    viewer
        .execute(EnableParams::default())
        .await
        .expect("network events");
    let block = |patterns: Vec<BlockPattern>| {
        SetBlockedUrLsParams::builder()
            .url_patterns(patterns)
            .build()
    };
    viewer
        .execute(block(vec![BlockPattern::new(
            "*://*:*/*/split_viewer.wasm",
            true,
        )]))
        .await
        .expect("the viewer's module is blocked");
    folio_tests::browser::visit(&viewer, &server.url("/view")).await;
    let said = wait_for(
        &viewer,
        "(document.querySelector('[role=alert]')||{}).innerText",
        Duration::from_secs(20),
    )
    .await;
    assert!(said.contains("This page could not be opened"), "{said}");
    assert!(said.contains("Check your connection"), "{said}");
    folio_tests::browser::screenshot(&viewer, "page-unavailable").await;

    viewer
        .execute(block(Vec::new()))
        .await
        .expect("nothing blocked");
    folio_tests::browser::click(&viewer, "[role=alert] button").await;
    wait_for(
        &viewer,
        "document.querySelector('[data-testid=viewer-entry]') ? 'open' : ''",
        Duration::from_secs(20),
    )
    .await;

    browser.close().await;
    server.stop().await;
}
