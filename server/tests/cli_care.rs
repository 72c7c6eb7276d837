//! `folio care` as two people run it: the real binary against a running `folio serve`. The
//! owner imports a record and invites a viewer; the caregiver accepts and reads out the
//! safety code; a wrong code is refused and shares nothing; the right one confirms, and the
//! caregiver reads the record with `--vault`; the owner removes them, the key is rotated,
//! and the caregiver reads nothing more.

use serde_json::{Value, json};

mod common;

use common::{failure, folio_json, serve};

fn account(server: &str, profile: &str) -> Value {
    folio_json(&[
        "account",
        "create",
        "--server",
        server,
        "--profile",
        profile,
        "--json",
    ])
}

#[test]
fn invite_accept_compare_confirm_read_then_revoke_and_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve();
    let owner = dir.path().join("owner.json");
    let owner = owner.to_str().unwrap();
    let carer = dir.path().join("carer.json");
    let carer = carer.to_str().unwrap();
    account(&server.url, owner);
    account(&server.url, carer);

    let record = dir.path().join("record.json");
    std::fs::write(
        &record,
        serde_json::to_vec(&json!({
            "resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Patient", "id": "p1",
                              "name": [{"family": "Lovelace", "given": ["Ada"]}]}},
                {"resource": {"resourceType": "AllergyIntolerance", "id": "a1",
                              "code": {"text": "Peanut"},
                              "patient": {"reference": "Patient/p1"}}}
            ]
        }))
        .unwrap(),
    )
    .unwrap();
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
        "viewer",
        "--name",
        "Sam",
        "--json",
    ]);
    let id = invited["id"].as_str().unwrap().to_owned();
    let link = invited["link"].as_str().unwrap().to_owned();
    assert_eq!(invited["role"], "viewer");

    let accepted = folio_json(&["care", "accept", &link, "--profile", carer, "--json"]);
    assert_eq!(accepted["vault_id"], vault.as_str());
    let code = accepted["safety_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 35, "{code}");

    // Before confirmation the caregiver cannot open the record.
    failure(&["records", "--profile", carer, "--vault", &vault, "--json"]);
    // A code that is not the one on the caregiver's screen is refused, and shares nothing.
    let wrong: String = code
        .chars()
        .map(|c| match c {
            '0' => '1',
            d if d.is_ascii_digit() => '0',
            other => other,
        })
        .collect();
    let refused = failure(&[
        "care",
        "confirm",
        &id,
        "--profile",
        owner,
        "--code",
        &wrong,
        "--json",
    ]);
    assert!(refused.contains("safety codes differ"), "{refused}");
    let listed = folio_json(&["care", "list", "--profile", owner, "--json"]);
    assert_eq!(listed["caregivers"][0]["status"], "awaiting_confirmation");
    // The caregiver's own list shows the same code.
    let theirs = folio_json(&["care", "list", "--profile", carer, "--json"]);
    assert_eq!(theirs["helping_with"][0]["safety_code"], code.as_str());

    let confirmed = folio_json(&[
        "care",
        "confirm",
        &id,
        "--profile",
        owner,
        "--code",
        &code,
        "--json",
    ]);
    assert_eq!(confirmed["status"], "active");
    let records = folio_json(&["records", "--profile", carer, "--vault", &vault, "--json"]);
    assert_eq!(
        records["types"]["AllergyIntolerance"]["entries"], 1,
        "{records:#}"
    );

    let revoked = folio_json(&["care", "revoke", &id, "--profile", owner, "--json"]);
    assert_eq!(revoked["epoch"], 2);
    assert_eq!(revoked["caregiver"]["status"], "revoked");
    failure(&["records", "--profile", carer, "--vault", &vault, "--json"]);
    // The owner still reads everything under the new key.
    let own = folio_json(&["records", "--profile", owner, "--json"]);
    assert_eq!(own["types"]["AllergyIntolerance"]["entries"], 1, "{own:#}");
    // Revoking again, with the rotation done, says so.
    let again = failure(&["care", "revoke", &id, "--profile", owner, "--json"]);
    assert!(again.contains("rotated since"), "{again}");
}

/// A collection Bundle of `resources` in `dir`, for imports.
fn bundle_file(dir: &std::path::Path, name: &str, resources: &[Value]) -> String {
    let path = dir.join(name);
    let entries: Vec<Value> = resources.iter().map(|r| json!({"resource": r})).collect();
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({
            "resourceType": "Bundle", "type": "collection", "entry": entries
        }))
        .unwrap(),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

/// `owner` invites `carer` with these `invite` flags, `carer` accepts, `owner` confirms by
/// the code; returns the caregiver id.
fn join(owner: &str, carer: &str, invite: &[&str]) -> String {
    let mut args = vec!["care", "invite", "--profile", owner, "--json"];
    args.extend_from_slice(invite);
    let invited = folio_json(&args);
    let id = invited["id"].as_str().unwrap().to_owned();
    let link = invited["link"].as_str().unwrap().to_owned();
    let accepted = folio_json(&["care", "accept", &link, "--profile", carer, "--json"]);
    let code = accepted["safety_code"].as_str().unwrap().to_owned();
    let vault = accepted["vault_id"].as_str().unwrap().to_owned();
    folio_json(&[
        "care",
        "confirm",
        &id,
        "--profile",
        owner,
        "--vault",
        &vault,
        "--code",
        &code,
        "--json",
    ]);
    id
}

#[test]
fn a_manager_imports_and_shares_with_vault_and_an_emergency_contact_asks_and_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve();
    let profile = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (owner, manager, contact) = (
        profile("owner.json"),
        profile("dan.json"),
        profile("eve.json"),
    );
    for p in [&owner, &manager, &contact] {
        account(&server.url, p);
    }
    let allergy = bundle_file(
        dir.path(),
        "allergy.json",
        &[
            json!({"resourceType": "Patient", "id": "p1", "name": [{"family": "Lovelace"}]}),
            json!({"resourceType": "AllergyIntolerance", "id": "a1", "code": {"text": "Peanut"}}),
        ],
    );
    let imported = folio_json(&["import", "--profile", &owner, "--json", &allergy]);
    let vault = imported["vault"].as_str().unwrap().to_owned();

    // A manager imports into the owner's record and shares from it, with --vault.
    join(&owner, &manager, &["--role", "manager", "--name", "Dan"]);
    let condition = bundle_file(
        dir.path(),
        "condition.json",
        &[json!({"resourceType": "Condition", "id": "c1", "code": {"text": "Asthma"}})],
    );
    let added = folio_json(&[
        "import",
        "--profile",
        &manager,
        "--vault",
        &vault,
        "--source",
        "City Clinic",
        "--json",
        &condition,
    ]);
    assert_eq!(added["vault"], vault.as_str());
    assert_eq!(added["totals"]["new_entries"], 1, "{added:#}");
    let shared = folio_json(&[
        "share",
        "create",
        "--profile",
        &manager,
        "--vault",
        &vault,
        "--json",
    ]);
    assert!(
        shared["shlink"].as_str().unwrap().starts_with("shlink:/"),
        "{shared:#}"
    );
    let own = folio_json(&["records", "--profile", &owner, "--json"]);
    assert_eq!(
        own["types"]["Condition"]["entries"], 1,
        "the owner sees it: {own:#}"
    );

    // An emergency contact stands by, asks, and the owner refuses within the wait.
    let cid = join(
        &owner,
        &contact,
        &[
            "--role",
            "viewer",
            "--name",
            "Eve",
            "--emergency-wait-hours",
            "48",
        ],
    );
    failure(&[
        "records",
        "--profile",
        &contact,
        "--vault",
        &vault,
        "--json",
    ]);
    let standing = folio_json(&["care", "list", "--profile", &contact, "--json"]);
    let membership = &standing["helping_with"][0];
    assert_eq!(membership["status"], "standby", "{standing:#}");
    let mid = membership["id"].as_str().unwrap().to_owned();
    let asked = folio_json(&[
        "care",
        "request-access",
        &mid,
        "--profile",
        &contact,
        "--json",
    ]);
    assert_eq!(asked["status"], "access_requested", "{asked:#}");
    failure(&[
        "records",
        "--profile",
        &contact,
        "--vault",
        &vault,
        "--json",
    ]);
    let refused = folio_json(&["care", "refuse", &cid, "--profile", &owner, "--json"]);
    assert_eq!(refused["status"], "standby", "{refused:#}");
    let again = failure(&["care", "refuse", &cid, "--profile", &owner, "--json"]);
    assert!(!again.is_empty());
}

#[test]
fn a_parent_makes_a_dependants_record_imports_into_it_and_hands_it_over() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve();
    let profile = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (parent, child) = (profile("parent.json"), profile("child.json"));
    account(&server.url, &parent);
    account(&server.url, &child);

    let made = folio_json(&["care", "dependant", "--profile", &parent, "--json"]);
    let vault = made["vault"].as_str().unwrap().to_owned();
    let vaccine = bundle_file(
        dir.path(),
        "vaccine.json",
        &[
            json!({"resourceType": "Immunization", "id": "i1", "status": "completed",
               "vaccineCode": {"text": "MMR"}, "occurrenceDateTime": "2020-05-01"}),
        ],
    );
    folio_json(&[
        "import",
        "--profile",
        &parent,
        "--vault",
        &vault,
        "--json",
        &vaccine,
    ]);

    join(
        &parent,
        &child,
        &["--role", "owner", "--vault", &vault, "--name", "Kim"],
    );
    // The child's own record is now that one; the parent reads it as a manager.
    let theirs = folio_json(&["records", "--profile", &child, "--json"]);
    assert_eq!(theirs["types"]["Immunization"]["entries"], 1, "{theirs:#}");
    let kept = folio_json(&["records", "--profile", &parent, "--vault", &vault, "--json"]);
    assert_eq!(kept["types"]["Immunization"]["entries"], 1, "{kept:#}");
}
