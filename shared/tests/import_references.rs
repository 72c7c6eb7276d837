//! References stay resolvable after import, and ids are stable across re-imports.

use chrono::{TimeZone, Utc};
use folio_shared::import::{ImportOptions, ImportOutcome, import_file};
use folio_shared::record::Op;
use serde_json::Value;
use std::collections::HashSet;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

fn opts() -> ImportOptions {
    ImportOptions::new(Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap())
}

fn import(rel: &str, opts: &ImportOptions) -> ImportOutcome {
    let bytes = std::fs::read(format!("{DATA}/{rel}")).unwrap();
    import_file(rel, &bytes, opts).unwrap()
}

fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("reference") {
                out.push(r.clone());
            }
            o.values().for_each(|c| references(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| references(c, out)),
        _ => {}
    }
}

fn ids(o: &ImportOutcome) -> HashSet<String> {
    o.entries.iter().map(|e| e.id.0.clone()).collect()
}

fn all_references(o: &ImportOutcome) -> Vec<String> {
    let mut refs = Vec::new();
    for e in &o.entries {
        if let Op::Put { resource, .. } = &e.op {
            assert_eq!(
                e.id.0,
                format!(
                    "{}/{}",
                    resource["resourceType"].as_str().unwrap(),
                    resource["id"].as_str().unwrap()
                )
            );
            references(resource, &mut refs);
        }
    }
    refs
}

#[test]
fn urn_uuid_references_in_a_transaction_bundle_resolve_to_imported_entries() {
    let out = import(
        "fhir-r4/synthea/Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json",
        &opts(),
    );
    let ids = ids(&out);
    let refs = all_references(&out);
    assert!(refs.len() > 100);
    for r in refs.iter().filter(|r| !r.starts_with('#')) {
        assert!(ids.contains(r), "dangling {r}");
    }
}

#[test]
fn reimporting_gives_the_same_ids_and_providers_get_their_own() {
    let file = "fhir-r4/r4-core-examples/Bundle-lipids.json";
    let a = import(file, &opts());
    let b = import(file, &opts());
    assert_eq!(a.entries, b.entries);
    let other = import(file, &opts().with_provider("Clinic B"));
    assert!(ids(&a).is_disjoint(&ids(&other)));
}

#[test]
fn bulk_ndjson_references_resolve_across_files() {
    let patients = ids(&import(
        "fhir-r4/synthea-bulk-ndjson/Patient.000.ndjson",
        &opts(),
    ));
    let conditions = import("fhir-r4/synthea-bulk-ndjson/Condition.000.ndjson", &opts());
    let mut subjects = 0;
    for e in &conditions.entries {
        if let Op::Put { resource, .. } = &e.op {
            let subject = resource["subject"]["reference"].as_str().unwrap();
            assert!(patients.contains(subject), "{subject}");
            subjects += 1;
        }
    }
    assert!(subjects > 100);
    // Encounter references dangle in this subset: kept as derived ids, nothing lost, and
    // the original id is recorded on each resource.
    let first = match &conditions.entries[0].op {
        Op::Put { resource, .. } => resource.clone(),
        Op::Delete => unreachable!(),
    };
    assert!(
        first["meta"]["extension"][0]["valueString"]
            .as_str()
            .unwrap()
            .starts_with("Condition/")
    );
}

#[test]
fn relative_references_in_a_searchset_resolve_against_the_entry_base() {
    let out = import(
        "fhir-r4/r4-core-examples/Bundle-bundle-example.json",
        &opts(),
    );
    let ids = ids(&out);
    let refs = all_references(&out);
    let med = refs.iter().find(|r| r.starts_with("Medication/")).unwrap();
    assert!(ids.contains(med), "{med} not among {ids:?}");
    assert!(
        out.report
            .warnings
            .iter()
            .any(|w| w.message.contains("next page"))
    );
}

#[test]
fn transaction_operations_without_resources_are_reported_not_replayed() {
    let out = import(
        "fhir-r4/r4-core-examples/Bundle-bundle-transaction.json",
        &opts(),
    );
    let skipped: Vec<_> = out
        .report
        .warnings
        .iter()
        .filter(|w| w.message.contains("never replays"))
        .collect();
    assert_eq!(skipped.len(), 4, "{:?}", out.report.warnings);
    assert!(
        skipped
            .iter()
            .any(|w| w.message.contains("DELETE Patient/234"))
    );
    assert!(out.entries.iter().all(|e| matches!(e.op, Op::Put { .. })));
}

#[test]
fn ccda_entries_reference_the_documents_patient_and_reports_their_results() {
    let out = import("ccda/hl7-examples/CCD_1.xml", &opts());
    let ids = ids(&out);
    for r in all_references(&out) {
        assert!(ids.contains(&r), "dangling {r}");
    }
    assert_eq!(out.report.count("Patient"), 1);
    // The provider defaults to the document's custodian.
    match &out.entries[0].op {
        Op::Put { source, .. } => assert_eq!(source.provider.as_deref(), Some("Good Health HIE")),
        Op::Delete => unreachable!(),
    }
}
