//! Documents open in the page (issue 22): a clinical note's text, a PDF in a frame, and an
//! original C-CDA document read from its narrative, with a document that carries scripts,
//! styles and event attributes: none of them reaches the page.

use std::time::Duration;

use chromiumoxide::Page;
use folio_tests::browser::{
    Browser, add_virtual_authenticator, click, expect_vault_unlocked, pick_files, screenshot,
    sign_up, text_of, wait_for,
};
use folio_tests::{Engine, TestServer, app_dir};

const PHONE: (u32, u32) = (390, 844);

/// A C-CDA document with the usual narrative, and markup a hostile author might slip in.
const HOSTILE_CCD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:h="http://www.w3.org/1999/xhtml">
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <id root="2.16.840.1.113883.19.5.99999.1" extension="doc-hostile-1"/>
  <code code="34133-9" codeSystem="2.16.840.1.113883.6.1" displayName="Summary of episode note"/>
  <title>Riverside Clinic visit summary</title>
  <effectiveTime value="20240312"/>
  <recordTarget><patientRole>
    <id root="2.16.840.1.113883.19.5" extension="rs-4411"/>
    <patient><name><given>Dana</given><family>Whitfield</family></name>
      <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
      <birthTime value="19620704"/></patient>
  </patientRole></recordTarget>
  <component><structuredBody>
    <component><section>
      <code code="11450-4" codeSystem="2.16.840.1.113883.6.1"/>
      <title>Problem list</title>
      <text>
        <h:script>window.pwned = 'script';</h:script>
        <style>body { display: none }</style>
        <table border="1">
          <thead><tr><th>Problem</th><th>Since</th></tr></thead>
          <tbody><tr><td onmouseover="window.pwned='attribute'">Seasonal allergic rhinitis</td><td>2019</td></tr></tbody>
        </table>
        <h:img src="x" onerror="window.pwned='image'"/>
      </text>
    </section></component>
    <component><section>
      <code code="8648-8" codeSystem="2.16.840.1.113883.6.1"/>
      <title>Hospital course</title>
      <text><paragraph>Seen for <content styleCode="Bold">sneezing</content>; advised <linkHtml href="javascript:window.pwned='link'">saline rinses</linkHtml>.</paragraph></text>
    </section></component>
  </structuredBody></component>
</ClinicalDocument>
"#;

/// A FHIR Bundle holding one clinical note as plain text, about no named patient (so it
/// joins the record of the document above).
fn note_bundle() -> String {
    use base64::Engine as _;
    let note = "Follow-up visit.\nBlood pressure 128/82.\nContinue current plan.";
    let data = base64::engine::general_purpose::STANDARD.encode(note);
    serde_json::json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{ "resource": {
            "resourceType": "DocumentReference",
            "id": "note-1",
            "status": "current",
            "date": "2024-04-02T10:00:00Z",
            "description": "Follow-up note",
            "content": [{ "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "title": "Follow-up note",
                "data": data,
            } }],
        } }],
    })
    .to_string()
}

/// The smallest PDF a browser opens: one empty page.
const TINY_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n\
trailer<</Root 1 0 R>>\n%%EOF\n";

/// Clicks the "Show the document" or "Open the document" button of the documents list item
/// whose title contains `title`.
async fn show(page: &Page, title: &str) {
    let script = format!(
        "(() => {{ const item = [...document.querySelectorAll('[data-testid=viewer-documents] li')]
            .find(li => li.querySelector('.viewer-item-title')?.textContent.includes({title:?}));
          const button = item?.querySelector('[data-testid=document-show], [data-testid=document-open]');
          if (!button) return '';
          button.click(); return 'clicked'; }})()"
    );
    wait_for(page, &script, Duration::from_secs(20)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_a_pdf_and_an_original_ccd_open_in_the_page() {
    let server = TestServer::start_with(Engine::Sqlite, |c| c.app_dir = app_dir()).await;
    let browser = Browser::launch(PHONE.0, PHONE.1).await;
    let page = browser.open(&server.public("/signup")).await;
    add_virtual_authenticator(&page, true).await;
    sign_up(&page, "Dana Whitfield", "documents-signed-up.png").await;
    expect_vault_unlocked(&page).await;

    let files = tempfile::tempdir().unwrap();
    let ccd = files.path().join("visit-summary.xml");
    let note = files.path().join("note.json");
    let pdf = files.path().join("referral-letter.pdf");
    std::fs::write(&ccd, HOSTILE_CCD).unwrap();
    std::fs::write(&note, note_bundle()).unwrap();
    std::fs::write(&pdf, TINY_PDF).unwrap();
    click(&page, "a[href=\"/import\"]").await;
    pick_files(&page, "[data-testid=import-files]", &[ccd, note, pdf]).await;
    wait_for(
        &page,
        "document.querySelectorAll('[data-testid=import-file]').length === 3 \
         && !document.querySelector('[data-testid=import-progress]') ? 'done' : ''",
        Duration::from_secs(120),
    )
    .await;

    // To the documents list within the app (a full load would lock the record).
    page.evaluate(
        "history.pushState({}, '', '/record/documents'); \
         dispatchEvent(new PopStateEvent('popstate', { state: {} }))",
    )
    .await
    .expect("the address changes");
    text_of(&page, "[data-testid=viewer-documents]").await;

    // The note's text, with its line breaks.
    show(&page, "Follow-up note").await;
    let text = text_of(&page, "[data-testid=document-text]").await;
    assert!(
        text.contains("Blood pressure 128/82.\nContinue current plan."),
        "{text}"
    );

    // The original clinical document, read from its narrative.
    show(&page, "Riverside Clinic visit summary").await;
    wait_for(
        &page,
        "document.querySelector('[data-testid=clinical-document]') ? 'shown' : ''",
        Duration::from_secs(20),
    )
    .await;
    let headings = wait_for(
        &page,
        "[...document.querySelectorAll('[data-testid=clinical-document] :is(h3, h4)')]
            .map(h => h.textContent).join('|')",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        headings,
        "Riverside Clinic visit summary|Problem list|Hospital course"
    );
    let narrative = text_of(&page, "[data-testid=clinical-document]").await;
    assert!(
        narrative.contains("Seasonal allergic rhinitis"),
        "{narrative}"
    );
    assert!(
        narrative.contains("Seen for sneezing; advised saline rinses."),
        "{narrative}"
    );

    // Nothing of the document's own markup runs or styles the page.
    let hostile = wait_for(
        &page,
        "(() => {
            const doc = document.querySelector('[data-testid=clinical-document]');
            doc.querySelector('td')?.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
            const attributes = [...doc.querySelectorAll('*')]
                .flatMap(e => [...e.attributes].map(a => a.name))
                .filter(n => n.startsWith('on') || n === 'style' || n === 'href' || n === 'src');
            return JSON.stringify({
                pwned: window.pwned ?? null,
                scripts: doc.querySelectorAll('script, style, img, a, iframe').length,
                attributes,
                bodyShown: getComputedStyle(document.body).display !== 'none',
            });
        })()",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        hostile,
        r#"{"pwned":null,"scripts":0,"attributes":[],"bodyShown":true}"#
    );
    let download = wait_for(
        &page,
        "document.querySelector('[data-testid=clinical-document]')?.parentElement
            ?.querySelector('a[download]')?.href ?? ''",
        Duration::from_secs(5),
    )
    .await;
    assert!(
        download.starts_with("blob:"),
        "the original to download: {download}"
    );

    // The PDF, decrypted here and shown in a frame.
    show(&page, "referral-letter").await;
    let frame = wait_for(
        &page,
        "document.querySelector('[data-testid=viewer-documents] iframe.document-frame')?.src ?? ''",
        Duration::from_secs(20),
    )
    .await;
    assert!(frame.starts_with("blob:"), "{frame}");
    screenshot(&page, "documents-open-phone.png").await;
    browser.close().await;
}
