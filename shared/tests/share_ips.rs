//! The International Patient Summary built from a vault: the document structure an IPS
//! validator checks, section contents counted independently from the source, narrative
//! that is well-formed and escaped, and the same shape as the published IPS examples.

use chrono::{DateTime, TimeZone, Utc};
use folio_shared::import::{ImportOptions, import_file};
use folio_shared::share::{PatientSummary, ShareError, SharePreview, SummarySection};
use folio_shared::vault::VaultContents;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");
const CCDA: &str = "ccda/hl7-examples/CCD_1.xml";
const LOINC: &str = "http://loinc.org";

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap()
}

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

fn vault_of_file(rel: &str) -> VaultContents {
    let bytes = std::fs::read(format!("{DATA}/{rel}")).unwrap();
    vault_of_bytes(rel, &bytes)
}

fn vault_of_bytes(name: &str, bytes: &[u8]) -> VaultContents {
    let mut contents = VaultContents::default();
    for entry in import_file(name, bytes, &ImportOptions::new(at()))
        .unwrap()
        .entries
    {
        contents.apply(entry);
    }
    contents
}

fn summary(contents: &VaultContents) -> Value {
    PatientSummary::build(contents, at()).unwrap().into_bundle()
}

fn rtype(r: &Value) -> &str {
    r["resourceType"].as_str().unwrap_or_default()
}

fn composition(bundle: &Value) -> &Value {
    &bundle["entry"][0]["resource"]
}

fn by_url(bundle: &Value) -> HashMap<&str, &Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["fullUrl"].as_str().unwrap(), &e["resource"]))
        .collect()
}

fn section<'b>(bundle: &'b Value, code: &str) -> Option<&'b Value> {
    composition(bundle)["section"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"]["coding"][0]["code"] == code)
}

fn section_entries<'b>(bundle: &'b Value, code: &str) -> Vec<&'b Value> {
    let urls = by_url(bundle);
    section(bundle, code)
        .map(|s| {
            s["entry"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| urls[e["reference"].as_str().unwrap()])
                .collect()
        })
        .unwrap_or_default()
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

/// The structure `Bundle-uv-ips` and `Composition-uv-ips` require, and every reference
/// resolving inside the bundle.
fn assert_ips_document(bundle: &Value) {
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "document");
    assert_eq!(bundle["timestamp"], "2026-01-15T12:00:00Z");
    assert_eq!(bundle["identifier"]["system"], "urn:ietf:rfc:3986");
    assert!(
        bundle["identifier"]["value"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
    let entries = bundle["entry"].as_array().unwrap();
    let urls = by_url(bundle);
    assert_eq!(urls.len(), entries.len(), "fullUrls are unique");
    for e in entries {
        let url = e["fullUrl"].as_str().unwrap();
        assert_eq!(url.len(), 45, "{url}");
        assert!(url.starts_with("urn:uuid:"));
        for forbidden in ["request", "response", "search"] {
            assert!(e.get(forbidden).is_none());
        }
        let id = e["resource"]["id"].as_str().unwrap();
        assert!(!id.is_empty() && id.len() <= 64);
    }
    let types: Vec<&str> = entries.iter().map(|e| rtype(&e["resource"])).collect();
    assert_eq!(types[0], "Composition", "the Composition comes first");
    assert_eq!(types.iter().filter(|t| **t == "Composition").count(), 1);
    assert_eq!(
        types.iter().filter(|t| **t == "Patient").count(),
        1,
        "exactly one Patient"
    );

    let c = composition(bundle);
    assert_eq!(c["status"], "final");
    assert_eq!(c["type"]["coding"][0]["system"], LOINC);
    assert_eq!(c["type"]["coding"][0]["code"], "60591-5");
    assert_eq!(
        c["type"]["coding"][0]["display"],
        "Patient summary Document"
    );
    assert_eq!(c["date"], "2026-01-15T12:00:00Z");
    assert_eq!(c["title"], "International Patient Summary");
    let subject = c["subject"]["reference"].as_str().unwrap();
    assert_eq!(rtype(urls[subject]), "Patient");
    let author = c["author"][0]["reference"].as_str().unwrap();
    assert_eq!(rtype(urls[author]), "Device");
    assert_eq!(urls[author]["deviceName"][0]["name"], "Folio");
    assert_narrative(&c["text"]);

    for required in ["48765-2", "10160-0", "11450-4"] {
        let s = section(bundle, required).unwrap_or_else(|| panic!("{required} missing"));
        let has_entries = s["entry"].as_array().is_some_and(|e| !e.is_empty());
        assert!(
            has_entries ^ s.get("emptyReason").is_some(),
            "ips-comp-1 for {required}"
        );
    }
    let known: HashSet<&str> = SummarySection::ALL.iter().map(|s| s.loinc()).collect();
    let mut seen = HashSet::new();
    for s in c["section"].as_array().unwrap() {
        let code = s["code"]["coding"][0]["code"].as_str().unwrap();
        assert!(known.contains(code), "{code}");
        assert!(seen.insert(code), "{code} appears once");
        assert_eq!(s["code"]["coding"][0]["system"], LOINC);
        assert!(s["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(s.get("section").is_none(), "no nested sections");
        let rows = assert_narrative(&s["text"]);
        let refs = s["entry"].as_array().map(Vec::len).unwrap_or(0);
        assert_eq!(rows, refs, "{code}: one table row per entry");
        for e in s["entry"].as_array().into_iter().flatten() {
            let target = urls
                .get(e["reference"].as_str().unwrap())
                .unwrap_or_else(|| panic!("{code}: {e} does not resolve"));
            let allowed: &[&str] = match code {
                "48765-2" => &["AllergyIntolerance"],
                "10160-0" => &[
                    "MedicationStatement",
                    "MedicationRequest",
                    "MedicationAdministration",
                    "MedicationDispense",
                ],
                "11450-4" | "11348-0" => &["Condition"],
                "11369-6" => &["Immunization"],
                "30954-2" => &["Observation", "DiagnosticReport"],
                "8716-3" => &["Observation"],
                "47519-4" => &["Procedure"],
                "46264-8" => &["DeviceUseStatement"],
                _ => &[],
            };
            assert!(
                allowed.contains(&rtype(target)),
                "{code}: {}",
                rtype(target)
            );
        }
    }

    for e in entries {
        let mut refs = Vec::new();
        collect_references(&e["resource"], &mut refs);
        for r in refs {
            if let Some(id) = r.strip_prefix('#') {
                let contained = e["resource"]["contained"].as_array().unwrap();
                assert!(contained.iter().any(|c| c["id"] == id));
            } else {
                assert!(
                    urls.contains_key(r.as_str()),
                    "dangling {r} in {}",
                    rtype(&e["resource"])
                );
            }
        }
        for key in ["subject", "patient"] {
            if rtype(&e["resource"]) != "Composition"
                && let Some(r) = e["resource"][key]["reference"].as_str()
            {
                assert_eq!(r, subject, "every entry is about the one Patient");
            }
        }
    }
}

/// A generated, well-formed XHTML narrative; returns its number of table body rows.
fn assert_narrative(text: &Value) -> usize {
    assert_eq!(text["status"], "generated");
    let div = text["div"].as_str().unwrap();
    let doc = roxmltree::Document::parse(div).unwrap_or_else(|e| panic!("{e}: {div}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "div");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/1999/xhtml")
    );
    let allowed = ["div", "p", "table", "thead", "tbody", "tr", "th", "td"];
    for n in root.descendants().filter(|n| n.is_element()) {
        assert!(
            allowed.contains(&n.tag_name().name()),
            "<{}>",
            n.tag_name().name()
        );
    }
    assert!(
        root.descendants()
            .any(|n| n.is_text() && !n.text().unwrap().trim().is_empty())
    );
    root.descendants()
        .filter(|n| n.has_tag_name("tbody"))
        .flat_map(|b| b.children().filter(|c| c.has_tag_name("tr")))
        .count()
}

fn text_of(div: &str) -> String {
    let doc = roxmltree::Document::parse(div).unwrap();
    doc.root_element()
        .descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The merged view's idea of one fact (see `import::merge`): the keys by which two
/// resources are the same.
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
    let day = [
        "/effectiveDateTime",
        "/occurrenceDateTime",
        "/onsetDateTime",
        "/authoredOn",
    ]
    .iter()
    .find_map(|p| r.pointer(p).and_then(Value::as_str))
    .map(|d| d.get(..10).unwrap_or(d).to_string());
    if day.is_none() && kind != "condition" && kind != "allergy" {
        return Vec::new();
    }
    let value = [
        "valueQuantity",
        "valueCodeableConcept",
        "valueString",
        "component",
    ]
    .iter()
    .find_map(|k| r.get(*k))
    .filter(|_| kind == "observation")
    .map(Value::to_string);
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| format!("{kind}|{}|{}|{day:?}|{value:?}", c["system"], c["code"]))
        .collect()
}

/// How many distinct facts `resources` hold (Synthea resources carry one coding each).
fn distinct_facts(resources: &[&Value]) -> usize {
    let mut seen = HashSet::new();
    resources
        .iter()
        .filter(|r| {
            let keys = fact_keys(r);
            assert!(keys.len() <= 1);
            keys.into_iter().all(|k| seen.insert(k))
        })
        .count()
}

fn clinical(r: &Value) -> &str {
    r["clinicalStatus"]["coding"][0]["code"]
        .as_str()
        .unwrap_or("")
}

fn observation_category(r: &Value) -> Vec<&str> {
    r["category"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["coding"].as_array().into_iter().flatten())
        .filter_map(|c| c["code"].as_str())
        .collect()
}

#[test]
fn a_synthea_record_summarises_into_a_valid_ips_counted_from_the_source() {
    let (file, source) = largest_synthea();
    let contents = vault_of_file(&file);
    let bundle = summary(&contents);
    assert_ips_document(&bundle);
    let src: Vec<&Value> = source["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let of_type =
        |t: &str| -> Vec<&Value> { src.iter().copied().filter(|r| rtype(r) == t).collect() };

    // Active and past problems, by clinical status.
    let conditions = of_type("Condition");
    let active: Vec<&Value> = conditions
        .iter()
        .copied()
        .filter(|c| !["inactive", "remission", "resolved"].contains(&clinical(c)))
        .collect();
    let past: Vec<&Value> = conditions
        .iter()
        .copied()
        .filter(|c| ["inactive", "remission", "resolved"].contains(&clinical(c)))
        .collect();
    assert!(!active.is_empty() && !past.is_empty());
    assert_eq!(
        section_entries(&bundle, "11450-4").len(),
        distinct_facts(&active)
    );
    assert_eq!(
        section_entries(&bundle, "11348-0").len(),
        distinct_facts(&past)
    );
    assert!(
        section_entries(&bundle, "11348-0")
            .iter()
            .all(|c| ["inactive", "remission", "resolved"].contains(&clinical(c)))
    );

    // Current medications only, and the narrative says how many past ones were left out.
    let requests = of_type("MedicationRequest");
    let current: Vec<&Value> = requests
        .iter()
        .copied()
        .filter(|m| ["active", "on-hold", "unknown"].contains(&m["status"].as_str().unwrap()))
        .collect();
    assert!(current.len() < requests.len());
    let meds = section_entries(&bundle, "10160-0");
    assert_eq!(meds.len(), distinct_facts(&current));
    let med_text = text_of(
        section(&bundle, "10160-0").unwrap()["text"]["div"]
            .as_str()
            .unwrap(),
    );
    let stopped: Vec<&Value> = requests
        .iter()
        .copied()
        .filter(|m| !current.contains(m))
        .collect();
    let past_count = distinct_facts(&stopped);
    assert!(
        med_text.contains(&format!("{past_count} past medication")),
        "{med_text}"
    );
    for m in &meds {
        let name = m["medicationCodeableConcept"]["text"].as_str().unwrap();
        assert!(med_text.contains(name), "{name} is in the table");
    }

    // Immunizations and procedures: all of them.
    assert_eq!(
        section_entries(&bundle, "11369-6").len(),
        distinct_facts(&of_type("Immunization"))
    );
    assert_eq!(
        section_entries(&bundle, "47519-4").len(),
        of_type("Procedure").len()
    );

    // Results and vital signs: the most recent of each test.
    let observations = of_type("Observation");
    let latest_per_code = |wanted: &dyn Fn(&Value) -> bool| {
        let mut latest: HashMap<String, String> = HashMap::new();
        for o in observations.iter().filter(|o| wanted(o)) {
            let code = o["code"]["coding"][0]["code"].as_str().unwrap().to_string();
            let when = o["effectiveDateTime"].as_str().unwrap().to_string();
            let slot = latest.entry(code).or_default();
            if when > *slot {
                *slot = when;
            }
        }
        latest
    };
    let vital = |o: &Value| observation_category(o).contains(&"vital-signs");
    let result = |o: &Value| !vital(o) && !observation_category(o).contains(&"survey");
    for (code, wanted) in [
        ("30954-2", &result as &dyn Fn(&Value) -> bool),
        ("8716-3", &vital),
    ] {
        let expected = latest_per_code(wanted);
        let entries = section_entries(&bundle, code);
        assert_eq!(entries.len(), expected.len(), "{code}");
        for e in entries {
            let test = e["code"]["coding"][0]["code"].as_str().unwrap();
            assert_eq!(
                e["effectiveDateTime"].as_str(),
                Some(expected[test].as_str()),
                "{code} {test}"
            );
        }
    }

    // No allergies in this record: the required section says so instead of inventing one.
    let allergies = section(&bundle, "48765-2").unwrap();
    assert!(of_type("AllergyIntolerance").is_empty());
    assert!(allergies.get("entry").is_none());
    assert_eq!(allergies["emptyReason"]["coding"][0]["code"], "unavailable");
    assert!(
        text_of(allergies["text"]["div"].as_str().unwrap())
            .contains("No information about allergies")
    );

    // Encounters, claims and care plans are not part of the summary.
    for r in by_url(&bundle).values() {
        assert!(!["Encounter", "Claim", "ExplanationOfBenefit", "CarePlan"].contains(&rtype(r)));
    }
    // The preview reads the same document.
    let preview = SharePreview::of(&bundle);
    assert_eq!(
        preview.patient_name.as_deref().map(|n| n.is_empty()),
        Some(false)
    );
    assert_eq!(
        preview.clinical_total(),
        composition(&bundle)["section"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["entry"].as_array().map(Vec::len).unwrap_or(0))
            .sum::<usize>()
    );
}

#[test]
fn the_same_record_and_time_give_the_same_document_and_a_new_time_a_new_identifier() {
    let contents = vault_of_file(CCDA);
    let a = summary(&contents);
    assert_eq!(a, summary(&contents));
    let later = PatientSummary::build(&contents, at() + chrono::Duration::hours(1))
        .unwrap()
        .into_bundle();
    assert_ne!(a["identifier"], later["identifier"]);
    assert_eq!(
        a["entry"][1]["fullUrl"], later["entry"][1]["fullUrl"],
        "entries keep their URNs"
    );
}

#[test]
fn a_ccda_record_summarises_into_a_valid_ips() {
    let contents = vault_of_file(CCDA);
    let bundle = summary(&contents);
    assert_ips_document(&bundle);
    let codes: BTreeSet<&str> = composition(&bundle)["section"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    for code in [
        "48765-2", "10160-0", "11450-4", "11369-6", "30954-2", "8716-3", "47519-4",
    ] {
        assert!(codes.contains(code), "{code} in {codes:?}");
    }
    let allergies = section_entries(&bundle, "48765-2");
    assert!(!allergies.is_empty());
    let text = text_of(
        section(&bundle, "48765-2").unwrap()["text"]["div"]
            .as_str()
            .unwrap(),
    );
    for a in allergies {
        let name = a["code"]["text"]
            .as_str()
            .or(a["code"]["coding"][0]["display"].as_str())
            .or(a["code"]["coding"][0]["code"].as_str())
            .unwrap();
        assert!(text.contains(name), "{name} in {text}");
    }
}

const PATIENT_ONLY: &str = r#"{"resourceType": "Patient", "id": "me",
  "name": [{"given": ["Ada <script>alert(1)</script>"], "family": "O'Brien & <Sons>"}],
  "birthDate": "1980-12-10"}"#;

#[test]
fn a_patient_only_record_still_has_the_three_required_sections() {
    let contents = vault_of_bytes("me.json", PATIENT_ONLY.as_bytes());
    let bundle = summary(&contents);
    assert_ips_document(&bundle);
    let sections = composition(&bundle)["section"].as_array().unwrap();
    let codes: Vec<&str> = sections
        .iter()
        .map(|s| s["code"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["48765-2", "10160-0", "11450-4"],
        "only the required ones"
    );
    for s in sections {
        assert!(s.get("entry").is_none());
        assert_eq!(
            s["emptyReason"]["coding"][0]["system"],
            "http://terminology.hl7.org/CodeSystem/list-empty-reason"
        );
        assert!(text_of(s["text"]["div"].as_str().unwrap()).contains("No information"));
    }
    assert_eq!(
        bundle["entry"].as_array().unwrap().len(),
        3,
        "Composition, Patient, author"
    );

    // The patient typed markup into their name: the narrative shows it as text.
    let div = composition(&bundle)["text"]["div"].as_str().unwrap();
    assert!(
        div.contains("Ada &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{div}"
    );
    assert!(div.contains("O&#39;Brien &amp; &lt;Sons&gt;"), "{div}");
    let doc = roxmltree::Document::parse(div).unwrap();
    assert!(!doc.descendants().any(|n| n.has_tag_name("script")));
    assert!(
        text_of(div).contains("Ada <script>alert(1)</script> O'Brien & <Sons>, born 1980-12-10")
    );
}

#[test]
fn markup_in_entries_is_escaped_in_section_tables() {
    let json = r#"{"resourceType": "Bundle", "type": "collection", "entry": [
      {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001", "resource": {"resourceType": "Patient", "name": [{"text": "A <b>"}]}},
      {"resource": {"resourceType": "AllergyIntolerance", "id": "nuts",
        "patient": {"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": "Peanut <oil> & \"butter\""}, "criticality": "high",
        "reaction": [{"manifestation": [{"text": "Hives </td></tr>"}], "severity": "severe"}]}}
    ]}"#;
    let bundle = summary(&vault_of_bytes("nuts.json", json.as_bytes()));
    assert_ips_document(&bundle);
    let s = section(&bundle, "48765-2").unwrap();
    let text = text_of(s["text"]["div"].as_str().unwrap());
    assert!(text.contains("Peanut <oil> & \"butter\""), "{text}");
    assert!(text.contains("Hives </td></tr> (severe)"), "{text}");
}

#[test]
fn an_empty_record_has_no_patient_to_summarise() {
    assert_eq!(
        PatientSummary::build(&VaultContents::default(), at()),
        Err(ShareError::NoPatient)
    );
}

/// Section codes, and the required ones' presence, of every IPS example Composition:
/// JSON Bundles (document or searchset) and FHIR XML Bundles.
struct Examples {
    section_codes: BTreeSet<String>,
    compositions: Vec<Value>,
    document_bundles: Vec<Value>,
}

fn examples() -> Examples {
    let dir = format!("{DATA}/ips");
    let mut found = Examples {
        section_codes: BTreeSet::new(),
        compositions: Vec::new(),
        document_bundles: Vec::new(),
    };
    let mut xml_compositions = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                let bundle: Value = serde_json::from_str(&text).unwrap();
                for e in bundle["entry"].as_array().unwrap() {
                    let r = &e["resource"];
                    if rtype(r) == "Composition" && r["type"]["coding"][0]["code"] == "60591-5" {
                        let codes: BTreeSet<String> = r["section"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .flat_map(|s| s["code"]["coding"].as_array().unwrap().iter())
                            .map(|c| c["code"].as_str().unwrap().to_string())
                            .collect();
                        for required in ["48765-2", "10160-0", "11450-4"] {
                            assert!(codes.contains(required), "{path:?} lacks {required}");
                        }
                        found.section_codes.extend(codes);
                        found.compositions.push(r.clone());
                    }
                }
                if bundle["type"] == "document" {
                    assert_eq!(
                        bundle["entry"][0]["resource"]["resourceType"],
                        "Composition"
                    );
                    found.document_bundles.push(bundle);
                }
            }
            Some("xml") => {
                let doc = roxmltree::Document::parse(&text).unwrap();
                for c in doc.descendants().filter(|n| n.has_tag_name("Composition")) {
                    xml_compositions += 1;
                    for s in c.children().filter(|n| n.has_tag_name("section")) {
                        let codes = s
                            .children()
                            .filter(|n| n.has_tag_name("code"))
                            .flat_map(|code| code.children().filter(|n| n.has_tag_name("coding")))
                            .flat_map(|coding| coding.children().filter(|n| n.has_tag_name("code")))
                            .filter_map(|n| n.attribute("value"));
                        found.section_codes.extend(codes.map(str::to_string));
                    }
                }
            }
            _ => {}
        }
    }
    assert!(
        found.compositions.len() >= 10,
        "{}",
        found.compositions.len()
    );
    assert!(xml_compositions >= 2);
    found
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn common_keys<'v>(values: impl Iterator<Item = &'v Value>) -> BTreeSet<String> {
    values.map(keys).reduce(|a, b| &a & &b).unwrap()
}

#[test]
fn the_summary_has_the_shape_of_the_published_ips_examples() {
    let examples = examples();
    let builder_codes: BTreeSet<String> = SummarySection::ALL
        .iter()
        .map(|s| s.loinc().to_string())
        .collect();
    assert!(
        builder_codes.is_subset(&examples.section_codes),
        "codes the builder may produce that no example uses: {:?}",
        &builder_codes - &examples.section_codes
    );

    let (file, _) = largest_synthea();
    let ours = [
        summary(&vault_of_file(&file)),
        summary(&vault_of_file(CCDA)),
        summary(&vault_of_bytes("me.json", PATIENT_ONLY.as_bytes())),
    ];
    let bundle_keys = common_keys(examples.document_bundles.iter());
    let composition_keys = common_keys(examples.compositions.iter());
    let section_keys = common_keys(
        examples
            .compositions
            .iter()
            .flat_map(|c| c["section"].as_array().unwrap().iter()),
    );
    // What every example has is what the IPS requires; check the comparison means it.
    for k in ["type", "entry", "identifier", "timestamp"] {
        assert!(bundle_keys.contains(k), "{k}: {bundle_keys:?}");
    }
    for k in [
        "status", "type", "subject", "date", "author", "title", "section",
    ] {
        assert!(composition_keys.contains(k), "{k}: {composition_keys:?}");
    }
    let empty_reason_systems: BTreeSet<&str> = examples
        .compositions
        .iter()
        .flat_map(|c| c["section"].as_array().unwrap().iter())
        .filter_map(|s| s["emptyReason"]["coding"][0]["system"].as_str())
        .collect();
    assert!(!empty_reason_systems.is_empty());

    for bundle in &ours {
        assert!(bundle_keys.is_subset(&keys(bundle)), "{bundle_keys:?}");
        let c = composition(bundle);
        assert!(composition_keys.is_subset(&keys(c)), "{composition_keys:?}");
        for s in c["section"].as_array().unwrap() {
            assert!(section_keys.is_subset(&keys(s)), "{section_keys:?}");
            let code = s["code"]["coding"][0]["code"].as_str().unwrap();
            assert!(examples.section_codes.contains(code), "{code}");
            if let Some(system) = s["emptyReason"]["coding"][0]["system"].as_str() {
                assert!(empty_reason_systems.contains(system), "{system}");
            }
        }
    }
}
