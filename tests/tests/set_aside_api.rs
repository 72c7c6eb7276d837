//! One bad write cannot break a record, on SQLite and PostgreSQL: a manager caregiver
//! uploads a well-framed segment of random bytes, which the server accepts and records as
//! theirs; the owner's client (the code `folio records` uses) opens everything else, names
//! the manager as its apparent writer, drops it, and a key rotation then succeeds.

use folio_server::storage::entity::segment;
use folio_shared::api::care::{CaregiverStatus, CreateInvitation};
use folio_shared::care::{Role, SafetyCode, wrap_for_caregiver};
use folio_shared::keys::AccountRecipient;
use folio_shared::record::EntryId;
use folio_shared::vault::{SealedSegment, SetAsideReason, Uploader, VaultId};
use folio_tests::vault_fixture::{Patient, marked_record};
use folio_tests::{Engine, TestServer, on_every_engine};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

on_every_engine!(a_managers_random_bytes_are_set_aside_dropped_and_rotated_past);

/// Magic, version, vault id, epoch and recipient fingerprint: the envelope before the age
/// file's length.
const HEADER_BEFORE_LENGTH: usize = 8 + 1 + 16 + 4 + 8;

/// `good`'s envelope header, so the server takes it, around 16 random bytes of "age file".
fn random_bytes_segment(good: &SealedSegment) -> Vec<u8> {
    let mut bytes = good.as_bytes()[..HEADER_BEFORE_LENGTH].to_vec();
    bytes.extend_from_slice(&16u32.to_be_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes
}

/// `caregiver` joins `owner`'s record as a manager named `name`.
async fn join_as_manager(owner: &Patient, caregiver: &Patient, name: &str) {
    let vault = owner.vault_id;
    owner.confirm().await;
    let invited = owner
        .client
        .invite(
            vault,
            &CreateInvitation {
                role: Role::Manager,
                name: name.into(),
                ends_at: None,
                emergency_wait_hours: None,
            },
        )
        .await
        .unwrap();
    let accepted = caregiver
        .client
        .accept_invitation(&invited.link)
        .await
        .unwrap();
    let told_owner: AccountRecipient = accepted.owner_recipient.parse().unwrap();
    let code = SafetyCode::derive(vault, &told_owner, &caregiver.account.recipient(), None);
    let listed = owner.client.caregivers(vault).await.unwrap();
    let entry = listed.iter().find(|c| c.id == invited.id).unwrap();
    let confirmation = wrap_for_caregiver(
        &owner.keyring_from_server().await,
        &owner.account.recipient(),
        entry.recipient.as_deref().unwrap(),
        entry.signing_key.as_ref(),
        &code.to_string(),
    )
    .unwrap();
    let confirmed = owner
        .client
        .confirm_caregiver(vault, invited.id, &confirmation)
        .await
        .unwrap();
    assert_eq!(confirmed.status, CaregiverStatus::Active);
}

async fn a_managers_random_bytes_are_set_aside_dropped_and_rotated_past(engine: Engine) {
    let server = TestServer::start(engine).await;
    let owner = Patient::sign_up(&server).await;
    owner.upload_marker("before").await;
    let manager = Patient::sign_up(&server).await;
    join_as_manager(&owner, &manager, "Sam").await;
    let vault: VaultId = owner.vault_id;

    // The manager's ordinary device token, the vault's real header, random bytes inside.
    let good = owner
        .sealer()
        .seal(&marked_record("x", "X"))
        .unwrap()
        .remove(0);
    let uploaded = manager
        .client
        .upload_raw(vault, "random-bytes", random_bytes_segment(&good))
        .await
        .expect("the server cannot tell random bytes from a sealed segment");
    owner.upload_marker("after").await;

    // The server recorded who uploaded it.
    let row = segment::Entity::find()
        .filter(segment::Column::VaultId.eq(vault.0))
        .filter(segment::Column::Seq.eq(uploaded.seq))
        .one(server.server().storage().db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.uploaded_by, Some(manager.account_id));
    let origins = owner
        .client
        .segment_origins(vault, &[uploaded.seq])
        .await
        .unwrap();
    assert_eq!(origins.len(), 1);
    assert_eq!(origins[0].uploaded_by, Some(manager.account_id));

    // The owner opens everything else and is told who appears to have written the rest.
    let keyring = owner.keyring_from_server().await;
    let opened = owner.client.open_record(vault, &keyring).await.unwrap();
    // Both markers write the same observation: it reads "after" only if the segments after
    // the bad one were applied.
    let observation = opened
        .contents
        .get(&EntryId("Observation/o1".into()))
        .expect("the record opened with its observation");
    assert_eq!(observation.resource["code"]["text"], "after");
    assert!(opened.contents.get(&EntryId("Patient/p1".into())).is_some());
    assert_eq!(opened.set_aside.len(), 1);
    let part = &opened.set_aside[0];
    assert_eq!(part.seq, Some(uploaded.seq));
    assert_eq!(part.reason, SetAsideReason::Damaged);
    assert_eq!(
        part.uploaded_by,
        Some(Uploader {
            account_id: manager.account_id,
            name: Some("Sam".into()),
            is_reader: false,
        })
    );
    assert!(part.sentence().contains("appears to have come from Sam"));

    // A manager may not drop it: only the owner rewrites the record.
    let managers_keyring = manager_keyring(&manager, vault).await;
    let refused = manager
        .client
        .drop_set_aside(vault, &managers_keyring)
        .await;
    assert!(refused.is_err(), "a manager cannot compact the record");

    // The owner drops it; the record then opens clean, with everything else.
    let dropped = owner.client.drop_set_aside(vault, &keyring).await.unwrap();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].seq, Some(uploaded.seq));
    let reopened = owner.client.open_record(vault, &keyring).await.unwrap();
    assert!(reopened.set_aside.is_empty());
    assert!(reopened.contents.iter().eq(opened.contents.iter()));
    assert!(
        owner
            .client
            .drop_set_aside(vault, &keyring)
            .await
            .unwrap()
            .is_empty(),
        "nothing left to drop"
    );

    // The manager writes random bytes again; removing them rotates around it.
    manager
        .client
        .upload_raw(vault, "random-bytes-again", random_bytes_segment(&good))
        .await
        .unwrap();
    let sam = owner
        .client
        .caregivers(vault)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.account_id == Some(manager.account_id))
        .unwrap();
    owner.client.remove_caregiver(vault, sam.id).await.unwrap();
    let rotated = owner
        .client
        .rotate_key(vault, &owner.account, &keyring)
        .await
        .expect("the rotation works around what does not open");
    assert_eq!(rotated.current().epoch().0, 2);
    let after_rotation = owner.client.open_record(vault, &rotated).await.unwrap();
    assert!(after_rotation.set_aside.is_empty());
    assert!(after_rotation.contents.iter().eq(opened.contents.iter()));
}

async fn manager_keyring(manager: &Patient, vault: VaultId) -> folio_shared::vault::VaultKeyring {
    let keys = manager.client.keys(vault).await.unwrap();
    let (epoch, wrapped) = &keys[0];
    let identity = wrapped
        .unwrap_vault(&manager.account, folio_shared::keys::KeyEpoch(*epoch))
        .unwrap();
    folio_shared::vault::VaultKeyring::new(vault, identity)
}
