//! `folio import` compares each file's patient with the record's: a file about someone
//! else is refused by default (nothing written, the command fails after the other files),
//! goes into a record of its own (`folio care dependant`, then `--vault`), or is taken
//! as the same person with `--patient-mismatch allow`. On the Synthea sample data.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;

use common::{RunningServer, create_account, folio, folio_json, serve};

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

/// A man born 1963-10-05.
fn riojas() -> PathBuf {
    data("fhir-r4/synthea/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json")
}

/// A woman born 1965-04-07.
fn turner() -> PathBuf {
    data("fhir-r4/synthea/Catherine_Turner_fa4fbf0c-f581-41f2-889b-f3769e57681d.json")
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn new_account(server: &RunningServer, dir: &Path) -> String {
    let profile = dir.join("profile.json");
    create_account(server, s(&profile));
    profile.to_str().unwrap().to_owned()
}

/// Runs `folio import … --json`: whether it succeeded, and its JSON.
fn import(args: &[&str]) -> (bool, Value, String) {
    let mut all = vec!["import", "--json"];
    all.extend_from_slice(args);
    let output = folio(&all);
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "folio import {args:?} printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), json, stderr)
}

fn records(profile: &str, vault: Option<&str>) -> Value {
    let mut args = vec!["records", "--profile", profile, "--json"];
    if let Some(vault) = vault {
        args.extend(["--vault", vault]);
    }
    folio_json(&args)
}

#[test]
fn a_file_about_someone_else_is_refused_kept_apart_or_taken_on_request() {
    let server = serve();
    let dir = tempfile::tempdir().unwrap();
    let profile = new_account(&server, dir.path());

    let (ok, first, _) = import(&["--profile", &profile, s(&riojas())]);
    assert!(ok, "{first:#}");
    let file = &first["files"][0];
    assert_eq!(file["patient_match"], "first");
    assert_eq!(file["patient"]["name"], "Alejandro Riojas");
    assert_eq!(file["patient"]["birth_date"], "1963-10-05");
    assert_eq!(file["patient"]["sex"], "male");
    let own = first["vault"].as_str().unwrap().to_owned();
    let before = records(&profile, None);
    assert_eq!(before["patient"]["name"], "Alejandro Riojas");

    // Refused by default, after the file before it imported (already there: matched).
    let (ok, refused, stderr) = import(&["--profile", &profile, s(&riojas()), s(&turner())]);
    assert!(!ok, "a refused file fails the command");
    let files = refused["files"].as_array().unwrap();
    assert_eq!(files[0]["status"], "already_imported");
    assert_eq!(files[0]["patient_match"], "matched");
    assert_eq!(files[1]["status"], "failed");
    assert_eq!(files[1]["patient_match"], "mismatch");
    assert_eq!(files[1]["patient"]["name"], "Catherine Turner");
    assert_eq!(files[1]["patient"]["birth_date"], "1965-04-07");
    assert_eq!(files[1]["new_entries"], 0);
    assert_eq!(files[1]["segments"], 0);
    let message = files[1]["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("Catherine Turner") && message.contains("Alejandro Riojas"),
        "{message}"
    );
    assert_eq!(refused["totals"]["failed"], 1);
    assert_eq!(refused["totals"]["patient_mismatches"], 1);
    assert!(
        stderr.contains("--patient-mismatch allow") && stderr.contains("folio care dependant"),
        "{stderr}"
    );
    assert_eq!(records(&profile, None), before, "the record is unchanged");

    // The human report says who the file is about and how to go on.
    let text = folio(&["import", "--profile", &profile, s(&turner())]);
    assert!(!text.status.success());
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("REFUSED"), "{out}");
    assert!(
        out.contains("Catherine Turner, born 1965-04-07, female"),
        "{out}"
    );
    assert!(out.contains("--patient-mismatch allow"), "{out}");
    assert!(out.contains("folio care dependant"), "{out}");
    assert!(out.contains("1 failed (1 about someone else)"), "{out}");
    assert_eq!(records(&profile, None), before);

    // Into a record of her own.
    let made = folio_json(&["care", "dependant", "--profile", &profile, "--json"]);
    let hers = made["vault"].as_str().unwrap().to_owned();
    let (ok, kept_apart, _) = import(&["--profile", &profile, "--vault", &hers, s(&turner())]);
    assert!(ok, "{kept_apart:#}");
    assert_eq!(kept_apart["vault"], hers.as_str());
    assert_eq!(kept_apart["files"][0]["status"], "imported");
    assert_eq!(kept_apart["files"][0]["patient_match"], "first");
    let her_record = records(&profile, Some(&hers));
    assert_eq!(her_record["patient"]["name"], "Catherine Turner");
    assert_eq!(
        her_record["entries"], kept_apart["totals"]["new_entries"],
        "her record holds her file"
    );
    assert_eq!(
        records(&profile, Some(&own)),
        before,
        "his record is unchanged"
    );

    // Or taken as the same person, when the patient says so.
    let (ok, taken, _) = import(&[
        "--profile",
        &profile,
        "--patient-mismatch",
        "allow",
        s(&turner()),
    ]);
    assert!(ok, "{taken:#}");
    assert_eq!(taken["files"][0]["status"], "imported");
    assert_eq!(taken["files"][0]["patient_match"], "mismatch");
    let after = records(&profile, None);
    assert_eq!(
        after["entries"].as_u64().unwrap(),
        before["entries"].as_u64().unwrap() + taken["totals"]["new_entries"].as_u64().unwrap()
    );
    // Once taken, the same file is in the record: importing it again is not asked about.
    let (ok, again, _) = import(&["--profile", &profile, s(&turner())]);
    assert!(ok, "{again:#}");
    assert_eq!(again["files"][0]["status"], "already_imported");
    assert_eq!(again["files"][0]["patient_match"], "matched");
}

#[test]
fn a_bad_patient_mismatch_value_is_refused_with_the_choices() {
    let output = folio(&[
        "import",
        "--profile",
        "unused.json",
        "--patient-mismatch",
        "maybe",
        "x.json",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refuse") && stderr.contains("allow"),
        "{stderr}"
    );
}
