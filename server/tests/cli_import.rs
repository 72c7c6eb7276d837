//! `folio import` and `folio records` as a script runs them: the real binary against a
//! running `folio serve`, on the sample data in `../shared/data`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{RunningServer, folio, folio_json, serve};

/// Runs a `--json` verb, whatever its exit status, and parses its standard output.
fn folio_json_status(args: &[&str]) -> (bool, Value) {
    let output = folio(args);
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "folio {args:?} printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.success(), value)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The sample data, `shared/data` beside the repository: found from the crate upwards, so
/// it is found from a worktree nested deeper as well.
fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/data"))
        .find(|dir| dir.join("README.md").is_file())
        .expect("the sample data, shared/data beside the repository")
}

/// The largest Synthea bundle of the sample data, picked by size.
fn largest_synthea() -> PathBuf {
    let dir = data_dir().join("fhir-r4/synthea");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a Synthea bundle")
}

fn ccda_file() -> PathBuf {
    data_dir().join("ccda/chb-sample-ccdas/NIST_CCDA_CCD_b1_Ambulatory_v2.xml")
}

/// Resources per type in a FHIR Bundle, counted straight from its JSON.
fn count_bundle(path: &Path) -> BTreeMap<String, u64> {
    let bundle: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut counts = BTreeMap::new();
    for entry in bundle["entry"].as_array().expect("a bundle with entries") {
        let ty = entry["resource"]["resourceType"].as_str().unwrap();
        *counts.entry(ty.to_owned()).or_default() += 1;
    }
    counts
}

fn counts_of(report: &Value) -> BTreeMap<String, u64> {
    report["counts"]
        .as_object()
        .expect("counts per type")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect()
}

/// Entries per type as `folio records --json` reports them.
fn record_entries(records: &Value) -> BTreeMap<String, u64> {
    records["types"]
        .as_object()
        .expect("types")
        .iter()
        .map(|(k, v)| (k.clone(), v["entries"].as_u64().unwrap()))
        .collect()
}

fn new_account(server: &RunningServer, dir: &Path) -> String {
    let profile = dir.join("profile.json");
    folio_json(&[
        "account",
        "create",
        "--server",
        &server.url,
        "--profile",
        s(&profile),
        "--json",
    ]);
    profile.to_str().unwrap().to_owned()
}

#[test]
fn import_synthea_and_ccda_then_reimport_adds_nothing_and_bad_files_fail_alone() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let profile = new_account(&server, dir.path());
    let synthea = largest_synthea();
    let ccda = ccda_file();

    let bad_dir = dir.path().join("bad");
    std::fs::create_dir(&bad_dir).unwrap();
    let broken = bad_dir.join("broken.json");
    std::fs::write(&broken, br#"{"resourceType": "Bundle", "entry": [ }, ]}"#).unwrap();
    // Hidden files in a walked folder are skipped.
    std::fs::write(bad_dir.join(".hidden.json"), b"not json at all").unwrap();
    // 2 GB, sparse: refused from its length, never read.
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();

    let started = Instant::now();
    // The Synthea bundle and the C-CDA are about two people. This test is about the
    // importers, so both go into one record as the patient may ask (cli_patient.rs tests
    // the refusal); importing them again is not asked about: they are in the record.
    let (ok, first) = folio_json_status(&[
        "import",
        "--profile",
        &profile,
        "--patient-mismatch",
        "allow",
        "--json",
        s(&synthea),
        s(&bad_dir),
        s(&huge),
        s(&ccda),
    ]);
    assert!(!ok, "a failed file makes the command fail");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the 2 GB file was not read"
    );
    let files = first["files"].as_array().unwrap();
    assert_eq!(files.len(), 4, "hidden files are skipped: {first:#}");
    let status: Vec<&str> = files
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["imported", "failed", "failed", "imported"]);
    assert_eq!(first["totals"]["failed"], 2);
    assert_eq!(first["totals"]["imported"], 2);

    let broken_error = &files[1]["errors"][0];
    assert_eq!(broken_error["location"]["file"], "broken.json");
    assert!(
        broken_error["message"].as_str().unwrap().contains("JSON"),
        "{broken_error}"
    );
    let huge_error = files[2]["errors"][0]["message"].as_str().unwrap();
    assert!(huge_error.contains("over the import limit"), "{huge_error}");
    assert!(
        huge_error.contains(&(2u64 << 30).to_string()),
        "{huge_error}"
    );

    let synthea_counts = count_bundle(&synthea);
    assert_eq!(counts_of(&files[0]), synthea_counts);
    let synthea_total: u64 = synthea_counts.values().sum();
    assert_eq!(files[0]["new_entries"], synthea_total);
    let ccda_counts = counts_of(&files[3]);
    assert!(ccda_counts.values().sum::<u64>() > 10, "{:#}", files[3]);

    let records = folio_json(&["records", "--profile", &profile, "--json"]);
    let mut expected = synthea_counts.clone();
    for (ty, n) in &ccda_counts {
        *expected.entry(ty.clone()).or_default() += n;
    }
    assert_eq!(record_entries(&records), expected);
    assert_eq!(
        records["entries"].as_u64().unwrap(),
        expected.values().sum::<u64>()
    );
    let items = records["records"].as_array().unwrap();
    assert_eq!(records["items"].as_u64().unwrap(), items.len() as u64);
    let synthea_name = synthea.file_name().unwrap().to_str().unwrap();
    let patient = items
        .iter()
        .find(|i| i["resource_type"] == "Patient" && i["sources"][0]["file"] == synthea_name)
        .expect("the Synthea patient");
    assert_eq!(patient["sources"].as_array().unwrap().len(), 1);

    // The type filter.
    let observations = folio_json(&[
        "records",
        "--profile",
        &profile,
        "--type",
        "Observation",
        "--json",
    ]);
    assert_eq!(
        record_entries(&observations),
        BTreeMap::from([("Observation".to_owned(), expected["Observation"])])
    );

    // Again: nothing new, nothing uploaded, the record unchanged.
    let again = folio_json(&[
        "import",
        "--profile",
        &profile,
        "--json",
        s(&synthea),
        s(&ccda),
    ]);
    for file in again["files"].as_array().unwrap() {
        assert_eq!(file["status"], "already_imported", "{file:#}");
        assert_eq!(file["new_entries"], 0);
        assert_eq!(file["segments"], 0);
    }
    assert_eq!(again["totals"]["already_imported"], 2);
    let text = folio(&["import", "--profile", &profile, s(&ccda)]);
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).contains("already imported"));
    assert_eq!(
        folio_json(&["records", "--profile", &profile, "--json"]),
        records
    );
}

#[test]
fn the_same_patient_from_two_sources_is_merged_with_both_sources() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let profile = new_account(&server, dir.path());
    let ccda = ccda_file();

    let a = folio_json(&[
        "import",
        "--profile",
        &profile,
        "--source",
        "Clinic A",
        "--json",
        s(&ccda),
    ]);
    assert_eq!(a["files"][0]["status"], "imported");
    let after_a = folio_json(&["records", "--profile", &profile, "--json"]);
    let b = folio_json(&[
        "import",
        "--profile",
        &profile,
        "--source",
        "Clinic B",
        "--json",
        s(&ccda),
    ]);
    assert_eq!(
        b["files"][0]["status"], "imported",
        "another provider's copy is new entries"
    );
    let after_b = folio_json(&["records", "--profile", &profile, "--json"]);

    // Every entry is kept, once per source...
    let entries_a = record_entries(&after_a);
    let entries_b = record_entries(&after_b);
    for (ty, n) in &entries_a {
        assert_eq!(entries_b[ty], 2 * n, "{ty}");
    }
    // ...and the clinical facts show once, with both sources.
    let items = after_b["records"].as_array().unwrap();
    let mut merged = 0;
    for kind in ["condition", "medication", "allergy"] {
        let of_kind: Vec<&Value> = items.iter().filter(|i| i["kind"] == kind).collect();
        let before = after_a["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == kind)
            .count();
        if before > 0 {
            assert!(
                of_kind.len() < 2 * before,
                "{kind}s merge across the two sources"
            );
        }
        for item in of_kind {
            if item["code"].is_null() {
                continue;
            }
            let providers: Vec<&str> = item["sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["provider"].as_str().unwrap())
                .collect();
            assert_eq!(providers.len(), 2, "{item:#}");
            assert!(providers.contains(&"Clinic A") && providers.contains(&"Clinic B"));
            assert_eq!(item["entries"].as_array().unwrap().len() % 2, 0, "{item:#}");
            merged += 1;
        }
    }
    assert!(
        merged > 0,
        "some conditions, medications or allergies merged"
    );
}
