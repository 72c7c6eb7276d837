//! One patient shown alike everywhere: results apart from social history and questionnaire
//! answers, grouped by panel; allergies in one order in the views and the International
//! Patient Summary; a problem from two sources on one line; dates as precise as recorded.

use chrono::{NaiveDate, TimeZone, Utc};
use folio_shared::clinical_view::{
    ClinicalView, ClinicalViewBuilder, DatePrecision, ObservationKind, date_text, observation_kind,
    read_at_a_glance,
};
use folio_shared::import::{ImportOptions, import_file};
use folio_shared::share::PatientSummary;
use folio_shared::vault::VaultContents;
use serde_json::{Value, json};

const SYNTHEA_DIR: &str = "/work/shared/data/fhir-r4/synthea";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn observation(category: Option<&str>, code: &str, display: &str) -> Value {
    let mut o = json!({"resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]},
        "valueString": "x"});
    if let Some(category) = category {
        o["category"] = json!([{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": category}]}]);
    }
    o
}

#[test]
fn observations_are_classified_by_category_and_by_code() {
    let kind = |category, code| observation_kind(&observation(category, code, "t"));
    assert_eq!(kind(Some("laboratory"), "2339-0"), ObservationKind::Result);
    assert_eq!(kind(None, "2339-0"), ObservationKind::Result);
    assert_eq!(kind(Some("imaging"), "10230-1"), ObservationKind::Result);
    assert_eq!(
        kind(Some("vital-signs"), "8310-5"),
        ObservationKind::VitalSign
    );
    assert_eq!(kind(Some("survey"), "44249-1"), ObservationKind::Survey);
    assert_eq!(
        kind(Some("social-history"), "99999-9"),
        ObservationKind::SocialHistory
    );
    // Social history and SDOH answers whatever the category says, or when there is none.
    for code in ["72166-2", "11331-6", "63586-2", "93159-2", "82810-3"] {
        assert_eq!(
            kind(Some("laboratory"), code),
            ObservationKind::SocialHistory,
            "{code}"
        );
        assert_eq!(kind(None, code), ObservationKind::SocialHistory, "{code}");
    }
}

fn lab(id: &str, code: &str, name: &str, date: &str, value: f64) -> Value {
    json!({"fullUrl": format!("urn:uuid:{id}"), "resource": {
        "resourceType": "Observation", "id": id, "status": "final",
        "category": [{"coding": [{"code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": name}]},
        "effectiveDateTime": date,
        "valueQuantity": {"value": value, "unit": "mg/dL", "code": "mg/dL"}}})
}

fn report(id: &str, name: &str, date: &str, results: &[&str]) -> Value {
    let result: Vec<Value> = results
        .iter()
        .map(|r| json!({"reference": format!("urn:uuid:{r}")}))
        .collect();
    json!({"fullUrl": format!("urn:uuid:{id}"), "resource": {
        "resourceType": "DiagnosticReport", "id": id, "status": "final",
        "code": {"text": name}, "effectiveDateTime": date, "result": result}})
}

#[test]
fn results_leave_out_social_history_and_are_grouped_by_panel_newest_first() {
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        lab("na1", "2951-2", "Sodium", "2023-05-01", 140.0),
        lab("k1", "2823-3", "Potassium", "2023-05-01", 4.1),
        lab("na2", "2951-2", "Sodium", "2024-06-01", 138.0),
        lab("k2", "2823-3", "Potassium", "2024-06-01", 4.4),
        lab("a1c", "4548-4", "HbA1c", "2024-01-10", 6.1),
        report("bmp1", "Basic metabolic panel", "2023-05-01", &["na1", "k1"]),
        report("bmp2", "Basic metabolic panel", "2024-06-01", &["k2", "na2"]),
        {"resource": observation(Some("social-history"), "63586-2", "Household income")},
        {"resource": observation(Some("laboratory"), "82810-3", "Pregnancy status")},
        {"resource": observation(Some("survey"), "44249-1", "PHQ-9")},
    ]});
    let view = ClinicalView::from_json(&bundle, today());
    let names: Vec<&str> = view.results.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Potassium", "Sodium", "HbA1c"]);
    let social: Vec<&str> = view
        .social_history
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(social, ["Household income", "Pregnancy status"]);
    assert_eq!(view.assessments.len(), 1);
    let panels: Vec<(&str, Option<&str>, Vec<&str>)> = view
        .panels
        .iter()
        .map(|p| {
            (
                p.title.as_str(),
                p.date.as_deref(),
                p.results.iter().map(|r| r.name.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        panels,
        [
            (
                "Basic metabolic panel",
                Some("2024-06-01"),
                vec!["Potassium", "Sodium"]
            ),
            ("HbA1c", Some("2024-01-10"), vec!["HbA1c"]),
            (
                "Basic metabolic panel",
                Some("2023-05-01"),
                vec!["Sodium", "Potassium"]
            ),
        ]
    );
    assert_eq!(view.panels[0].results[1].point.display, "138 mg/dL");
}

/// The start page's latest results are tests, never a smoking status or a survey
/// answer, for a Synthea patient whose newest observations are questionnaires.
#[test]
fn the_latest_results_at_a_glance_are_tests_only() {
    let Ok(dir) = std::fs::read_dir(SYNTHEA_DIR) else {
        eprintln!("skipped: no Synthea bundles");
        return;
    };
    let mut checked = 0;
    for path in dir.filter_map(|e| e.ok()).map(|e| e.path()) {
        let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut builder = ClinicalViewBuilder::new(today());
        let entries = bundle["entry"].as_array().unwrap();
        let resources: Vec<&Value> = entries.iter().map(|e| &e["resource"]).collect();
        for resource in &resources {
            if read_at_a_glance(resource["resourceType"].as_str().unwrap()) {
                builder.add_borrowed(resource, None);
            }
        }
        let view = builder.build();
        // What the glance shows: the first results of the summary.
        for series in view.results.iter().take(3) {
            let code = series.key.rsplit('|').next().unwrap();
            let raw = resources
                .iter()
                .find(|r| {
                    r["resourceType"] == "Observation" && r["code"]["coding"][0]["code"] == code
                })
                .expect("the series' observation");
            let category = raw["category"][0]["coding"][0]["code"].as_str();
            assert!(
                matches!(category, Some("laboratory" | "imaging" | "exam")),
                "{}: {} is {category:?}",
                path.display(),
                series.name
            );
        }
        let smoking = resources
            .iter()
            .any(|r| r["code"]["coding"][0]["code"] == "72166-2");
        if smoking {
            assert!(
                view.social_history
                    .iter()
                    .any(|s| s.key == "http://loinc.org|72166-2"),
                "smoking status is social history"
            );
            assert!(!view.results.iter().any(|s| s.key.ends_with("|72166-2")));
            checked += 1;
        }
        // Every lab value is in exactly one panel.
        let in_panels: usize = view.panels.iter().map(|p| p.results.len()).sum();
        let lab_points: usize = view.results.iter().map(|s| s.points.len()).sum();
        assert_eq!(in_panels, lab_points, "{}", path.display());
        let dates: Vec<_> = view.panels.iter().map(|p| p.date.clone()).collect();
        let mut sorted = dates.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(dates, sorted, "newest panel first");
    }
    assert!(checked > 0, "a Synthea patient with a smoking status");
}

fn allergy(id: &str, name: &str, category: &str, criticality: &str, status: &str) -> Value {
    let mut a = json!({"resourceType": "AllergyIntolerance", "id": id,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": status}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}]},
        "category": [category],
        "code": {"text": name},
        "patient": {"reference": "Patient/p"},
        "recordedDate": "2020-01-01"});
    if !criticality.is_empty() {
        a["criticality"] = json!(criticality);
    }
    a
}

fn problem(id: &str, name: &str, date_field: &str, date: &str) -> Value {
    json!({"resourceType": "Condition", "id": id,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"text": name}, "subject": {"reference": "Patient/p"}, date_field: date})
}

fn allergy_record() -> Value {
    let mut refuted = allergy("a6", "Sulfa drugs", "medication", "high", "active");
    refuted["verificationStatus"]["coding"][0]["code"] = json!("refuted");
    let entries: Vec<Value> = [
        json!({"resourceType": "Patient", "id": "p", "name": [{"family": "Lee", "given": ["Ann"]}]}),
        allergy("a1", "Peanut", "food", "high", "active"),
        allergy("a2", "Dust mites", "environment", "low", "active"),
        allergy("a3", "Amoxicillin", "medication", "low", "active"),
        allergy("a4", "Latex", "environment", "", "inactive"),
        allergy("a5", "Penicillin", "medication", "high", "active"),
        refuted,
        allergy("a7", "Codeine", "medication", "unable-to-assess", "resolved"),
        problem("c1", "Asthma", "onsetDateTime", "2015-04-01"),
        problem("c2", "Hypertension", "onsetDateTime", "2020-05-01T10:00:00Z"),
        problem("c3", "Migraine", "recordedDate", "2018-02-02"),
    ]
    .into_iter()
    .map(|r| json!({"fullUrl": format!("urn:uuid:{}", r["id"].as_str().unwrap()), "resource": r}))
    .collect();
    json!({"resourceType": "Bundle", "type": "collection", "entry": entries})
}

#[test]
fn allergies_list_drugs_first_by_criticality_current_before_past() {
    let view = ClinicalView::from_json(&allergy_record(), today());
    let titles = |items: &[folio_shared::clinical_view::Item]| -> Vec<String> {
        items.iter().map(|i| i.title.clone()).collect()
    };
    assert_eq!(
        titles(&view.allergies),
        ["Penicillin", "Amoxicillin", "Peanut", "Dust mites"]
    );
    assert_eq!(
        titles(&view.past_allergies),
        ["Sulfa drugs", "Codeine", "Latex"]
    );
    assert!(
        view.past_allergies[0]
            .details
            .contains(&"Verification: refuted".to_owned())
    );
}

/// The summary a clinician receives lists the allergies and problems in the viewer's order.
#[test]
fn the_patient_summary_and_the_viewer_order_allergies_and_problems_alike() {
    let record = allergy_record();
    let bytes = serde_json::to_vec(&record).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
    let mut contents = VaultContents::default();
    for entry in import_file("allergies.json", &bytes, &ImportOptions::new(at))
        .unwrap()
        .entries
    {
        contents.apply(entry);
    }
    let summary = PatientSummary::build(&contents, at).unwrap().into_bundle();
    let entries = summary["entry"].as_array().unwrap();
    let in_summary = |loinc: &str| -> Vec<&str> {
        let section = entries[0]["resource"]["section"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"]["coding"][0]["code"] == loinc)
            .unwrap();
        section["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|reference| {
                let url = reference["reference"].as_str().unwrap();
                let entry = entries.iter().find(|e| e["fullUrl"] == url).unwrap();
                entry["resource"]["code"]["text"].as_str().unwrap()
            })
            .collect()
    };
    let view = ClinicalView::from_json(&record, today());
    let in_view: Vec<&str> = view
        .allergies
        .iter()
        .chain(&view.past_allergies)
        .map(|i| i.title.as_str())
        .collect();
    assert_eq!(in_summary("48765-2"), in_view);
    assert_eq!(in_view[0], "Penicillin");
    let problems: Vec<&str> = view.problems.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(problems, ["Hypertension", "Migraine", "Asthma"]);
    assert_eq!(in_summary("11450-4"), problems);
}

#[test]
fn a_problem_from_two_sources_is_one_line_with_both() {
    let condition = |source: &str, onset: &str, coding: Value| {
        json!({"resource": {"resourceType": "Condition",
            "meta": {"source": source},
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"coding": coding, "text": "Type 2 diabetes"},
            "onsetDateTime": onset}})
    };
    let snomed = json!({"system": "http://snomed.info/sct", "code": "44054006"});
    let icd = json!({"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9"});
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        condition("Valley Clinic", "2019-03-04T18:33:12-05:00", json!([snomed])),
        condition("City Hospital", "2018-11-20", json!([icd, snomed])),
        condition("City Hospital", "2020-01-01", json!([{"system": "http://snomed.info/sct", "code": "38341003"}])),
    ]});
    let view = ClinicalView::from_json(&bundle, today());
    assert_eq!(view.problems.len(), 2, "{:?}", view.problems);
    let diabetes = view
        .problems
        .iter()
        .find(|p| p.sources.len() == 2)
        .expect("one line for both sources");
    assert_eq!(diabetes.sources, ["Valley Clinic", "City Hospital"]);
    let onset = diabetes.date.as_ref().unwrap();
    assert_eq!(onset.text(), "2018-11-20", "the earliest onset");
}

#[test]
fn dates_are_shown_as_precisely_as_they_are_known() {
    assert_eq!(date_text("2019-03-04"), "2019-03-04");
    assert_eq!(date_text("2019-03"), "2019-03");
    assert_eq!(date_text("2019"), "2019");
    assert_eq!(date_text("2019-03-04T00:00:00Z"), "2019-03-04");
    assert_eq!(date_text("2019-03-04T00:00:00-05:00"), "2019-03-04");
    assert_eq!(date_text("2019-03-04T00:00:00.000+01:00"), "2019-03-04");
    assert_eq!(date_text("2019-03-04T14:05:09Z"), "2019-03-04 14:05");
    // A problem's onset, an allergy and a vaccination are facts of a day: the clock time
    // a record stamped on them is not shown, but kept.
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Condition", "code": {"text": "Asthma"},
            "onsetDateTime": "2019-03-04T18:33:12-05:00"}},
        {"resource": {"resourceType": "Immunization", "status": "completed",
            "vaccineCode": {"text": "Influenza"}, "occurrenceDateTime": "2021-10-01T00:00:00Z"}},
        {"resource": {"resourceType": "Encounter", "status": "finished",
            "class": {"code": "AMB"}, "period": {"start": "2021-10-01T09:30:00Z"}}},
    ]});
    let view = ClinicalView::from_json(&bundle, today());
    let onset = view.problems[0].date.as_ref().unwrap();
    assert_eq!(onset.text(), "2019-03-04");
    assert_eq!(onset.written, "2019-03-04T18:33:12-05:00");
    assert_eq!(onset.precision, DatePrecision::Day);
    assert_eq!(
        view.immunizations[0].date.as_ref().unwrap().text(),
        "2021-10-01"
    );
    // A visit's time is real and shown.
    assert_eq!(
        view.encounters[0].date.as_ref().unwrap().text(),
        "2021-10-01 09:30"
    );
}

#[test]
fn a_medication_names_each_reason_once() {
    let bronchitis = json!({"coding": [{"system": "http://snomed.info/sct", "code": "10509002",
        "display": "Acute bronchitis (disorder)"}]});
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Condition", "id": "c1", "code": bronchitis.clone()}},
        {"resource": {"resourceType": "MedicationRequest", "id": "m1", "status": "active",
            "intent": "order", "authoredOn": "2020-01-02",
            "medicationCodeableConcept": {"text": "Acetaminophen 325 MG Oral Tablet"},
            "reasonCode": [bronchitis.clone(), bronchitis.clone()],
            "reasonReference": [{"reference": "Condition/c1"}, {"reference": "Condition/c1"}]}}
    ]});
    let view = ClinicalView::from_json(&bundle, today());
    let details = &view.medications[0].details;
    let reasons: Vec<&String> = details.iter().filter(|d| d.starts_with("For: ")).collect();
    assert_eq!(reasons, ["For: Acute bronchitis (disorder)"], "{details:?}");
}
