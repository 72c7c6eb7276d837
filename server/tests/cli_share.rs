//! `folio share` as a patient and a clinician run it: the real binary against a running
//! `folio serve` that logs at debug level. The patient imports a record and shares it with
//! a passcode, the clinician opens the link, the patient reads the log and revokes it; then
//! neither the server's files nor its log output hold the link key, the passcode or the
//! link.

use std::path::Path;

use folio_shared::shl::ShareLinkPayload;
use serde_json::json;

mod common;

use common::{failure, folio, folio_json, serve_logging_to};

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn share_open_log_revoke_and_no_secret_reaches_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_logging_to(dir.path());
    let profile = dir.path().join("patient.json");
    let profile = profile.to_str().unwrap();
    folio_json(&[
        "account",
        "create",
        "--server",
        &server.url,
        "--profile",
        profile,
        "--json",
    ]);

    let allergy = format!("Peanut-{}", uuid::Uuid::new_v4().simple());
    let record = dir.path().join("record.json");
    std::fs::write(
        &record,
        serde_json::to_vec(&json!({
            "resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Patient", "id": "p1",
                              "name": [{"family": "Lovelace", "given": ["Ada"]}],
                              "birthDate": "1970-01-01"}},
                {"resource": {"resourceType": "AllergyIntolerance", "id": "a1",
                              "code": {"text": allergy},
                              "patient": {"reference": "Patient/p1"}}}
            ]
        }))
        .unwrap(),
    )
    .unwrap();
    folio_json(&[
        "import",
        "--profile",
        profile,
        "--source",
        "Riverside Clinic",
        "--json",
        record.to_str().unwrap(),
    ]);

    let passcode = format!("pass-{}", uuid::Uuid::new_v4().simple());
    let created = folio_json(&[
        "share",
        "create",
        "--profile",
        profile,
        "--categories",
        "allergies",
        "--expires",
        "1h",
        "--passcode",
        &passcode,
        "--label",
        "For Dr Test",
        "--json",
    ]);
    let id = created["id"].as_str().unwrap().to_owned();
    let link = created["link"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{}/view#shlink:/", server.url)),
        "{link}"
    );
    let payload = ShareLinkPayload::parse(&link).unwrap();
    assert!(payload.flags.passcode);
    assert_eq!(created["categories"], json!({"allergies": 1}));

    let needs = failure(&["share", "open", &link, "--recipient", "Dr Test"]);
    assert!(needs.contains("passcode"), "{needs}");
    let wrong = failure(&[
        "share",
        "open",
        &link,
        "--recipient",
        "Dr Guess",
        "--passcode",
        "not-it",
    ]);
    assert!(wrong.contains("4 attempts left"), "{wrong}");

    let opened = folio_json(&[
        "share",
        "open",
        &link,
        "--recipient",
        "Dr Test",
        "--passcode",
        &passcode,
        "--json",
    ]);
    let bundle = &opened[0]["content"];
    assert_eq!(bundle["resourceType"], "Bundle");
    let text = bundle.to_string();
    assert!(text.contains(&allergy), "the allergy is shared: {text}");
    assert!(text.contains("AllergyIntolerance"));

    let log = folio_json(&["share", "log", &id, "--profile", profile, "--json"]);
    assert_eq!(log["chain_valid"], true);
    let seen: Vec<(String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["recipient"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("Dr Guess".to_owned(), "wrong_passcode".to_owned()),
            ("Dr Test".to_owned(), "opened".to_owned()),
        ]
    );
    let list = folio_json(&["share", "list", "--profile", profile, "--json"]);
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["opens"], 1);
    assert_eq!(list[0]["attempts_left"], 4);

    let revoke = folio(&["share", "revoke", &id, "--profile", profile]);
    assert!(revoke.status.success());
    let after = failure(&[
        "share",
        "open",
        &link,
        "--recipient",
        "Dr Test",
        "--passcode",
        &passcode,
    ]);
    assert!(after.contains("revoked or expired"), "{after}");

    // What the server kept and what it logged, at debug level.
    let mut stored = Vec::new();
    for file in walk(server.data.path()) {
        stored.extend(std::fs::read(file).unwrap_or_default());
    }
    let logged = std::fs::read(server.log.as_ref().expect("a log file")).unwrap();
    assert!(
        contains(&logged, b"DEBUG"),
        "the server logged at debug level"
    );
    assert!(
        contains(&stored, b"$argon2id$"),
        "the scan reads the database"
    );
    let key = payload.key.to_base64url();
    let link_id = payload.url.rsplit('/').next().unwrap().to_owned();
    let encoded = payload.encode();
    for (what, secret) in [
        ("the link key", key.as_str()),
        ("the passcode", passcode.as_str()),
        ("the shlink payload", encoded.trim_start_matches("shlink:/")),
        ("the link id", link_id.as_str()),
        ("the record", allergy.as_str()),
    ] {
        assert!(
            !contains(&stored, secret.as_bytes()),
            "{what} is in the server's files"
        );
        assert!(
            !contains(&logged, secret.as_bytes()),
            "{what} is in the server's log"
        );
    }
}
