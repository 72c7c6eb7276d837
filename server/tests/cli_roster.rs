//! The CLI keeps a record's member list, with the real binary against a running `folio
//! serve`: the first import starts it with the account's own key and pins it in the profile;
//! what the CLI imported is signed and stays; an entry the server writes into its own
//! database is set aside as not from a member; and once the database loses the list's
//! newest entry the command refuses the record.

use folio_server::cli::profile::Profile;
use folio_server::cli::vault_access::{VaultAccess, unlock_account};
use folio_server::storage::entity::{segment, vault};
use folio_shared::keys::SigningKey;
use folio_shared::record::{Entry, EntryId, Op, Source};
use folio_shared::vault::VaultId;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, EntityTrait, Set};
use serde_json::json;

mod common;

use common::{create_account, failure, folio_json, serve};

/// The running server's SQLite database, as whoever holds it can open it.
async fn database(server: &common::RunningServer) -> sea_orm::DatabaseConnection {
    Database::connect(format!(
        "sqlite://{}",
        server.data.path().join("folio.db").display()
    ))
    .await
    .unwrap()
}

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
    assert_eq!(before["set_aside"], json!([]));

    // The import started the record's member list, signed with the account's own key, and
    // the profile pinned it.
    let loaded = Profile::load(std::path::Path::new(profile)).unwrap();
    assert_eq!(
        loaded.roster_heads[&vault.0].seq, 2,
        "genesis and the first key"
    );
    let client = loaded.client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let account = unlock_account(&client, &loaded).await.unwrap();
        let roster = client.checked_roster(vault).await.unwrap().expect("a list");
        assert_eq!(
            roster.owner().signing_key,
            SigningKey::of_account(&account).public_key()
        );

        // Whoever holds the database adds an allergy of its own, sealed to the record's
        // public recipient: no member signed it.
        let access = VaultAccess::open(&loaded, Some(vault), false)
            .await
            .unwrap();
        let allergy = Entry {
            id: EntryId("AllergyIntolerance/from-the-server".into()),
            op: Op::Put {
                resource: json!({
                    "resourceType": "AllergyIntolerance", "id": "from-the-server",
                    "code": {"text": "Penicillin"},
                    "patient": {"reference": "Patient/p1"}
                }),
                source: Source::default(),
            },
            at: chrono::Utc::now(),
        };
        let forged = access.sealer().seal(&[allergy]).unwrap().remove(0);
        let db = database(&server).await;
        let stored = vault::Entity::find_by_id(vault.0)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        let seq = stored.last_seq + 1;
        segment::ActiveModel {
            vault_id: Set(vault.0),
            seq: Set(seq),
            epoch: Set(1),
            upload_key: Set("server".into()),
            digest: Set([
                uuid::Uuid::new_v4().into_bytes(),
                uuid::Uuid::new_v4().into_bytes(),
            ]
            .concat()),
            size: Set(forged.len() as i64),
            ciphertext: Set(forged.as_bytes().to_vec()),
            created_at: Set(chrono::Utc::now()),
            uploaded_by: Set(None),
            write_signature: Set(None),
        }
        .insert(&db)
        .await
        .unwrap();
        let mut bumped: vault::ActiveModel = stored.into();
        bumped.last_seq = Set(seq);
        bumped.update(&db).await.unwrap();
    });

    // What the CLI imported was signed by the owner and stays; the server's entry is set
    // aside, and said so.
    let records = folio_json(&["records", "--profile", profile, "--json"]);
    let set_aside = records["set_aside"].as_array().unwrap();
    assert_eq!(set_aside.len(), 1, "{records:#}");
    assert_eq!(set_aside[0]["reason"], "not_from_a_member", "{records:#}");
    assert_eq!(records["patient"]["name"], "Ada Lovelace", "{records:#}");
    assert_eq!(records["entries"], before["entries"], "{records:#}");

    // The server's database loses the newest entry: the pinned profile refuses the list.
    runtime.block_on(async {
        let db = database(&server).await;
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
