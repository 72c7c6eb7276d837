//! Caregivers in the real app, two people in two browsers, each with their own virtual
//! passkey: the owner imports a record and invites; the caregiver accepts and sees a safety
//! code; the owner types it in and confirms; the caregiver opens the record; the owner
//! removes them (which rotates the key in the owner's page) and the caregiver loses it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::Page;
use folio_tests::browser::{
    Browser, add_virtual_authenticator, click, expect_vault_unlocked, fill, pick_files, screenshot,
    sign_up, text_of, wait_for,
};
use folio_tests::{Engine, TestServer, app_dir};

const PHONE: (u32, u32) = (390, 844);

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

async fn signed_up(server: &TestServer, name: &str) -> (Browser, Page) {
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, true).await;
    let shot = format!(
        "care-{}-signed-up.png",
        name.to_lowercase().replace(' ', "-")
    );
    sign_up(&page, name, &shot).await;
    expect_vault_unlocked(&page).await;
    (browser, page)
}

/// Waits until the text of `selector` contains `needle`, and returns it.
async fn text_containing(page: &Page, selector: &str, needle: &str) -> String {
    let expression = format!(
        "(() => {{ const all = [...document.querySelectorAll({s})].map(e => e.innerText).join('\\n'); \
           return all.includes({n}) ? all : ''; }})()",
        s = serde_json::to_string(selector).unwrap(),
        n = serde_json::to_string(needle).unwrap(),
    );
    wait_for(page, &expression, Duration::from_secs(60)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_invites_caregiver_confirms_by_safety_code_then_removes_them() {
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}",
        dist.display()
    );
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist).await;

    // The owner imports a record.
    let (owner_browser, owner) = signed_up(&server, "Olga Owner").await;
    click(&owner, "a[href=\"/import\"]").await;
    pick_files(
        &owner,
        "[data-testid=import-files]",
        &[data("ips/IPS_IG-bundle-01.json")],
    )
    .await;
    wait_for(
        &owner,
        "document.querySelector('[data-testid=import-file]') \
         && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
        Duration::from_secs(120),
    )
    .await;

    // The owner invites from the caregivers page.
    click(&owner, "a[href=\"/\"]").await;
    click(&owner, "a[href=\"/care\"]").await;
    fill(&owner, "[data-testid=care-name]", "Sam").await;
    click(&owner, "[data-testid=care-invite]").await;
    let link = text_of(&owner, "[data-testid=care-link]").await;
    assert!(link.contains("/care/accept#fi_"), "{link}");
    wait_for(
        &owner,
        "document.querySelector('[data-testid=care-qr]')?.naturalWidth > 0 ? 'qr' : ''",
        Duration::from_secs(10),
    )
    .await;

    // The caregiver, with their own account and passkey, takes it and sees a code.
    let (carer_browser, carer) = signed_up(&server, "Sam Carer").await;
    click(&carer, "a[href=\"/care\"]").await;
    text_of(&carer, "[data-testid=helped-none]").await;
    fill(&carer, "[data-testid=care-accept-link]", &link).await;
    click(&carer, "[data-testid=care-accept]").await;
    let their_code = text_of(&carer, "[data-testid=care-accept-code]").await;
    assert_eq!(their_code.len(), 35, "{their_code}");
    screenshot(&carer, "care-caregiver-code.png").await;

    // The owner's page shows the same code for them; a wrong one is refused.
    click(&owner, "a[href=\"/\"]").await;
    click(&owner, "a[href=\"/care\"]").await;
    let our_code = text_of(&owner, "[data-testid=care-code]").await;
    assert_eq!(our_code, their_code, "both screens show the same code");
    fill(
        &owner,
        "[data-testid=care-their-code]",
        "00000 00000 00000 00000 00000 00000",
    )
    .await;
    click(&owner, "[data-testid=care-confirm]").await;
    let refused = text_of(&owner, "[data-testid=care-message]").await;
    assert!(refused.contains("codes differ"), "{refused}");
    fill(&owner, "[data-testid=care-their-code]", &their_code).await;
    click(&owner, "[data-testid=care-confirm]").await;
    text_containing(&owner, "[data-testid=care-status]", "Has access").await;
    screenshot(&owner, "care-owner-confirmed.png").await;

    // The caregiver opens the owner's record.
    click(&carer, "[data-testid=helped-refresh]").await;
    let helped = text_containing(&carer, "[data-testid=helped-record]", "entries").await;
    assert!(helped.contains("(viewer)"), "{helped}");

    // The owner removes them; the key is rotated in the owner's page.
    click(&owner, "[data-testid=care-remove]").await;
    let rotated = text_containing(&owner, "[data-testid=care-message]", "rotated").await;
    assert!(rotated.contains("epoch 2"), "{rotated}");
    text_containing(&owner, "[data-testid=care-status]", "Removed").await;
    screenshot(&owner, "care-owner-removed.png").await;

    // The caregiver has lost it.
    click(&carer, "[data-testid=helped-refresh]").await;
    text_of(&carer, "[data-testid=helped-none]").await;

    carer_browser.close().await;
    owner_browser.close().await;
    server.stop().await;
}
