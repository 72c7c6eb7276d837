//! A patient's walk through the app (issue 7), in headless Chromium with a virtual passkey:
//! sign up; import a Synthea bundle and a C-CDA file; open the record; find a result by
//! search and open its trend chart; add a patient-reported allergy and edit it; export the
//! whole record as a FHIR Bundle and as NDJSON; lock and unlock; and a page left alone
//! locks itself. Screenshots at phone and desktop size go to `tests/artifacts/`; axe-core
//! checks every page on the way for serious or critical violations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::Page;
use folio_tests::browser::{
    Browser, accessibility_violations, add_virtual_authenticator, choose, click, download,
    expect_vault_unlocked, fill, open_the_tiny_photo, pick_files, resize, screenshot, sign_up,
    text_containing, text_of, wait_for,
};
use folio_tests::{Engine, TINY_PNG, TestServer, app_dir};
use serde_json::Value;

const PHONE: (u32, u32) = (390, 844);

const DESKTOP: (u32, u32) = (1280, 900);

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

/// The page passes axe-core's serious and critical rules.
async fn accessible(page: &Page, what: &str) {
    let violations = accessibility_violations(page).await;
    assert!(
        violations.is_empty(),
        "axe-core on {what}:\n{}",
        violations.join("\n")
    );
}

/// Phone and desktop screenshots of the page as it stands.
async fn screenshots(page: &Page, name: &str) {
    screenshot(page, &format!("patient-{name}-phone.png")).await;
    resize(page, DESKTOP.0, DESKTOP.1).await;
    screenshot(page, &format!("patient-{name}-desktop.png")).await;
    resize(page, PHONE.0, PHONE.1).await;
}

async fn open_record(page: &Page) -> usize {
    click(page, "a.brand").await;
    click(page, "[data-testid=home-open-record]").await;
    let count = text_of(page, "[data-testid=record-count]").await;
    count
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count of entries: {count}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_imports_searches_adds_exports_and_locks_their_record() {
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
    accessible(&page, "the sign-up page").await;
    sign_up(&page, "Alejandro Riojas", "patient-signed-up.png").await;
    expect_vault_unlocked(&page).await;
    accessible(&page, "the start page").await;

    // Import a Synthea bundle and a C-CDA document in one go.
    click(&page, "a[href=\"/import\"]").await;
    accessible(&page, "the import page").await;
    let synthea =
        data("fhir-r4/synthea/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json");
    let bundle: Value = serde_json::from_slice(&std::fs::read(&synthea).unwrap()).unwrap();
    let in_bundle = bundle["entry"].as_array().unwrap().len();
    // And a photo of a paper letter: a 2 × 2 PNG, kept as an encrypted attachment.
    let photos = tempfile::tempdir().unwrap();
    let photo = photos.path().join("letter.png");
    std::fs::write(&photo, TINY_PNG).unwrap();
    pick_files(
        &page,
        "[data-testid=import-files]",
        &[synthea, data("ccda/hl7-examples/CCD_1.xml"), photo],
    )
    .await;
    wait_for(
        &page,
        "document.querySelectorAll('[data-testid=import-file]').length === 3 \
         && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
        Duration::from_secs(120),
    )
    .await;
    // The C-CDA is about Eve Everywoman: the page asks before taking it, and the patient
    // takes it into this record anyway (browser_identity.rs tests the other way).
    accessible(&page, "the question about another patient").await;
    click(&page, "[data-testid=import-anyway]").await;
    wait_for(
        &page,
        "!document.querySelector('[data-testid=import-mismatch]') \
         && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
        Duration::from_secs(120),
    )
    .await;
    accessible(&page, "the import report").await;
    screenshots(&page, "import-report").await;

    // The start page: the summary at a glance, each card linking to its full list.
    click(&page, "a.brand").await;
    let allergies = text_of(&page, "[data-testid=glance-allergies]").await;
    assert!(
        allergies.contains("Penicillin"),
        "the C-CDA's allergy: {allergies}"
    );
    let results = text_of(&page, "[data-testid=glance-results]").await;
    assert!(
        results.contains("Latest results") && results.contains(':'),
        "{results}"
    );
    text_of(&page, "[data-testid=glance-medications]").await;
    text_of(&page, "[data-testid=glance-immunizations]").await;
    accessible(&page, "the start page with the summary").await;
    screenshots(&page, "home").await;

    // The medications card leads to the medications in full: current and past, each past
    // prescription with who prescribed it; the page's navigation leads to the other lists.
    click(&page, "[data-testid=glance-medications] h2 a").await;
    let list = text_of(&page, "[data-testid=list]").await;
    assert!(
        list.contains("Current medications") && list.contains("Past medications"),
        "{list}"
    );
    let past = text_of(&page, "[data-testid=viewer-past-medications]").await;
    assert!(past.contains("Prescribed by: Dr."), "{past}");
    accessible(&page, "the medications list").await;
    screenshots(&page, "medications").await;
    click(&page, ".list-nav a[href=\"/record/procedures\"]").await;
    let procedure = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Procedure")
        .and_then(|e| e["resource"]["code"]["text"].as_str())
        .expect("the bundle holds a procedure");
    let procedures = text_of(&page, "[data-testid=viewer-procedures]").await;
    assert!(
        procedures.contains(procedure),
        "{procedure} in {procedures}"
    );
    // An address with no such list (a mistyped bookmark) says so, and offers the record.
    page.evaluate(
        "history.pushState({}, '', '/record/medicine'); \
         dispatchEvent(new PopStateEvent('popstate', { state: {} }))",
    )
    .await
    .expect("the address changes");
    let unknown = text_of(&page, "[data-testid=list-unknown]").await;
    assert!(unknown.contains("no list at this address"), "{unknown}");
    click(&page, "a.brand").await;

    // The timeline: visits with what happened in them, filtered to one category.
    click(&page, "[data-testid=home-timeline]").await;
    let count = text_of(&page, "[data-testid=timeline-count]").await;
    assert!(count.starts_with("Showing "), "{count}");
    text_of(&page, "[data-testid=timeline-group]").await;
    let events = text_of(&page, "[data-testid=timeline]").await;
    assert!(events.contains("Results"), "{events}");
    let visit = text_of(&page, "[data-testid=timeline-group] .timeline-visit").await;
    assert!(!visit.is_empty(), "a visit heads its entries");
    accessible(&page, "the timeline").await;
    screenshots(&page, "timeline").await;
    // On a phone the filters are folded behind "Filter".
    click(&page, "[data-testid=timeline-filter-toggle]").await;
    for other in [
        "Visits",
        "Results",
        "Medications",
        "Documents",
        "Problems",
        "Allergies",
        "Procedures",
    ] {
        click(
            &page,
            &format!("[data-testid=timeline-category][value={other}]"),
        )
        .await;
    }
    let kinds = wait_for(
        &page,
        "(() => { const kinds = [...document.querySelectorAll('[data-testid=timeline-event] .timeline-kind')] \
           .map(k => k.innerText.trim()); \
           return kinds.length > 0 && kinds.every(k => k === 'Immunizations') ? String(kinds.length) : ''; })()",
        Duration::from_secs(10),
    )
    .await;
    assert!(kinds.parse::<usize>().unwrap() > 0);

    // The record: both files' entries, decrypted here.
    let entries = open_record(&page).await;
    assert!(
        entries > in_bundle,
        "{entries} entries, {in_bundle} from the bundle alone"
    );
    text_of(&page, "[data-testid=viewer-allergies]").await;
    // The history beside what is current: stopped prescriptions with who prescribed them,
    // and the procedures done.
    let past = text_of(&page, "[data-testid=viewer-past-medications]").await;
    assert!(past.contains("Prescribed by: Dr."), "{past}");
    // A long section shows its first lines; "Show all" opens the rest in place.
    let folded: bool = page
        .evaluate("!!document.querySelector('[data-testid=viewer-procedures-all]')")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    if folded {
        click(&page, "[data-testid=viewer-procedures-all]").await;
    }
    let procedures = text_of(&page, "[data-testid=viewer-procedures]").await;
    assert!(
        procedures.contains(procedure),
        "{procedure} in {procedures}"
    );
    accessible(&page, "the record").await;
    screenshots(&page, "record").await;

    // The photo opens from the record: fetched sealed, decrypted here, shown as an image.
    open_the_tiny_photo(&page).await;

    // Find a result by search, by words and by its LOINC code, and open its trend.
    fill(&page, "[data-testid=record-search]", "body weight").await;
    let by_words = text_of(&page, "[data-testid=record-search-count]").await;
    let found: usize = by_words.split_whitespace().next().unwrap().parse().unwrap();
    assert!(
        found >= 4,
        "the bundle's four weights, and the C-CDA's: {by_words}"
    );
    fill(&page, "[data-testid=record-search]", "29463-7").await;
    let by_code = text_of(&page, "[data-testid=record-search-count]").await;
    assert_eq!(
        by_code, "4 matches.",
        "the bundle's weights by their LOINC code"
    );
    // A hit says in words what it is, and shows the code it can be found by.
    let hit = text_of(&page, "[data-testid=record-hit]").await;
    assert!(
        hit.contains("Vital sign")
            && hit.contains("LOINC 29463-7")
            && hit.contains(" kg")
            && !hit.contains("Observation"),
        "{hit}"
    );
    click(&page, "[data-testid=record-hit]").await;
    let detail = text_of(&page, "[data-testid=record-detail]").await;
    assert!(detail.contains("Body Weight"), "{detail}");
    // Its fields in words: no FHIR element names, no bare references to other entries.
    assert!(
        detail.contains("When")
            && !detail.contains("effective date time")
            && !detail.contains("Patient/"),
        "{detail}"
    );
    let source = text_of(&page, "[data-testid=record-source]").await;
    assert!(
        source.contains("Alejandro_Riojas"),
        "the file it came from: {source}"
    );
    wait_for(
        &page,
        "document.querySelector('[data-testid=record-trend] svg circle') ? 'chart' : ''",
        Duration::from_secs(10),
    )
    .await;
    accessible(&page, "a search hit with its trend").await;
    screenshots(&page, "search-trend").await;

    // Add a patient-reported allergy; it shows in the summary, credited to the patient.
    choose(&page, "[data-testid=add-kind]", "allergy").await;
    fill(&page, "[data-testid=add-text]", "Peanuts").await;
    fill(&page, "[data-testid=add-detail]", "Hives").await;
    choose(&page, "[data-testid=add-severity]", "moderate").await;
    click(&page, "[data-testid=add-save]").await;
    text_containing(&page, "[data-testid=add-done]", "marked as reported by you").await;
    let allergies = text_containing(&page, "[data-testid=viewer-allergies]", "Peanuts").await;
    assert!(allergies.contains("You (patient-reported)"), "{allergies}");
    let after_add = text_of(&page, "[data-testid=record-count]").await;
    assert!(
        after_add.starts_with(&format!("{} entries", entries + 1)),
        "{after_add}"
    );

    // And edit it: the same entry, changed.
    fill(&page, "[data-testid=record-search]", "peanuts").await;
    click(&page, "[data-testid=record-hit]").await;
    let detail = text_of(&page, "[data-testid=record-source]").await;
    assert!(
        detail.contains("Entered by you (patient-reported)"),
        "{detail}"
    );
    click(&page, "[data-testid=record-edit]").await;
    fill(&page, "[data-testid=add-text]", "Peanuts and tree nuts").await;
    click(&page, "[data-testid=add-save]").await;
    text_containing(&page, "[data-testid=add-done]", "Saved your change").await;
    text_containing(
        &page,
        "[data-testid=viewer-allergies]",
        "Peanuts and tree nuts",
    )
    .await;
    let after_edit = text_of(&page, "[data-testid=record-count]").await;
    assert_eq!(after_edit, after_add, "an edit adds no entry");

    // Export: the whole record, as a Bundle and as NDJSON.
    click(&page, "[data-testid=export-make]").await;
    wait_for(
        &page,
        "document.querySelectorAll('[data-testid=export-link]').length === 2 ? 'made' : ''",
        Duration::from_secs(30),
    )
    .await;
    let downloads = tempfile::tempdir().unwrap();
    browser.allow_downloads(downloads.path()).await;
    let bundle_link = "[data-testid=export-link][download=\"folio-record.fhir.json\"]";
    let ndjson_link = "[data-testid=export-link][download=\"folio-record.ndjson\"]";
    let exported: Value = serde_json::from_slice(
        &download(
            &page,
            bundle_link,
            downloads.path(),
            "folio-record.fhir.json",
        )
        .await,
    )
    .expect("the Bundle is JSON");
    assert_eq!(exported["resourceType"], "Bundle");
    assert_eq!(exported["entry"].as_array().unwrap().len(), entries + 1);
    assert!(
        exported["entry"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["resource"]["code"]["text"] == "Peanuts and tree nuts"),
        "the patient's allergy is exported, as edited"
    );
    let ndjson = String::from_utf8(
        download(&page, ndjson_link, downloads.path(), "folio-record.ndjson").await,
    )
    .expect("NDJSON is text");
    assert_eq!(ndjson.lines().count(), entries + 1);
    assert!(
        ndjson
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok())
    );
    screenshots(&page, "export").await;

    // Lock on demand: the record leaves the page; unlocking with the passkey brings it back,
    // on the page the patient locked.
    let locked_on: String = page
        .evaluate("location.pathname")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    click(&page, "[data-testid=lock]").await;
    let reason = text_of(&page, "[data-testid=unlock-reason]").await;
    assert!(reason.contains("You locked your records"), "{reason}");
    let gone: bool = page
        .evaluate("!document.querySelector('[data-testid=record-summary]')")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert!(gone, "nothing decrypted is left on screen");
    accessible(&page, "the unlock page").await;
    click(&page, "[data-testid=unlock-reason] ~ button.primary").await;
    wait_for(
        &page,
        &format!(
            "location.pathname === {} ? 'back' : ''",
            serde_json::to_string(&locked_on).unwrap()
        ),
        Duration::from_secs(20),
    )
    .await;
    click(&page, "a.brand").await;
    expect_vault_unlocked(&page).await;
    assert_eq!(open_record(&page).await, entries + 1);

    // Left alone past the idle period (the page's clock moved on), it locks itself.
    page.evaluate(
        "(() => { const real = Date.now.bind(Date); const ahead = 11 * 60 * 1000; \
           Date.now = () => real() + ahead; return 'moved'; })()",
    )
    .await
    .unwrap();
    let reason = text_containing(&page, "[data-testid=unlock-reason]", "locked themselves").await;
    assert!(reason.contains("10 minutes"), "{reason}");

    browser.close().await;
    server.stop().await;
}
