//! A category and date selection shares exactly what it says, checked against counts the
//! test makes itself from the source files, and every reference in the shared bundle
//! resolves inside it.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use folio_shared::import::{ImportOptions, import_file};
use folio_shared::share::{ShareCategory, ShareError, SharePreview, ShareSelection, share_bundle};
use folio_shared::vault::VaultContents;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");
const CCDA: &str = "ccda/hl7-examples/CCD_1.xml";
/// References the shared bundles may leave unresolved. None: references that leave a
/// share are reduced to their display.
const EXPECTED_EXTERNAL: &[&str] = &[];
const SUPPORTING: &[&str] = &[
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "Medication",
    "Substance",
    "Binary",
    "Device",
    "Specimen",
];

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The largest Synthea bundle, by file size: its path under DATA and its JSON.
fn largest_synthea() -> (String, Value) {
    let dir = format!("{DATA}/fhir-r4/synthea");
    let largest = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .max_by_key(|e| e.metadata().unwrap().len())
        .unwrap();
    let name = largest.file_name().into_string().unwrap();
    let text = std::fs::read_to_string(largest.path()).unwrap();
    (
        format!("fhir-r4/synthea/{name}"),
        serde_json::from_str(&text).unwrap(),
    )
}

/// Import files (each under an optional provider) into one vault.
fn vault(files: &[(&str, Option<&str>)]) -> VaultContents {
    let mut contents = VaultContents::default();
    for (rel, provider) in files {
        let bytes = std::fs::read(format!("{DATA}/{rel}")).unwrap();
        let mut opts = ImportOptions::new(at());
        if let Some(p) = provider {
            opts = opts.with_provider(*p);
        }
        for entry in import_file(rel, &bytes, &opts).unwrap().entries {
            contents.apply(entry);
        }
    }
    contents
}

fn vault_from_json(json: &str) -> VaultContents {
    let mut contents = VaultContents::default();
    for entry in import_file("hand-made.json", json.as_bytes(), &ImportOptions::new(at()))
        .unwrap()
        .entries
    {
        contents.apply(entry);
    }
    contents
}

/// The resources the importer put in the vault, as JSON.
fn vault_resources(contents: &VaultContents) -> Vec<Value> {
    contents.iter().map(|(_, s)| s.resource.clone()).collect()
}

fn resources(bundle: &Value) -> Vec<&Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect()
}

fn rtype(r: &Value) -> &str {
    r["resourceType"].as_str().unwrap()
}

/// The test's own reading of the category rules (see `share::category`).
fn category(r: &Value) -> Option<&'static str> {
    Some(match rtype(r) {
        "AllergyIntolerance" => "allergies",
        "Condition" => "problems",
        "MedicationStatement"
        | "MedicationRequest"
        | "MedicationAdministration"
        | "MedicationDispense" => "medications",
        "Immunization" => "immunizations",
        "DiagnosticReport" | "ImagingStudy" => "results",
        "Procedure" => "procedures",
        "Encounter" => "encounters",
        "DocumentReference" | "Media" => "documents",
        "Observation" => {
            let mut codes = Vec::new();
            for c in r["category"].as_array().into_iter().flatten() {
                for coding in c["coding"].as_array().into_iter().flatten() {
                    codes.push(coding["code"].as_str().unwrap_or(""));
                }
            }
            if codes.contains(&"vital-signs") {
                "vital_signs"
            } else if codes
                .iter()
                .any(|c| ["laboratory", "imaging", "procedure", "exam", "therapy"].contains(c))
            {
                "results"
            } else if codes
                .iter()
                .any(|c| ["social-history", "survey", "activity"].contains(c))
            {
                return None;
            } else {
                "results"
            }
        }
        _ => return None,
    })
}

/// The test's own table of clinically relevant dates: the day (`YYYY-MM-DD`).
fn clinical_day(r: &Value) -> Option<String> {
    let fields: &[&str] = match rtype(r) {
        "AllergyIntolerance" | "Condition" => {
            &["/onsetDateTime", "/onsetPeriod/start", "/recordedDate"]
        }
        "MedicationStatement" => &[
            "/effectiveDateTime",
            "/effectivePeriod/start",
            "/dateAsserted",
        ],
        "MedicationRequest" => &["/authoredOn"],
        "Immunization" => &["/occurrenceDateTime", "/recorded"],
        "Observation" | "DiagnosticReport" => {
            &["/effectiveDateTime", "/effectivePeriod/start", "/issued"]
        }
        "Procedure" => &["/performedDateTime", "/performedPeriod/start"],
        "Encounter" => &["/period/start"],
        "DocumentReference" => &["/context/period/start", "/date"],
        "ImagingStudy" => &["/started"],
        _ => &[],
    };
    fields
        .iter()
        .find_map(|f| r.pointer(f).and_then(Value::as_str))
        .map(|d| d.get(..10).unwrap_or(d).to_string())
}

/// What makes two resources one fact in the patient's merged view (`import::merge`):
/// same kind, a shared coding, same day and, for observations, same value. One key per
/// coding; none for resources that are never merged.
fn fact_keys(r: &Value) -> Vec<String> {
    let (kind, concept) = match rtype(r) {
        "MedicationStatement" | "MedicationRequest" => {
            ("medication", &r["medicationCodeableConcept"])
        }
        "Condition" => ("condition", &r["code"]),
        "AllergyIntolerance" => ("allergy", &r["code"]),
        "Immunization" => ("immunization", &r["vaccineCode"]),
        "Observation" => ("observation", &r["code"]),
        _ => return Vec::new(),
    };
    let merge_day = [
        "/effectiveDateTime",
        "/effectivePeriod/start",
        "/occurrenceDateTime",
        "/onsetDateTime",
        "/onsetPeriod/start",
        "/authoredOn",
        "/performedDateTime",
        "/performedPeriod/start",
    ]
    .iter()
    .find_map(|p| r.pointer(p).and_then(Value::as_str))
    .map(|d| d.get(..10).unwrap_or(d).to_string());
    if merge_day.is_none() && kind != "condition" && kind != "allergy" {
        return Vec::new();
    }
    let value = if kind == "observation" {
        [
            "valueQuantity",
            "valueCodeableConcept",
            "valueString",
            "component",
        ]
        .iter()
        .find_map(|k| r.get(*k))
        .map(Value::to_string)
    } else {
        None
    };
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["system"].is_string() && c["code"].is_string())
        .map(|c| {
            format!(
                "{kind}|{}|{}|{merge_day:?}|{value:?}",
                c["system"], c["code"]
            )
        })
        .collect()
}

/// Count per category of `source` resources kept by `keep`, one per fact: resources
/// sharing any fact key are one fact.
fn expected_counts(source: &[Value], keep: impl Fn(&Value) -> bool) -> BTreeMap<String, usize> {
    let kept: Vec<(&Value, &str)> = source
        .iter()
        .filter_map(|r| Some((r, category(r)?)))
        .filter(|(r, _)| keep(r))
        .collect();
    let mut parent: Vec<usize> = (0..kept.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            i = parent[i];
        }
        i
    }
    let mut first_with: HashMap<String, usize> = HashMap::new();
    for (i, (r, _)) in kept.iter().enumerate() {
        for key in fact_keys(r) {
            match first_with.get(&key) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    first_with.insert(key, i);
                }
            }
        }
    }
    let mut counts = BTreeMap::new();
    for (i, (_, c)) in kept.iter().enumerate() {
        if root(&mut parent, i) == i {
            *counts.entry(c.to_string()).or_default() += 1;
        }
    }
    counts
}

fn actual_counts(bundle: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in resources(bundle) {
        if let Some(c) = category(r) {
            *counts.entry(c.to_string()).or_default() += 1;
        }
    }
    counts
}

fn synthea_resources(source: &Value) -> Vec<Value> {
    source["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .collect()
}

/// Every reference of the bundle resolves to an entry's fullUrl, or to a contained
/// resource of the entry that holds it.
fn assert_references_resolve(bundle: &Value) -> usize {
    let entries = bundle["entry"].as_array().unwrap();
    let urls: HashSet<&str> = entries
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    assert_eq!(urls.len(), entries.len(), "fullUrls are unique");
    let mut checked = 0;
    for e in entries {
        assert!(e["fullUrl"].as_str().unwrap().starts_with("urn:uuid:"));
        let contained: HashSet<&str> = e["resource"]["contained"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_str())
            .collect();
        let mut refs = Vec::new();
        collect_references(&e["resource"], &mut refs);
        for r in refs {
            checked += 1;
            match r.strip_prefix('#') {
                Some(id) => assert!(
                    contained.contains(id),
                    "#{id} not contained in {}",
                    e["fullUrl"]
                ),
                None => assert!(
                    urls.contains(r.as_str()) || EXPECTED_EXTERNAL.contains(&r.as_str()),
                    "dangling {r} in {}",
                    e["resource"]["resourceType"]
                ),
            }
        }
    }
    checked
}

fn collect_references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("reference") {
                out.push(r.clone());
            }
            o.values().for_each(|c| collect_references(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_references(c, out)),
        _ => {}
    }
}

/// Supporting resources (by type) that `selected` source resources reference, followed
/// through supporting resources, in a source bundle whose references are fullUrls.
fn expected_supporting(source: &Value, selected: &[&Value]) -> BTreeMap<String, usize> {
    let by_url: HashMap<&str, &Value> = source["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["fullUrl"].as_str().unwrap(), &e["resource"]))
        .collect();
    let mut found: HashSet<&str> = HashSet::new();
    let mut work: Vec<&Value> = selected.to_vec();
    while let Some(r) = work.pop() {
        let mut refs = Vec::new();
        collect_references(r, &mut refs);
        for reference in refs {
            if let Some((url, target)) = by_url.get_key_value(reference.as_str())
                && SUPPORTING.contains(&rtype(target))
                && found.insert(url)
            {
                work.push(target);
            }
        }
    }
    let mut counts = BTreeMap::new();
    for url in found {
        *counts.entry(rtype(by_url[url]).to_string()).or_default() += 1;
    }
    counts
}

fn supporting_counts(bundle: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in resources(bundle) {
        if SUPPORTING.contains(&rtype(r)) {
            *counts.entry(rtype(r).to_string()).or_default() += 1;
        }
    }
    counts
}

#[test]
fn each_category_shares_only_its_resources_the_patient_and_what_they_reference() {
    let (file, source) = largest_synthea();
    let contents = vault(&[(&file, None)]);
    let source_resources = synthea_resources(&source);
    let mut total_checked = 0;
    for c in ShareCategory::all() {
        let bundle = share_bundle(&contents, &ShareSelection::of([*c]), at()).unwrap();
        assert_eq!(bundle["type"], "collection");
        assert_eq!(bundle["timestamp"], "2026-01-15T12:00:00Z");
        let shared = resources(&bundle);
        assert_eq!(rtype(shared[0]), "Patient", "the Patient comes first");
        assert_eq!(shared.iter().filter(|r| rtype(r) == "Patient").count(), 1);
        for r in &shared {
            let t = rtype(r);
            assert!(
                t == "Patient" || SUPPORTING.contains(&t) || category(r) == Some(c.name()),
                "{c}: {t} does not belong"
            );
        }
        let expected = expected_counts(&source_resources, |r| category(r) == Some(c.name()));
        assert_eq!(actual_counts(&bundle), expected, "{c}");

        let selected: Vec<&Value> = source_resources
            .iter()
            .filter(|r| category(r) == Some(c.name()) || rtype(r) == "Patient")
            .collect();
        assert_eq!(
            supporting_counts(&bundle),
            expected_supporting(&source, &selected),
            "{c}: supporting resources"
        );
        total_checked += assert_references_resolve(&bundle);
    }
    assert!(total_checked > 1000, "{total_checked} references checked");

    // The source has results, vitals, problems, medications, procedures, encounters and
    // immunizations to share, and deduplication merges its repeated lab results.
    let all = share_bundle(&contents, &ShareSelection::everything(), at()).unwrap();
    let counts = actual_counts(&all);
    for c in [
        "problems",
        "medications",
        "immunizations",
        "results",
        "vital_signs",
        "procedures",
        "encounters",
    ] {
        assert!(counts.get(c).copied().unwrap_or(0) > 0, "{c}: {counts:?}");
    }
    let raw_results = source_resources
        .iter()
        .filter(|r| category(r) == Some("results"))
        .count();
    assert!(counts["results"] < raw_results, "duplicates are merged");
    assert_eq!(counts, expected_counts(&source_resources, |_| true));
    // Claims, care plans and the smoking-status survey are never shared.
    for r in resources(&all) {
        assert!(!["Claim", "ExplanationOfBenefit", "CarePlan", "Goal"].contains(&rtype(r)));
        assert_ne!(r["code"]["text"], "Tobacco smoking status NHIS");
    }
}

#[test]
fn references_leaving_the_share_keep_a_display_instead() {
    let (file, _) = largest_synthea();
    let contents = vault(&[(&file, None)]);
    let bundle = share_bundle(
        &contents,
        &ShareSelection::of([ShareCategory::Problems]),
        at(),
    )
    .unwrap();
    let conditions: Vec<&Value> = resources(&bundle)
        .into_iter()
        .filter(|r| rtype(r) == "Condition")
        .collect();
    assert!(!conditions.is_empty());
    let patient_url = bundle["entry"][0]["fullUrl"].as_str().unwrap();
    for c in conditions {
        assert_eq!(c["subject"]["reference"], patient_url);
        assert!(c["encounter"].get("reference").is_none());
        assert_eq!(
            c["encounter"]["display"],
            "Encounter not included in this share"
        );
    }
}

#[test]
fn a_date_range_keeps_exactly_the_resources_dated_inside_it() {
    let (file, source) = largest_synthea();
    let contents = vault(&[(&file, None)]);
    let source_resources = synthea_resources(&source);
    let (from, to) = (day(1990, 1, 1), day(2009, 12, 31));
    let inside = |r: &Value| {
        clinical_day(r).is_none_or(|d| {
            let d = NaiveDate::parse_from_str(&d, "%Y-%m-%d").unwrap();
            from <= d && d <= to
        })
    };
    let selection = ShareSelection::everything().between(Some(from), Some(to));
    let bundle = share_bundle(&contents, &selection, at()).unwrap();
    let expected = expected_counts(&source_resources, inside);
    assert_eq!(actual_counts(&bundle), expected);
    let everything = expected_counts(&source_resources, |_| true);
    assert!(
        expected.values().sum::<usize>() < everything.values().sum::<usize>(),
        "the range leaves something out"
    );
    assert!(expected.values().sum::<usize>() > 0, "and keeps something");
    for r in resources(&bundle)
        .into_iter()
        .filter(|r| category(r).is_some())
    {
        assert!(inside(r), "{} dated {:?}", rtype(r), clinical_day(r));
    }
    assert_references_resolve(&bundle);

    // Both ends are inclusive: one day shares exactly that day's resources.
    let mut per_day: HashMap<String, usize> = HashMap::new();
    for r in &source_resources {
        if category(r).is_some()
            && let Some(d) = clinical_day(r)
        {
            *per_day.entry(d).or_default() += 1;
        }
    }
    let (busiest, _) = per_day
        .iter()
        .max_by_key(|(d, n)| (**n, std::cmp::Reverse(*d)))
        .unwrap();
    let one = NaiveDate::parse_from_str(busiest, "%Y-%m-%d").unwrap();
    let bundle = share_bundle(
        &contents,
        &ShareSelection::everything().between(Some(one), Some(one)),
        at(),
    )
    .unwrap();
    let expected = expected_counts(&source_resources, |r| {
        clinical_day(r).is_none_or(|d| &d == busiest)
    });
    assert_eq!(actual_counts(&bundle), expected, "{busiest}");

    // Only a range that could exclude everything is refused.
    assert_eq!(
        share_bundle(
            &contents,
            &ShareSelection::everything().between(Some(to), Some(from)),
            at()
        ),
        Err(ShareError::InvertedRange { from: to, to: from })
    );
}

#[test]
fn a_ccda_shares_by_category_with_resolvable_references() {
    let contents = vault(&[(CCDA, None)]);
    let imported = vault_resources(&contents);
    let mut seen_categories = 0;
    for c in ShareCategory::all() {
        let bundle = share_bundle(&contents, &ShareSelection::of([*c]), at()).unwrap();
        let expected = expected_counts(&imported, |r| category(r) == Some(c.name()));
        assert_eq!(actual_counts(&bundle), expected, "{c}");
        seen_categories += usize::from(!expected.is_empty());
        for r in resources(&bundle) {
            let t = rtype(r);
            assert!(t == "Patient" || SUPPORTING.contains(&t) || category(r) == Some(c.name()));
        }
        assert_references_resolve(&bundle);
    }
    assert!(
        seen_categories >= 7,
        "CCD_1 covers most categories: {seen_categories}"
    );
    // The original document goes along under documents, whole.
    let docs = share_bundle(
        &contents,
        &ShareSelection::of([ShareCategory::Documents]),
        at(),
    )
    .unwrap();
    let doc = resources(&docs)
        .into_iter()
        .find(|r| rtype(r) == "DocumentReference")
        .unwrap();
    assert!(
        doc["content"][0]["attachment"]["data"]
            .as_str()
            .unwrap()
            .len()
            > 1000
    );
}

#[test]
fn the_same_document_from_two_providers_is_shared_once_per_fact() {
    let once = vault(&[(CCDA, Some("Clinic A"))]);
    let twice = vault(&[(CCDA, Some("Clinic A")), (CCDA, Some("Clinic B"))]);
    assert_eq!(twice.len(), 2 * once.len(), "the vault keeps both copies");
    let single = share_bundle(&once, &ShareSelection::everything(), at()).unwrap();
    let double = share_bundle(&twice, &ShareSelection::everything(), at()).unwrap();
    // Merged kinds appear once; procedures, encounters, reports and documents are not
    // merged by the view, so they appear once per provider.
    let mut expected = BTreeMap::new();
    for r in resources(&single) {
        let Some(c) = category(r) else { continue };
        let copies = if fact_keys(r).is_empty() { 2 } else { 1 };
        *expected.entry(c.to_string()).or_insert(0) += copies;
    }
    assert_eq!(actual_counts(&double), expected);
    assert_eq!(
        resources(&double)
            .iter()
            .filter(|r| rtype(r) == "Patient")
            .count(),
        1,
        "one Patient, whichever provider's"
    );
    // Reports from the second provider point at the first provider's observations.
    assert_references_resolve(&double);
}

const HAND_MADE: &str = r#"{"resourceType": "Bundle", "type": "collection", "entry": [
  {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001", "resource": {"resourceType": "Patient",
    "name": [{"given": ["Ada"], "family": "Lovelace"}], "birthDate": "1980-12-10"}},
  {"resource": {"resourceType": "AllergyIntolerance", "id": "pen",
    "patient": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"},
    "code": {"text": "Penicillin"}}},
  {"resource": {"resourceType": "Observation", "id": "smoking", "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "social-history"}]}],
    "code": {"text": "Tobacco smoking status"}, "effectiveDateTime": "2024-01-05",
    "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"}}},
  {"resource": {"resourceType": "Observation", "id": "a1c", "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]}, "effectiveDateTime": "2023-06-01",
    "valueQuantity": {"value": 7.1, "unit": "%"},
    "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"}}},
  {"resource": {"resourceType": "DocumentReference", "id": "letter", "status": "current",
    "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"},
    "context": {"period": {"start": "2024-02-01"}},
    "content": [{"attachment": {"contentType": "application/pdf", "url": "Binary/scan-1"}},
                {"attachment": {"contentType": "image/png", "url": "folio-attachment:abc"}}]}},
  {"resource": {"resourceType": "Binary", "id": "scan-1", "contentType": "application/pdf", "data": "JVBERi0xLjQ="}},
  {"resource": {"resourceType": "Binary", "id": "unrelated", "contentType": "text/plain", "data": "aGk="}},
  {"resource": {"resourceType": "MedicationRequest", "id": "rx", "status": "active", "intent": "order",
    "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"},
    "medicationReference": {"reference": "urn:uuid:00000000-0000-4000-8000-0000000000a1"},
    "requester": {"reference": "Practitioner/dr-who"},
    "encounter": {"reference": "Encounter/visit"}, "authoredOn": "2024-03-01"}},
  {"fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000a1", "resource": {"resourceType": "Medication",
    "code": {"text": "Metformin 500 mg"}, "manufacturer": {"reference": "Organization/acme"}}},
  {"resource": {"resourceType": "Organization", "id": "acme", "name": "ACME Pharma"}},
  {"resource": {"resourceType": "Organization", "id": "unused", "name": "Nobody"}},
  {"resource": {"resourceType": "Practitioner", "id": "dr-who", "name": [{"family": "Who"}]}},
  {"resource": {"resourceType": "Encounter", "id": "visit", "status": "finished",
    "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"},
    "period": {"start": "2024-03-01"}}}
]}"#;

#[test]
fn supporting_resources_follow_references_and_binaries_follow_their_documents() {
    let contents = vault_from_json(HAND_MADE);
    let types = |bundle: &Value| {
        let mut t: Vec<String> = resources(bundle)
            .iter()
            .map(|r| rtype(r).to_string())
            .collect();
        t.sort();
        t
    };
    let meds = share_bundle(
        &contents,
        &ShareSelection::of([ShareCategory::Medications]),
        at(),
    )
    .unwrap();
    assert_eq!(
        types(&meds),
        [
            "Medication",
            "MedicationRequest",
            "Organization",
            "Patient",
            "Practitioner"
        ],
        "the manufacturer comes along through the Medication; the encounter does not"
    );
    assert_references_resolve(&meds);
    let rx = resources(&meds)
        .into_iter()
        .find(|r| rtype(r) == "MedicationRequest")
        .unwrap();
    assert_eq!(
        rx["encounter"]["display"],
        "Encounter not included in this share"
    );

    let docs = share_bundle(
        &contents,
        &ShareSelection::of([ShareCategory::Documents]),
        at(),
    )
    .unwrap();
    assert_eq!(types(&docs), ["Binary", "DocumentReference", "Patient"]);
    let binary_url = docs["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["resourceType"] == "Binary")
        .unwrap()["fullUrl"]
        .clone();
    let doc = resources(&docs)
        .into_iter()
        .find(|r| rtype(r) == "DocumentReference")
        .unwrap();
    assert_eq!(doc["content"][0]["attachment"]["url"], binary_url);
    assert_eq!(
        doc["content"][0]["attachment"]["url"]
            .as_str()
            .unwrap()
            .len(),
        45
    );
    let preview = SharePreview::of(&docs);
    assert_eq!(preview.attachments_outside, ["folio-attachment:abc"]);
}

#[test]
fn undated_resources_are_kept_by_a_range_and_personal_observations_never_go() {
    let contents = vault_from_json(HAND_MADE);
    let selection =
        ShareSelection::everything().between(Some(day(2024, 1, 1)), Some(day(2024, 12, 31)));
    let bundle = share_bundle(&contents, &selection, at()).unwrap();
    let mut names: Vec<&str> = resources(&bundle)
        .into_iter()
        .filter(|r| category(r).is_some())
        .map(rtype)
        .collect();
    names.sort();
    // The undated allergy stays, the 2023 lab result goes, the smoking status never goes.
    assert_eq!(
        names,
        [
            "AllergyIntolerance",
            "DocumentReference",
            "Encounter",
            "MedicationRequest"
        ]
    );
    let preview = SharePreview::of(&bundle);
    assert_eq!(preview.undated, 1);
    assert_eq!(
        (preview.earliest, preview.latest),
        (Some(day(2024, 2, 1)), Some(day(2024, 3, 1)))
    );
    let everything = share_bundle(&contents, &ShareSelection::everything(), at()).unwrap();
    assert!(
        resources(&everything)
            .iter()
            .all(|r| r["id"] != "smoking" && r["code"]["text"] != "Tobacco smoking status")
    );
    assert_eq!(
        SharePreview::of(&everything).counts[&ShareCategory::Results],
        1
    );
}

#[test]
fn a_record_without_a_patient_cannot_be_shared() {
    let contents = vault_from_json(
        r#"{"resourceType": "Immunization", "id": "flu", "status": "completed",
            "vaccineCode": {"text": "Influenza"}, "occurrenceDateTime": "2024-10-01"}"#,
    );
    let err = share_bundle(&contents, &ShareSelection::everything(), at()).unwrap_err();
    assert_eq!(err, ShareError::NoPatient);
    assert!(err.to_string().contains("no patient"));
}

#[test]
fn the_preview_counts_what_the_bundle_holds() {
    let (file, source) = largest_synthea();
    let contents = vault(&[(&file, None)]);
    let selection = ShareSelection::of([ShareCategory::Immunizations, ShareCategory::Problems]);
    let bundle = share_bundle(&contents, &selection, at()).unwrap();
    let preview = SharePreview::of(&bundle);

    let source_resources = synthea_resources(&source);
    let wanted = |r: &Value| matches!(category(r), Some("immunizations" | "problems"));
    let expected = expected_counts(&source_resources, wanted);
    let counts: BTreeMap<String, usize> = preview
        .counts
        .iter()
        .map(|(c, n)| (c.name().to_string(), *n))
        .collect();
    assert_eq!(counts, expected);

    let patient = source_resources
        .iter()
        .find(|r| rtype(r) == "Patient")
        .unwrap();
    let name = &patient["name"][0];
    let given: Vec<&str> = name["given"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    let full = format!("{} {}", given.join(" "), name["family"].as_str().unwrap());
    assert_eq!(preview.patient_name.as_deref(), Some(full.as_str()));
    assert_eq!(
        preview.birth_date.as_ref(),
        patient["birthDate"].as_str().map(str::to_string).as_ref()
    );

    let days: Vec<String> = source_resources
        .iter()
        .filter(|r| wanted(r))
        .filter_map(clinical_day)
        .collect();
    let parse = |d: &String| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    assert_eq!(preview.earliest, days.iter().map(parse).min());
    assert_eq!(preview.latest, days.iter().map(parse).max());
    assert_eq!(preview.undated, 0);
    assert_eq!(
        preview.supporting, 0,
        "conditions and immunizations reference no one here"
    );
    assert!(!preview.is_empty());
    // The app gets it as JSON keyed by category name.
    let json = serde_json::to_value(&preview).unwrap();
    assert_eq!(json["counts"]["immunizations"], counts["immunizations"]);
}
