//! `folio records` and `folio drop-set-aside` on a record that a manager caregiver wrote
//! random bytes into, with the real binary against a running `folio serve`: the record
//! opens with everything else and lists what was set aside and who appears to have written
//! it; a caregiver cannot drop it, the owner can; `folio care revoke` rotates around it.

use folio_server::cli::profile::Profile;
use folio_server::cli::vault_access::unlock_account;
use folio_shared::keys::SigningKey;
use folio_shared::vault::{SealedSegment, VaultId};
use serde_json::{Value, json};

mod common;

use common::{failure, folio, folio_json, serve};

/// Magic, version, vault id, epoch and recipient fingerprint: the envelope before the age
/// file's length.
const HEADER_BEFORE_LENGTH: usize = 8 + 1 + 16 + 4 + 8;

fn account(server: &str, profile: &str) {
    folio_json(&[
        "account",
        "create",
        "--server",
        server,
        "--profile",
        profile,
        "--json",
    ]);
}

/// As `profile` (with its own device token and signing key: a member's write, which the
/// server takes), uploads one well-framed segment of random bytes to `vault`, under the
/// header of the record's first segment. Returns its seq.
fn upload_random_bytes(profile: &str, vault: &str, upload_key: &str) -> i64 {
    let profile = Profile::load(std::path::Path::new(profile)).unwrap();
    let client = profile.client();
    let vault = VaultId(vault.parse().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let account = unlock_account(&client, &profile).await.unwrap();
        let client = client.signing_with(SigningKey::of_account(&account));
        let (log, _) = client.all_segments(vault).await.unwrap();
        let mut bytes = log[0].1.as_bytes()[..HEADER_BEFORE_LENGTH].to_vec();
        bytes.extend_from_slice(&16u32.to_be_bytes());
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        let segment = SealedSegment::from_bytes(bytes).expect("a well-framed segment");
        client
            .upload(vault, upload_key, &segment)
            .await
            .expect("the server takes a member's well-framed segment")
            .seq
    })
}

#[test]
fn records_lists_what_was_set_aside_the_owner_drops_it_and_revoke_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve();
    let profile = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (owner, manager) = (profile("owner.json"), profile("sam.json"));
    account(&server.url, &owner);
    account(&server.url, &manager);

    let record = dir.path().join("record.json");
    std::fs::write(
        &record,
        serde_json::to_vec(&json!({
            "resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Patient", "id": "p1",
                              "name": [{"family": "Lovelace", "given": ["Ada"]}]}},
                {"resource": {"resourceType": "AllergyIntolerance", "id": "a1",
                              "code": {"text": "Peanut"}}}
            ]
        }))
        .unwrap(),
    )
    .unwrap();
    let imported = folio_json(&[
        "import",
        "--profile",
        &owner,
        "--json",
        record.to_str().unwrap(),
    ]);
    let vault = imported["vault"].as_str().unwrap().to_owned();

    let invited = folio_json(&[
        "care",
        "invite",
        "--profile",
        &owner,
        "--role",
        "manager",
        "--name",
        "Sam",
        "--json",
    ]);
    let id = invited["id"].as_str().unwrap().to_owned();
    let link = invited["link"].as_str().unwrap();
    let accepted = folio_json(&["care", "accept", link, "--profile", &manager, "--json"]);
    let code = accepted["safety_code"].as_str().unwrap();
    folio_json(&[
        "care",
        "confirm",
        &id,
        "--profile",
        &owner,
        "--code",
        code,
        "--json",
    ]);

    let seq = upload_random_bytes(&manager, &vault, "random-bytes");

    // The record opens with everything else, and says what was set aside and by whom.
    let records = folio_json(&["records", "--profile", &owner, "--json"]);
    assert_eq!(
        records["types"]["AllergyIntolerance"]["entries"], 1,
        "{records:#}"
    );
    let set_aside = records["set_aside"].as_array().unwrap();
    assert_eq!(set_aside.len(), 1, "{records:#}");
    let part = &set_aside[0];
    assert_eq!(part["seq"], seq);
    assert_eq!(part["reason"], "damaged");
    assert_eq!(part["uploaded_by"]["name"], "Sam");
    assert_eq!(part["uploaded_by"]["is_reader"], false);
    assert!(part["uploaded_at"].is_string());
    let message = part["message"].as_str().unwrap();
    assert!(
        message.contains("appears to have come from Sam"),
        "{message}"
    );
    // For a person: one line per part, with who, when and why.
    let text = folio(&["records", "--profile", &owner]);
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("  - ")).collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].contains("Sam") && lines[0].contains("damaged"),
        "{text}"
    );

    // Only the owner may drop it.
    let refused = failure(&[
        "drop-set-aside",
        "--profile",
        &manager,
        "--vault",
        &vault,
        "--json",
    ]);
    assert!(refused.contains("removing the parts"), "{refused}");
    let dropped = folio_json(&["drop-set-aside", "--profile", &owner, "--json"]);
    assert_eq!(
        dropped["dropped"].as_array().unwrap().len(),
        1,
        "{dropped:#}"
    );
    assert_eq!(dropped["dropped"][0]["seq"], seq);
    let clean: Value = folio_json(&["records", "--profile", &owner, "--json"]);
    assert_eq!(clean["set_aside"], json!([]));
    assert_eq!(clean["types"]["AllergyIntolerance"]["entries"], 1);
    let again = folio_json(&["drop-set-aside", "--profile", &owner, "--json"]);
    assert_eq!(again["dropped"], json!([]));

    // Random bytes again; removing the manager rotates the key around them.
    upload_random_bytes(&manager, &vault, "random-bytes-again");
    let revoked = folio_json(&["care", "revoke", &id, "--profile", &owner, "--json"]);
    assert_eq!(revoked["epoch"], 2, "{revoked:#}");
    let rotated = folio_json(&["records", "--profile", &owner, "--json"]);
    assert_eq!(rotated["set_aside"], json!([]));
    assert_eq!(rotated["types"]["AllergyIntolerance"]["entries"], 1);
}
