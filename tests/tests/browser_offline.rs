//! The app without the server (issue 7): after one online visit, a phone opens the app,
//! unlocks it with its passkey and shows the record while the server is down; when the
//! server is back it fetches only the segments another device added meanwhile. Nothing
//! decrypted is ever in the browser's storage, and signing out forgets the kept copy (offline
//! too: the server's session then ends when it answers again).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::page::GetInstallabilityErrorsParams;
use folio_tests::browser::{
    Browser, add_virtual_authenticator, click, expect_vault_unlocked, fill, open_the_tiny_photo,
    pick_files, screenshot, sign_up, text_of, visit, wait_for,
};
use folio_tests::{Engine, TINY_PNG, TestServer, app_dir};
use serde::Deserialize;

const PHONE: (u32, u32) = (390, 844);
const LAPTOP: (u32, u32) = (1280, 900);

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

/// Everything the app keeps in IndexedDB: the keys, and every value as text (bytes read as
/// Latin-1, so that any plaintext in them would show).
#[derive(Deserialize)]
struct Storage {
    keys: Vec<String>,
    text: String,
}

async fn kept_in_storage(page: &Page) -> Storage {
    let json: String = page
        .evaluate(
            "(async () => { \
               const db = await new Promise((ok, no) => { \
                 const open = indexedDB.open('folio-offline'); \
                 open.onsuccess = () => ok(open.result); open.onerror = () => no(open.error); }); \
               const store = db.transaction('kept', 'readonly').objectStore('kept'); \
               const all = (request) => new Promise((ok, no) => { \
                 request.onsuccess = () => ok(request.result); request.onerror = () => no(request.error); }); \
               const [keys, values] = [await all(store.getAllKeys()), await all(store.getAll())]; \
               db.close(); \
               const latin1 = new TextDecoder('latin1'); \
               const text = values.map((v) => typeof v === 'string' ? v : latin1.decode(v)).join('\\n'); \
               return JSON.stringify({ keys, text }); })()",
        )
        .await
        .expect("IndexedDB is readable")
        .into_value()
        .expect("a string");
    serde_json::from_str(&json).expect("the storage as JSON")
}

/// The kept keys once `settled` holds for them (the app writes IndexedDB in the
/// background), or as they are after five seconds.
async fn kept_keys_once(page: &Page, settled: impl Fn(&[String]) -> bool) -> Vec<String> {
    let mut keys = kept_in_storage(page).await.keys;
    for _ in 0..50 {
        if settled(&keys) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        keys = kept_in_storage(page).await.keys;
    }
    keys
}

async fn wait_until_signed_out(page: &Page, within: Duration) {
    wait_for(
        page,
        "document.querySelector('.masthead a[href=\"/signin\"]') ? 'out' : ''",
        within,
    )
    .await;
}

/// Waits until the service worker controls the page and keeps the app's files.
async fn wait_for_the_shell_to_be_kept(page: &Page) {
    wait_for(
        page,
        "(async () => { \
           if (!navigator.serviceWorker.controller) return ''; \
           const cache = await caches.open('folio-shell-v1'); \
           const paths = (await cache.keys()).map((r) => new URL(r.url).pathname); \
           return paths.includes('/') && paths.some((p) => p.endsWith('.wasm')) \
             && paths.some((p) => p.endsWith('.css')) ? 'kept' : ''; })()",
        Duration::from_secs(30),
    )
    .await;
}

/// How many sealed parts the start page's sync line fetched and found kept (its
/// `data-fetched` and `data-kept`: the patient reads only "Up to date" or "Offline").
async fn sync_counts(page: &Page) -> (usize, usize) {
    let counts: String = page
        .evaluate(
            "(() => { const s = document.querySelector('[data-testid=sync-status]'); \
             return `${s.dataset.fetched} ${s.dataset.kept}`; })()",
        )
        .await
        .expect("the sync line")
        .into_value()
        .expect("text");
    let (fetched, kept) = counts.split_once(' ').expect("two numbers");
    (
        fetched.parse().expect("a number"),
        kept.parse().expect("a number"),
    )
}

async fn import(page: &Page, files: &[PathBuf]) {
    click(page, "a.brand").await;
    click(page, "a[href=\"/import\"]").await;
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_record_opens_offline_and_syncs_what_another_device_added_meanwhile() {
    let dist = app_dir();
    assert!(
        dist.join("index.html").exists(),
        "the app is not built at {}",
        dist.display()
    );
    let mut server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist).await;

    // One online visit on the phone: sign up and import a Synthea bundle and a photo of a
    // letter (kept as an encrypted attachment, and on this device since it uploaded it).
    let phone = Browser::launch(PHONE.0, PHONE.1).await;
    let page = phone
        .open_with_service_workers(&server.public("/signup"))
        .await;
    add_virtual_authenticator(&page, true).await;
    let recovery_code = sign_up(&page, "Alejandro Riojas", "offline-signed-up.png").await;
    expect_vault_unlocked(&page).await;
    let photos = tempfile::tempdir().unwrap();
    let photo = photos.path().join("letter.png");
    std::fs::write(&photo, TINY_PNG).unwrap();
    import(
        &page,
        &[
            data("fhir-r4/synthea/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json"),
            photo,
        ],
    )
    .await;
    click(&page, "a.brand").await;
    let online = text_of(&page, "[data-testid=sync-status]").await;
    assert!(online.starts_with("Up to date"), "{online}");
    let medications_online = text_of(&page, "[data-testid=glance-medications]").await;
    wait_for_the_shell_to_be_kept(&page).await;
    let installability = page
        .execute(GetInstallabilityErrorsParams::default())
        .await
        .expect("Chromium reports installability");
    let errors: Vec<_> = installability
        .result
        .installability_errors
        .iter()
        .map(|error| error.error_id.as_str())
        .collect();
    assert!(
        errors.is_empty(),
        "Chromium would not install the app: {errors:?}"
    );
    let stored = kept_in_storage(&page).await;
    let kept_batches = stored
        .keys
        .iter()
        .filter(|k| k.starts_with("segment/"))
        .count();
    assert!(kept_batches > 0, "segments are kept: {:?}", stored.keys);

    // The server goes down. The phone opens the app afresh: the service worker serves it,
    // the passkey unlocks the kept copy, and the record is there.
    server.pause().await;
    visit(&page, &server.public("/")).await;
    text_of(&page, "[data-testid=offline]").await;
    click(&page, "a[href=\"/unlock\"]").await;
    text_of(&page, "[data-testid=unlock-offline]").await;
    click(&page, "[data-testid=unlock-reason] ~ button.primary").await;
    expect_vault_unlocked(&page).await;
    let offline = text_of(&page, "[data-testid=sync-status]").await;
    assert!(
        offline.starts_with("Offline") && sync_counts(&page).await == (0, kept_batches),
        "{offline}"
    );
    assert_eq!(
        text_of(&page, "[data-testid=glance-medications]").await,
        medications_online,
        "the kept copy shows the same record"
    );
    click(&page, "[data-testid=home-open-record]").await;
    text_of(&page, "[data-testid=record-count]").await;
    // The photo opens too: its sealed blob is kept here, and decrypted in the page.
    open_the_tiny_photo(&page).await;
    screenshot(&page, "offline-record-phone.png").await;

    // Nothing decrypted was written: the patient's name, their medications, the FHIR of the
    // record and the photo appear nowhere in the browser's storage.
    let stored = kept_in_storage(&page).await;
    assert!(
        stored.keys.iter().any(|k| k.starts_with("attachment/")),
        "the photo is kept: {:?}",
        stored.keys
    );
    // "IHDR" opens every PNG's header: the photo is kept sealed.
    for plaintext in [
        "Riojas",
        "Alejandro",
        "resourceType",
        "MedicationRequest",
        "IHDR",
    ] {
        assert!(
            !stored.text.contains(plaintext),
            "`{plaintext}` is in the browser's storage"
        );
    }

    // The server is back, and the patient's laptop (another browser, recovering the
    // account with the recovery code and a passkey of its own) adds a C-CDA meanwhile.
    server.resume().await;
    let laptop = Browser::launch(LAPTOP.0, LAPTOP.1).await;
    let other = laptop.open(&server.public("/recover")).await;
    add_virtual_authenticator(&other, true).await;
    fill(&other, "#recovery-code", &recovery_code).await;
    click(&other, "form button[type=submit]").await;
    fill(&other, "#display-name", "Alejandro Riojas").await;
    click(&other, "form button[type=submit]").await;
    click(&other, "#recovered-title ~ .actions button.primary").await;
    click(&other, "#recovery-code-saved").await;
    click(&other, "#recovery-code-title ~ button.primary").await;
    expect_vault_unlocked(&other).await;
    import(&other, &[data("ccda/hl7-examples/CCD_1.xml")]).await;
    // The C-CDA is about another patient (Eve Everywoman): taken into this record anyway.
    click(&other, "[data-testid=import-anyway]").await;
    wait_for(
        &other,
        "!document.querySelector('[data-testid=import-mismatch]') \
         && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
        Duration::from_secs(120),
    )
    .await;
    laptop.close().await;

    // The phone reconnects by itself; "Try again now" saves the test the wait. Its start
    // page then fetches the laptop's segments only, and shows what they hold.
    click(&page, "[data-testid=reconnect]").await;
    wait_for(
        &page,
        "document.querySelector('[data-testid=offline]') ? '' : 'online'",
        Duration::from_secs(30),
    )
    .await;
    click(&page, "a.brand").await;
    let synced = text_of(&page, "[data-testid=sync-status]").await;
    let (fetched, kept) = sync_counts(&page).await;
    assert!(
        fetched > 0 && kept == kept_batches,
        "only the new segments are fetched: {synced}"
    );
    let allergies = text_of(&page, "[data-testid=glance-allergies]").await;
    assert!(
        allergies.contains("Penicillin"),
        "the C-CDA's allergy, added on the laptop: {allergies}"
    );
    screenshot(&page, "offline-synced-phone.png").await;

    // Signing out offline forgets the kept copy at once; the server, which still holds the
    // session (its cookie is out of the page's reach), ends it when it answers again.
    server.pause().await;
    click(&page, "[data-testid=sign-out]").await;
    wait_until_signed_out(&page, Duration::from_secs(10)).await;
    let left = kept_keys_once(&page, |keys| keys == ["sign-out-pending"]).await;
    assert_eq!(
        left,
        ["sign-out-pending"],
        "only the pending sign-out is left"
    );
    server.resume().await;
    visit(&page, &server.public("/")).await;
    wait_until_signed_out(&page, Duration::from_secs(20)).await;
    wait_for(
        &page,
        "fetch('/api/v1/session', { credentials: 'same-origin' }) \
           .then((r) => r.status === 401 ? 'ended' : '')",
        Duration::from_secs(20),
    )
    .await;
    let left = kept_keys_once(&page, |keys| keys.is_empty()).await;
    assert!(left.is_empty(), "still kept after signing out: {left:?}");

    phone.close().await;
    server.stop().await;
}
