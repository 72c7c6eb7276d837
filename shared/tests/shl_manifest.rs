//! The retrieval protocol's JSON on the wire: property names as the standard spells them,
//! both the published (STU1) and the earlier layout of status and FHIR version, and the
//! content-type comparisons a receiver makes.

#![cfg(not(target_arch = "wasm32"))]

use folio_shared::shl::manifest::{
    self, DEFAULT_FHIR_VERSION, FHIR_JSON, FileSource, SMART_API_ACCESS, SMART_HEALTH_CARD,
    content_types_match, media_type, sniff_content_type,
};
use folio_shared::shl::{
    Manifest, ManifestFile, ManifestRequest, ManifestStatus, PasscodeRejected,
};
use serde_json::json;

fn file(value: serde_json::Value) -> ManifestFile {
    serde_json::from_value(value).unwrap()
}

#[test]
fn the_request_uses_the_standards_property_names() {
    let request = ManifestRequest {
        recipient: "Verona Health System".into(),
        passcode: Some("1234".into()),
        embedded_length_max: Some(10_000),
    };
    let wire = serde_json::to_value(&request).unwrap();
    assert_eq!(
        wire,
        json!({"recipient": "Verona Health System", "passcode": "1234", "embeddedLengthMax": 10000})
    );
    assert_eq!(
        serde_json::from_value::<ManifestRequest>(wire).unwrap(),
        request
    );

    let minimal = ManifestRequest {
        recipient: "Dr. Who".into(),
        passcode: None,
        embedded_length_max: None,
    };
    assert_eq!(
        serde_json::to_value(&minimal).unwrap(),
        json!({"recipient": "Dr. Who"})
    );
    assert!(serde_json::from_value::<ManifestRequest>(json!({"passcode": "1"})).is_err());
}

#[test]
fn the_request_never_shows_its_passcode() {
    let request = ManifestRequest {
        recipient: "Clinic".into(),
        passcode: Some("hunter2".into()),
        embedded_length_max: None,
    };
    let shown = format!("{request:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("Clinic") && shown.contains("redacted"),
        "{shown}"
    );
}

#[test]
fn a_wrong_passcode_answer_says_how_many_tries_remain() {
    let rejected: PasscodeRejected = serde_json::from_str(r#"{"remainingAttempts":4}"#).unwrap();
    assert_eq!(
        rejected,
        PasscodeRejected {
            remaining_attempts: 4
        }
    );
    assert_eq!(
        serde_json::to_string(&rejected).unwrap(),
        r#"{"remainingAttempts":4}"#
    );
}

/// The published STU1 example (`Binary-shl-manifest-1`): status on the manifest, the FHIR
/// version in the content type, `list` carried as it is.
#[test]
fn the_published_layout_round_trips() {
    let wire = json!({
        "status": "finalized",
        "list": {"resourceType": "List", "status": "current", "mode": "working"},
        "files": [
            {"contentType": "application/smart-health-card",
             "location": "https://bucket.cloud.example.org/file1?sas=MFXK6jL3oL3SI_lRfi_-cEfzIs5oHs6rRWmrsCAFzvk"},
            {"contentType": "application/smart-health-card",
             "embedded": "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..8zH0NmUXGwMOqEya.xdGRpgyvE9vNoKzHlr4itKKW2vo.AAAA"},
            {"contentType": "application/fhir+json;fhirVersion=4.0.1",
             "location": "https://bucket.cloud.example.org/file2?sas=T34xzj1XtqTYb2lzcgj59XCY4I6vLN3AwrTUIT9GuSc",
             "lastUpdated": "2025-03-09T15:29:46Z"}
        ]
    });
    let manifest: Manifest = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(manifest.status, Some(ManifestStatus::Finalized));
    assert_eq!(manifest.list.as_ref().unwrap()["resourceType"], "List");
    assert_eq!(manifest.files[2].fhir_version(), Some("4.0.1"));
    assert!(content_types_match(
        &manifest.files[2].content_type,
        FHIR_JSON
    ));
    for file in &manifest.files {
        assert_eq!(manifest.status_of(file), Some(ManifestStatus::Finalized));
    }
    assert_eq!(serde_json::to_value(&manifest).unwrap(), wire);
}

#[test]
fn statuses_use_the_standards_spelling() {
    for (status, text) in [
        (ManifestStatus::Finalized, "finalized"),
        (ManifestStatus::CanChange, "can-change"),
        (ManifestStatus::NoLongerValid, "no-longer-valid"),
    ] {
        assert_eq!(serde_json::to_value(status).unwrap(), json!(text));
        assert_eq!(
            serde_json::from_value::<ManifestStatus>(json!(text)).unwrap(),
            status
        );
    }
    assert!(serde_json::from_value::<ManifestStatus>(json!("final")).is_err());
}

#[test]
fn the_manifests_status_wins_over_a_files_own() {
    let manifest: Manifest = serde_json::from_value(json!({
        "status": "can-change",
        "files": [
            {"contentType": FHIR_JSON, "location": "https://x.example/1", "status": "finalized"},
        ]
    }))
    .unwrap();
    assert_eq!(
        manifest.status_of(&manifest.files[0]),
        Some(ManifestStatus::CanChange)
    );
    assert_eq!(manifest.files[0].status, Some(ManifestStatus::Finalized));
}

#[test]
fn an_empty_manifest_has_no_files_and_unknown_properties_are_ignored() {
    let manifest: Manifest = serde_json::from_value(json!({"future": true})).unwrap();
    assert!(manifest.files.is_empty());
    assert_eq!(manifest.status, None);
    assert_eq!(
        serde_json::to_value(&manifest).unwrap(),
        json!({"files": []})
    );

    let with_extra = file(json!({
        "contentType": SMART_API_ACCESS, "location": "https://x.example/a", "_note": 1
    }));
    assert_eq!(
        with_extra.source(),
        Ok(FileSource::Location("https://x.example/a"))
    );
}

#[test]
fn an_embedded_file_is_preferred_when_both_are_sent() {
    let both = file(json!({
        "contentType": FHIR_JSON,
        "embedded": "e.y.J.h.b",
        "location": "https://x.example/f",
    }));
    assert_eq!(both.source(), Ok(FileSource::Embedded("e.y.J.h.b")));
}

#[test]
fn the_fhir_version_comes_from_the_parameter_the_old_property_or_the_default() {
    let version = |value| file(value).fhir_version().map(str::to_owned);
    assert_eq!(
        version(json!({"contentType": "application/fhir+json; fhirversion=\"5.0.0\""})),
        Some("5.0.0".into())
    );
    assert_eq!(
        version(json!({"contentType": "application/fhir+json;charset=utf-8;fhirVersion=4.3.0"})),
        Some("4.3.0".into())
    );
    assert_eq!(
        version(json!({"contentType": "application/fhir+json", "fhirVersion": "4.0.0"})),
        Some("4.0.0".into())
    );
    assert_eq!(
        version(json!({"contentType": "Application/FHIR+JSON"})),
        Some(DEFAULT_FHIR_VERSION.into())
    );
    assert_eq!(version(json!({"contentType": SMART_HEALTH_CARD})), None);
}

#[test]
fn content_types_compare_without_parameters_or_case() {
    assert_eq!(
        media_type(" application/fhir+json ;fhirVersion=4.0.1"),
        "application/fhir+json"
    );
    assert!(content_types_match(
        "application/fhir+json;fhirVersion=4.0.1",
        FHIR_JSON
    ));
    assert!(content_types_match(
        "APPLICATION/Smart-Health-Card",
        SMART_HEALTH_CARD
    ));
    assert!(!content_types_match(FHIR_JSON, SMART_HEALTH_CARD));
    assert!(!content_types_match("application/fhir+jsonx", FHIR_JSON));
    assert!(!content_types_match(
        SMART_API_ACCESS,
        "application/smart-api"
    ));
}

#[test]
fn a_file_without_cty_is_recognised_by_its_json() {
    assert_eq!(
        sniff_content_type(&json!({"resourceType": "Bundle", "type": "document"})),
        Some(manifest::FHIR_JSON)
    );
    assert_eq!(
        sniff_content_type(&json!({"verifiableCredential": ["eyJ..."]})),
        Some(manifest::SMART_HEALTH_CARD)
    );
    assert_eq!(
        sniff_content_type(&json!({"access_token": "t", "aud": "https://x"})),
        None
    );
    assert_eq!(sniff_content_type(&json!({"resourceType": 4})), None);
    assert_eq!(sniff_content_type(&json!([1])), None);
}
