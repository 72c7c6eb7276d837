//! The importers in a browser, as the app's import page runs them: a C-CDA document, an IPS
//! bundle and a SMART Health Card (compiled in) imported, delivered as sealed segments,
//! opened again, and cut into a patient summary for a share link. Run by
//! `wasm-bindgen-test-runner` in headless Chromium (see the crate's test commands).

#![cfg(target_arch = "wasm32")]

use chrono::{DateTime, Utc};
use folio_shared::import::{Delivery, ImportFormat, ImportOptions, import_file};
use folio_shared::keys::{KeyEpoch, VaultIdentity};
use folio_shared::share::{ShareContent, SharePackage};
use folio_shared::shl::{LinkKey, decrypt};
use folio_shared::vault::{VaultContents, VaultId, VaultKeyring};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const CCD: &str = include_str!("../../../shared/data/ccda/hl7-examples/CCD_2.xml");
const IPS: &str = include_str!("../../../shared/data/ips/IPS_IG-bundle-01.json");
const CARD: &str =
    include_str!("../../../shared/data/shc/spec-examples/example-00-e-file.smart-health-card");

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap()
}

#[wasm_bindgen_test]
fn files_import_seal_and_open_in_the_browser() {
    let keyring = VaultKeyring::new(
        VaultId(uuid::Uuid::new_v4()),
        VaultIdentity::generate(KeyEpoch::FIRST),
    );
    let mut contents = VaultContents::default();
    let mut sealed = Vec::new();
    let opts = ImportOptions::new(now()).with_provider("Browser test clinic");
    for (name, text, format) in [
        ("CCD_2.xml", CCD, ImportFormat::Ccda),
        ("IPS_IG-bundle-01.json", IPS, ImportFormat::FhirJson),
        (
            "example-00-e-file.smart-health-card",
            CARD,
            ImportFormat::SmartHealthCard,
        ),
    ] {
        let outcome = import_file(name, text.as_bytes(), &opts).unwrap();
        assert_eq!(outcome.report.format, Some(format), "{name}");
        assert!(!outcome.entries.is_empty(), "{name} imports something");
        let prepare = |contents: &VaultContents| {
            Delivery::prepare(
                outcome.entries.clone(),
                &outcome.attachments,
                text.as_bytes(),
                contents,
                &keyring,
            )
            .unwrap()
        };
        let delivery = prepare(&contents);
        assert_eq!(delivery.new_entries.len(), outcome.entries.len());
        sealed.extend(delivery.segments.into_iter().map(|(_, segment)| segment));
        for entry in delivery.new_entries {
            contents.apply(entry);
        }
        // The same file again delivers nothing.
        let again = prepare(&contents);
        assert!(again.segments.is_empty(), "{name} twice");
    }
    let reopened = keyring.open(sealed.iter());
    assert_eq!(
        reopened, contents,
        "what was sealed opens as it was imported"
    );

    let package = SharePackage::build(&contents, &ShareContent::PatientSummary, now()).unwrap();
    assert!(!package.preview.is_empty());
    let key = LinkKey::generate();
    let file = package.encrypt(&key);
    let opened = decrypt(&key, &file.jwe).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&opened.plaintext).unwrap(),
        package.bundle
    );
}
