//! Revoking a device replaces the account's keys (issue #21), on SQLite and PostgreSQL: the
//! server takes a replacement only with a fresh proof, only when it covers every record key
//! the account holds and every member list that names it, and all of it in one step; the
//! revoked device is signed out, the old identity opens nothing made afterwards, and its
//! signing key signs nothing the member list accepts at the next epoch.

use chrono::Utc;
use folio_server::client::VaultClient;
use folio_shared::account_keys::{KeptUnlockers, ReplacedAccountKeys, replace_account_keys};
use folio_shared::api::account_keys::AccountKeyRotation;
use folio_shared::api::roster::{encode_write_signature, write_headers};
use folio_shared::keys::{DeviceKey, KeyEpoch, SigningKey, Unlocker};
use folio_shared::roster::{Roster, WriteKind, WriteStatement, sign_write};
use folio_shared::vault::Sealer;
use folio_tests::vault_fixture::{Patient, marked_record};
use folio_tests::{Engine, TestServer, on_every_engine};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

on_every_engine!(
    revoking_a_device_gives_the_account_new_keys_and_the_old_ones_open_nothing_new,
    a_replacement_must_cover_every_key_and_member_list_and_lands_whole_or_not_at_all,
);

/// A patient with a signed member list, one signed entry, and a second device (the one that
/// is lost), whose id and token are returned.
async fn patient_with_a_lost_device(server: &TestServer) -> (Patient, Roster, Uuid, String) {
    let mut patient = Patient::sign_up(server).await;
    patient.start_signing().await;
    let keyring = patient.keyring_from_server().await;
    let roster = patient
        .client
        .start_member_list(
            patient.vault_id,
            &patient.account,
            patient.account_id,
            &keyring,
            true,
        )
        .await
        .unwrap()
        .expect("a new record's list starts at once");
    patient.upload_marker("before-the-loss").await;
    let (lost, token) = folio_server::storage::devices::add_device(
        server.server().storage().db(),
        patient.account_id,
        "the lost phone",
        &Unlocker::from_device_key(&DeviceKey::generate())
            .recipient()
            .to_string(),
    )
    .await
    .unwrap();
    (patient, roster, lost, token.0)
}

/// The replacement the calling device (`this_device`) asks for.
async fn replacement(
    patient: &Patient,
    roster: &Roster,
    this_device: &Unlocker,
    revoke: Uuid,
) -> ReplacedAccountKeys {
    let held = patient.client.held_vault_keys().await.unwrap();
    replace_account_keys(
        patient.account_id,
        &patient.account,
        &held,
        std::slice::from_ref(roster),
        KeptUnlockers {
            passkey: None,
            device: Some(this_device),
        },
        Some(revoke),
        Utc::now(),
    )
    .unwrap()
}

async fn send(
    server: &TestServer,
    token: &str,
    request: &AccountKeyRotation,
) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/api/v1/account/key-rotations"))
        .bearer_auth(token)
        .json(request)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn revoking_a_device_gives_the_account_new_keys_and_the_old_ones_open_nothing_new(
    engine: Engine,
) {
    let server = TestServer::start(engine).await;
    let (patient, roster, lost, lost_token) = patient_with_a_lost_device(&server).await;
    let this_device = Unlocker::from_device_key(&DeviceKey::generate());
    let replaced = replacement(&patient, &roster, &this_device, lost).await;

    let (status, body) = send(&server, &patient.token, &replaced.request).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a device token alone: {body}"
    );
    assert_eq!(body["action"], "revoke_device", "{body}");

    let old_code = patient.recovery.clone().unwrap();
    patient.confirm().await;
    let rotated = patient
        .client
        .rotate_account_keys(&replaced.request)
        .await
        .unwrap();
    assert_eq!(rotated.devices_signed_out, 1);
    assert_eq!(rotated.vault_keys, 1);
    assert_eq!(rotated.member_lists, 1);
    assert_eq!(rotated.rotation_due, vec![patient.vault_id.0]);

    // The lost device is signed out, and the old recovery code no longer proves anything.
    let lost_client = VaultClient::new(server.base_url.clone(), lost_token);
    assert_eq!(
        lost_client.account().await.unwrap_err().status(),
        Some(StatusCode::UNAUTHORIZED)
    );
    assert!(
        patient
            .client
            .fresh_proof_with_recovery_code(&old_code.sign_in_verifier())
            .await
            .is_err(),
        "the old recovery code still proves"
    );
    patient
        .client
        .fresh_proof_with_recovery_code(&replaced.recovery_code.sign_in_verifier())
        .await
        .expect("the new recovery code proves");

    // Every way in opens the new identity; the server holds its new public halves.
    let unlock = patient.client.account_unlock().await.unwrap();
    assert_eq!(
        unlock.account_recipient,
        replaced.identity.recipient().to_string()
    );
    assert_eq!(
        unlock.signing_key.unwrap().public_key,
        replaced.signing_key.public_key()
    );
    let device_wrap = folio_tests::passkey_account::unwrap(&unlock.device.unwrap(), &this_device);
    assert_eq!(device_wrap.recipient(), replaced.identity.recipient());
    let code_wrap = folio_tests::passkey_account::unwrap(
        &unlock.recovery.unwrap(),
        &Unlocker::from_recovery_code(&replaced.recovery_code),
    );
    assert_eq!(code_wrap.recipient(), replaced.identity.recipient());

    // The record's key now opens with the new identity only.
    let held = patient.client.held_vault_keys().await.unwrap();
    assert_eq!(held.len(), 1);
    held[0]
        .wrapped
        .unwrap_vault(&replaced.identity, KeyEpoch::FIRST)
        .expect("the new identity opens the record's key");
    assert!(
        held[0]
            .wrapped
            .unwrap_vault(&patient.account, KeyEpoch::FIRST)
            .is_err()
    );

    // The member list names the new keys, after the entry the old key signed.
    let list = patient
        .client
        .checked_roster(patient.vault_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(list.head().seq, roster.head().seq + 1);
    let me = list.member(patient.account_id).unwrap();
    assert_eq!(me.signing_key, replaced.signing_key.public_key());
    assert_eq!(me.recipient, replaced.identity.recipient());

    // Nothing more is sealed to the key the lost device could open, until it is rotated.
    let client = patient
        .client
        .clone()
        .signing_with(replaced.signing_key.clone());
    let late = Sealer::for_identity(patient.vault_id, &patient.vault_key)
        .seal(&marked_record("sealed to the old key", "Martha"))
        .unwrap()
        .remove(0);
    assert_eq!(
        client
            .upload(patient.vault_id, "late", &late)
            .await
            .unwrap_err()
            .status(),
        Some(StatusCode::CONFLICT)
    );
    let keyring = {
        let mut keyring = folio_shared::vault::VaultKeyring::new(
            patient.vault_id,
            held[0]
                .wrapped
                .unwrap_vault(&replaced.identity, KeyEpoch::FIRST)
                .unwrap(),
        );
        keyring.insert(patient.vault_key.clone());
        keyring
    };
    let rotated_ring = client
        .rotate_key(patient.vault_id, &replaced.identity, &keyring)
        .await
        .expect("the owner rotates the record's key with the new keys");
    let new_key = rotated_ring.current().clone();
    assert_eq!(new_key.epoch(), KeyEpoch(2));

    // The old identity cannot open the new key; the old signing key writes nothing there.
    let keys = client.keys(patient.vault_id).await.unwrap();
    let (_, newest) = keys.iter().find(|(epoch, _)| *epoch == 2).unwrap();
    assert!(newest.unwrap_vault(&patient.account, KeyEpoch(2)).is_err());
    newest
        .unwrap_vault(&replaced.identity, KeyEpoch(2))
        .unwrap();
    let list = client
        .checked_roster(patient.vault_id)
        .await
        .unwrap()
        .unwrap();
    let old_key = SigningKey::of_account(&patient.account);
    assert!(
        list.may_write(&old_key.public_key(), KeyEpoch(2), WriteKind::Segment)
            .is_err(),
        "the old signing key may still write at the new epoch"
    );
    assert!(
        list.may_write(
            &replaced.signing_key.public_key(),
            KeyEpoch(2),
            WriteKind::Segment
        )
        .is_ok()
    );
    let forged = Sealer::for_identity(patient.vault_id, &new_key)
        .seal(&marked_record("written with the stolen key", "Martha"))
        .unwrap()
        .remove(0);
    let statement = WriteStatement::for_ciphertext(
        patient.vault_id,
        KeyEpoch(2),
        WriteKind::Segment,
        forged.as_bytes(),
    );
    let response = reqwest::Client::new()
        .put(server.url(&format!(
            "/api/v1/vaults/{}/segments/forged",
            patient.vault_id.0
        )))
        .bearer_auth(&patient.token)
        .header("content-type", "application/octet-stream")
        .header(
            write_headers::WRITE_SIGNATURE,
            encode_write_signature(&sign_write(&old_key, &statement)),
        )
        .body(forged.as_bytes().to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn a_replacement_must_cover_every_key_and_member_list_and_lands_whole_or_not_at_all(
    engine: Engine,
) {
    let server = TestServer::start(engine).await;
    let (patient, roster, lost, lost_token) = patient_with_a_lost_device(&server).await;
    let this_device = Unlocker::from_device_key(&DeviceKey::generate());
    let replaced = replacement(&patient, &roster, &this_device, lost).await;
    let before = patient.client.account_unlock().await.unwrap();
    patient.confirm().await;

    let mut missing_key = replaced.request.clone();
    missing_key.vault_keys.clear();
    let (status, body) = send(&server, &patient.token, &missing_key).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("record keys"),
        "{body}"
    );

    let mut missing_list = replaced.request.clone();
    missing_list.member_lists.clear();
    let (status, body) = send(&server, &patient.token, &missing_list).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("member list"),
        "{body}"
    );

    // An entry signed with a key the server does not hold for the account.
    let mut foreign_entry = replaced.request.clone();
    let stranger = SigningKey::generate();
    let entry = folio_shared::roster::RosterEntry {
        vault: patient.vault_id,
        seq: roster.head().seq + 1,
        prev: roster.head().hash,
        at: Utc::now(),
        change: folio_shared::roster::RosterChange::MemberKeys {
            account: patient.account_id,
            signing_key: replaced.signing_key.public_key(),
            recipient: replaced.identity.recipient(),
        },
    };
    foreign_entry.member_lists[0].entry = entry.sign(&stranger);
    let (status, body) = send(&server, &patient.token, &foreign_entry).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let mut without_own_wrap = replaced.request.clone();
    without_own_wrap.device_wrapped_key = None;
    let (status, body) = send(&server, &patient.token, &without_own_wrap).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let mut unknown_device = replaced.request.clone();
    unknown_device.revoke_device = Some(Uuid::new_v4());
    let (status, body) = send(&server, &patient.token, &unknown_device).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // None of the refused requests changed anything.
    assert_eq!(patient.client.account_unlock().await.unwrap(), before);
    let lost_client = VaultClient::new(server.base_url.clone(), lost_token);
    lost_client
        .account()
        .await
        .expect("the device is still signed in");

    let (status, body) = send(&server, &patient.token, &replaced.request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same request again rotates from keys the account no longer has.
    let (status, body) = send(&server, &patient.token, &replaced.request).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}
