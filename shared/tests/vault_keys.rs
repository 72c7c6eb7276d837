//! The key hierarchy: wrapping and unwrapping along every path, and each refusal.

// Native only: the browser runs the same paths through tests/vault_wasm.rs.
#![cfg(not(target_arch = "wasm32"))]

use folio_shared::keys::{
    AccountIdentity, AccountRecipient, DeviceKey, KeyEpoch, KeyError, RecoveryCode, Unlocker,
    UnlockerKind, VaultIdentity, VaultRecipient, WrappedKey,
};

fn unlockers() -> Vec<Unlocker> {
    vec![
        Unlocker::from_passkey_prf(&[42; 32]),
        Unlocker::from_device_key(&DeviceKey::generate()),
        Unlocker::from_recovery_code(&RecoveryCode::generate()),
    ]
}

#[test]
fn each_unlocker_recovers_the_account_key() {
    let account = AccountIdentity::generate();
    for unlocker in unlockers() {
        let wrapped = account.wrap_to(&unlocker.recipient());
        let unwrapped = wrapped.unwrap_account(&unlocker).unwrap();
        assert_eq!(unwrapped.recipient(), account.recipient());
    }
}

#[test]
fn derived_unlockers_are_reproducible_from_their_inputs() {
    let account = AccountIdentity::generate();
    let code = RecoveryCode::generate();
    let wrapped = account.wrap_to(&Unlocker::from_recovery_code(&code).recipient());
    // What the user types back, in a different case and spacing, is enough.
    let typed: RecoveryCode = code
        .to_string()
        .to_lowercase()
        .replace('-', " ")
        .parse()
        .unwrap();
    let unwrapped = wrapped
        .unwrap_account(&Unlocker::from_recovery_code(&typed))
        .unwrap();
    assert_eq!(unwrapped.recipient(), account.recipient());

    let prf = [9; 32];
    let wrapped = account.wrap_to(&Unlocker::from_passkey_prf(&prf).recipient());
    let unwrapped = wrapped
        .unwrap_account(&Unlocker::from_passkey_prf(&prf))
        .unwrap();
    assert_eq!(unwrapped.recipient(), account.recipient());
}

#[test]
fn recovery_code_derivation_matches_an_independent_implementation() {
    // The all-zero code; its recipient was computed with Python's `cryptography`
    // (HKDF-SHA256 over the 28 symbol values, X25519) and a reference Bech32 encoder.
    let code: RecoveryCode = "00001-00002-00003-00004-00005-00006-00007".parse().unwrap();
    assert_eq!(
        Unlocker::from_recovery_code(&code).recipient().to_string(),
        "age1u22vs567ds68w0nmkfsnwvr0cw3mf88qgyxe9egdh2fulp5zeufqul0suw"
    );
}

#[test]
fn an_unlocker_the_key_was_not_wrapped_to_is_named() {
    let account = AccountIdentity::generate();
    let wrapped = account.wrap_to(&Unlocker::from_device_key(&DeviceKey::generate()).recipient());
    for other in unlockers() {
        assert_eq!(
            wrapped.unwrap_account(&other).unwrap_err(),
            KeyError::NotUnlockedBy(other.kind())
        );
    }
    assert_eq!(
        KeyError::NotUnlockedBy(UnlockerKind::RecoveryCode).to_string(),
        "this recovery code does not unlock this account key"
    );
}

#[test]
fn device_key_survives_its_storage_string() {
    let device = DeviceKey::generate();
    let stored = {
        use age::secrecy::ExposeSecret;
        device.to_secret_string().expose_secret().to_owned()
    };
    assert!(stored.starts_with("AGE-SECRET-KEY-1"));
    let restored: DeviceKey = stored.parse().unwrap();
    assert_eq!(
        Unlocker::from_device_key(&restored).recipient(),
        Unlocker::from_device_key(&device).recipient()
    );
    assert!(matches!(
        "AGE-SECRET-KEY-1XYZ".parse::<DeviceKey>(),
        Err(KeyError::InvalidSecretKey(_))
    ));
}

#[test]
fn vault_key_round_trips_with_its_epoch() {
    let member = AccountIdentity::generate();
    let vault = VaultIdentity::generate(KeyEpoch(3));
    let wrapped = vault.wrap_to(&member.recipient());
    let unwrapped = wrapped.unwrap_vault(&member, KeyEpoch(3)).unwrap();
    assert_eq!(unwrapped.epoch(), KeyEpoch(3));
    assert_eq!(unwrapped.recipient(), vault.recipient());
}

#[test]
fn a_stale_epoch_wrap_is_refused() {
    let member = AccountIdentity::generate();
    let old = VaultIdentity::generate(KeyEpoch::FIRST);
    let current = old.rotate();
    assert_eq!(current.epoch(), KeyEpoch(2));
    let stale = old.wrap_to(&member.recipient());
    assert_eq!(
        stale.unwrap_vault(&member, current.epoch()).unwrap_err(),
        KeyError::WrongEpoch {
            expected: KeyEpoch(2),
            found: KeyEpoch(1)
        }
    );
}

#[test]
fn a_non_member_cannot_unwrap_the_vault_key() {
    let vault = VaultIdentity::generate(KeyEpoch::FIRST);
    let wrapped = vault.wrap_to(&AccountIdentity::generate().recipient());
    assert_eq!(
        wrapped
            .unwrap_vault(&AccountIdentity::generate(), KeyEpoch::FIRST)
            .unwrap_err(),
        KeyError::NotAMember
    );
}

#[test]
fn an_altered_wrap_is_refused() {
    let member = AccountIdentity::generate();
    let wrapped = VaultIdentity::generate(KeyEpoch::FIRST).wrap_to(&member.recipient());
    let mut bytes = wrapped.into_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert_eq!(
        WrappedKey::from_bytes(bytes)
            .unwrap_vault(&member, KeyEpoch::FIRST)
            .unwrap_err(),
        KeyError::Tampered
    );
}

#[test]
fn a_cut_wrap_is_refused() {
    let unlocker = Unlocker::from_passkey_prf(&[1; 32]);
    let wrapped = AccountIdentity::generate().wrap_to(&unlocker.recipient());
    let bytes = wrapped.as_bytes();
    let mac_line = bytes.windows(4).position(|w| w == b"\n---").unwrap() + 1;
    let header_end = mac_line + bytes[mac_line..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let payload_start = header_end + 16; // after the stream nonce
    let unwrap_cut = |cut: usize| {
        WrappedKey::from_bytes(bytes[..cut].to_vec())
            .unwrap_account(&unlocker)
            .unwrap_err()
    };
    // Cut inside the header, or before the payload's only chunk: age sees the end of
    // the file where it needs more.
    assert_eq!(unwrap_cut(mac_line), KeyError::Truncated);
    assert_eq!(unwrap_cut(payload_start), KeyError::Truncated);
    // Cut inside the chunk: age authenticates chunks, not the file's length, so this
    // reads as an altered chunk. (Segments carry their length to tell the two apart.)
    assert_eq!(unwrap_cut(payload_start + 10), KeyError::Tampered);
}

#[test]
fn recipients_read_and_write_as_age_strings() {
    let account = AccountIdentity::generate();
    let text = account.recipient().to_string();
    assert!(text.starts_with("age1"));
    assert_eq!(
        text.parse::<AccountRecipient>().unwrap(),
        account.recipient()
    );
    let json = serde_json::to_string(&account.recipient()).unwrap();
    assert_eq!(json, format!("\"{text}\""));
    assert_eq!(
        serde_json::from_str::<AccountRecipient>(&json).unwrap(),
        account.recipient()
    );
    let vault = VaultIdentity::generate(KeyEpoch::FIRST).recipient();
    assert_eq!(vault.to_string().parse::<VaultRecipient>().unwrap(), vault);
    assert!(matches!(
        "age1notarecipient".parse::<VaultRecipient>(),
        Err(KeyError::InvalidRecipient(_))
    ));
    assert!(serde_json::from_str::<AccountRecipient>("\"nope\"").is_err());
}

#[test]
fn debug_output_never_shows_secrets() {
    let device = DeviceKey::generate();
    let secret = {
        use age::secrecy::ExposeSecret;
        device.to_secret_string().expose_secret().to_owned()
    };
    let code = RecoveryCode::generate();
    let shown = format!(
        "{device:?} {:?} {:?} {code:?}",
        AccountIdentity::generate(),
        VaultIdentity::generate(KeyEpoch::FIRST)
    );
    assert!(!shown.contains("AGE-SECRET-KEY"), "{shown}");
    assert!(!shown.contains(&secret));
    assert!(!shown.contains(&code.to_string()));
}
