//! Caregivers in the real app, two people in two browsers, each with their own virtual
//! passkey.
//!
//! - The owner imports a record and invites; the caregiver accepts and sees a safety code;
//!   the owner types it in and confirms; the caregiver opens the record; the owner removes
//!   them (which rotates the key in the owner's page) and the caregiver loses it.
//! - A manager switches into the owner's record, imports and may share there; the owner
//!   reads it in the activity log under the name they gave.
//! - A parent makes a record for a child, imports into it, and hands it over to the child's
//!   own account.
//! - An emergency contact asks for access; the owner refuses within the wait; asked again,
//!   it opens only once the server's clock is past the wait.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::Page;
use folio_server::clock::Clock;
use folio_tests::browser::{
    Browser, add_virtual_authenticator, choose, click, expect_vault_unlocked, fill, paste,
    pick_files, screenshot, sign_up, text_containing, text_of, wait_for,
};
use folio_tests::{Engine, TestServer, app_dir};
use sea_orm::EntityTrait;

const PHONE: (u32, u32) = (390, 844);

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

async fn app_server(clock: Clock) -> TestServer {
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}",
        dist.display()
    );
    TestServer::start_with(Engine::Sqlite, |c| {
        c.app_dir = dist;
        c.clock = clock;
    })
    .await
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

/// From the start page, imports `file` into the record the pages act in; returns the
/// import page's report.
async fn import(page: &Page, file: &str) -> String {
    click(page, "a[href=\"/import\"]").await;
    pick_files(page, "[data-testid=import-files]", &[data(file)]).await;
    wait_for(
        page,
        "document.querySelector('[data-testid=import-file]') \
         && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
        Duration::from_secs(120),
    )
    .await;
    let report = text_of(page, "[data-testid=import-file]").await;
    click(page, "a[href=\"/\"]").await;
    report
}

/// Opens the caregivers page afresh, by the start page's link (a reload would lose the key).
async fn care_page(page: &Page) {
    click(page, "a.brand").await;
    click(page, "a[href=\"/care\"]").await;
}

/// The owner invites `name` with `role` (a value of the role menu) and returns the link.
async fn invite(owner: &Page, name: &str, role: &str) -> String {
    care_page(owner).await;
    fill(owner, "[data-testid=care-name]", name).await;
    choose(owner, "[data-testid=care-role]", role).await;
    click(owner, "[data-testid=care-invite]").await;
    let link = text_of(owner, "[data-testid=care-link]").await;
    assert!(link.contains("/care/accept#fi_"), "{link}");
    link
}

/// The caregiver takes `link` and returns the safety code their screen shows.
async fn accept(carer: &Page, link: &str) -> String {
    care_page(carer).await;
    paste(carer, "[data-testid=care-accept-link]", link).await;
    click(carer, "[data-testid=care-accept]").await;
    let code = text_of(carer, "[data-testid=care-accept-code]").await;
    assert_eq!(code.len(), 35, "{code}");
    code
}

/// The owner compares `their_code` with their own and confirms; returns the message.
async fn confirm(owner: &Page, their_code: &str) -> String {
    care_page(owner).await;
    let our_code = text_of(owner, "[data-testid=care-code]").await;
    assert_eq!(our_code, their_code, "both screens show the same code");
    fill(owner, "[data-testid=care-their-code]", their_code).await;
    click(owner, "[data-testid=care-confirm]").await;
    text_of(owner, "[data-testid=care-message]").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_invites_caregiver_confirms_by_safety_code_then_removes_them() {
    let server = app_server(Clock::default()).await;

    // The owner imports a record and invites from the caregivers page.
    let (owner_browser, owner) = signed_up(&server, "Olga Owner").await;
    import(&owner, "ips/IPS_IG-bundle-01.json").await;
    let link = invite(&owner, "Sam", "viewer").await;
    wait_for(
        &owner,
        "document.querySelector('[data-testid=care-qr]')?.naturalWidth > 0 ? 'qr' : ''",
        Duration::from_secs(10),
    )
    .await;

    // The caregiver, with their own account and passkey, opens the link: the page loads
    // afresh, so they unlock first, and the invitation waits on the caregivers page.
    let (carer_browser, carer) = signed_up(&server, "Sam Carer").await;
    care_page(&carer).await;
    text_of(&carer, "[data-testid=helped-none]").await;
    carer
        .evaluate(format!(
            "window.location.assign({}); 'going'",
            serde_json::to_string(&link).unwrap()
        ))
        .await
        .unwrap();
    click(&carer, "[data-testid=unlock-reason] ~ button.primary").await;
    // Unlocked, they are back on the caregivers page they were opening.
    wait_for(
        &carer,
        "location.pathname === '/care' && document.querySelector('[data-testid=care-accept-link]') \
           ? 'back' : ''",
        Duration::from_secs(20),
    )
    .await;
    let address: String = carer
        .evaluate("window.location.href")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(
        !address.contains("fi_"),
        "the secret left the address bar: {address}"
    );
    care_page(&carer).await;
    let waiting: String = carer
        .evaluate("document.querySelector('[data-testid=care-accept-link]').value")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(
        link.ends_with(&waiting) && waiting.starts_with("fi_"),
        "{waiting}"
    );
    click(&carer, "[data-testid=care-accept]").await;
    let their_code = text_of(&carer, "[data-testid=care-accept-code]").await;
    assert_eq!(their_code.len(), 35, "{their_code}");
    screenshot(&carer, "care-caregiver-code.png").await;

    // The owner's page shows the same code for them; a wrong one is refused.
    care_page(&owner).await;
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
    let confirmed = confirm(&owner, &their_code).await;
    assert!(confirmed.contains("Sam can open the record"), "{confirmed}");
    text_containing(&owner, "[data-testid=care-status]", "Has access").await;
    screenshot(&owner, "care-owner-confirmed.png").await;

    // The caregiver opens the owner's record, named after its patient.
    click(&carer, "[data-testid=helped-refresh]").await;
    let helped = text_containing(&carer, "[data-testid=helped-record]", "entries").await;
    assert!(helped.contains("(viewer)"), "{helped}");
    assert!(helped.contains("Martha DeLarosa's record"), "{helped}");

    // The owner removes them; the key is rotated in the owner's page.
    click(&owner, "[data-testid=care-remove]").await;
    let rotated = text_containing(&owner, "[data-testid=care-message]", "rotated").await;
    assert!(rotated.contains("epoch 2"), "{rotated}");
    text_containing(&owner, "[data-testid=care-status]", "Removed").await;
    screenshot(&owner, "care-owner-removed.png").await;

    // The caregiver has lost it.
    click(&carer, "[data-testid=helped-refresh]").await;
    text_of(&carer, "[data-testid=helped-none]").await;

    // The owner's record has a member list, signed in the owner's browser: started, Sam
    // added on confirmation, then removed with the rotation's new key.
    let db = server.server().storage().db();
    let mut lists = Vec::new();
    for stored in folio_server::storage::entity::vault::Entity::find()
        .all(db)
        .await
        .unwrap()
    {
        let vault = folio_shared::vault::VaultId(stored.id);
        let entries = folio_server::storage::rosters::entries(db, stored.id)
            .await
            .unwrap();
        if !entries.is_empty() {
            lists.push(folio_shared::roster::Roster::verify(vault, &entries, None).unwrap());
        }
    }
    let owners = lists
        .iter()
        .find(|list| list.head().seq > 2)
        .expect("the owner's list grew");
    assert_eq!(
        owners.head().seq,
        5,
        "genesis, key 1, Sam added, Sam removed, key 2"
    );
    assert_eq!(owners.members().len(), 1);
    assert_eq!(
        owners.current_epoch(),
        Some(folio_shared::keys::KeyEpoch(2))
    );

    carer_browser.close().await;
    owner_browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_works_in_the_owners_record_and_the_owner_reads_it_in_the_activity_log() {
    let server = app_server(Clock::default()).await;
    let (owner_browser, owner) = signed_up(&server, "Martha Owner").await;
    import(&owner, "ips/IPS_IG-bundle-01.json").await;
    let link = invite(&owner, "Dan, my son", "manager").await;
    let (carer_browser, carer) = signed_up(&server, "Dan Manager").await;
    let code = accept(&carer, &link).await;
    confirm(&owner, &code).await;

    // The manager switches into the owner's record: every page now acts there.
    care_page(&carer).await;
    let helped = text_containing(&carer, "[data-testid=helped-record]", "entries").await;
    assert!(helped.contains("(manager)"), "{helped}");
    click(&carer, "[data-testid=helped-switch]").await;
    let banner = text_of(&carer, "[data-testid=acting-in]").await;
    assert!(
        banner.contains("Working in Martha DeLarosa's record (as manager)"),
        "{banner}"
    );
    text_of(&carer, "[data-testid=helped-current]").await;

    // They import a C-CDA into it, and may make share links there.
    click(&carer, "a.brand").await;
    click(&carer, "a[href=\"/import\"]").await;
    let target = text_of(&carer, "[data-testid=import-target]").await;
    assert!(target.contains("Martha DeLarosa's record"), "{target}");
    click(&carer, "a.brand").await;
    let report = import(&carer, "ccda/hl7-examples/CCD_1.xml").await;
    assert!(report.contains("imported"), "{report}");
    click(&carer, "a[href=\"/share\"]").await;
    wait_for(
        &carer,
        "document.querySelector('[data-testid=share-list-empty]') ? 'list' : ''",
        Duration::from_secs(60),
    )
    .await;
    let not_allowed: bool = carer
        .evaluate("!!document.querySelector('[data-testid=share-not-allowed]')")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(!not_allowed, "a manager may share");
    screenshot(&carer, "care-manager-acting-in.png").await;

    // The owner sees the new entries in their own record, and who added them.
    care_page(&owner).await;
    click(&owner, "[data-testid=care-activity] summary").await;
    let log = text_containing(&owner, "[data-testid=care-activity-entry]", "Dan, my son").await;
    assert!(log.contains("Dan, my son"), "{log}");
    screenshot(&owner, "care-owner-activity.png").await;

    // Back in their own record, the manager's pages act there again.
    click(&carer, "[data-testid=act-in-own]").await;
    wait_for(
        &carer,
        "document.querySelector('[data-testid=acting-in]') ? '' : 'gone'",
        Duration::from_secs(10),
    )
    .await;

    carer_browser.close().await;
    owner_browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_holds_a_childs_record_then_hands_it_over_to_the_child() {
    let server = app_server(Clock::default()).await;
    let (parent_browser, parent) = signed_up(&server, "Pat Parent").await;
    // The parent's own record, so there is one to come back to.
    import(&parent, "ips/IPS_IG-bundle-01.json").await;

    // The parent makes the child's record, works in it and imports into it.
    care_page(&parent).await;
    click(&parent, "[data-testid=dependant-create]").await;
    let held = text_containing(&parent, "[data-testid=helped-record]", "(owner)").await;
    assert!(held.contains("hold for a dependant"), "{held}");
    click(&parent, "[data-testid=helped-switch]").await;
    text_of(&parent, "[data-testid=acting-in]").await;
    click(&parent, "a.brand").await;
    let report = import(&parent, "ccda/hl7-examples/CCD_1.xml").await;
    assert!(report.contains("imported"), "{report}");

    // The hand-over is offered for this record only; the child accepts with their own
    // account and the parent confirms the code.
    let link = invite(&parent, "Kim, my daughter", "owner").await;
    let (child_browser, child) = signed_up(&server, "Kim Child").await;
    let code = accept(&child, &link).await;
    let handed = confirm(&parent, &code).await;
    assert!(handed.contains("owns the record now"), "{handed}");
    screenshot(&parent, "care-parent-handed-over.png").await;

    // The child's own record is now that one, with what the parent imported.
    click(&child, "a.brand").await;
    expect_vault_unlocked(&child).await;
    let parts: u64 = child
        .evaluate("Number(document.querySelector('[data-testid=vault-status]').dataset.parts)")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(parts > 0, "the record holds what the parent imported");

    // The parent stays on as a manager of it.
    care_page(&parent).await;
    text_containing(&parent, "[data-testid=helped-record]", "(manager)").await;

    child_browser.close().await;
    parent_browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_request_is_refused_within_the_wait_and_opens_after_it() {
    let clock = Clock::default();
    let server = app_server(clock.clone()).await;
    let (owner_browser, owner) = signed_up(&server, "Ola Owner").await;
    import(&owner, "ips/IPS_IG-bundle-01.json").await;
    let link = invite(&owner, "Eve, my partner", "emergency").await;
    let (contact_browser, contact) = signed_up(&server, "Eve Contact").await;
    let code = accept(&contact, &link).await;
    confirm(&owner, &code).await;
    text_containing(&owner, "[data-testid=care-status]", "standing by").await;

    // Standing by, the contact holds the key in escrow but cannot open the record.
    care_page(&contact).await;
    text_of(&contact, "[data-testid=helped-none]").await;
    click(&contact, "[data-testid=standby-request]").await;
    text_containing(
        &contact,
        "[data-testid=standby-status]",
        "You asked for access",
    )
    .await;

    // The owner is told on the start page, and refuses within the wait.
    click(&owner, "a.brand").await;
    let told = text_of(&owner, "[data-testid=home-emergency-request]").await;
    assert!(told.contains("Eve, my partner asked"), "{told}");
    click(&owner, "a[href=\"/care\"]").await;
    let asked = text_of(&owner, "[data-testid=care-request]").await;
    assert!(asked.contains("emergency access"), "{asked}");
    screenshot(&owner, "care-owner-emergency-request.png").await;
    click(&owner, "[data-testid=care-refuse]").await;
    let refused = text_containing(&owner, "[data-testid=care-message]", "Refused").await;
    assert!(refused.contains("Eve, my partner"), "{refused}");

    // Even past the wait, a refused request opens nothing.
    clock.advance(chrono::Duration::hours(49));
    care_page(&contact).await;
    text_of(&contact, "[data-testid=helped-none]").await;
    text_containing(&contact, "[data-testid=standby-status]", "standing by").await;

    // Asked again, it stays shut within the wait and opens after it.
    click(&contact, "[data-testid=standby-request]").await;
    text_containing(
        &contact,
        "[data-testid=standby-status]",
        "You asked for access",
    )
    .await;
    clock.advance(chrono::Duration::hours(47));
    click(&contact, "[data-testid=helped-refresh]").await;
    text_of(&contact, "[data-testid=helped-none]").await;
    clock.advance(chrono::Duration::hours(2));
    click(&contact, "[data-testid=helped-refresh]").await;
    let opened = text_containing(&contact, "[data-testid=helped-record]", "entries").await;
    assert!(opened.contains("Martha DeLarosa's record"), "{opened}");
    screenshot(&contact, "care-emergency-opened.png").await;

    contact_browser.close().await;
    owner_browser.close().await;
    server.stop().await;
}
