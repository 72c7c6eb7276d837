//! Every sample file in the shared corpus imports, and the counts per resource type equal
//! an independent reading of the file: a plain serde_json walk for FHIR, a plain roxmltree
//! walk for C-CDA. Neither walk uses the importer's code.

use chrono::{TimeZone, Utc};
use folio_shared::import::shc::{Crl, Jwks};
use folio_shared::import::{
    ImportErrorKind, ImportOptions, ImportOutcome, TrustedIssuer, import_file,
};
use folio_shared::record::Op;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");
const SPEC_ISSUER: &str = "https://spec.smarthealth.cards/examples/issuer";

type Counts = BTreeMap<String, usize>;

fn files_under(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(DATA).join(dir)];
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

fn options() -> ImportOptions {
    let mut opts = ImportOptions::new(Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap());
    let issuer = Path::new(DATA).join("shc/spec-examples/issuer/.well-known");
    let jwks =
        Jwks::from_json(&std::fs::read_to_string(issuer.join("jwks.json")).unwrap()).unwrap();
    let crl: Crl = serde_json::from_str(
        &std::fs::read_to_string(
            issuer.join("crl/3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s.json"),
        )
        .unwrap(),
    )
    .unwrap();
    opts.issuers.push(TrustedIssuer {
        iss: SPEC_ISSUER.into(),
        jwks,
        crls: vec![crl],
    });
    opts
}

fn import(path: &Path) -> Result<ImportOutcome, folio_shared::import::ImportError> {
    let name = path.file_name().unwrap().to_str().unwrap();
    import_file(name, &std::fs::read(path).unwrap(), &options())
}

/// Count resources the simple way: a Bundle counts its entries' resources (recursively),
/// anything else counts itself.
fn count_fhir(v: &Value, counts: &mut Counts) {
    let ty = v["resourceType"].as_str().expect("resourceType");
    if ty == "Bundle" {
        for e in v["entry"].as_array().into_iter().flatten() {
            if let Some(r) = e.get("resource") {
                count_fhir(r, counts);
            }
        }
    } else {
        *counts.entry(ty.to_string()).or_default() += 1;
    }
}

fn assert_counts(path: &Path, outcome: &ImportOutcome, expected: &Counts) {
    assert_eq!(&outcome.report.counts, expected, "{}", path.display());
    assert_eq!(
        outcome.entries.len(),
        expected.values().sum::<usize>(),
        "{}",
        path.display()
    );
    assert!(
        outcome.report.errors.is_empty(),
        "{}: {:?}",
        path.display(),
        outcome.report.errors
    );
}

#[test]
fn fhir_json_and_ndjson_files_import_with_their_resource_counts() {
    let mut files = files_under("fhir-r4");
    files.extend(files_under("ips"));
    let mut imported = 0;
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap();
        if name == "package.json" {
            // An npm package manifest sits among the R4 examples: JSON, but not FHIR.
            let err = import(&path).unwrap_err();
            assert!(matches!(err.kind, ImportErrorKind::NotFhir(_)), "{err}");
            continue;
        }
        if name.ends_with(".xml") {
            // IPS bundles in FHIR XML: decision, not supported; a clear error says so.
            let err = import(&path).unwrap_err();
            assert_eq!(err.kind, ImportErrorKind::FhirXmlUnsupported, "{name}");
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut expected = Counts::new();
        if name.ends_with(".ndjson") {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                count_fhir(&serde_json::from_str(line).unwrap(), &mut expected);
            }
        } else {
            count_fhir(&serde_json::from_str(&text).unwrap(), &mut expected);
        }
        let outcome = import(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_counts(&path, &outcome, &expected);
        imported += 1;
    }
    assert!(imported > 90, "only {imported} FHIR files found");
}

// ---- C-CDA: an independent roxmltree walk over the mapped sections ----

const CDA_SECTIONS: &[(&str, &[&str], &[&str])] = &[
    (
        "problems",
        &[
            "2.16.840.1.113883.10.20.22.2.5",
            "2.16.840.1.113883.10.20.22.2.5.1",
            "2.16.840.1.113883.10.20.1.11",
        ],
        &["11450-4"],
    ),
    (
        "medications",
        &[
            "2.16.840.1.113883.10.20.22.2.1",
            "2.16.840.1.113883.10.20.22.2.1.1",
            "2.16.840.1.113883.10.20.1.8",
        ],
        &["10160-0"],
    ),
    (
        "allergies",
        &[
            "2.16.840.1.113883.10.20.22.2.6",
            "2.16.840.1.113883.10.20.22.2.6.1",
            "2.16.840.1.113883.10.20.1.2",
        ],
        &["48765-2"],
    ),
    (
        "results",
        &[
            "2.16.840.1.113883.10.20.22.2.3",
            "2.16.840.1.113883.10.20.22.2.3.1",
            "2.16.840.1.113883.10.20.1.14",
        ],
        &["30954-2"],
    ),
    (
        "vitals",
        &[
            "2.16.840.1.113883.10.20.22.2.4",
            "2.16.840.1.113883.10.20.22.2.4.1",
            "2.16.840.1.113883.10.20.1.16",
        ],
        &["8716-3"],
    ),
    (
        "immunizations",
        &[
            "2.16.840.1.113883.10.20.22.2.2",
            "2.16.840.1.113883.10.20.22.2.2.1",
            "2.16.840.1.113883.10.20.1.6",
        ],
        &["11369-6"],
    ),
    (
        "procedures",
        &[
            "2.16.840.1.113883.10.20.22.2.7",
            "2.16.840.1.113883.10.20.22.2.7.1",
            "2.16.840.1.113883.10.20.1.12",
        ],
        &["47519-4"],
    ),
    (
        "encounters",
        &[
            "2.16.840.1.113883.10.20.22.2.22",
            "2.16.840.1.113883.10.20.22.2.22.1",
            "2.16.840.1.113883.10.20.1.3",
        ],
        &["46240-8"],
    ),
    (
        "social",
        &[
            "2.16.840.1.113883.10.20.22.2.17",
            "2.16.840.1.113883.10.20.1.15",
        ],
        &["29762-2"],
    ),
    (
        "plan",
        &[
            "2.16.840.1.113883.10.20.22.2.10",
            "2.16.840.1.113883.10.20.1.10",
        ],
        &["18776-5"],
    ),
    ("goals", &["2.16.840.1.113883.10.20.22.2.60"], &["61146-7"]),
    (
        "admission diagnoses",
        &["2.16.840.1.113883.10.20.22.2.43"],
        &["46241-6", "42347-5"],
    ),
    (
        "discharge diagnoses",
        &["2.16.840.1.113883.10.20.22.2.24"],
        &["11535-2", "78375-3"],
    ),
    (
        "admission medications",
        &["2.16.840.1.113883.10.20.22.2.44"],
        &["42346-7"],
    ),
    (
        "discharge medications",
        &[
            "2.16.840.1.113883.10.20.22.2.11",
            "2.16.840.1.113883.10.20.22.2.11.1",
        ],
        &["10183-2", "75311-1"],
    ),
    (
        "health concerns",
        &["2.16.840.1.113883.10.20.22.2.58"],
        &["75310-3"],
    ),
    (
        "family history",
        &[
            "2.16.840.1.113883.10.20.22.2.15",
            "2.16.840.1.113883.10.20.1.4",
        ],
        &["10157-6"],
    ),
    (
        "functional status",
        &[
            "2.16.840.1.113883.10.20.22.2.14",
            "2.16.840.1.113883.10.20.1.5",
        ],
        &["47420-5"],
    ),
    (
        "mental status",
        &["2.16.840.1.113883.10.20.22.2.56"],
        &["10190-7"],
    ),
    (
        "payers",
        &[
            "2.16.840.1.113883.10.20.22.2.18",
            "2.16.840.1.113883.10.20.1.9",
        ],
        &["48768-6"],
    ),
    (
        "care team",
        &["2.16.840.1.113883.10.20.22.2.500"],
        &["85847-2"],
    ),
    ("notes", &["2.16.840.1.113883.10.20.22.2.65"], &["11506-3"]),
    (
        "reason for referral",
        &["1.3.6.1.4.1.19376.1.5.3.1.3.1"],
        &["42349-1"],
    ),
    (
        "hospital course",
        &["1.3.6.1.4.1.19376.1.5.3.1.3.5"],
        &["8648-8"],
    ),
    (
        "discharge instructions",
        &["2.16.840.1.113883.10.20.22.2.41"],
        &["8653-8"],
    ),
];

/// (section, entry template suffix after `2.16.840.1.113883.10.20.`, resource type)
const CDA_ENTRIES: &[(&str, &str, &str)] = &[
    ("problems", "22.4.4", "Condition"),
    ("problems", "1.28", "Condition"),
    ("medications", "22.4.16", "MedicationStatement"),
    ("medications", "1.24", "MedicationStatement"),
    ("allergies", "22.4.7", "AllergyIntolerance"),
    ("allergies", "1.18", "AllergyIntolerance"),
    ("results", "22.4.1", "DiagnosticReport"),
    ("results", "1.32", "DiagnosticReport"),
    ("results", "22.4.2", "Observation"),
    ("results", "1.31", "Observation"),
    ("vitals", "22.4.27", "Observation"),
    ("vitals", "1.31", "Observation"),
    ("immunizations", "22.4.52", "Immunization"),
    ("immunizations", "1.24", "Immunization"),
    ("procedures", "22.4.14", "Procedure"),
    ("procedures", "22.4.13", "Procedure"),
    ("procedures", "22.4.12", "Procedure"),
    ("procedures", "1.29", "Procedure"),
    ("encounters", "22.4.49", "Encounter"),
    ("encounters", "1.21", "Encounter"),
    ("social", "22.4.38", "Observation"),
    ("social", "22.4.78", "Observation"),
    ("social", "22.4.85", "Observation"),
    ("social", "22.4.200", "Observation"),
    ("social", "15.3.8", "Observation"),
    ("social", "1.33", "Observation"),
    ("plan", "22.4.39", "ServiceRequest"),
    ("plan", "22.4.40", "ServiceRequest"),
    ("plan", "22.4.41", "ServiceRequest"),
    ("plan", "22.4.44", "ServiceRequest"),
    ("plan", "1.25", "ServiceRequest"),
    ("plan", "22.4.42", "MedicationRequest"),
    ("plan", "22.4.121", "Goal"),
    ("goals", "22.4.121", "Goal"),
    ("admission diagnoses", "22.4.4", "Condition"),
    ("admission diagnoses", "1.28", "Condition"),
    ("discharge diagnoses", "22.4.4", "Condition"),
    ("discharge diagnoses", "1.28", "Condition"),
    ("admission medications", "22.4.16", "MedicationStatement"),
    ("discharge medications", "22.4.16", "MedicationStatement"),
    ("health concerns", "22.4.132", "Condition"),
    ("health concerns", "22.4.5", "Observation"),
    ("family history", "22.4.45", "FamilyMemberHistory"),
    ("family history", "1.23", "FamilyMemberHistory"),
    ("functional status", "22.4.67", "Observation"),
    ("functional status", "22.4.68", "Observation"),
    ("functional status", "22.4.73", "Observation"),
    ("functional status", "22.4.74", "Observation"),
    ("functional status", "22.4.128", "Observation"),
    ("functional status", "22.4.69", "Observation"),
    ("mental status", "22.4.74", "Observation"),
    ("mental status", "22.4.73", "Observation"),
    ("mental status", "22.4.69", "Observation"),
    ("payers", "22.4.61", "Coverage"),
    ("payers", "1.26", "Coverage"),
    ("care team", "22.4.500", "CareTeam"),
    ("notes", "22.4.202", "DocumentReference"),
    ("reason for referral", "22.4.140", "ServiceRequest"),
];

/// Sections whose narrative is kept as a note (a DocumentReference) when it holds text.
const CDA_NARRATIVE_NOTES: &[&str] = &[
    "hospital course",
    "reason for referral",
    "discharge instructions",
];

fn roots<'a>(n: roxmltree::Node<'a, '_>) -> Vec<&'a str> {
    n.children()
        .filter(|c| c.has_tag_name("templateId"))
        .filter_map(|c| c.attribute("root"))
        .collect()
}

fn count_ccda(xml: &str) -> Counts {
    let doc = roxmltree::Document::parse(xml.trim_start_matches('\u{feff}')).unwrap();
    let mut counts = Counts::new();
    let root = doc.root_element();
    if root.children().any(|c| c.has_tag_name("recordTarget")) {
        *counts.entry("Patient".into()).or_default() += 1;
    }
    *counts.entry("DocumentReference".into()).or_default() += 1;
    for section in doc.descendants().filter(|n| n.has_tag_name("section")) {
        let rs = roots(section);
        let code = section
            .children()
            .find(|c| c.has_tag_name("code"))
            .and_then(|c| c.attribute("code"))
            .unwrap_or("");
        let by_template = CDA_SECTIONS
            .iter()
            .find(|(_, t, _)| t.iter().any(|t| rs.contains(t)));
        let has_cda_template = rs.iter().any(|r| r.starts_with("2.16.840.1.113883.10.20."));
        let kind = match by_template {
            Some((k, _, _)) => *k,
            None if !has_cda_template => {
                match CDA_SECTIONS.iter().find(|(_, _, c)| c.contains(&code)) {
                    Some((k, _, _)) => *k,
                    None => continue,
                }
            }
            None => continue,
        };
        let narrative_has_text = section
            .children()
            .find(|c| c.has_tag_name("text"))
            .is_some_and(|t| {
                t.descendants()
                    .filter_map(|n| n.text())
                    .any(|s| !s.trim().is_empty())
            });
        if CDA_NARRATIVE_NOTES.contains(&kind) && narrative_has_text {
            *counts.entry("DocumentReference".into()).or_default() += 1;
        }
        for entry in section.children().filter(|c| c.has_tag_name("entry")) {
            for el in entry.descendants().filter(|n| n.is_element()) {
                let rs = roots(el);
                let hit = CDA_ENTRIES.iter().find(|(k, suffix, _)| {
                    *k == kind
                        && rs
                            .iter()
                            .any(|r| *r == format!("2.16.840.1.113883.10.20.{suffix}"))
                });
                if let Some((_, _, ty)) = hit {
                    *counts.entry(ty.to_string()).or_default() += 1;
                }
            }
        }
    }
    counts
}

#[test]
fn ccda_documents_import_with_their_section_entry_counts() {
    let files = files_under("ccda");
    assert!(files.len() >= 28);
    let mut clinical = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = count_ccda(&text);
        let outcome = import(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_counts(&path, &outcome, &expected);
        clinical += outcome.report.total() - 2;
        // The original document is kept, base64, in the DocumentReference.
        let doc = outcome
            .entries
            .iter()
            .find_map(|e| match &e.op {
                // Notes kept from sections' narrative are DocumentReferences too, in text.
                Op::Put { resource, .. }
                    if resource["resourceType"] == "DocumentReference"
                        && resource["content"][0]["attachment"]["contentType"]
                            == "application/xml" =>
                {
                    Some(resource)
                }
                _ => None,
            })
            .unwrap();
        assert!(
            doc["content"][0]["attachment"]["data"]
                .as_str()
                .unwrap()
                .len()
                > text.len()
        );
        assert!(!outcome.report.notes.is_empty());
    }
    assert!(
        clinical > 500,
        "only {clinical} clinical resources from the whole C-CDA corpus"
    );
}

// ---- SMART Health Cards ----

fn expected_card_counts(example: &str) -> Counts {
    let bundle = std::fs::read_to_string(Path::new(DATA).join(format!(
        "shc/spec-examples/example-{example}-a-fhirBundle.json"
    )))
    .unwrap();
    let mut counts = Counts::new();
    count_fhir(&serde_json::from_str(&bundle).unwrap(), &mut counts);
    counts
}

fn sources(outcome: &ImportOutcome) -> Vec<&folio_shared::record::Source> {
    outcome
        .entries
        .iter()
        .map(|e| match &e.op {
            Op::Put { source, .. } => source,
            Op::Delete => panic!("importers only put"),
        })
        .collect()
}

#[test]
fn health_card_examples_import_verified_except_the_expired_revoked_one() {
    let mut seen = 0;
    for path in files_under("shc") {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if path.to_str().unwrap().contains("/issuer/") {
            // Issuer keys and revocation lists are not health data.
            let err = import(&path).unwrap_err();
            assert!(
                matches!(err.kind, ImportErrorKind::NotFhir(_)),
                "{name}: {err}"
            );
            continue;
        }
        let example = &name["example-".len().."example-".len() + 2];
        if name.starts_with("example-02-f-") {
            // One chunk of three cannot be imported alone: a clear error says so.
            let err = import(&path).unwrap_err();
            assert!(err.to_string().contains("needs all of them"), "{err}");
            continue;
        }
        let outcome = import(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_counts(&path, &outcome, &expected_card_counts(example));
        let stage = &name["example-00-".len().."example-00-".len() + 1];
        for source in sources(&outcome) {
            match (stage, example) {
                ("a", _) => assert_eq!(source.verified_issuer, None),
                ("b" | "c", _) => {
                    assert!(
                        source
                            .unverified_reason
                            .as_deref()
                            .unwrap()
                            .contains("without its signature")
                    )
                }
                (_, "03") => {
                    let reason = source.unverified_reason.as_deref().unwrap();
                    assert!(reason.contains("expired on 2024-06-21"), "{reason}");
                    assert!(reason.contains("revoked"), "{reason}");
                }
                _ => assert_eq!(
                    source.verified_issuer.as_deref(),
                    Some(SPEC_ISSUER),
                    "{name}"
                ),
            }
        }
        seen += 1;
    }
    assert!(seen >= 20);
}

#[test]
fn a_multi_chunk_qr_card_imports_once_all_chunks_are_given_in_any_order() {
    let chunk = |i: usize| {
        std::fs::read_to_string(Path::new(DATA).join(format!(
            "shc/spec-examples/example-02-f-qr-code-numeric-value-{i}.txt"
        )))
        .unwrap()
    };
    let text = format!("{}\n{}\n{}\n", chunk(2), chunk(0), chunk(1));
    let outcome = import_file("scan.txt", text.as_bytes(), &options()).unwrap();
    assert_counts(Path::new("scan.txt"), &outcome, &expected_card_counts("02"));
    assert!(
        sources(&outcome)
            .iter()
            .all(|s| s.verified_issuer.as_deref() == Some(SPEC_ISSUER))
    );
    // The same card from the file form gets the same ids: a re-import adds nothing.
    let file =
        import(&Path::new(DATA).join("shc/spec-examples/example-02-e-file.smart-health-card"))
            .unwrap();
    let ids = |o: &ImportOutcome| o.entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&outcome), ids(&file));
}
