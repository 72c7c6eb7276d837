//! The clinician viewer's summary model, checked against counts taken independently from
//! the raw JSON of a real IPS document and a Synthea bundle.

use chrono::NaiveDate;
use folio_shared::clinical_view::{ChartGeometry, ClinicalView, ClinicalViewBuilder, Item};
use serde_json::{Value, json};

const IPS: &str = "/work/shared/data/shl/hl7-smart-health-cards-and-links/IPS_IG-bundle-01.json";
const SYNTHEA_DIR: &str = "/work/shared/data/fhir-r4/synthea";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn load(path: &str) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).expect("valid JSON"))
}

fn resources<'a>(bundle: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(move |r| r["resourceType"] == kind)
}

fn assert_newest_first(items: &[Item]) {
    let dates: Vec<_> = items.iter().map(|i| i.date.clone()).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");
}

#[test]
fn ips_document_summary() {
    let Some(bundle) = load(IPS) else {
        eprintln!("skipped: {IPS} not present");
        return;
    };
    let view = ClinicalView::from_json(&bundle, today());
    let patient = view.patient.as_ref().expect("a patient banner");
    let raw_patient = resources(&bundle, "Patient").next().unwrap();
    assert_eq!(
        patient.birth_date.as_deref(),
        raw_patient["birthDate"].as_str()
    );
    assert!(patient.name.is_some());
    assert!(patient.age.is_some());
    assert_eq!(
        view.allergies.len(),
        resources(&bundle, "AllergyIntolerance").count()
    );
    let active_conditions = resources(&bundle, "Condition")
        .filter(|c| {
            !matches!(
                c["clinicalStatus"]["coding"][0]["code"].as_str(),
                Some("resolved" | "inactive" | "remission")
            )
        })
        .count();
    assert_eq!(view.problems.len(), active_conditions);
    // Medication names come through the medicationReference to the bundle's Medication.
    assert_eq!(
        view.medications.len(),
        resources(&bundle, "MedicationStatement")
            .filter(|m| matches!(
                m["status"].as_str(),
                None | Some("active" | "intended" | "on-hold" | "unknown")
            ))
            .count()
    );
    assert!(
        view.medications
            .iter()
            .all(|m| m.title != "Unnamed medication"),
        "{:?}",
        view.medications
    );
    let observations = resources(&bundle, "Observation").count();
    let points: usize = view
        .results
        .iter()
        .chain(&view.vital_signs)
        .map(|s| s.points.len())
        .sum();
    assert!(
        points >= observations - 1 && points > 0,
        "{points} of {observations}"
    );
    assert!(view.encounters.is_empty());
}

#[test]
fn synthea_bundle_summary() {
    let Some(path) = std::fs::read_dir(SYNTHEA_DIR).ok().and_then(|dir| {
        let mut paths: Vec<_> = dir.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        paths
            .into_iter()
            .find(|p| p.to_string_lossy().contains("Clemente"))
    }) else {
        eprintln!("skipped: no Synthea bundle");
        return;
    };
    let bundle = load(path.to_str().unwrap()).unwrap();
    let view = ClinicalView::from_json(&bundle, today());
    let active = resources(&bundle, "Condition")
        .filter(|c| c["clinicalStatus"]["coding"][0]["code"] == "active")
        .count();
    assert_eq!(view.problems.len(), active);
    assert_eq!(
        view.immunizations.len(),
        resources(&bundle, "Immunization")
            .filter(|i| i["status"] == "completed")
            .count()
    );
    assert_eq!(
        view.encounters.len(),
        resources(&bundle, "Encounter").count()
    );
    let active_meds = resources(&bundle, "MedicationRequest")
        .filter(|m| m["status"] == "active")
        .count();
    assert_eq!(view.medications.len(), active_meds);
    // Every Observation value and component lands in a series.
    let vital_codes: std::collections::HashSet<String> = resources(&bundle, "Observation")
        .filter(|o| o["category"][0]["coding"][0]["code"] == "vital-signs")
        .flat_map(|o| {
            let mut codes = Vec::new();
            if o.get("valueQuantity").is_some() {
                codes.push(o["code"]["coding"][0]["code"].as_str().unwrap().to_owned());
            }
            for c in o["component"].as_array().into_iter().flatten() {
                codes.push(c["code"]["coding"][0]["code"].as_str().unwrap().to_owned());
            }
            codes
        })
        .collect();
    assert_eq!(view.vital_signs.len(), vital_codes.len());
    assert_newest_first(&view.encounters);
    // Series with more than one value get a chart.
    for series in view.results.iter().chain(&view.vital_signs) {
        assert_eq!(ChartGeometry::of(series).is_some(), series.has_trend());
    }
}

/// The history beside what is current, in every Synthea bundle: stopped prescriptions with
/// their prescriber, resolved problems, procedures; counted from the raw JSON.
#[test]
fn synthea_history_past_medications_problems_and_procedures() {
    let Ok(dir) = std::fs::read_dir(SYNTHEA_DIR) else {
        eprintln!("skipped: no Synthea bundles");
        return;
    };
    let (mut past_seen, mut resolved_seen, mut prescribers_seen) = (0, 0, 0);
    for path in dir.filter_map(|e| e.ok()).map(|e| e.path()) {
        let bundle = load(path.to_str().unwrap()).unwrap();
        let view = ClinicalView::from_json(&bundle, today());
        let past_meds = resources(&bundle, "MedicationRequest")
            .filter(|m| matches!(m["status"].as_str(), Some("stopped" | "completed")))
            .count();
        assert_eq!(view.past_medications.len(), past_meds);
        let resolved = resources(&bundle, "Condition")
            .filter(|c| c["clinicalStatus"]["coding"][0]["code"] == "resolved")
            .count();
        assert_eq!(view.past_problems.len(), resolved);
        assert_eq!(
            view.procedures.len(),
            resources(&bundle, "Procedure").count()
        );
        // The prescriber is the Practitioner the request's requester points at, by name.
        let practitioners: std::collections::HashMap<&str, String> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["resource"]["resourceType"] == "Practitioner")
            .map(|e| {
                let name = &e["resource"]["name"][0];
                let words = [&name["prefix"][0], &name["given"][0], &name["family"]]
                    .iter()
                    .filter_map(|w| w.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                (e["fullUrl"].as_str().unwrap(), words)
            })
            .collect();
        let prescribers: std::collections::HashSet<String> =
            resources(&bundle, "MedicationRequest")
                .filter_map(|m| practitioners.get(m["requester"]["reference"].as_str()?))
                .map(|name| format!("Prescribed by: {name}"))
                .collect();
        for item in view.medications.iter().chain(&view.past_medications) {
            assert!(
                item.details.iter().any(|d| prescribers.contains(d)),
                "{item:?} names its prescriber"
            );
        }
        for list in [
            &view.past_medications,
            &view.past_problems,
            &view.procedures,
        ] {
            assert_newest_first(list);
        }
        past_seen += past_meds;
        resolved_seen += resolved;
        prescribers_seen += prescribers.len();
    }
    assert!(past_seen > 0 && resolved_seen > 0 && prescribers_seen > 0);
}

#[test]
fn trends_ranges_and_flags() {
    let obs = |date: &str, value: f64| {
        json!({
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{"code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "HbA1c"}]},
            "effectiveDateTime": date,
            "valueQuantity": {"value": value, "unit": "%"},
            "referenceRange": [{"low": {"value": 4.0}, "high": {"value": 5.6}}],
            "meta": {"source": "Valley Clinic"}
        })
    };
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": obs("2025-06-01", 7.1)},
            {"resource": obs("2024-01-10", 5.2)},
            {"resource": obs("2024-09-10", 6.0)},
            {"resource": {"resourceType": "Condition", "clinicalStatus": {"coding": [{"code": "resolved"}]}, "code": {"text": "Flu"}}},
            {"resource": {"resourceType": "Condition", "code": {"text": "Diabetes"}}},
            {"resource": {"resourceType": "AllergyIntolerance", "code": {"text": "Penicillin"}, "criticality": "high",
                "reaction": [{"manifestation": [{"text": "Hives"}], "severity": "moderate"}]}},
            {"resource": {"resourceType": "MedicationStatement", "status": "stopped", "medicationCodeableConcept": {"text": "Old"}}},
            {"resource": {"resourceType": "MedicationStatement", "status": "active", "medicationCodeableConcept": {"text": "Metformin"}}}
        ]
    });
    let view = ClinicalView::from_json(&bundle, today());
    assert_eq!(view.problems.len(), 1);
    assert_eq!(view.problems[0].title, "Diabetes");
    assert_eq!(view.medications.len(), 1);
    assert_eq!(view.allergies[0].alert.as_deref(), Some("High criticality"));
    assert!(
        view.allergies[0]
            .details
            .iter()
            .any(|d| d.contains("Hives"))
    );
    let series = &view.results[0];
    assert_eq!(series.points.len(), 3);
    let flags: Vec<bool> = series.points.iter().map(|p| p.out_of_range).collect();
    assert_eq!(flags, [false, true, true], "oldest first");
    assert_eq!(series.points[0].source.as_deref(), Some("Valley Clinic"));
    assert_eq!(
        series.range.as_ref().unwrap().describe().as_deref(),
        Some("4–5.6")
    );
    let chart = ChartGeometry::of(series).expect("a trend");
    assert_eq!(chart.points.len(), 3);
    assert!(chart.points[0].x < chart.points[1].x && chart.points[1].x < chart.points[2].x);
    // Higher values are higher up: smaller y.
    assert!(chart.points[2].y < chart.points[0].y);
    let (top, height) = chart.band.unwrap();
    assert!(top > 0.0 && height > 0.0);
}

#[test]
fn builder_credits_fallback_source_and_single_resources() {
    let mut builder = ClinicalViewBuilder::new(today());
    builder.add_json(
        &json!({"resourceType": "Immunization", "status": "completed",
            "vaccineCode": {"text": "COVID-19"}, "occurrenceDateTime": "2021-04-01"}),
        Some("https://spec.smarthealth.cards/examples/issuer"),
    );
    builder.add_json(
        &json!({"resourceType": "Patient", "birthDate": "1990-12-02",
            "name": [{"given": ["Ann"], "family": "Lee"}], "gender": "female"}),
        None,
    );
    let view = builder.build();
    assert_eq!(view.immunizations.len(), 1);
    assert!(view.immunizations[0].sources[0].contains("issuer"));
    let patient = view.patient.unwrap();
    assert_eq!(patient.name.as_deref(), Some("Ann Lee"));
    assert_eq!(patient.age, Some(35), "birthday tomorrow");
}

#[test]
fn past_medications_problems_and_procedures_keep_what_a_patient_would_look_for() {
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:doc", "resource": {
                "resourceType": "Practitioner",
                "name": [{"prefix": ["Dr."], "given": ["Ada"], "family": "Osei"}]}},
            {"fullUrl": "urn:uuid:asthma", "resource": {
                "resourceType": "Condition", "id": "asthma",
                "clinicalStatus": {"coding": [{"code": "resolved"}]},
                "code": {"text": "Childhood asthma"},
                "onsetDateTime": "1990-05-01", "abatementDateTime": "2001-03-02"}},
            {"resource": {"resourceType": "Condition",
                "verificationStatus": {"coding": [{"code": "refuted"}]},
                "code": {"text": "Ruled out"}}},
            {"resource": {"resourceType": "MedicationRequest", "status": "stopped",
                "medicationCodeableConcept": {"text": "Salbutamol inhaler"},
                "authoredOn": "1995-01-01",
                "requester": {"reference": "urn:uuid:doc"},
                "reasonReference": [{"reference": "urn:uuid:asthma"}]}},
            {"resource": {"resourceType": "MedicationRequest", "status": "draft",
                "medicationCodeableConcept": {"text": "Never prescribed"}}},
            {"resource": {"resourceType": "MedicationStatement", "status": "not-taken",
                "medicationCodeableConcept": {"text": "Ibuprofen"},
                "dosage": [{"doseAndRate": [{"doseQuantity": {"value": 400, "unit": "mg"}}]}],
                "effectiveDateTime": "2020-02-02"}},
            {"resource": {"resourceType": "Procedure", "status": "completed",
                "code": {"text": "Appendectomy"}, "performedDateTime": "2010-07-07",
                "bodySite": [{"text": "Abdomen"}],
                "performer": [{"actor": {"reference": "urn:uuid:doc"}}],
                "reasonCode": [{"text": "Appendicitis"}]}},
            {"resource": {"resourceType": "Procedure", "status": "not-done",
                "code": {"text": "Colonoscopy"},
                "statusReason": {"text": "Patient declined"},
                "performedDateTime": "2021-01-01"}},
            {"resource": {"resourceType": "Procedure", "status": "entered-in-error",
                "code": {"text": "Mistake"}}}
        ]
    });
    let view = ClinicalView::from_json(&bundle, today());
    assert!(
        view.problems.is_empty(),
        "resolved and refuted are not active"
    );
    assert_eq!(view.past_problems.len(), 1);
    assert_eq!(view.past_problems[0].title, "Childhood asthma");
    assert!(
        view.past_problems[0]
            .details
            .contains(&"Ended: 2001-03-02".to_owned())
    );

    assert!(view.medications.is_empty());
    let past: Vec<&str> = view
        .past_medications
        .iter()
        .map(|m| m.title.as_str())
        .collect();
    assert_eq!(
        past,
        ["Ibuprofen", "Salbutamol inhaler"],
        "newest first; no draft"
    );
    let salbutamol = &view.past_medications[1].details;
    assert!(
        salbutamol.contains(&"Prescribed by: Dr. Ada Osei".to_owned()),
        "{salbutamol:?}"
    );
    assert!(
        salbutamol.contains(&"For: Childhood asthma".to_owned()),
        "{salbutamol:?}"
    );
    assert!(
        salbutamol.contains(&"Status: stopped".to_owned()),
        "{salbutamol:?}"
    );
    assert_eq!(
        view.past_medications[0].details,
        ["Dose: 400 mg", "Status: not taken"]
    );

    let procedures: Vec<&str> = view.procedures.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(procedures, ["Colonoscopy", "Appendectomy"]);
    assert_eq!(view.procedures[0].details, ["Not done: Patient declined"]);
    assert_eq!(
        view.procedures[1].details,
        ["Site: Abdomen", "For: Appendicitis", "By: Dr. Ada Osei"]
    );
}

/// The sections the start page shows (banner, allergies, active problems, current
/// medications, results, immunizations).
fn at_a_glance(view: &ClinicalView) -> impl PartialEq + std::fmt::Debug + '_ {
    (
        &view.patient,
        &view.allergies,
        &view.problems,
        &view.medications,
        &view.results,
        &view.immunizations,
    )
}

/// The start page opens only the resource types `read_at_a_glance` names; from that part
/// of a record its sections come out as from the whole of it, for every sample record:
/// Synthea's bundles and bulk export, the IPS documents, and the C-CDA documents imported.
#[test]
fn the_sections_at_a_glance_need_only_the_types_read_at_a_glance() {
    use chrono::Utc;
    use folio_shared::clinical_view::read_at_a_glance;
    use folio_shared::import::{ImportOptions, import_file};
    use folio_shared::record::Op;

    let mut files = Vec::new();
    for dir in [
        "fhir-r4/synthea",
        "fhir-r4/synthea-bulk-ndjson",
        "ips",
        "ccda/hl7-examples",
        "ccda/chb-sample-ccdas",
        "ccda/onc-2015-certification",
    ] {
        let Ok(listing) = std::fs::read_dir(format!("/work/shared/data/{dir}")) else {
            continue;
        };
        files.extend(listing.filter_map(|e| e.ok()).map(|e| e.path()));
    }
    files.sort();
    let (mut compared, mut left_out) = (0, 0);
    for path in files.iter().filter(|p| p.is_file()) {
        let name = path.file_name().unwrap().to_string_lossy();
        let bytes = std::fs::read(path).unwrap();
        let Ok(imported) = import_file(&name, &bytes, &ImportOptions::new(Utc::now())) else {
            continue;
        };
        let resources: Vec<Value> = imported
            .entries
            .into_iter()
            .filter_map(|entry| match entry.op {
                Op::Put { resource, .. } => Some(resource),
                Op::Delete => None,
            })
            .collect();
        let build = |keep: &dyn Fn(&Value) -> bool| {
            let mut builder = ClinicalViewBuilder::new(today());
            for resource in resources.iter().filter(|r| keep(r)) {
                builder.add_borrowed(resource, None);
            }
            builder.build()
        };
        let whole = build(&|_| true);
        let part = build(&|r| read_at_a_glance(r["resourceType"].as_str().unwrap_or("")));
        assert_eq!(at_a_glance(&part), at_a_glance(&whole), "{name}");
        compared += 1;
        left_out += whole.resource_count - part.resource_count;
    }
    assert!(compared >= 20, "only {compared} sample records imported");
    assert!(
        left_out >= 500,
        "the part left out is real: {left_out} resources"
    );
}
