//! Medication safety (`folio_shared::medication_safety`): the reconciled list, interaction
//! and duplicate alerts on a record built for the purpose, and how much of the shared
//! sample corpus's medications map to ingredients.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, TimeZone, Utc};
use folio_shared::import::shc::{Crl, Jwks};
use folio_shared::import::{ImportOptions, TrustedIssuer, import_file};
use folio_shared::medication_safety::{
    AlertKind, Knowledge, MedicationSafety, MedicationStatus, RecordResource, check, map_concept,
};
use folio_shared::record::Op;
use serde_json::{Value, json};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");
const SPEC_ISSUER: &str = "https://spec.smarthealth.cards/examples/issuer";
/// Share of distinct medication codings in the corpus that must map to an ingredient.
const COVERAGE_GOAL: f64 = 0.95;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 15).expect("a date")
}

// ---- A record built for the purpose ------------------------------------------------------

/// One medication account: a MedicationRequest or MedicationStatement naming `name`.
struct Med {
    id: String,
    kind: &'static str,
    name: String,
    status: &'static str,
    date: &'static str,
    prescriber: Option<&'static str>,
    provider: &'static str,
    code: Option<&'static str>,
}

fn request(id: &str, name: &str, prescriber: &'static str, provider: &'static str) -> Med {
    Med {
        id: id.into(),
        kind: "MedicationRequest",
        name: name.into(),
        status: "active",
        date: "2025-06-01",
        prescriber: Some(prescriber),
        provider,
        code: None,
    }
}

fn statement(id: &str, name: &str, provider: &'static str) -> Med {
    Med {
        id: id.into(),
        kind: "MedicationStatement",
        name: name.into(),
        status: "active",
        date: "2025-06-01",
        prescriber: None,
        provider,
        code: None,
    }
}

impl Med {
    fn status(mut self, status: &'static str) -> Self {
        self.status = status;
        self
    }
    fn date(mut self, date: &'static str) -> Self {
        self.date = date;
        self
    }
    fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    fn resource(&self) -> Value {
        let mut concept = json!({ "text": self.name });
        if let Some(code) = self.code {
            concept["coding"] = json!([{
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": code,
                "display": self.name,
            }]);
        }
        let mut resource = json!({
            "resourceType": self.kind,
            "id": self.id,
            "status": self.status,
            "medicationCodeableConcept": concept,
            "subject": { "reference": "Patient/p1" },
        });
        match self.kind {
            "MedicationRequest" => {
                resource["intent"] = json!("order");
                resource["authoredOn"] = json!(self.date);
                if let Some(p) = self.prescriber {
                    resource["requester"] = json!({ "display": p });
                }
            }
            _ => {
                resource["effectiveDateTime"] = json!(self.date);
                if let Some(p) = self.prescriber {
                    resource["informationSource"] = json!({ "display": p });
                }
            }
        }
        resource
    }
}

fn run(meds: &[Med]) -> MedicationSafety {
    let resources: Vec<(String, Value, &str)> = meds
        .iter()
        .map(|m| (format!("{}/{}", m.kind, m.id), m.resource(), m.provider))
        .collect();
    let records: Vec<RecordResource<'_>> = resources
        .iter()
        .map(|(id, resource, provider)| RecordResource {
            id,
            resource,
            provider: Some(provider),
        })
        .collect();
    check(&records, today()).expect("the bundled rules load")
}

/// A representative pair of ingredients for each ONC high-priority group, chosen from
/// the published list (not from Folio's rules file), written as records write them.
const ONC_PAIRS: &[(&str, &str, &str)] = &[
    (
        "onc-03-amphetamines-maoi",
        "Phentermine 37.5 MG Oral Tablet",
        "Phenelzine 15 MG Oral Tablet [Nardil]",
    ),
    (
        "onc-04-atazanavir-ppi",
        "atazanavir 300 MG Oral Capsule",
        "Omeprazole 20 MG Delayed Release Oral Capsule",
    ),
    (
        "onc-06-febuxostat-thiopurines",
        "febuxostat 40 MG Oral Tablet",
        "Azathioprine 50 MG Oral Tablet",
    ),
    (
        "onc-08-ssri-snri-maoi",
        "Sertraline 50 MG Oral Tablet",
        "Selegiline Hydrochloride 5 MG Oral Capsule",
    ),
    (
        "onc-11-irinotecan-cyp3a4-inhibitors",
        "Irinotecan Hydrochloride 20 MG/ML Injectable Solution",
        "Ketoconazole 200 MG Oral Tablet",
    ),
    (
        "onc-16-opioids-maoi",
        "traMADol Hydrochloride 50 MG Oral Tablet",
        "Tranylcypromine 10 MG Oral Tablet",
    ),
    (
        "onc-20-tca-maoi",
        "Amitriptyline Hydrochloride 25 MG Oral Tablet",
        "Isocarboxazid 10 MG Oral Tablet",
    ),
    (
        "onc-21-qt-qt",
        "Sotalol Hydrochloride 80 MG Oral Tablet",
        "Haloperidol 5 MG Oral Tablet",
    ),
    (
        "onc-22-ramelteon-cyp1a2-inhibitors",
        "ramelteon 8 MG Oral Tablet",
        "Fluvoxamine maleate 100 MG Oral Tablet",
    ),
    (
        "onc-23-protease-inhibitors-cyp3a4-inducers",
        "darunavir 800 MG Oral Tablet",
        "Rifampin 300 MG Oral Capsule",
    ),
    (
        "onc-25-statins-cyp3a4-inhibitors",
        "Simvastatin 40 MG Oral Tablet",
        "Clarithromycin 500 MG Oral Tablet",
    ),
    (
        "onc-27-ergots-cyp3a4-inhibitors",
        "Ergotamine tartrate 1 MG / Caffeine 100 MG Oral Tablet",
        "Ritonavir 100 MG Oral Tablet",
    ),
    (
        "onc-28-tizanidine-cyp1a2-inhibitors",
        "tiZANidine 4 MG Oral Tablet",
        "Ciprofloxacin 500 MG Oral Tablet",
    ),
    (
        "onc-30-tranylcypromine-procarbazine",
        "Tranylcypromine 10 MG Oral Tablet",
        "Procarbazine 50 MG Oral Capsule",
    ),
    (
        "onc-31-triptans-maoi",
        "SUMAtriptan 50 MG Oral Tablet [Imitrex]",
        "Phenelzine 15 MG Oral Tablet",
    ),
];

#[test]
fn every_onc_group_fires_for_a_representative_pair_from_two_providers() {
    let knowledge = Knowledge::bundled().expect("the bundled rules load");
    assert_eq!(knowledge.rules.interaction_rules(), ONC_PAIRS.len());
    for (rule, a, b) in ONC_PAIRS {
        let safety = run(&[
            request("a", a, "Dr Rivera", "Riverside Cardiology"),
            request("b", b, "Dr Okafor", "Northside Psychiatry"),
        ]);
        assert!(safety.unmapped.is_empty(), "{rule}: {:?}", safety.unmapped);
        let alert = safety
            .alerts
            .iter()
            .find(|alert| alert.rule == *rule)
            .unwrap_or_else(|| panic!("{rule} did not fire for {a} + {b}: {:?}", safety.alerts));
        assert_eq!(alert.kind, AlertKind::Interaction);
        assert_eq!(alert.medications.len(), 2, "{rule}");
        assert!(alert.source.contains("Phansalkar"), "{rule}");
        assert!(!alert.patient.what.is_empty() && !alert.clinician.ask.is_empty());
    }
}

#[test]
fn nothing_fires_when_one_of_the_pair_is_stopped() {
    for (rule, a, b) in ONC_PAIRS {
        for stop_first in [true, false] {
            let (stopped, taken) = if stop_first { (a, b) } else { (b, a) };
            let safety = run(&[
                request("a", stopped, "Dr Rivera", "Riverside Cardiology").status("stopped"),
                request("b", taken, "Dr Okafor", "Northside Psychiatry"),
            ]);
            assert!(safety.alerts.is_empty(), "{rule}: {:?}", safety.alerts);
            assert_eq!(
                safety
                    .medications
                    .iter()
                    .filter(|m| m.status == MedicationStatus::Past)
                    .count(),
                1
            );
        }
    }
    // Stopped later by another source: the later account wins.
    let safety = run(&[
        request(
            "a",
            "Simvastatin 40 MG Oral Tablet",
            "Dr Rivera",
            "Riverside",
        ),
        statement("a2", "Simvastatin 40 MG Oral Tablet", "City Hospital")
            .status("stopped")
            .date("2025-09-01"),
        request(
            "b",
            "Clarithromycin 500 MG Oral Tablet",
            "Dr Okafor",
            "Urgent Care",
        ),
    ]);
    assert!(safety.alerts.is_empty(), "{:?}", safety.alerts);
    // Ended before today, with an active status: past too.
    let mut ended = request(
        "c",
        "Clarithromycin 500 MG Oral Tablet",
        "Dr Okafor",
        "Urgent Care",
    )
    .resource();
    ended["dosageInstruction"] =
        json!([{ "timing": { "repeat": { "boundsPeriod": { "end": "2025-06-10" } } } }]);
    let simva = request(
        "a",
        "Simvastatin 40 MG Oral Tablet",
        "Dr Rivera",
        "Riverside",
    )
    .resource();
    let records = [
        RecordResource {
            id: "MedicationRequest/a",
            resource: &simva,
            provider: Some("Riverside"),
        },
        RecordResource {
            id: "MedicationRequest/c",
            resource: &ended,
            provider: Some("Urgent Care"),
        },
    ];
    let safety = check(&records, today()).expect("rules");
    assert!(safety.alerts.is_empty(), "{:?}", safety.alerts);
}

#[test]
fn a_dose_change_by_the_same_prescriber_is_one_line() {
    let safety = run(&[
        request(
            "old",
            "Sertraline 50 MG Oral Tablet",
            "Dr Okafor",
            "Northside Psychiatry",
        )
        .date("2024-01-10"),
        request(
            "new",
            "Sertraline 100 MG Oral Tablet",
            "Dr Okafor",
            "Northside Psychiatry",
        )
        .date("2025-03-02"),
    ]);
    assert_eq!(safety.medications.len(), 1, "{:#?}", safety.medications);
    let line = &safety.medications[0];
    assert_eq!(line.ingredients, ["sertraline"]);
    assert_eq!(line.strength.as_deref(), Some("100 mg"));
    assert_eq!(line.earlier_strengths, ["50 mg"]);
    assert_eq!(line.status, MedicationStatus::Active);
    assert_eq!(line.sources.len(), 2);
    assert!(safety.alerts.is_empty(), "{:?}", safety.alerts);
}

#[test]
fn the_same_product_from_two_sources_is_one_line_without_an_alert() {
    let safety = run(&[
        request(
            "rx",
            "lisinopril 10 MG Oral Tablet",
            "Dr Rivera",
            "Riverside Cardiology",
        )
        .code("314076"),
        statement("list", "Lisinopril 10mg tab", "City Hospital"),
    ]);
    assert_eq!(safety.medications.len(), 1, "{:#?}", safety.medications);
    assert_eq!(safety.medications[0].sources.len(), 2);
    assert!(safety.alerts.is_empty(), "{:?}", safety.alerts);
}

#[test]
fn two_prescribers_of_the_same_ingredient_are_flagged() {
    // Different strengths from two prescribers: two lines, one duplicate alert.
    let safety = run(&[
        request(
            "a",
            "Sertraline 50 MG Oral Tablet",
            "Dr Okafor",
            "Northside Psychiatry",
        ),
        request(
            "b",
            "Zoloft 100 MG Oral Tablet",
            "Dr Chen",
            "Valley Family Practice",
        ),
    ]);
    assert_eq!(safety.medications.len(), 2, "{:#?}", safety.medications);
    let duplicate = safety
        .alerts
        .iter()
        .find(|a| a.kind == AlertKind::Duplicate)
        .expect("a duplicate alert");
    assert_eq!(duplicate.ingredients, ["sertraline"]);
    assert_eq!(duplicate.medications.len(), 2);
    assert_eq!(duplicate.rule, "dup-same-ingredient");
    // The same strength from two prescribers: one line, still flagged.
    let safety = run(&[
        request(
            "a",
            "Sertraline 50 MG Oral Tablet",
            "Dr Okafor",
            "Northside Psychiatry",
        ),
        request(
            "b",
            "Sertraline 50 MG Oral Tablet",
            "Dr Chen",
            "Valley Family Practice",
        ),
    ]);
    assert_eq!(safety.medications.len(), 1);
    assert_eq!(safety.alerts.len(), 1, "{:?}", safety.alerts);
    assert_eq!(safety.alerts[0].rule, "dup-same-ingredient");
    // Stopped at one of them: nothing.
    let safety = run(&[
        request(
            "a",
            "Sertraline 50 MG Oral Tablet",
            "Dr Okafor",
            "Northside",
        )
        .status("completed"),
        request("b", "Sertraline 100 MG Oral Tablet", "Dr Chen", "Valley"),
    ]);
    assert!(safety.alerts.is_empty(), "{:?}", safety.alerts);
}

#[test]
fn two_drugs_of_one_class_are_flagged_where_a_rule_says_so() {
    let safety = run(&[
        request(
            "a",
            "Atorvastatin 80 MG Oral Tablet",
            "Dr Rivera",
            "Riverside Cardiology",
        ),
        request(
            "b",
            "Simvistatin 10 MG",
            "Dr Chen",
            "Valley Family Practice",
        ),
    ]);
    let alert = safety
        .alerts
        .iter()
        .find(|a| a.rule == "dup-statins")
        .expect("dup-statins");
    assert_eq!(alert.kind, AlertKind::Duplicate);
    assert_eq!(alert.ingredients, ["atorvastatin", "simvastatin"]);
    // Two different classes without a rule: nothing.
    let safety = run(&[
        request(
            "a",
            "Atorvastatin 80 MG Oral Tablet",
            "Dr Rivera",
            "Riverside",
        ),
        request("b", "lisinopril 10 MG Oral Tablet", "Dr Chen", "Valley"),
    ]);
    assert!(safety.alerts.is_empty(), "{:?}", safety.alerts);
}

#[test]
fn unmapped_medications_are_listed_as_not_checked() {
    let safety = run(&[
        request(
            "a",
            "Simvastatin 40 MG Oral Tablet",
            "Dr Rivera",
            "Riverside",
        ),
        statement("b", "Grandma's tonic 5 ML", "Patient"),
    ]);
    assert_eq!(safety.medications.len(), 1);
    assert_eq!(safety.unmapped.len(), 1);
    assert!(!safety.unmapped[0].checked);
    assert!(safety.unmapped[0].ingredients.is_empty());
    let json = serde_json::to_value(&safety).expect("serialises");
    for key in ["medications", "alerts", "unmapped"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    for key in ["ingredients", "status", "sources"] {
        assert!(json["medications"][0].get(key).is_some(), "{key}");
    }
}

#[test]
fn medication_references_contained_and_dispenses_are_read() {
    let request = json!({
        "resourceType": "MedicationRequest", "id": "r1", "status": "active", "intent": "order",
        "authoredOn": "2025-11-01",
        "contained": [{ "resourceType": "Medication", "id": "m",
            "code": { "coding": [{ "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "197511", "display": "Ciprofloxacin 500 MG Oral Tablet" }] } }],
        "medicationReference": { "reference": "#m" },
        "requester": { "reference": "Practitioner/dr1" },
    });
    let practitioner = json!({ "resourceType": "Practitioner", "id": "dr1",
        "name": [{ "given": ["Ada"], "family": "Okafor" }] });
    let medication = json!({ "resourceType": "Medication", "id": "tz",
        "code": { "text": "Zanaflex 4 mg tablet" } });
    let dispense = json!({
        "resourceType": "MedicationDispense", "id": "d1", "status": "completed",
        "medicationReference": { "reference": "Medication/tz" },
        "whenHandedOver": "2025-12-20", "daysSupply": { "value": 30 },
    });
    let old_dispense = json!({
        "resourceType": "MedicationDispense", "id": "d0", "status": "completed",
        "medicationCodeableConcept": { "text": "Fluvoxamine 50 mg" },
        "whenHandedOver": "2024-01-02", "daysSupply": { "value": 30 },
    });
    let records = [
        RecordResource {
            id: "MedicationRequest/r1",
            resource: &request,
            provider: Some("Clinic"),
        },
        RecordResource {
            id: "Practitioner/dr1",
            resource: &practitioner,
            provider: Some("Clinic"),
        },
        RecordResource {
            id: "Medication/tz",
            resource: &medication,
            provider: Some("Pharmacy"),
        },
        RecordResource {
            id: "MedicationDispense/d1",
            resource: &dispense,
            provider: Some("Pharmacy"),
        },
        RecordResource {
            id: "MedicationDispense/d0",
            resource: &old_dispense,
            provider: Some("Pharmacy"),
        },
    ];
    let safety = check(&records, today()).expect("rules");
    let cipro = safety
        .medications
        .iter()
        .find(|m| m.ingredients == ["ciprofloxacin"])
        .expect("ciprofloxacin");
    assert_eq!(cipro.prescribers, ["Ada Okafor"]);
    let tizanidine = safety
        .medications
        .iter()
        .find(|m| m.ingredients == ["tizanidine"])
        .expect("tizanidine");
    assert_eq!(tizanidine.last_fill.as_deref(), Some("2025-12-20"));
    assert_eq!(tizanidine.status, MedicationStatus::Active);
    let fluvoxamine = safety
        .medications
        .iter()
        .find(|m| m.ingredients == ["fluvoxamine"])
        .expect("fluvoxamine");
    assert_eq!(
        fluvoxamine.status,
        MedicationStatus::Past,
        "its supply ran out long ago"
    );
    let rules: BTreeSet<&str> = safety.alerts.iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(
        rules,
        BTreeSet::from(["onc-28-tizanidine-cyp1a2-inhibitors"])
    );
}

// ---- Mapping coverage over the shared corpus ---------------------------------------------

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn import_options() -> ImportOptions {
    let mut opts = ImportOptions::new(Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap());
    let issuer = Path::new(DATA).join("shc/spec-examples/issuer/.well-known");
    let jwks = Jwks::from_json(&std::fs::read_to_string(issuer.join("jwks.json")).unwrap())
        .expect("the spec issuer's keys");
    let crl: Crl = serde_json::from_str(
        &std::fs::read_to_string(
            issuer.join("crl/3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s.json"),
        )
        .unwrap(),
    )
    .expect("the spec issuer's revocation list");
    opts.issuers.push(TrustedIssuer {
        iss: SPEC_ISSUER.into(),
        jwks,
        crls: vec![crl],
    });
    opts
}

/// The medication concepts of an imported file's resources: each medication resource's
/// CodeableConcept, or the code of the Medication it refers to; and every Medication.
fn concepts(resources: &[Value]) -> Vec<Value> {
    let by_ref: BTreeMap<String, &Value> = resources
        .iter()
        .filter_map(|r| {
            Some((
                format!("{}/{}", r["resourceType"].as_str()?, r["id"].as_str()?),
                r,
            ))
        })
        .collect();
    let mut out = Vec::new();
    for resource in resources {
        match resource["resourceType"].as_str() {
            Some("MedicationRequest" | "MedicationStatement" | "MedicationDispense") => {
                if let Some(concept) = resource.get("medicationCodeableConcept") {
                    out.push(concept.clone());
                } else if let Some(reference) = resource.get("medicationReference") {
                    let target =
                        reference["reference"]
                            .as_str()
                            .and_then(|r| match r.strip_prefix('#') {
                                Some(id) => resource["contained"]
                                    .as_array()?
                                    .iter()
                                    .find(|c| c["id"] == id),
                                None => by_ref.get(r).copied(),
                            });
                    match target.and_then(|m| m.get("code")) {
                        Some(code) => out.push(code.clone()),
                        // The reference's display is all there is to go on.
                        None => out.push(json!({ "text": reference["display"] })),
                    }
                }
            }
            Some("Medication") => {
                if let Some(code) = resource.get("code") {
                    out.push(code.clone());
                }
            }
            _ => {}
        }
    }
    out
}

/// What counts as one coding: `system|code` for each coded coding, else the concept's
/// words. "No known medications" and "no information" entries are not medications.
fn coding_keys(concept: &Value) -> Vec<String> {
    let codings: Vec<String> = concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some(format!(
                "{}|{}",
                c["system"].as_str().unwrap_or(""),
                c["code"].as_str()?
            ))
        })
        .collect();
    if codings.is_empty() {
        concept["text"]
            .as_str()
            .map(|t| vec![format!("text|{}", t.trim())])
            .unwrap_or_default()
    } else {
        codings
    }
}

fn is_absent_statement(concept: &Value) -> bool {
    let text = serde_json::to_string(concept)
        .unwrap_or_default()
        .to_lowercase();
    text.contains("no known medications")
        || text.contains("no-medication-info")
        || text.contains("no information about medications")
        || text.contains("\"787481004\"")
}

#[test]
fn mapping_coverage_over_the_shared_corpus() {
    let options = import_options();
    let mut distinct: BTreeMap<String, (bool, String)> = BTreeMap::new();
    let mut files_with_medications = 0;
    for path in files_under(Path::new(DATA)) {
        let relative = path
            .strip_prefix(DATA)
            .unwrap_or(&path)
            .to_string_lossy()
            .to_string();
        if relative.starts_with("ddi/") || relative.starts_with("providers/") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(outcome) = import_file(&relative, &bytes, &options) else {
            continue;
        };
        let resources: Vec<Value> = outcome
            .entries
            .into_iter()
            .filter_map(|e| match e.op {
                Op::Put { resource, .. } => Some(resource),
                Op::Delete => None,
            })
            .collect();
        let concepts = concepts(&resources);
        if !concepts.is_empty() {
            files_with_medications += 1;
        }
        for concept in concepts.iter().filter(|c| !is_absent_statement(c)) {
            let mapped = map_concept(concept).expect("the bundled table loads");
            let label = format!(
                "{} ({relative})",
                folio_shared::clinical_view::fhir::concept_text(concept)
                    .unwrap_or_else(|| "no name".into())
            );
            for key in coding_keys(concept) {
                let entry = distinct.entry(key).or_insert((false, label.clone()));
                entry.0 |= mapped.is_some();
            }
        }
    }
    let total = distinct.len();
    let mapped = distinct.values().filter(|(m, _)| *m).count();
    let share = mapped as f64 / total.max(1) as f64;
    println!(
        "medication mapping coverage: {mapped} of {total} distinct codings ({:.1} %) in {files_with_medications} files",
        share * 100.0
    );
    for (key, (is_mapped, label)) in &distinct {
        if !is_mapped {
            println!("  not mapped: {key}  {label}");
        }
    }
    assert!(
        total > 100,
        "the corpus holds more medication codings than {total}"
    );
    assert!(
        share >= COVERAGE_GOAL,
        "coverage {:.1} % is under the {:.0} % goal",
        share * 100.0,
        COVERAGE_GOAL * 100.0
    );
}

#[test]
fn an_alert_marked_discussed_stays_listed_but_asks_for_nothing_more() {
    let meds = [
        request(
            "simva",
            "Simvastatin 40 MG Oral Tablet",
            "Dr Rivera",
            "Cardiology",
        ),
        request(
            "clari",
            "Clarithromycin 500 MG Oral Tablet",
            "Dr Okafor",
            "Urgent care",
        ),
    ];
    let before = run(&meds);
    assert_eq!(before.to_act_on().count(), 1);
    let alert = &before.alerts[0];
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let mark = folio_shared::medication_safety::discussed::discussed_entry(alert, now);
    let Op::Put { resource, source } = &mark.op else {
        panic!("a mark is a put");
    };
    assert!(source.patient_reported);
    assert_eq!(
        mark.id.as_str(),
        format!("Basic/{}", resource["id"].as_str().unwrap())
    );

    let mut resources: Vec<(String, Value, &str)> = meds
        .iter()
        .map(|m| (format!("{}/{}", m.kind, m.id), m.resource(), m.provider))
        .collect();
    resources.push((mark.id.to_string(), resource.clone(), "Folio"));
    let records: Vec<RecordResource<'_>> = resources
        .iter()
        .map(|(id, resource, provider)| RecordResource {
            id,
            resource,
            provider: Some(provider),
        })
        .collect();
    let after = check(&records, today()).unwrap();
    assert_eq!(after.alerts.len(), 1, "still listed");
    assert_eq!(after.alerts[0].discussed_on.as_deref(), Some("2026-12-01"));
    assert_eq!(after.to_act_on().count(), 0);
    // Marking again names the same entry: it replaces the mark.
    let again = folio_shared::medication_safety::discussed::discussed_entry(alert, Utc::now());
    assert_eq!(again.id, mark.id);
}
