//! Importing and sharing in the real app: headless Chromium with a virtual authenticator
//! signs up, imports files through the import page, makes a passcode link on the share page,
//! and a second browser on a phone-sized screen opens it as a clinician would, until the
//! patient revokes it.
//!
//! The pages are reached by the app's own links, never by loading a URL: the account key
//! lives in the page's memory only, and a reload would lock the record (as it should).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::Page;
use folio_tests::browser::{
    Browser, accept_confirmations, accessibility_violations, add_virtual_authenticator, choose,
    click, expect_vault_unlocked, fill, pick_files, resize, screenshot, sign_up, text_of, visit,
    wait_for,
};
use folio_tests::{Engine, TestServer, app_dir};
use serde_json::Value;

const PHONE: (u32, u32) = (390, 844);
/// The narrowest phone the viewer is built for.
const SMALL_PHONE: (u32, u32) = (360, 740);

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

async fn start_server() -> TestServer {
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}: run `cargo xtask test`, which builds it",
        dist.display()
    );
    TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist).await
}

/// Signs up with a PRF passkey, so the record is unlocked in this page.
async fn signed_up_patient(server: &TestServer, name: &str) -> (Browser, Page) {
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, true).await;
    sign_up(
        &page,
        name,
        &format!("records-{}-signed-up.png", slug(name)),
    )
    .await;
    expect_vault_unlocked(&page).await;
    (browser, page)
}

/// The path of every request kept in any of the page's caches.
async fn cached_paths(page: &Page) -> Vec<String> {
    let json = page
        .evaluate(
            "(async () => { const paths = []; \
               for (const name of await caches.keys()) { \
                 const cache = await caches.open(name); \
                 for (const request of await cache.keys()) paths.push(new URL(request.url).pathname); \
               } \
               return JSON.stringify(paths); })()",
        )
        .await
        .expect("the caches can be listed")
        .into_value::<String>()
        .expect("a JSON string");
    serde_json::from_str(&json).expect("a list of paths")
}

fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

/// Resources per type in a FHIR Bundle file, read independently of the importers.
fn bundle_counts(path: &Path) -> BTreeMap<String, usize> {
    let bundle: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut counts = BTreeMap::new();
    for entry in bundle["entry"].as_array().unwrap() {
        let ty = entry["resource"]["resourceType"]
            .as_str()
            .unwrap()
            .to_owned();
        *counts.entry(ty).or_default() += 1;
    }
    counts
}

/// Imports `files` on the import page (reached from the start page) and waits for the
/// report; returns each file's status and counts as the report shows them.
async fn import(page: &Page, provider: &str, files: &[PathBuf]) -> Vec<FileReport> {
    click(page, "a[href=\"/import\"]").await;
    fill(page, "#import-provider", provider).await;
    import_on_this_page(page, files).await
}

/// Picks `files` on the import page already open and waits for the report.
async fn import_on_this_page(page: &Page, files: &[PathBuf]) -> Vec<FileReport> {
    pick_files(page, "[data-testid=import-files]", files).await;
    wait_for(
        page,
        &format!(
            "document.querySelectorAll('[data-testid=import-file]').length === {} \
             && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
            files.len()
        ),
        Duration::from_secs(120),
    )
    .await;
    read_reports(page).await
}

/// Each file's line of the import report (the counts and warnings are folded in its
/// "Details", so read as text, not as shown).
async fn read_reports(page: &Page) -> Vec<FileReport> {
    let reports = page
        .evaluate(
            "JSON.stringify([...document.querySelectorAll('[data-testid=import-file]')].map(f => ({ \
               file: f.querySelector('h3').innerText, status: f.dataset.status, \
               counts: Object.fromEntries([...f.querySelectorAll('[data-testid=import-count]')] \
                 .map(r => [r.dataset.type, Number(r.cells[1].textContent)])), \
               errors: [...f.querySelectorAll('.import-errors li')].map(li => li.textContent), \
               warnings: [...f.querySelectorAll('.import-warnings li')].map(li => li.textContent) })))",
        )
        .await
        .expect("the report")
        .into_value::<String>()
        .expect("a JSON string");
    serde_json::from_str(&reports).expect("the report as JSON")
}

#[derive(Debug, serde::Deserialize)]
struct FileReport {
    file: String,
    status: String,
    counts: BTreeMap<String, usize>,
    errors: Vec<String>,
    warnings: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_page_imports_each_file_and_reports_what_it_did() {
    let server = start_server().await;
    let (browser, page) = signed_up_patient(&server, "Martha DeLarosa").await;
    let scratch = tempfile::tempdir().unwrap();
    let broken = scratch.path().join("broken.json");
    std::fs::write(&broken, r#"{"resourceType": "Bundle", "entry": ["#).unwrap();
    let ips = data("ips/IPS_IG-bundle-01.json");
    let ccda = data("ccda/hl7-examples/CCD_1.xml");

    let reports = import(
        &page,
        "Utrecht Medical Centre",
        &[ips.clone(), broken, ccda],
    )
    .await;
    // The C-CDA is about Eve Everywoman, not Martha DeLarosa: held back until the patient
    // answers, here by taking it into this record anyway (browser_identity.rs tests the
    // other way).
    assert!(
        reports[2].status.starts_with("about someone else"),
        "{:?}",
        reports[2]
    );
    click(&page, "[data-testid=import-anyway]").await;
    wait_for(
        &page,
        "!document.querySelector('[data-testid=import-mismatch]') \
         && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
        Duration::from_secs(120),
    )
    .await;
    let reports = read_reports(&page).await;
    screenshot(&page, "records-import-report.png").await;

    assert_eq!(reports[0].file, "IPS_IG-bundle-01.json");
    assert_eq!(reports[0].status, "imported");
    assert_eq!(
        reports[0].counts,
        bundle_counts(&ips),
        "every resource of the bundle is imported"
    );
    assert_eq!(reports[1].status, "failed: nothing was imported");
    assert!(
        reports[1].errors.iter().any(|e| e.contains("broken.json")),
        "the error names the file: {:?}",
        reports[1].errors
    );
    assert_eq!(reports[2].status, "imported", "{:?}", reports[2]);
    assert!(reports[2].counts.contains_key("DocumentReference"));
    let summary = text_of(&page, "[data-testid=import-summary]").await;
    assert!(summary.starts_with("2 of 3 files imported"), "{summary}");
    // Each file says what it added in the patient's terms; FHIR's names wait in "Details".
    let added = text_of(&page, "[data-testid=import-added]").await;
    assert!(
        added.starts_with("Added: ")
            && added.contains("allergies")
            && !added.contains("Intolerance"),
        "{added}"
    );
    let first_file = text_of(&page, "[data-testid=import-file]").await;
    assert!(!first_file.contains("AllergyIntolerance"), "{first_file}");

    // The same file again adds nothing.
    click(&page, "a[href=\"/\"].button").await;
    let again = import(&page, "Utrecht Medical Centre", &[ips]).await;
    assert_eq!(again[0].status, "already imported: nothing new");

    // The record holds the two imports as two sealed parts, which the start page counts
    // from the server (for the tests: the patient reads no such number).
    click(&page, "a[href=\"/\"].button").await;
    expect_vault_unlocked(&page).await;
    let parts = wait_for(
        &page,
        "document.querySelector('[data-testid=vault-status]').dataset.parts",
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(parts, "2");
    browser.close().await;
    server.stop().await;
}

/// A SMART Health Card imports through the import worker: its ES256 signature checked
/// there against the issuer keys given by hand (the test has no network to fetch them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_health_card_imports_verified_against_the_issuer_keys_given_by_hand() {
    let server = start_server().await;
    let (browser, page) = signed_up_patient(&server, "Johnny Revere").await;
    let jwks = data("shc/spec-examples/issuer/.well-known/jwks.json");
    let card = data("shc/spec-examples/example-00-e-file.smart-health-card");
    click(&page, "a[href=\"/import\"]").await;
    pick_files(&page, "#import-jwks", &[jwks]).await;
    wait_for(
        &page,
        "document.body.textContent.includes('keys in jwks.json') ? 'done' : ''",
        Duration::from_secs(10),
    )
    .await;
    let reports = import_on_this_page(&page, &[card]).await;
    assert_eq!(reports[0].status, "imported", "{:?}", reports[0]);
    assert!(
        reports[0].counts.contains_key("Immunization"),
        "{:?}",
        reports[0]
    );
    assert!(
        !reports[0]
            .warnings
            .iter()
            .any(|w| w.contains("not verified")),
        "the card is verified: {:?}",
        reports[0].warnings
    );
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinician_opens_a_passcode_link_on_a_phone_until_the_patient_revokes_it() {
    let server = start_server().await;
    let (patient_browser, patient) = signed_up_patient(&server, "Martha DeLarosa").await;
    let reports = import(
        &patient,
        "Utrecht Medical Centre",
        &[data("ips/IPS_IG-bundle-01.json")],
    )
    .await;
    assert_eq!(reports[0].status, "imported");
    click(&patient, "a[href=\"/\"].button").await;
    click(&patient, "a[href=\"/share\"]").await;

    // Allergies and medications only, behind a passcode.
    text_of(&patient, "[data-testid=share-preview-counts]").await;
    for category in [
        "problems",
        "immunizations",
        "results",
        "vital_signs",
        "procedures",
        "encounters",
        "documents",
    ] {
        click(
            &patient,
            &format!("[data-testid=share-category-{category}]"),
        )
        .await;
    }
    let preview = wait_for(
        &patient,
        "(() => { const p = document.querySelector('[data-testid=share-preview-counts]'); \
         return p && !p.innerText.includes('problems') ? p.innerText : ''; })()",
        Duration::from_secs(20),
    )
    .await;
    assert!(
        preview.contains("2 allergies") && preview.contains("2 medications"),
        "the preview says what the link holds: {preview}"
    );
    fill(&patient, "#share-label", "For the pharmacist").await;
    fill(&patient, "[data-testid=share-passcode]", "tulip-42").await;
    click(&patient, "[data-testid=share-create]").await;
    let link = wait_for(
        &patient,
        "(() => { const i = document.querySelector('[data-testid=share-link]'); return i ? i.value : ''; })()",
        Duration::from_secs(30),
    )
    .await;
    assert!(
        link.starts_with(&server.public("/view#shlink:/")),
        "a viewer link on this server: {link}"
    );
    wait_for(
        &patient,
        "document.querySelector('[data-testid=share-qr]') ? 'qr' : ''",
        Duration::from_secs(10),
    )
    .await;
    let row = text_of(&patient, "[data-testid=share-row]").await;
    assert!(
        row.contains("For the pharmacist")
            && (row.contains("Active: expires in 6 d 23 h")
                || row.contains("Active: expires in 7 d 0 h")),
        "{row}"
    );
    screenshot(&patient, "records-share-link-made.png").await;

    // The clinician, on another (small) phone with no account.
    let clinician_browser = Browser::launch(SMALL_PHONE.0, SMALL_PHONE.1).await;
    // With its service worker running, as on a real phone (it opens by script, as
    // `open_rewriting` does, since the viewer rewrites its address).
    let clinician = clinician_browser.open_with_service_workers(&link).await;
    fill(&clinician, "[data-testid=viewer-recipient]", "Dr Jansen").await;
    fill(&clinician, "[data-testid=viewer-passcode]", "tulip-42").await;
    click(&clinician, "[data-testid=viewer-submit]").await;
    let allergies = text_of(&clinician, "[data-testid=viewer-allergies]").await;
    assert!(
        allergies.to_lowercase().contains("penicillin"),
        "{allergies}"
    );
    let medications = text_of(&clinician, "[data-testid=viewer-medications]").await;
    assert!(
        medications.to_lowercase().contains("anastrozole"),
        "{medications}"
    );
    let problems = clinician
        .evaluate("document.querySelector('[data-testid=viewer-problems]').innerText")
        .await
        .unwrap()
        .into_value::<String>()
        .unwrap();
    assert!(
        !problems.to_lowercase().contains("breast"),
        "problems were not shared: {problems}"
    );
    let width = clinician
        .evaluate(format!(
            "document.documentElement.scrollWidth <= {}",
            SMALL_PHONE.0
        ))
        .await
        .unwrap()
        .into_value::<bool>()
        .unwrap();
    assert!(
        width,
        "the summary fits a 360-px screen without sideways scrolling"
    );
    screenshot(&clinician, "records-clinician-phone-summary.png").await;

    // The patient sees the open in the list and the log, then revokes.
    click(&patient, "a[href=\"/\"]").await;
    click(&patient, "a[href=\"/share\"]").await;
    let opens = text_of(&patient, "[data-testid=share-opens]").await;
    assert!(opens.starts_with("Opened once"), "{opens}");
    click(&patient, "[data-testid=share-show-log]").await;
    let entry = text_of(&patient, "[data-testid=share-log-entry]").await;
    assert!(
        entry.contains("Dr Jansen") && entry.contains("Opened"),
        "{entry}"
    );
    text_of(&patient, "[data-testid=share-log-intact]").await;
    accept_confirmations(&patient).await;
    click(&patient, "[data-testid=share-revoke]").await;
    let status = wait_for(
        &patient,
        "(() => { const s = document.querySelector('[data-testid=share-status]'); \
         return s && s.innerText === 'Revoked' ? s.innerText : ''; })()",
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(status, "Revoked");

    // Once the service worker is active it controls every page loaded after, so the second
    // visit's link answers pass through it: they must not be kept for the next person at
    // this phone.
    wait_for(
        &clinician,
        "navigator.serviceWorker.getRegistration() \
           .then((r) => r && r.active ? 'active' : '')",
        Duration::from_secs(30),
    )
    .await;

    // The clinician opens the link again (the viewer clears the key from the address bar,
    // so a reload is a visit to the link; by way of a blank page, because going from
    // `/view` to `/view#…` would only change the fragment and not load the page).
    visit(&clinician, "about:blank").await;
    visit(&clinician, &link).await;
    fill(&clinician, "[data-testid=viewer-recipient]", "Dr Jansen").await;
    fill(&clinician, "[data-testid=viewer-passcode]", "tulip-42").await;
    click(&clinician, "[data-testid=viewer-submit]").await;
    let refused = text_of(&clinician, "[data-testid=viewer-error]").await;
    assert!(refused.contains("revoked"), "{refused}");
    screenshot(&clinician, "records-clinician-after-revoke.png").await;
    wait_for(
        &clinician,
        "navigator.serviceWorker.controller ? 'controlled' : ''",
        Duration::from_secs(10),
    )
    .await;
    let kept = cached_paths(&clinician).await;
    assert!(
        kept.iter().any(|path| path == "/"),
        "the service worker keeps the app itself: {kept:?}"
    );
    assert!(
        !kept
            .iter()
            .any(|path| path.starts_with("/shl/") || path.starts_with("/api/")),
        "no link or API answer is kept in the browser's caches: {kept:?}"
    );

    clinician_browser.close().await;
    patient_browser.close().await;
    server.stop().await;
}

/// Records every console error and uncaught error of the page from now on (a panic in the
/// app reaches the console through its panic hook).
async fn record_console_errors(page: &Page) {
    page.evaluate(
        "(() => { window.__folioErrors = []; const original = console.error; \
           console.error = (...args) => { window.__folioErrors.push(args.map(String).join(' ')); \
             original.apply(console, args); }; \
           window.addEventListener('error', (e) => window.__folioErrors.push(String(e.message))); \
           window.addEventListener('unhandledrejection', (e) => window.__folioErrors.push(String(e.reason))); \
           return 'recording'; })()",
    )
    .await
    .expect("the recorder installs");
}

async fn console_errors(page: &Page) -> Vec<String> {
    page.evaluate(
        "JSON.stringify(window.__folioErrors || ['the recorder is gone: the page reloaded'])",
    )
    .await
    .ok()
    .and_then(|v| v.into_value::<String>().ok())
    .and_then(|json| serde_json::from_str(&json).ok())
    .unwrap_or_else(|| vec!["the page did not answer".into()])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_share_page_makes_twenty_links_in_a_row_without_a_panic() {
    let server = start_server().await;
    let (browser, patient) = signed_up_patient(&server, "Rosa Delgado").await;
    let reports = import(
        &patient,
        "Utrecht Medical Centre",
        &[data("ips/IPS_IG-bundle-01.json")],
    )
    .await;
    assert_eq!(reports[0].status, "imported");
    click(&patient, "a[href=\"/\"].button").await;
    click(&patient, "a[href=\"/share\"]").await;
    text_of(&patient, "[data-testid=share-preview-counts]").await;
    record_console_errors(&patient).await;

    let expiries = ["1h", "1d", "30d", "90d", "1y", "7d"];
    let mut previous = String::new();
    for round in 0..20 {
        if round % 2 == 1 {
            // Away and back, as a patient does between links: the page is made afresh.
            click(&patient, "a.brand").await;
            click(&patient, "a[href=\"/share\"]").await;
        }
        choose(
            &patient,
            "[data-testid=share-expiry]",
            expiries[round % expiries.len()],
        )
        .await;
        click(&patient, "[data-testid=share-category-procedures]").await;
        fill(&patient, "#share-label", &format!("Link {round}")).await;
        click(&patient, "[data-testid=share-create]").await;
        let link = wait_for(
            &patient,
            &format!(
                "(() => {{ const i = document.querySelector('[data-testid=share-link]'); \
                 return i && i.value !== {} ? i.value : ''; }})()",
                serde_json::to_string(&previous).unwrap()
            ),
            Duration::from_secs(30),
        )
        .await;
        previous = link;
        let errors = console_errors(&patient).await;
        assert!(errors.is_empty(), "round {round}: {errors:?}");
    }
    let rows = patient
        .evaluate("document.querySelectorAll('[data-testid=share-row]').length")
        .await
        .unwrap()
        .into_value::<u64>()
        .unwrap();
    assert_eq!(rows, 20, "every link is listed");
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlocking_from_a_record_page_lands_on_that_page() {
    let server = start_server().await;
    let (browser, patient) = signed_up_patient(&server, "Ivo Brandt").await;
    let reports = import(
        &patient,
        "Utrecht Medical Centre",
        &[data("ips/IPS_IG-bundle-01.json")],
    )
    .await;
    assert_eq!(reports[0].status, "imported");

    // Opened afresh (a bookmark, a reload): signed in, but the key is not in this page. By
    // script, not `visit`: the page moves on to `/unlock` at once, which `visit` (waiting to
    // see the address it was given) may never catch.
    patient
        .evaluate(format!(
            "window.location.assign({}); 'going'",
            serde_json::to_string(&server.public("/record/medications")).unwrap()
        ))
        .await
        .unwrap();
    let waiting = wait_for(
        &patient,
        "location.pathname === '/unlock' ? location.search : ''",
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(waiting, "?next=%2Frecord%2Fmedications");
    click(&patient, ".card button.primary").await;
    wait_for(
        &patient,
        "location.pathname === '/record/medications' ? 'there' : ''",
        Duration::from_secs(20),
    )
    .await;
    let list = text_of(&patient, "[data-testid=list]").await;
    assert!(list.to_lowercase().contains("anastrozole"), "{list}");

    // A `next` off this app is not followed.
    visit(
        &patient,
        &server.public("/unlock?next=%2F%2Fevil.example%2F"),
    )
    .await;
    click(&patient, ".card button.primary").await;
    wait_for(
        &patient,
        "location.pathname === '/' ? 'home' : ''",
        Duration::from_secs(20),
    )
    .await;
    browser.close().await;
    server.stop().await;
}

/// Where the banner and section `id` are on screen after its index link was followed:
/// `{banner_top, banner_bottom, head_bottom, section_top, height, focused}`.
const AFTER_JUMP: &str = "(id) => { \
    const banner = document.querySelector('[data-testid=viewer-patient]').getBoundingClientRect(); \
    const head = document.querySelector('[data-testid=viewer-head]').getBoundingClientRect(); \
    const section = document.getElementById(id).getBoundingClientRect(); \
    return JSON.stringify({ banner_top: banner.top, banner_bottom: banner.bottom, \
      head_bottom: head.bottom, section_top: section.top, height: window.innerHeight, \
      focused: document.activeElement ? document.activeElement.id : '' }); }";

#[derive(Debug, serde::Deserialize)]
struct AfterJump {
    banner_top: f64,
    banner_bottom: f64,
    head_bottom: f64,
    section_top: f64,
    height: f64,
    focused: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinician_reads_a_whole_record_by_its_index_with_the_patient_always_on_screen() {
    let server = start_server().await;
    let (patient_browser, patient) = signed_up_patient(&server, "Fletcher Hyatt").await;
    // A lifetime: 127 visits over many years, no allergy on record.
    let file = data("fhir-r4/synthea/Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json");
    let reports = import(&patient, "Riverside Clinic", &[file]).await;
    assert_eq!(reports[0].status, "imported", "{reports:?}");
    click(&patient, "a[href=\"/\"].button").await;
    click(&patient, "a[href=\"/share\"]").await;
    text_of(&patient, "[data-testid=share-preview-counts]").await;
    fill(&patient, "#share-label", "For Dr Jansen").await;
    click(&patient, "[data-testid=share-create]").await;
    let link = wait_for(
        &patient,
        "(() => { const i = document.querySelector('[data-testid=share-link]'); return i ? i.value : ''; })()",
        Duration::from_secs(60),
    )
    .await;

    let clinician_browser = Browser::launch(PHONE.0, PHONE.1).await;
    let clinician = clinician_browser.open_rewriting(&link).await;
    fill(&clinician, "[data-testid=viewer-recipient]", "Dr Jansen").await;
    // A clinician has no account here: the masthead offers none.
    let account_links: bool = clinician
        .evaluate("!!document.querySelector('.masthead a[href=\"/signin\"], .masthead a[href=\"/signup\"]')")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(
        !account_links,
        "the viewer's masthead offers Sign in or Sign up"
    );
    click(&clinician, "[data-testid=viewer-submit]").await;
    text_of(&clinician, "[data-testid=viewer-index]").await;
    let shared = text_of(&clinician, "[data-testid=viewer-banner-shared]").await;
    assert!(
        shared.starts_with("Shared as “For Dr Jansen”, until "),
        "{shared}"
    );
    let allergies = text_of(&clinician, "[data-testid=viewer-banner-allergies]").await;
    assert_eq!(allergies, "No allergies recorded");

    // A lifetime of visits is folded by year; long sections show their first lines.
    let years: u32 = clinician
        .evaluate("document.querySelectorAll('details.viewer-year').length")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(years >= 5, "encounters folded into {years} years");
    let phone_height: f64 = clinician
        .evaluate("document.documentElement.scrollHeight")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    let hidden_before: u32 = clinician
        .evaluate("[...document.querySelectorAll('.viewer-more')].filter(e => e.offsetHeight === 0).length")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(hidden_before > 0, "long sections start short");
    screenshot(&clinician, "viewer-index-phone.png").await;

    let ids: Vec<String> = clinician
        .evaluate(
            "JSON.stringify([...document.querySelectorAll('[data-testid=viewer-index-link]')] \
             .map(a => a.getAttribute('href').slice(1)))",
        )
        .await
        .unwrap()
        .into_value::<String>()
        .map(|json| serde_json::from_str(&json).unwrap())
        .unwrap();
    assert_eq!(ids.len(), 15, "{ids:?}");
    for width in [PHONE.0, 1280] {
        resize(&clinician, width, if width < 600 { PHONE.1 } else { 900 }).await;
        // Last section first, so every jump moves the page.
        for id in ids.iter().rev() {
            click(
                &clinician,
                &format!("[data-testid=viewer-index-link][href=\"#{id}\"]"),
            )
            .await;
            let after: AfterJump = clinician
                .evaluate(format!("({AFTER_JUMP})({id:?})"))
                .await
                .unwrap()
                .into_value::<String>()
                .map(|json| serde_json::from_str(&json).unwrap())
                .unwrap();
            assert!(
                after.banner_top >= -0.5 && after.banner_bottom <= after.height,
                "at {width} px after {id}, the banner is on screen: {after:?}"
            );
            // The section starts just under the banner and index, unless the page cannot
            // scroll that far (the last sections of a short page).
            let at_the_end: bool = clinician
                .evaluate("window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 1")
                .await
                .unwrap()
                .into_value()
                .unwrap();
            assert!(
                after.section_top >= after.head_bottom - 1.0 && after.section_top < after.height,
                "at {width} px, {id} is on screen below the banner: {after:?}"
            );
            if !at_the_end {
                assert!(
                    after.section_top - after.head_bottom < 20.0,
                    "at {width} px, {id} starts right under the banner: {after:?}"
                );
            }
            assert_eq!(after.focused, format!("{id}-title"), "at {width} px");
        }
        screenshot(&clinician, &format!("viewer-index-{width}.png")).await;
    }

    // "Show all" opens a long section in place.
    let button = "document.querySelector('.viewer-show-all button')";
    let words: String = clinician
        .evaluate(format!("{button}.innerText"))
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(words.starts_with("Show all "), "{words}");
    clinician
        .evaluate(format!("{button}.click()"))
        .await
        .unwrap();
    let hidden_after: u32 = clinician
        .evaluate("[...document.querySelectorAll('.viewer-more')].filter(e => e.offsetHeight === 0).length")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(
        hidden_after < hidden_before,
        "{hidden_after} of {hidden_before} still hidden"
    );
    let violations = accessibility_violations(&clinician).await;
    assert!(
        violations.is_empty(),
        "axe-core on the viewer:\n{}",
        violations.join("\n")
    );
    println!("the viewer at 390 px: {phone_height} px tall, {years} years of encounters");
    assert!(
        phone_height < 20_000.0,
        "a two-minute read, not {phone_height} px of scrolling"
    );

    clinician_browser.close().await;
    patient_browser.close().await;
    server.stop().await;
}
