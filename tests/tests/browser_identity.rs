//! One patient, shown faithfully: a file about someone else is held back on the import
//! page with who it is about and whose record this is; "Start a record for this person"
//! makes a record held for them and imports it there; and that record's start page,
//! `/record`, share preview and the clinician's viewer all name the same person, while
//! the patient's own record still names them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::Page;
use folio_tests::browser::{
    Browser, add_virtual_authenticator, click, expect_vault_unlocked, fill, pick_files, screenshot,
    sign_up, text_of, wait_for,
};
use folio_tests::{Engine, TestServer, app_dir};

const PHONE: (u32, u32) = (390, 844);

/// The sample data, `shared/data` beside the repository: found from the crate upwards, so
/// it is found from a worktree nested deeper as well.
fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/data"))
        .find(|dir| dir.join("README.md").is_file())
        .expect("the sample data, shared/data beside the repository")
}

fn data(path: &str) -> PathBuf {
    data_dir().join(path)
}

/// Picks `file` on the import page (reached from the start page) and waits until its
/// line in the report is there and the run is over; returns the line's status.
async fn import(page: &Page, file: PathBuf) -> String {
    click(page, "a.brand").await;
    click(page, "a[href=\"/import\"]").await;
    pick_files(page, "[data-testid=import-files]", &[file]).await;
    wait_for(
        page,
        "(() => { const f = document.querySelector('[data-testid=import-file]'); \
         return f && !document.querySelector('[data-testid=import-progress]') ? f.dataset.status : ''; })()",
        Duration::from_secs(120),
    )
    .await
}

/// The name the `/record` page's banner shows for the record the pages act in, and how
/// many entries the page says the record holds.
async fn record_banner(page: &Page) -> (String, String) {
    click(page, "a.brand").await;
    click(page, "[data-testid=home-open-record]").await;
    let name = text_of(page, "[data-testid=record-summary] #viewer-patient-name").await;
    (name, text_of(page, "[data-testid=record-count]").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_about_someone_else_goes_into_a_record_of_their_own_named_alike_everywhere() {
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}",
        dist.display()
    );
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist).await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, true).await;
    sign_up(&page, "Martha DeLarosa", "identity-signed-up.png").await;
    expect_vault_unlocked(&page).await;

    // Her own summary (Martha DeLarosa, a woman born 1972-05-01), then a C-CDA about
    // Eve Everywoman, a woman born 1975-05-01.
    let own = import(&page, data("ips/IPS_IG-bundle-01.json")).await;
    assert_eq!(own, "imported");
    let held = import(&page, data("ccda/hl7-examples/CCD_1.xml")).await;
    assert!(held.starts_with("about someone else"), "{held}");
    let about = text_of(&page, "[data-testid=import-mismatch-file]").await;
    let whose = text_of(&page, "[data-testid=import-mismatch-record]").await;
    assert!(
        about.contains("Eve") && about.contains("1975-05-01"),
        "who the file is about: {about}"
    );
    assert!(
        whose.contains("Martha DeLarosa") && whose.contains("1972-05-01"),
        "whose record this is: {whose}"
    );
    text_of(&page, "[data-testid=import-anyway]").await;
    screenshot(&page, "identity-mismatch.png").await;
    let (own_name, own_count) = record_banner(&page).await;
    assert_eq!(own_name, "Martha DeLarosa");

    // Into a record of her own: the file imports there and the pages act in it.
    import(&page, data("ccda/hl7-examples/CCD_1.xml")).await;
    click(&page, "[data-testid=import-new-record]").await;
    let moved = text_of(&page, "[data-testid=import-moved]").await;
    let status = wait_for(
        &page,
        "(() => { const f = document.querySelector('[data-testid=import-file]'); \
         return f && !document.querySelector('[data-testid=import-progress]') ? f.dataset.status : ''; })()",
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(status, "imported", "{moved}");
    let acting = text_of(&page, "[data-testid=acting-in]").await;
    screenshot(&page, "identity-new-record.png").await;

    // `/record` names her; so do the record's name, the start page, the share preview
    // and the clinician's viewer.
    let (name, _) = record_banner(&page).await;
    assert!(name.contains("Eve"), "{name}");
    assert!(
        moved.contains(&name) && acting.contains(&name),
        "{name} in: {moved} / {acting}"
    );
    click(&page, "a.brand").await;
    let glance = text_of(&page, "[data-testid=glance-patient]").await;
    assert!(
        glance.contains(&name) && glance.contains("1975-05-01"),
        "{glance}"
    );
    click(&page, "a[href=\"/share\"]").await;
    let preview = text_of(&page, "[data-testid=share-preview-counts]").await;
    assert!(preview.contains(&format!("for {name}")), "{preview}");
    fill(&page, "#share-label", "For Dr Jansen").await;
    fill(&page, "[data-testid=share-passcode]", "tulip-42").await;
    click(&page, "[data-testid=share-create]").await;
    let link = wait_for(
        &page,
        "(() => { const i = document.querySelector('[data-testid=share-link]'); return i ? i.value : ''; })()",
        Duration::from_secs(30),
    )
    .await;
    let clinician_browser = Browser::launch(PHONE.0, PHONE.1).await;
    let clinician = clinician_browser.open_rewriting(&link).await;
    fill(&clinician, "[data-testid=viewer-recipient]", "Dr Jansen").await;
    fill(&clinician, "[data-testid=viewer-passcode]", "tulip-42").await;
    click(&clinician, "[data-testid=viewer-submit]").await;
    let viewed = text_of(&clinician, "#viewer-patient-name").await;
    assert_eq!(viewed, name, "the clinician reads the same name");
    screenshot(&clinician, "identity-clinician.png").await;

    // Back in her own record: still Martha DeLarosa's, with nothing of Eve's added.
    click(&page, "[data-testid=act-in-own]").await;
    assert_eq!(
        record_banner(&page).await,
        (own_name, own_count),
        "her own record is as it was"
    );

    clinician_browser.close().await;
    browser.close().await;
    server.stop().await;
}
