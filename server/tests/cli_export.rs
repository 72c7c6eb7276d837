//! `folio export`: the record as a FHIR Bundle or NDJSON, to standard output or a file,
//! with as many resources as `folio records` counts entries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

use common::{create_account, failure, folio, folio_json, serve};

/// The sample data, `shared/data` beside the repository: found from the crate upwards, so
/// it is found from a worktree nested deeper as well.
fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/data"))
        .find(|dir| dir.join("README.md").is_file())
        .expect("the sample data, shared/data beside the repository")
}

fn data(file: &str) -> PathBuf {
    data_dir().join(file)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Entries per type as `folio records --json` counts them.
fn record_entries(records: &Value) -> BTreeMap<String, u64> {
    records["types"]
        .as_object()
        .expect("types")
        .iter()
        .map(|(k, v)| (k.clone(), v["entries"].as_u64().unwrap()))
        .collect()
}

fn count_types<'a>(resources: impl Iterator<Item = &'a Value>) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for resource in resources {
        let ty = resource["resourceType"].as_str().expect("a resourceType");
        assert!(resource["id"].is_string(), "every resource has its id");
        *counts.entry(ty.to_owned()).or_default() += 1;
    }
    counts
}

#[test]
fn export_writes_the_record_as_a_bundle_or_ndjson() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.json");
    let profile = s(&profile);
    create_account(&server, profile);
    let record = data("fhir-r4/synthea/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json");
    let imported = folio_json(&["import", "--profile", profile, "--json", s(&record)]);
    let vault = imported["vault"].as_str().unwrap().to_owned();
    let records = folio_json(&["records", "--profile", profile, "--json"]);
    let expected = record_entries(&records);
    let total: u64 = expected.values().sum();
    assert!(total > 100, "{records:#}");

    // A Bundle on standard output.
    let out = folio(&["export", "--profile", profile, "--format", "bundle"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle: Value = serde_json::from_slice(&out.stdout).expect("a JSON Bundle");
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    assert_eq!(bundle["total"], total);
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(
        count_types(entries.iter().map(|e| &e["resource"])),
        expected
    );
    let base = format!("https://folio.health/vault/{vault}/");
    for entry in entries {
        let url = entry["fullUrl"].as_str().unwrap();
        let resource = &entry["resource"];
        assert_eq!(
            url,
            format!(
                "{base}{}/{}",
                resource["resourceType"].as_str().unwrap(),
                resource["id"].as_str().unwrap()
            )
        );
    }

    // NDJSON to a file, with a summary.
    let file = dir.path().join("record.ndjson");
    let written = folio_json(&[
        "export",
        "--profile",
        profile,
        "--vault",
        &vault,
        "--format",
        "ndjson",
        "--output",
        s(&file),
        "--json",
    ]);
    assert_eq!(written["path"], s(&file));
    assert_eq!(written["format"], "ndjson");
    assert_eq!(written["resources"], total);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written["bytes"], text.len());
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one resource per line"))
        .collect();
    assert_eq!(lines.len() as u64, total);
    assert_eq!(count_types(lines.iter()), expected);

    // The default format is the Bundle; a second export replaces the file.
    let bundle_file = dir.path().join("record.json");
    std::fs::write(&bundle_file, b"old").unwrap();
    let text = folio(&["export", "--profile", profile, "--output", s(&bundle_file)]);
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).contains(&format!("Wrote {total} resources")));
    let from_file: Value = serde_json::from_slice(&std::fs::read(&bundle_file).unwrap()).unwrap();
    assert_eq!(from_file["entry"].as_array().unwrap().len() as u64, total);
}

#[test]
fn export_explains_a_bad_format_and_json_without_a_file() {
    let bad = failure(&["export", "--profile", "unused.json", "--format", "xml"]);
    assert!(
        bad.contains("xml") && bad.contains("bundle") && bad.contains("ndjson"),
        "{bad}"
    );
    let no_file = failure(&["export", "--profile", "unused.json", "--json"]);
    assert!(no_file.contains("--json needs --output"), "{no_file}");
}

/// A C-CDA whose procedures are named only in the narrative (an entry's `text/reference`,
/// or its code's `originalText/reference`), as athenahealth writes them: the exported
/// Bundle names every Procedure in words.
#[test]
fn export_names_every_procedure_of_a_ccda_named_only_in_its_narrative() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile.json");
    let profile = s(&profile);
    create_account(&server, profile);
    let ccd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/tests/fixtures/ccda/athena_style_ccd.xml");
    folio_json(&["import", "--profile", profile, "--json", s(&ccd)]);
    let out = folio(&["export", "--profile", profile, "--format", "bundle"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle: Value = serde_json::from_slice(&out.stdout).expect("a JSON Bundle");
    let names: Vec<&str> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Procedure")
        .map(|r| r["code"]["text"].as_str().unwrap_or_default())
        .collect();
    assert!(names.contains(&"Cerumen Removal"), "{names:?}");
    assert!(names.contains(&"Screening for depression"), "{names:?}");
    for name in &names {
        let bare_code = !name.is_empty() && name.chars().all(|c| c.is_ascii_digit());
        assert!(
            !name.is_empty() && !bare_code && *name != "Procedure",
            "a Procedure without a name in words: {names:?}"
        );
    }
}
