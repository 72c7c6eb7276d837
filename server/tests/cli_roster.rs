//! `folio records` on a record whose member list the owner started (here by the test, as no
//! client starts one yet), with the real binary against a running `folio serve`: what the
//! CLI imported is signed with the account's key and stays, an older client's unsigned
//! upload is set aside, the list's head is pinned in the profile, and once the server's
//! database loses the newest entry the command refuses the record.

use folio_server::cli::profile::Profile;
use folio_server::cli::vault_access::{VaultAccess, unlock_account};
use folio_shared::api::roster::RosterAppendRequest;
use folio_shared::care::Role;
use folio_shared::keys::{KeyEpoch, SigningKey, VaultRecipient};
use folio_shared::record::{Entry, EntryId, Op, Source};
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

    // The owner's list: their account's own key, the record's first key epoch.
    let loaded = Profile::load(std::path::Path::new(profile)).unwrap();
    assert!(loaded.roster_heads.is_empty());
    let client = loaded.client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let account = unlock_account(&client, &loaded).await.unwrap();
        let key = SigningKey::of_account(&account);
        let unlock = client.account_unlock().await.unwrap();
        assert_eq!(
            unlock.signing_key.map(|k| k.public_key),
            Some(key.public_key()),
            "the import registered the account's signing key"
        );
        // An older client's upload, before the list: not signed.
        let summary = client.vault(vault).await.unwrap();
        let access = VaultAccess::open(&loaded, Some(vault), false)
            .await
            .unwrap();
        let allergy = Entry {
            id: EntryId("AllergyIntolerance/old-client".into()),
            op: Op::Put {
                resource: json!({
                    "resourceType": "AllergyIntolerance", "id": "old-client",
                    "code": {"text": "Penicillin"},
                    "patient": {"reference": "Patient/p1"}
                }),
                source: Source::default(),
            },
            at: chrono::Utc::now(),
        };
        let unsigned = access.sealer().seal(&[allergy]).unwrap().remove(0);
        client
            .upload_raw(vault, "older-client", unsigned.as_bytes().to_vec())
            .await
            .unwrap();

        let vault_recipient: VaultRecipient = summary.recipient.parse().unwrap();
        let owner = Member {
            account: loaded.account_id,
            name: "Ada".into(),
            role: Role::Owner,
            signing_key: key.public_key(),
            recipient: account.recipient(),
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
        let appended = reqwest::Client::new()
            .post(format!("{}/api/v1/vaults/{}/roster", server.url, vault.0))
            .bearer_auth(&loaded.device.token)
            .json(&RosterAppendRequest {
                after: 0,
                entries: append.finish().1,
            })
            .send()
            .await
            .unwrap();
        assert!(appended.status().is_success(), "{}", appended.status());
    });

    // The import was signed by the owner and stays; the older client's upload is set aside,
    // and said so.
    let records = folio_json(&["records", "--profile", profile, "--json"]);
    let set_aside = records["set_aside"].as_array().unwrap();
    assert_eq!(set_aside.len(), 1, "{records:#}");
    assert_eq!(set_aside[0]["reason"], "not_from_a_member", "{records:#}");
    assert_eq!(records["patient"]["name"], "Ada Lovelace", "{records:#}");
    assert_eq!(records["entries"], before["entries"], "{records:#}");
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
