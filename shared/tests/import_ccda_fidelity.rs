//! C-CDA fidelity: what a document says about an entry reaches its FHIR resource. Names
//! written only in the narrative (through `text/reference` or `originalText/reference`),
//! medication sigs, doses, frequencies, routes, dates and prescribers, and the sections a
//! discharge summary or CCD carries beyond the problem list.
//!
//! The corpus check reads each document independently with roxmltree (its own ID map,
//! its own idea of where a name can be) and compares with what the importer produced.

use chrono::{TimeZone, Utc};
use folio_shared::import::{ImportOptions, ImportOutcome, import_file};
use folio_shared::record::Op;
use roxmltree::{Document, Node};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The shared corpus, beside the workspace.
fn data() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data")).to_path_buf()
}
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ccda");
const ORIGINAL_ID: &str = "https://folio.health/fhir/StructureDefinition/original-id";

fn ccda_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![data().join("ccda")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn import(path: &Path) -> ImportOutcome {
    let opts = ImportOptions::new(Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap());
    let name = path.file_name().unwrap().to_str().unwrap();
    import_file(name, &std::fs::read(path).unwrap(), &opts)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn resources(outcome: &ImportOutcome) -> Vec<&Value> {
    outcome
        .entries
        .iter()
        .filter_map(|e| match &e.op {
            Op::Put { resource, .. } => Some(resource),
            Op::Delete => None,
        })
        .collect()
}

fn of_type<'a>(outcome: &'a ImportOutcome, ty: &str) -> Vec<&'a Value> {
    resources(outcome)
        .into_iter()
        .filter(|r| r["resourceType"] == ty)
        .collect()
}

// ---- An independent reading of where a C-CDA document names an entry ----

fn el<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn els<'a, 'i: 'a>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn non_blank(s: String) -> Option<String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

struct Names<'a, 'i> {
    ids: HashMap<&'a str, Node<'a, 'i>>,
}

impl<'a, 'i> Names<'a, 'i> {
    fn new(doc: &'a Document<'i>) -> Self {
        let ids = doc
            .descendants()
            .filter_map(|n| Some((n.attribute("ID")?, n)))
            .collect();
        Names { ids }
    }

    /// The text an element (`text`, `originalText`, `name`) holds, inline or referenced.
    fn text_of(&self, n: Node<'a, 'i>) -> Option<String> {
        if let Some(target) = el(n, "reference")
            .and_then(|r| r.attribute("value"))
            .and_then(|v| self.ids.get(v.trim_start_matches('#')))
        {
            let t: String = target.descendants().filter_map(|d| d.text()).collect();
            if let Some(t) = non_blank(t) {
                return Some(t);
            }
        }
        let inline: String = n
            .children()
            .filter(|c| c.is_text() || (c.is_element() && c.tag_name().name() != "reference"))
            .flat_map(|c| c.descendants().filter_map(|d| d.text()).collect::<Vec<_>>())
            .collect();
        non_blank(inline)
    }

    /// Whether a coded element or a text element carries a name anywhere.
    fn named(&self, n: Node<'a, 'i>) -> bool {
        let display = |c: Node| {
            c.attribute("displayName")
                .is_some_and(|d| !d.trim().is_empty())
        };
        match n.tag_name().name() {
            "text" | "name" => self.text_of(n).is_some(),
            _ => {
                display(n)
                    || el(n, "originalText").is_some_and(|o| self.text_of(o).is_some())
                    || els(n, "translation").any(display)
            }
        }
    }
}

/// The element a resource came from, by the path in its original-id extension.
fn source_element<'a, 'i>(doc: &'a Document<'i>, resource: &Value) -> Option<Node<'a, 'i>> {
    let original = resource["meta"]["extension"]
        .as_array()?
        .iter()
        .find(|e| e["url"] == ORIGINAL_ID)?["valueString"]
        .as_str()?;
    let xpath = original.rsplit(':').next()?;
    let mut steps = xpath.trim_start_matches('/').split('/');
    let first = steps.next()?;
    let mut node = doc.root_element();
    if node.tag_name().name() != first {
        return None;
    }
    for step in steps {
        let (name, index) = match step.split_once('[') {
            Some((n, i)) => (n, i.trim_end_matches(']').parse::<usize>().ok()?),
            None => (step, 1),
        };
        node = node
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == name)
            .nth(index - 1)?;
    }
    Some(node)
}

/// Where the document may name the thing a resource of `ty` stands for.
fn name_sources<'a, 'i>(ty: &str, n: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
    let mut out: Vec<Node> = el(n, "text").into_iter().collect();
    match ty {
        "Condition" => {
            out.extend(el(n, "value"));
            if n.tag_name().name() == "act" {
                for obs in els(n, "entryRelationship").filter_map(|er| el(er, "observation")) {
                    out.extend(el(obs, "value"));
                    out.extend(el(obs, "text"));
                }
            }
        }
        "MedicationStatement" | "MedicationRequest" => {
            let material = el(n, "consumable")
                .and_then(|c| el(c, "manufacturedProduct"))
                .and_then(|m| el(m, "manufacturedMaterial"));
            if let Some(m) = material {
                out.extend(el(m, "code"));
                out.extend(el(m, "name"));
            }
        }
        "AllergyIntolerance" => {
            let entity = el(n, "participant")
                .and_then(|p| el(p, "participantRole"))
                .and_then(|p| el(p, "playingEntity"));
            if let Some(e) = entity {
                out.extend(el(e, "code"));
                out.extend(el(e, "name"));
            } else {
                out.extend(el(n, "value"));
            }
        }
        _ => out.extend(el(n, "code")),
    }
    out
}

/// The concept that names a resource, and the name a reader would show for it.
fn shown_name(resource: &Value) -> (&Value, Option<&str>) {
    let concept = match resource["resourceType"].as_str() {
        Some("MedicationStatement" | "MedicationRequest") => &resource["medicationCodeableConcept"],
        _ => &resource["code"],
    };
    let name = concept["text"].as_str().or_else(|| {
        concept["coding"]
            .as_array()?
            .iter()
            .find_map(|c| c["display"].as_str())
    });
    (concept, name)
}

/// Words a resource is called by when it is given no name.
const PLACEHOLDERS: &[&str] = &[
    "Procedure",
    "Problem",
    "Medication",
    "Observation",
    "Allergy",
    "Condition",
];

/// A bare code, a code with its system name, or a placeholder: not a name.
fn is_unnamed(concept: &Value, name: Option<&str>) -> bool {
    let Some(name) = name.map(str::trim) else {
        return true;
    };
    let codes: Vec<&str> = concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["code"].as_str())
        .collect();
    codes
        .iter()
        .any(|c| name == *c || name.ends_with(&format!(" {c}")))
        || name.chars().all(|c| !c.is_alphabetic())
        || PLACEHOLDERS.contains(&name)
        || name.ends_with("in the source document)")
}

#[test]
fn no_entry_is_shown_by_a_bare_code_when_the_document_names_it() {
    const CHECKED: &[&str] = &[
        "Procedure",
        "Condition",
        "MedicationStatement",
        "MedicationRequest",
        "AllergyIntolerance",
        "Observation",
    ];
    let mut unnamed: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut checked: BTreeMap<&str, usize> = BTreeMap::new();
    let mut files = ccda_files();
    files.push(Path::new(FIXTURES).join("athena_style_ccd.xml"));
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = Document::parse(text.trim_start_matches('\u{feff}')).unwrap();
        let names = Names::new(&doc);
        let outcome = import(&path);
        for resource in resources(&outcome) {
            let Some(ty) = CHECKED
                .iter()
                .find(|t| resource["resourceType"] == **t)
                .copied()
            else {
                continue;
            };
            *checked.entry(ty).or_default() += 1;
            let node = source_element(&doc, resource)
                .unwrap_or_else(|| panic!("{}: no source element for {resource}", path.display()));
            let holds_name = name_sources(ty, node).into_iter().any(|n| names.named(n));
            let (concept, name) = shown_name(resource);
            if holds_name && is_unnamed(concept, name) {
                unnamed.entry(ty).or_default().push(format!(
                    "{}: {:?} {}",
                    path.file_name().unwrap().to_string_lossy(),
                    name,
                    resource["meta"]["extension"][0]["valueString"]
                ));
            }
        }
    }
    println!("resources checked per type: {checked:?}");
    for ty in CHECKED {
        println!(
            "{ty}: {} shown without the name their document gives",
            unnamed.get(ty).map_or(0, Vec::len)
        );
    }
    assert!(checked.values().sum::<usize>() > 400, "{checked:?}");
    assert!(unnamed.is_empty(), "{unnamed:#?}");
}

// ---- A CCD in athenahealth's style: names and sigs only in the narrative ----

fn athena() -> ImportOutcome {
    import(&Path::new(FIXTURES).join("athena_style_ccd.xml"))
}

#[test]
fn procedures_are_named_from_the_narrative_their_entries_point_at() {
    let outcome = athena();
    let procedures = of_type(&outcome, "Procedure");
    let named: Vec<(&str, &str)> = procedures
        .iter()
        .map(|p| {
            (
                p["code"]["text"].as_str().unwrap(),
                p["code"]["coding"][0]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("Cerumen Removal", "69209"),
            ("Screening for depression", "312681000")
        ]
    );
    assert_eq!(
        procedures[0]["code"]["coding"][0]["system"],
        "http://www.ama-assn.org/go/cpt"
    );
}

#[test]
fn a_medication_keeps_its_sig_dose_frequency_route_start_and_prescriber() {
    let outcome = athena();
    let meds = of_type(&outcome, "MedicationStatement");
    assert_eq!(meds.len(), 1);
    let med = meds[0];
    assert_eq!(
        med["medicationCodeableConcept"]["text"],
        "alendronate 70 mg tablet"
    );
    assert_eq!(
        med["medicationCodeableConcept"]["coding"][0]["code"],
        "904419"
    );
    assert_eq!(med["status"], "active");
    let dosage = &med["dosage"][0];
    assert_eq!(dosage["text"], "Take 1 tablet every week by oral route");
    let dose = &dosage["doseAndRate"][0]["doseQuantity"];
    assert_eq!(
        (dose["value"].as_f64(), dose["unit"].as_str()),
        (Some(1.0), Some("tablet"))
    );
    assert_eq!(dose["code"], "{tbl}");
    let repeat = &dosage["timing"]["repeat"];
    assert_eq!(repeat["frequency"], 1);
    assert_eq!(repeat["period"].as_f64(), Some(1.0));
    assert_eq!(repeat["periodUnit"], "wk");
    assert_eq!(dosage["route"]["text"], "ORAL");
    assert_eq!(med["effectivePeriod"]["start"], "2024-01-08");
    assert_eq!(med["informationSource"]["display"], "Dr. Rosa Lind");
}

#[test]
fn care_team_notes_and_the_reason_for_referral_are_kept() {
    let outcome = athena();
    let teams = of_type(&outcome, "CareTeam");
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0]["name"], "Primary care team");
    let member = &teams[0]["participant"][0];
    assert_eq!(member["member"]["display"], "Dr. Rosa Lind");
    assert_eq!(member["role"][0]["text"], "primary care physician");
    assert_eq!(member["onBehalfOf"]["display"], "Harbor Family Practice");

    let notes: Vec<String> = of_type(&outcome, "DocumentReference")
        .iter()
        .filter(|d| d["content"][0]["attachment"]["contentType"] != "application/xml")
        .map(|d| {
            let data = d["content"][0]["attachment"]["data"].as_str().unwrap();
            let bytes = base64_decode(data);
            format!(
                "{}: {}",
                d["description"].as_str().unwrap(),
                String::from_utf8(bytes).unwrap()
            )
        })
        .collect();
    assert_eq!(
        notes,
        [
            "Progress note: Ear canals clear after irrigation. Return if hearing worsens.",
            "Reason for Referral: Audiology evaluation for hearing loss in the left ear.",
        ]
    );
    assert!(
        outcome.report.warnings.is_empty(),
        "{:?}",
        outcome.report.warnings
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

// ---- Sections of real discharge summaries and CCDs ----

/// LOINC codes of the sections this importer now maps; none may be reported unmapped.
const NEWLY_MAPPED: &[&str] = &[
    "11535-2",
    "78375-3",
    "46241-6",
    "42347-5",
    "10183-2",
    "75311-1",
    "42346-7",
    "8648-8",
    "48768-6",
    "85847-2",
    "11506-3",
    "75310-3",
    "10157-6",
    "47420-5",
    "10190-7",
    "42349-1",
    "C-CDAV2-DDN",
];

fn corpus_file(rel: &str) -> ImportOutcome {
    import(&data().join("ccda").join(rel))
}

fn categories(r: &Value) -> Vec<&str> {
    r["category"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["coding"].as_array().into_iter().flatten())
        .filter_map(|c| c["code"].as_str())
        .collect()
}

#[test]
fn a_discharge_summary_maps_its_diagnoses_discharge_medications_and_hospital_course() {
    let outcome = corpus_file("hl7-examples/Discharge_Summary.xml");
    let diagnoses: Vec<String> = of_type(&outcome, "Condition")
        .into_iter()
        .filter(|c| categories(c).contains(&"encounter-diagnosis"))
        .map(|c| shown_name(c).1.unwrap().to_string())
        .collect();
    assert_eq!(
        diagnoses.len(),
        2,
        "admission and discharge diagnosis: {diagnoses:?}"
    );
    let discharge_meds = of_type(&outcome, "MedicationStatement")
        .into_iter()
        .filter(|m| m["category"]["text"] == "Discharge medication")
        .count();
    assert_eq!(discharge_meds, 1);
    let course = of_type(&outcome, "DocumentReference")
        .into_iter()
        .find(|d| d["type"]["coding"][0]["code"] == "8648-8")
        .expect("hospital course note");
    assert!(
        course["content"][0]["attachment"]["contentType"]
            .as_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(!of_type(&outcome, "FamilyMemberHistory").is_empty());
    assert!(
        of_type(&outcome, "Observation")
            .iter()
            .any(|o| categories(o).contains(&"functional-status"))
    );
    assert_no_newly_mapped_section_warned(&outcome);
}

#[test]
fn ccds_map_payers_family_history_health_concerns_and_functional_and_mental_status() {
    let outcome = corpus_file("hl7-examples/CCD_1.xml");
    let coverage = of_type(&outcome, "Coverage");
    assert_eq!(coverage.len(), 1);
    assert!(
        coverage[0]["payor"][0]["display"]
            .as_str()
            .is_some_and(|p| !p.is_empty())
    );
    let family = of_type(&outcome, "FamilyMemberHistory");
    assert_eq!(family.len(), 1);
    assert!(family[0]["relationship"]["text"].is_string());
    assert!(family[0]["condition"][0]["code"]["text"].is_string());
    assert_no_newly_mapped_section_warned(&outcome);

    let outcome = corpus_file("onc-2015-certification/Allscripts_Sunrise_Larson_Rebecca.xml");
    for ty in ["Coverage", "FamilyMemberHistory"] {
        assert!(!of_type(&outcome, ty).is_empty(), "{ty}");
    }
    let concerns = of_type(&outcome, "Condition")
        .into_iter()
        .filter(|c| categories(c).contains(&"health-concern"))
        .count();
    // Seven Health Concern Acts; the section's eighth entry is a health status observation.
    assert_eq!(concerns, 7);
    let observations = of_type(&outcome, "Observation");
    assert!(
        observations
            .iter()
            .any(|o| categories(o).contains(&"cognitive-status"))
    );
    assert!(
        observations
            .iter()
            .any(|o| categories(o).contains(&"functional-status"))
    );
    assert_no_newly_mapped_section_warned(&outcome);
}

#[test]
fn no_corpus_document_warns_about_a_section_this_importer_maps() {
    for path in ccda_files() {
        assert_no_newly_mapped_section_warned(&import(&path));
    }
}

fn assert_no_newly_mapped_section_warned(outcome: &ImportOutcome) {
    let warned: Vec<&str> = outcome
        .report
        .warnings
        .iter()
        .map(|w| w.message.as_str())
        .filter(|m| m.contains("is not mapped"))
        .filter(|m| NEWLY_MAPPED.iter().any(|c| m.contains(&format!("({c})"))))
        .collect();
    assert!(warned.is_empty(), "{}: {warned:#?}", outcome.report.file);
}
