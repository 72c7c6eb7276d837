//! `folio account devices` and `folio account revoke-device` as people run them: the real
//! binary against a running `folio serve`. A patient with a second device (a copy of the
//! profile signed in again) revokes it: it is signed out, the account has new keys and a new
//! recovery code, the record was given a new key and still opens, and more can be imported.
//! A caregiver who revokes one of their devices keeps reading the record they help with, and
//! the owner's client accepts their new keys in the record's member list.

use std::path::Path;

use serde_json::{Value, json};

mod common;

use common::{create_account, failure, folio_json, serve};

fn write_bundle(path: &Path, allergy: &str) {
    std::fs::write(
        path,
        serde_json::to_vec(&json!({
            "resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Patient", "id": "p1",
                              "name": [{"family": "Lovelace", "given": ["Ada"]}]}},
                {"resource": {"resourceType": "AllergyIntolerance", "id": allergy,
                              "code": {"text": allergy},
                              "patient": {"reference": "Patient/p1"}}}
            ]
        }))
        .unwrap(),
    )
    .unwrap();
}

/// A second device of the account in `profile`: a copy of the profile signed in again,
/// then the original signed in again too (signing in replaces a profile's device). The two
/// share one software passkey, so the original takes the copy's counter first: a counter
/// that goes back is refused as a cloned passkey.
fn second_device(profile: &str, copy: &str) -> String {
    std::fs::copy(profile, copy).unwrap();
    folio_json(&["account", "login", "--profile", copy, "--json"]);
    let copied: Value = serde_json::from_slice(&std::fs::read(copy).unwrap()).unwrap();
    let mut original: Value = serde_json::from_slice(&std::fs::read(profile).unwrap()).unwrap();
    original["passkey"] = copied["passkey"].clone();
    std::fs::write(profile, serde_json::to_vec(&original).unwrap()).unwrap();
    folio_json(&["account", "login", "--profile", profile, "--json"]);
    copied["device"]["id"].as_str().unwrap().to_owned()
}

fn allergies(profile: &str, vault: Option<&str>) -> Value {
    let mut args = vec!["records", "--profile", profile, "--json"];
    if let Some(vault) = vault {
        args.extend(["--vault", vault]);
    }
    folio_json(&args)["types"]["AllergyIntolerance"]["entries"].clone()
}

#[test]
fn a_revoked_device_is_signed_out_and_the_record_gets_new_keys() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve();
    let phone = dir.path().join("phone.json");
    let phone = phone.to_str().unwrap();
    let laptop = dir.path().join("laptop.json");
    let laptop = laptop.to_str().unwrap();
    let created = create_account(&server, phone);
    let first = dir.path().join("first.json");
    write_bundle(&first, "Peanut");
    let imported = folio_json(&[
        "import",
        "--profile",
        phone,
        "--json",
        first.to_str().unwrap(),
    ]);
    let vault = imported["vault"].as_str().unwrap().to_owned();
    let lost = second_device(phone, laptop);

    let devices = folio_json(&["account", "devices", "--profile", phone, "--json"]);
    let devices = devices.as_array().unwrap();
    assert_eq!(devices.len(), 2, "{devices:?}");
    assert!(
        devices
            .iter()
            .any(|d| d["id"] == lost.as_str() && d["current"] == false)
    );

    let own = devices.iter().find(|d| d["current"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = failure(&["account", "revoke-device", &own, "--profile", phone]);
    assert!(refused.contains("this profile's own device"), "{refused}");
    let unknown = uuid::Uuid::new_v4().to_string();
    let refused = failure(&["account", "revoke-device", &unknown, "--profile", phone]);
    assert!(refused.contains("no device"), "{refused}");

    let revoked = folio_json(&[
        "account",
        "revoke-device",
        &lost,
        "--profile",
        phone,
        "--json",
    ]);
    assert_eq!(revoked["revoked_device"], lost.as_str());
    assert_eq!(revoked["devices_signed_out"], 1);
    assert_eq!(revoked["records_rekeyed"], json!([vault]));
    assert_eq!(revoked["records_due"], json!([]));
    let code = revoked["recovery_code"].as_str().unwrap();
    assert_eq!(code.len(), 41, "{code}");
    assert_ne!(code, created["recovery_code"].as_str().unwrap());

    // The revoked device reads nothing; this one reads the record and adds to it.
    let stopped = failure(&["records", "--profile", laptop, "--json"]);
    assert!(
        stopped.contains("401") || stopped.contains("signed in"),
        "{stopped}"
    );
    assert_eq!(allergies(phone, None), 1);
    let second = dir.path().join("second.json");
    write_bundle(&second, "Penicillin");
    folio_json(&[
        "import",
        "--profile",
        phone,
        "--json",
        second.to_str().unwrap(),
    ]);
    assert_eq!(allergies(phone, None), 2);
    let me = folio_json(&["account", "whoami", "--profile", phone, "--json"]);
    assert_eq!(me["account_id"], created["account_id"]);

    let text = folio_text(&["account", "devices", "--profile", phone]);
    assert!(text.contains("(this profile)"), "{text}");
}

#[test]
fn a_caregiver_who_revokes_a_device_keeps_helping_and_the_owner_accepts_their_new_keys() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve();
    let owner = dir.path().join("owner.json");
    let owner = owner.to_str().unwrap();
    let carer = dir.path().join("carer.json");
    let carer = carer.to_str().unwrap();
    let carer_tablet = dir.path().join("carer-tablet.json");
    let carer_tablet = carer_tablet.to_str().unwrap();
    create_account(&server, owner);
    create_account(&server, carer);
    let record = dir.path().join("record.json");
    write_bundle(&record, "Peanut");
    let imported = folio_json(&[
        "import",
        "--profile",
        owner,
        "--json",
        record.to_str().unwrap(),
    ]);
    let vault = imported["vault"].as_str().unwrap().to_owned();

    let invited = folio_json(&[
        "care",
        "invite",
        "--profile",
        owner,
        "--role",
        "manager",
        "--name",
        "Sam",
        "--json",
    ]);
    let id = invited["id"].as_str().unwrap().to_owned();
    let link = invited["link"].as_str().unwrap().to_owned();
    let accepted = folio_json(&["care", "accept", &link, "--profile", carer, "--json"]);
    let code = accepted["safety_code"].as_str().unwrap().to_owned();
    folio_json(&[
        "care",
        "confirm",
        &id,
        "--profile",
        owner,
        "--code",
        &code,
        "--json",
    ]);
    assert_eq!(allergies(carer, Some(&vault)), 1);

    let lost = second_device(carer, carer_tablet);
    let revoked = folio_json(&[
        "account",
        "revoke-device",
        &lost,
        "--profile",
        carer,
        "--json",
    ]);
    assert_eq!(
        revoked["records_rekeyed"],
        json!([]),
        "the caregiver owns no record"
    );

    // The caregiver still reads and writes the record with the new keys; the owner's client
    // verifies the caregiver's new-keys entry and what they wrote with them.
    assert_eq!(allergies(carer, Some(&vault)), 1);
    let more = dir.path().join("more.json");
    write_bundle(&more, "Latex");
    folio_json(&[
        "import",
        "--profile",
        carer,
        "--vault",
        &vault,
        "--json",
        more.to_str().unwrap(),
    ]);
    assert_eq!(allergies(owner, None), 2);
    let records = folio_json(&["records", "--profile", owner, "--json"]);
    assert_eq!(records["set_aside"], json!([]), "{records:#}");
    failure(&[
        "records",
        "--profile",
        carer_tablet,
        "--vault",
        &vault,
        "--json",
    ]);

    // The owner is told, in the record's activity log, and asked to rotate its key.
    let saved: Value = serde_json::from_slice(&std::fs::read(owner).unwrap()).unwrap();
    let token = saved["device"]["token"].as_str().unwrap().to_owned();
    let url = format!("{}/api/v1/vaults/{vault}/activity", server.url);
    let activity: Vec<Value> = tokio::runtime::Runtime::new().unwrap().block_on(async {
        reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert!(
        activity.iter().any(|event| event["actor"] == "Sam"
            && event["action"] == "replaced their keys"
            && event["detail"]
                .as_str()
                .unwrap()
                .contains("rotate this record's key")),
        "{activity:#?}"
    );
}

/// Runs a verb without `--json` that must succeed; its standard output.
fn folio_text(args: &[&str]) -> String {
    let output = common::folio(args);
    assert!(output.status.success(), "folio {args:?} failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
