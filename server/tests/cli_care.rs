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
