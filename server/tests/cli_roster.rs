//! `folio records` on a record whose member list the owner started (here by the test, as no
//! client starts one yet), with the real binary against a running `folio serve`: segments no
//! member signed are set aside, the list's head is pinned in the profile, and once the
//! server's database loses the newest entry the command refuses the record.

use base64::Engine as _;
use folio_server::cli::profile::Profile;
use folio_shared::api::roster::{AccountSigningKey, RosterAppendRequest};
use folio_shared::care::Role;
use folio_shared::keys::{AccountRecipient, KeyEpoch, SigningKey, VaultRecipient};
use folio_shared::roster::{Member, RosterAppend, RosterChange};
use folio_shared::vault::VaultId;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

mod common;

use common::{create_account, failure, folio_json, serve};

#[test]
fn records_sets_aside_unsigned_parts_and_refuses_a_rolled_back_member_list() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve();
    let profile = dir.path().join("owner.json");
    let profile = profile.to_str().unwrap();
    create_account(&server, profile);

    let record = dir.path().join("record.json");
    std::fs::write(
        &record,
        serde_json::to_vec(&json!({
            "resourceType": "Bundle", "type": "collection", "entry": [
                {"resource": {"resourceType": "Patient", "id": "p1",
                              "name": [{"family": "Lovelace", "given": ["Ada"]}]}}
            ]
        }))
        .unwrap(),
    )
    .unwrap();
    let imported = folio_json(&[
        "import",
        "--profile",
        profile,
        "--json",
        record.to_str().unwrap(),
    ]);
    let vault = VaultId(imported["vault"].as_str().unwrap().parse().unwrap());
    let before = folio_json(&["records", "--profile", profile, "--json"]);
    assert_eq!(before["set_aside"], json!([]), "written before signing");

    // The owner's list: their key, the record's first key epoch. Public material only.
    let loaded = Profile::load(std::path::Path::new(profile)).unwrap();
    assert!(loaded.roster_heads.is_empty());
    let client = loaded.client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = SigningKey::generate();
    let whoami = folio_json(&["account", "whoami", "--profile", profile, "--json"]);
    let account_recipient: AccountRecipient = whoami["account_recipient"]
        .as_str()
        .expect("the account's recipient")
        .parse()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let token = &loaded.device.token;
        let registered = http
            .put(format!("{}/api/v1/account/signing-key", server.url))
            .bearer_auth(token)
            .json(&AccountSigningKey {
                public_key: key.public_key(),
                wrapped_key: base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(key.wrap_to(&account_recipient).as_bytes()),
            })
            .send()
            .await
            .unwrap();
        assert!(registered.status().is_success(), "{}", registered.status());
        let summary = client.vault(vault).await.unwrap();
        let vault_recipient: VaultRecipient = summary.recipient.parse().unwrap();
        let owner = Member {
            account: loaded.account_id,
            name: "Ada".into(),
            role: Role::Owner,
            signing_key: key.public_key(),
            recipient: account_recipient.clone(),
        };
        let at = chrono::Utc::now();
        let mut append = RosterAppend::genesis(vault, &key, owner, at).unwrap();
        append
            .push(
                RosterChange::NewEpoch {
                    epoch: KeyEpoch::FIRST,
                    vault_recipient,
                },
                at,
            )
            .unwrap();
        let appended = http
            .post(format!("{}/api/v1/vaults/{}/roster", server.url, vault.0))
            .bearer_auth(token)
            .json(&RosterAppendRequest {
                after: 0,
                entries: append.finish().1,
            })
            .send()
            .await
            .unwrap();
        assert!(appended.status().is_success(), "{}", appended.status());
    });

    // What the import wrote is not signed: set aside, and said so.
    let records = folio_json(&["records", "--profile", profile, "--json"]);
    let set_aside = records["set_aside"].as_array().unwrap();
    assert!(!set_aside.is_empty(), "{records:#}");
    assert!(
        set_aside
            .iter()
            .all(|part| part["reason"] == "not_from_a_member"),
        "{records:#}"
    );
    let pinned = Profile::load(std::path::Path::new(profile)).unwrap();
    assert_eq!(pinned.roster_heads[&vault.0].seq, 2, "the head is kept");

    // The server's database loses the newest entry: the pinned profile refuses the list.
    runtime.block_on(async {
        let db = Database::connect(format!(
            "sqlite://{}",
            server.data.path().join("folio.db").display()
        ))
        .await
        .unwrap();
        // This server holds one record.
        db.execute_unprepared("DELETE FROM roster_entries WHERE seq = 2")
            .await
            .unwrap();
    });
    let refused = failure(&["records", "--profile", profile, "--json"]);
    assert!(
        refused.contains("rolled back to an older version"),
        "{refused}"
    );
    assert!(!refused.contains("panicked"), "{refused}");
}
