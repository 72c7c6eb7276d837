//! The vault crypto in a browser: key wrapping, recovery codes, and sealing, run by
//! `wasm-bindgen-test-runner` in headless Chromium (see the crate's test commands).

#![cfg(target_arch = "wasm32")]

use chrono::DateTime;
use folio_shared::keys::{
    AccountIdentity, DeviceKey, KeyEpoch, KeyError, RecoveryCode, RecoveryCodeError, Unlocker,
    VaultIdentity,
};
use folio_shared::record::{Entry, EntryId, Op, Source};
use folio_shared::vault::{SealedSegment, Sealer, SegmentError, VaultId, VaultKeyring};
use serde_json::json;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn account_and_vault_keys_wrap_and_unwrap() {
    let account = AccountIdentity::generate();
    for unlocker in [
        Unlocker::from_passkey_prf(&[3; 32]),
        Unlocker::from_device_key(&DeviceKey::generate()),
        Unlocker::from_recovery_code(&RecoveryCode::generate()),
    ] {
        let wrapped = account.wrap_to(&unlocker.recipient());
        let unwrapped = wrapped.unwrap_account(&unlocker).unwrap();
        assert_eq!(unwrapped.recipient(), account.recipient());
    }
    let vault = VaultIdentity::generate(KeyEpoch(2));
    let wrapped = vault.wrap_to(&account.recipient());
    assert_eq!(
        wrapped
            .unwrap_vault(&account, KeyEpoch(2))
            .unwrap()
            .recipient(),
        vault.recipient()
    );
    assert_eq!(
        wrapped.unwrap_vault(&account, KeyEpoch(3)).unwrap_err(),
        KeyError::WrongEpoch {
            expected: KeyEpoch(3),
            found: KeyEpoch(2)
        }
    );
}

#[wasm_bindgen_test]
fn passkey_derivation_matches_native() {
    // The same vector the native unit tests pin: browser and CLI derive the same key.
    assert_eq!(
        Unlocker::from_passkey_prf(&[0; 32]).recipient().to_string(),
        "age1cttj8u5mxt86m4m7trk7qhgmkcnfdn5ne7nqwqk53p6lq4xgm4hsffwdgq"
    );
}

#[wasm_bindgen_test]
fn recovery_codes_round_trip_and_catch_typos() {
    let code = RecoveryCode::generate();
    let text = code.to_string();
    assert_eq!(text.to_lowercase().parse::<RecoveryCode>().unwrap(), code);
    let mut typo: Vec<char> = text.chars().collect();
    typo[13] = if typo[13] == 'A' { 'B' } else { 'A' };
    assert_eq!(
        typo.into_iter().collect::<String>().parse::<RecoveryCode>(),
        Err(RecoveryCodeError::BadGroup { group: 3 })
    );
}

#[wasm_bindgen_test]
fn segments_seal_and_open() {
    let vault = VaultId::generate();
    let identity = VaultIdentity::generate(KeyEpoch::FIRST);
    let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let entries: Vec<Entry> = (0..50)
        .map(|i| Entry {
            id: EntryId(format!("Observation/{i}")),
            op: Op::Put {
                resource: json!({"resourceType": "Observation", "id": i.to_string()}),
                source: Source {
                    provider: Some("Clinic".into()),
                    retrieved_at: at,
                    ..Source::default()
                },
            },
            at,
        })
        .collect();
    let segments = Sealer::for_identity(vault, &identity)
        .with_segment_limit(256)
        .seal(&entries)
        .unwrap();
    assert!(segments.len() > 1);
    let keyring = VaultKeyring::new(vault, identity);
    let contents = keyring.open(&segments);
    assert_eq!(contents.len(), 50);

    let mut bytes = segments[0].as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let altered = SealedSegment::from_bytes(bytes).unwrap();
    assert_eq!(
        keyring.open([&altered]).set_aside()[0].error,
        SegmentError::Tampered
    );
}
