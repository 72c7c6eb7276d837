//! Medicines checked across providers (issue #25) in the real app: two files from two
//! providers whose lists together hold an interacting pair (simvastatin from a cardiologist,
//! clarithromycin from urgent care). The start page shows a card, the medications list the
//! alert in the patient's words beside both medicines, and a clinician opening a link that
//! shares the medications reads the clinician's wording.

use std::path::Path;
use std::time::Duration;

use folio_shared::medication_safety::{Alert, RecordResource, check};
use folio_tests::browser::{
    Browser, add_virtual_authenticator, click, expect_vault_unlocked, fill, pick_files, screenshot,
    sign_up, text_of, wait_for,
};
use folio_tests::{Engine, TestServer, app_dir};
use serde_json::{Value, json};

const PHONE: (u32, u32) = (390, 844);

/// A provider's file: the patient, the prescriber and one active medication request.
fn bundle(prescriber: &str, id: &str, medicine: &str) -> Value {
    json!({ "resourceType": "Bundle", "type": "collection", "entry": [
        { "fullUrl": "urn:uuid:p1", "resource": {
            "resourceType": "Patient", "id": "p1",
            "name": [{ "family": "Lindqvist", "given": ["Maja"] }],
            "gender": "female", "birthDate": "1958-03-14" }},
        { "fullUrl": format!("urn:uuid:dr-{id}"), "resource": {
            "resourceType": "Practitioner", "id": format!("dr-{id}"),
            "name": [{ "text": prescriber }] }},
        { "fullUrl": format!("urn:uuid:{id}"), "resource": {
            "resourceType": "MedicationRequest", "id": id, "status": "active", "intent": "order",
            "medicationCodeableConcept": { "text": medicine },
            "subject": { "reference": "urn:uuid:p1" },
            "requester": { "reference": format!("urn:uuid:dr-{id}") },
            "authoredOn": "2026-11-20" }},
    ]})
}

/// The alert the shared crate finds in both files together: what the pages must show.
fn expected_alert(files: &[&Value]) -> Alert {
    let resources: Vec<(String, &Value)> = files
        .iter()
        .flat_map(|bundle| bundle["entry"].as_array().unwrap())
        .map(|entry| {
            let resource = &entry["resource"];
            let id = format!(
                "{}/{}",
                resource["resourceType"].as_str().unwrap(),
                resource["id"].as_str().unwrap()
            );
            (id, resource)
        })
        .collect();
    let records: Vec<RecordResource<'_>> = resources
        .iter()
        .map(|(id, resource)| RecordResource {
            id,
            resource,
            provider: None,
        })
        .collect();
    let safety = check(&records, chrono::Utc::now().date_naive()).unwrap();
    assert_eq!(safety.alerts.len(), 1, "{:?}", safety.alerts);
    safety.alerts[0].clone()
}

async fn import(page: &chromiumoxide::Page, provider: &str, file: &Path) {
    click(page, "a[href=\"/import\"]").await;
    fill(page, "#import-provider", provider).await;
    pick_files(page, "[data-testid=import-files]", &[file.to_path_buf()]).await;
    let status = wait_for(
        page,
        "(() => { const f = document.querySelector('[data-testid=import-file]'); \
         return f && !document.querySelector('[data-testid=import-progress]') ? f.dataset.status : ''; })()",
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(status, "imported");
    click(page, "a[href=\"/\"].button").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_across_two_providers_is_shown_to_the_patient_and_the_clinician() {
    let dist = app_dir();
    assert!(dist.join("index.html").exists(), "build the app first");
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = dist).await;
    let dir = tempfile::tempdir().unwrap();
    let cardiology = bundle("Dr Ana Rivera", "simva", "Simvastatin 40 MG Oral Tablet");
    let urgent_care = bundle(
        "Dr Sam Okafor",
        "clari",
        "Clarithromycin 500 MG Oral Tablet",
    );
    let alert = expected_alert(&[&cardiology, &urgent_care]);
    let cardiology_file = dir.path().join("cardiology.json");
    std::fs::write(&cardiology_file, cardiology.to_string()).unwrap();
    let urgent_care_file = dir.path().join("urgent-care.json");
    std::fs::write(&urgent_care_file, urgent_care.to_string()).unwrap();

    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, true).await;
    sign_up(&page, "Maja Lindqvist", "medicines-signed-up.png").await;
    expect_vault_unlocked(&page).await;
    import(&page, "Heart clinic", &cardiology_file).await;
    // One medicine alone: nothing to check together, and no card.
    expect_vault_unlocked(&page).await;
    assert!(
        !page
            .evaluate("!!document.querySelector('[data-testid=glance-medication-alerts]')")
            .await
            .unwrap()
            .into_value::<bool>()
            .unwrap()
    );
    import(&page, "Urgent care", &urgent_care_file).await;

    // The start page's card names the pair.
    let card = text_of(&page, "[data-testid=glance-medication-alerts]").await;
    assert!(card.contains(&alert.title), "{card}");
    assert!(card.to_lowercase().contains("simvastatin"), "{card}");
    screenshot(&page, "medicines-start-page.png").await;

    // The medications list: the alert in the patient's words, beside both medicines.
    click(&page, "[data-testid=glance-medication-alerts] h2 a").await;
    let alerts = text_of(&page, "[data-testid=medication-alerts]").await;
    assert!(alerts.contains(&alert.patient.what), "{alerts}");
    assert!(alerts.contains(&alert.patient.ask), "{alerts}");
    let flagged: usize = page
        .evaluate("document.querySelectorAll('[data-testid=medication-line-alert]').length")
        .await
        .unwrap()
        .into_value()
        .unwrap();
    assert_eq!(flagged, 2, "the alert beside each of the two medicines");
    screenshot(&page, "medicines-list.png").await;

    // A link sharing the medications; the clinician reads the clinician's wording.
    click(&page, "a.brand").await;
    click(&page, "a[href=\"/share\"]").await;
    text_of(&page, "[data-testid=share-preview-counts]").await;
    fill(&page, "#share-label", "For the pharmacist").await;
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
    click(&clinician, "[data-testid=viewer-submit]").await;
    let seen = text_of(&clinician, "[data-testid=medication-alerts]").await;
    assert!(seen.contains("Medication alerts"), "{seen}");
    assert!(seen.contains(&alert.clinician.what), "{seen}");
    assert!(seen.contains(&alert.clinician.ask), "{seen}");
    assert!(!seen.contains(&alert.patient.what) || alert.patient.what == alert.clinician.what);
    screenshot(&clinician, "medicines-viewer.png").await;

    // The patient marks it discussed: it stays on the list, marked, and the start page no
    // longer asks about it.
    click(&page, "a.brand").await;
    click(&page, "[data-testid=glance-medication-alerts] h2 a").await;
    click(&page, "[data-testid=alert-discussed]").await;
    let marked = text_of(&page, "[data-testid=alert-was-discussed]").await;
    assert!(marked.contains("Discussed with your clinician"), "{marked}");
    click(&page, "a.brand").await;
    wait_for(
        &page,
        "document.querySelector('[data-testid=glance-medicines-checked]') ? 'checked' : ''",
        Duration::from_secs(30),
    )
    .await;
    assert!(
        !page
            .evaluate("!!document.querySelector('[data-testid=glance-medication-alerts]')")
            .await
            .unwrap()
            .into_value::<bool>()
            .unwrap()
    );

    clinician_browser.close().await;
    browser.close().await;
    server.stop().await;
}
