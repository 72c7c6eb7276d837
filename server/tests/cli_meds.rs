//! `folio meds`: two sources' medication lists, imported separately, hold an interacting
//! pair between them (simvastatin from a cardiologist, clarithromycin from urgent care);
//! the reconciled list has both with their sources, and the alert names the pair, the ONC
//! rule and its source, as JSON and in plain words.

use std::path::Path;

use serde_json::{Value, json};

mod common;

use common::{create_account, folio, folio_json, serve};

fn patient() -> Value {
    json!({
        "resourceType": "Patient", "id": "p1",
        "name": [{ "family": "Lindqvist", "given": ["Maja"] }],
        "gender": "female", "birthDate": "1958-03-14",
    })
}

/// A collection Bundle with the patient, a prescriber and the given medication requests.
fn bundle(prescriber: &str, requests: &[(&str, &str, &str)]) -> Value {
    let mut entries = vec![
        json!({ "fullUrl": "urn:uuid:p1", "resource": patient() }),
        json!({ "fullUrl": "urn:uuid:dr", "resource": {
            "resourceType": "Practitioner", "id": "dr",
            "name": [{ "text": prescriber }],
        }}),
    ];
    for (id, name, status) in requests {
        entries.push(json!({ "fullUrl": format!("urn:uuid:{id}"), "resource": {
            "resourceType": "MedicationRequest", "id": id, "status": status, "intent": "order",
            "medicationCodeableConcept": { "text": name },
            "subject": { "reference": "urn:uuid:p1" },
            "requester": { "reference": "urn:uuid:dr" },
            "authoredOn": "2025-11-20",
        }}));
    }
    json!({ "resourceType": "Bundle", "type": "collection", "entry": entries })
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn meds_reconciles_two_sources_and_flags_the_interaction_between_them() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.json");
    let profile = profile.to_str().unwrap();
    create_account(&server, profile);
    let cardiology = write(
        dir.path(),
        "cardiology.json",
        &bundle(
            "Dr Ana Rivera",
            &[
                ("simva", "Simvastatin 40 MG Oral Tablet", "active"),
                ("lisin", "lisinopril 10 MG Oral Tablet", "stopped"),
            ],
        ),
    );
    let urgent_care = write(
        dir.path(),
        "urgent-care.json",
        &bundle(
            "Dr Sam Okafor",
            &[("clari", "Clarithromycin 500 MG Oral Tablet", "active")],
        ),
    );
    for (file, source) in [
        (&cardiology, "Riverside Cardiology"),
        (&urgent_care, "Harbour Urgent Care"),
    ] {
        folio_json(&[
            "import",
            "--profile",
            profile,
            "--source",
            source,
            "--json",
            file,
        ]);
    }

    let meds = folio_json(&["meds", "--profile", profile, "--json"]);
    let object = meds.as_object().expect("one JSON object");
    for key in ["medications", "alerts", "unmapped"] {
        assert!(object.contains_key(key), "{key} in {meds:#}");
    }
    let medications = meds["medications"].as_array().unwrap();
    assert_eq!(medications.len(), 3, "{meds:#}");
    let line = |ingredient: &str| {
        medications
            .iter()
            .find(|m| m["ingredients"] == json!([ingredient]))
            .unwrap_or_else(|| panic!("{ingredient} in {meds:#}"))
    };
    assert_eq!(line("simvastatin")["status"], "active");
    assert_eq!(line("clarithromycin")["status"], "active");
    assert_eq!(line("lisinopril")["status"], "past");
    assert_eq!(
        line("simvastatin")["sources"][0]["provider"],
        "Riverside Cardiology"
    );
    assert_eq!(
        line("clarithromycin")["sources"][0]["prescriber"],
        "Dr Sam Okafor"
    );
    assert_eq!(meds["unmapped"], json!([]));

    let alerts = meds["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{meds:#}");
    let alert = &alerts[0];
    assert_eq!(alert["kind"], "interaction");
    assert_eq!(alert["severity"], "high");
    assert_eq!(
        alert["ingredients"],
        json!(["clarithromycin", "simvastatin"])
    );
    assert_eq!(alert["rule"], "onc-25-statins-cyp3a4-inhibitors");
    assert!(
        alert["source"]
            .as_str()
            .unwrap()
            .contains("ONC high-priority")
    );
    let concerned: Vec<&str> = alert["medications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(concerned.len(), 2);
    for id in concerned {
        assert!(
            medications.iter().any(|m| m["id"] == id),
            "{id} names a line"
        );
    }

    // In plain words, for a person.
    let out = folio(&["meds", "--profile", profile]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 alert(s)"), "{text}");
    assert!(text.contains("clarithromycin + simvastatin"), "{text}");
    assert!(text.contains("Simvastatin 40 MG Oral Tablet"), "{text}");
    assert!(text.contains("Harbour Urgent Care"), "{text}");
    assert!(text.contains("Past medications (1)"), "{text}");
}
