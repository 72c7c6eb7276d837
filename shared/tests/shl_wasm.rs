//! The share-link codec in a browser: links written and read, files encrypted and opened
//! with and without compression (IVs from the browser's `crypto.getRandomValues`), and the
//! HL7 IPS example file, compiled in, opened with the key of its published link. Run by
//! `wasm-bindgen-test-runner` in headless Chromium (see the crate's test commands).

#![cfg(target_arch = "wasm32")]

use folio_shared::shl::manifest::{self, FHIR_JSON};
use folio_shared::shl::{
    Flags, JweError, LinkId, LinkKey, PayloadError, ShareLinkPayload, decrypt, encrypt,
};
use serde_json::Value;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const IPS_LINK: &str = include_str!(
    "../../../shared/data/shl/hl7-smart-health-cards-and-links/IPS_IG-bundle-01-shl.txt"
);
const IPS_FILE: &str = include_str!(
    "../../../shared/data/shl/hl7-smart-health-cards-and-links/IPS_IG-bundle-01-enc.txt"
);
const IPS_BUNDLE: &str =
    include_str!("../../../shared/data/shl/hl7-smart-health-cards-and-links/IPS_IG-bundle-01.json");

#[wasm_bindgen_test]
fn links_are_written_and_read() {
    let link = ShareLinkPayload {
        url: LinkId::generate().url("https://folio.example/shl"),
        key: LinkKey::generate(),
        exp: Some(1_767_225_600),
        flags: Flags::from_letters("LP"),
        label: Some("Résumé pour l'école".into()),
        v: None,
    };
    assert_eq!(ShareLinkPayload::parse(&link.encode()).unwrap(), link);
    assert_eq!(
        ShareLinkPayload::parse(&link.viewer_url("https://viewer.example.org/view")).unwrap(),
        link
    );
    let direct_with_passcode = ShareLinkPayload {
        flags: Flags::from_letters("PU"),
        ..link
    };
    assert_eq!(
        ShareLinkPayload::parse(&direct_with_passcode.encode()),
        Err(PayloadError::PasscodeWithDirectFile)
    );
}

#[wasm_bindgen_test]
fn files_are_encrypted_and_opened() {
    let key = LinkKey::generate();
    let plaintext = br#"{"resourceType":"Bundle","type":"collection","entry":[]}"#.repeat(40);
    for compress in [false, true] {
        let compact = encrypt(&key, FHIR_JSON, &plaintext, compress);
        let file = decrypt(&key, &compact).unwrap();
        assert_eq!(file.plaintext, plaintext);
        assert_eq!(file.content_type.as_deref(), Some(FHIR_JSON));
        assert_ne!(
            compact.split('.').nth(2),
            encrypt(&key, FHIR_JSON, &plaintext, compress)
                .split('.')
                .nth(2),
            "a fresh IV every time"
        );
        assert_eq!(
            decrypt(&LinkKey::generate(), &compact).unwrap_err(),
            JweError::WrongKeyOrTampered
        );
    }
}

#[wasm_bindgen_test]
fn the_ips_example_opens_with_its_links_key() {
    let link = ShareLinkPayload::parse(IPS_LINK).unwrap();
    assert_eq!(link.flags, Flags::from_letters("LU"));
    let file = decrypt(&link.key, IPS_FILE).unwrap();
    assert_eq!(file.content_type, None);
    let bundle = file.json().unwrap();
    assert_eq!(bundle, serde_json::from_str::<Value>(IPS_BUNDLE).unwrap());
    assert_eq!(
        manifest::sniff_content_type(&bundle),
        Some(manifest::FHIR_JSON)
    );
}
