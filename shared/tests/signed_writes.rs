//! Signed writes: a segment, attachment, key wrap or compaction is accepted only with the
//! signature of a member who could make it at its epoch; and members' signing keys are
//! kept wrapped to their accounts.

// Native only: proptest does not build for wasm32 (as in vault_props.rs).
#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, Utc};
use folio_shared::care::Role;
use folio_shared::keys::{
    AccountIdentity, KeyEpoch, KeyError, SigningKey, SigningPublicKey, VaultIdentity,
};
use folio_shared::roster::{
    Member, Roster, RosterAppend, RosterChange, WRITE_STATEMENT_LEN, WriteError, WriteKind,
    WriteSignature, WriteStatement, sign_write, verify_write,
};
use folio_shared::vault::VaultId;
use proptest::prelude::*;
use uuid::Uuid;

fn member(key: &SigningKey, role: Role) -> Member {
    Member {
        account: Uuid::new_v4(),
        name: "someone".into(),
        role,
        signing_key: key.public_key(),
        recipient: AccountIdentity::generate().recipient(),
    }
}

fn now() -> DateTime<Utc> {
    "2026-12-01T09:00:00Z".parse().unwrap()
}

/// A record with an owner, a manager and a viewer at epoch 1.
struct Record {
    vault: VaultId,
    owner: SigningKey,
    manager: SigningKey,
    manager_account: Uuid,
    viewer: SigningKey,
    roster: Roster,
}

fn record() -> Record {
    let vault = VaultId::generate();
    let (owner, manager, viewer) = (
        SigningKey::generate(),
        SigningKey::generate(),
        SigningKey::generate(),
    );
    let manager_member = member(&manager, Role::Manager);
    let manager_account = manager_member.account;
    let mut append =
        RosterAppend::genesis(vault, &owner, member(&owner, Role::Owner), now()).unwrap();
    for change in [
        RosterChange::NewEpoch {
            epoch: KeyEpoch::FIRST,
            vault_recipient: VaultIdentity::generate(KeyEpoch::FIRST).recipient(),
        },
        RosterChange::AddMember(manager_member),
        RosterChange::AddMember(member(&viewer, Role::Viewer)),
    ] {
        append.push(change, now()).unwrap();
    }
    let (roster, _) = append.finish();
    Record {
        vault,
        owner,
        manager,
        manager_account,
        viewer,
        roster,
    }
}

fn segment(vault: VaultId, epoch: KeyEpoch) -> WriteStatement {
    WriteStatement::for_ciphertext(vault, epoch, WriteKind::Segment, b"an age file")
}

#[test]
fn a_signed_write_verifies_and_names_its_member() {
    let record = record();
    let statement = segment(record.vault, KeyEpoch::FIRST);
    let signature = sign_write(&record.manager, &statement);
    let member = verify_write(&record.roster, &statement, &signature).unwrap();
    assert_eq!(member.account, record.manager_account);
    assert_eq!(member.role, Role::Manager);
    let by_owner = sign_write(&record.owner, &statement);
    assert_eq!(
        verify_write(&record.roster, &statement, &by_owner)
            .unwrap()
            .role,
        Role::Owner
    );
}

#[test]
fn the_signed_bytes_have_the_documented_layout() {
    let vault = VaultId(Uuid::from_bytes([0x11; 16]));
    let statement = WriteStatement {
        vault,
        epoch: KeyEpoch(0x0102_0304),
        kind: WriteKind::KeyWrap,
        ciphertext_sha256: [0xAB; 32],
    };
    let bytes = statement.to_bytes();
    assert_eq!(bytes.len(), WRITE_STATEMENT_LEN);
    assert_eq!(&bytes[..15], b"folio write v1\0");
    assert_eq!(&bytes[15..31], &[0x11; 16]);
    assert_eq!(&bytes[31..35], &[1, 2, 3, 4]);
    assert_eq!(bytes[35], 3);
    assert_eq!(&bytes[36..], &[0xAB; 32]);
    assert_eq!(
        WriteStatement::for_ciphertext(vault, KeyEpoch(1), WriteKind::Segment, b"abc")
            .ciphertext_sha256[..4],
        // SHA-256("abc") begins ba7816bf.
        [0xba, 0x78, 0x16, 0xbf]
    );
}

#[test]
fn any_flipped_bit_of_the_statement_breaks_the_signature() {
    let record = record();
    let statement = segment(record.vault, KeyEpoch::FIRST);
    let signature = sign_write(&record.owner, &statement);
    let mut altered = Vec::new();
    for bit in 0..128 {
        let mut bytes = *record.vault.0.as_bytes();
        bytes[bit / 8] ^= 1 << (bit % 8);
        altered.push(WriteStatement {
            vault: VaultId(Uuid::from_bytes(bytes)),
            ..statement
        });
    }
    for bit in 0..32 {
        altered.push(WriteStatement {
            epoch: KeyEpoch(statement.epoch.0 ^ (1 << bit)),
            ..statement
        });
    }
    for kind in WriteKind::ALL.into_iter().filter(|k| *k != statement.kind) {
        altered.push(WriteStatement { kind, ..statement });
    }
    for bit in 0..256 {
        let mut hash = statement.ciphertext_sha256;
        hash[bit / 8] ^= 1 << (bit % 8);
        altered.push(WriteStatement {
            ciphertext_sha256: hash,
            ..statement
        });
    }
    for other in &altered {
        assert!(!signature.holds_for(other), "{other:?}");
        assert!(
            verify_write(&record.roster, other, &signature).is_err(),
            "{other:?}"
        );
    }
    // A changed hash keeps vault, epoch and kind, so only the signature catches it.
    let mut hash = statement.ciphertext_sha256;
    hash[0] ^= 1;
    let error = verify_write(
        &record.roster,
        &WriteStatement {
            ciphertext_sha256: hash,
            ..statement
        },
        &signature,
    )
    .unwrap_err();
    assert_eq!(error, WriteError::BadSignature);
    assert_eq!(
        error.to_string(),
        "this change was altered after it was signed"
    );
    // So does any flipped bit of the signature itself.
    for bit in 0..512 {
        let mut flipped = signature;
        flipped.signature[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(
            verify_write(&record.roster, &statement, &flipped),
            Err(WriteError::BadSignature),
            "bit {bit}"
        );
    }
}

#[test]
fn a_signature_from_a_non_member_is_refused() {
    let record = record();
    let statement = segment(record.vault, KeyEpoch::FIRST);
    let server = SigningKey::generate();
    let signature = sign_write(&server, &statement);
    assert!(signature.holds_for(&statement));
    let error = verify_write(&record.roster, &statement, &signature).unwrap_err();
    assert_eq!(error, WriteError::UnknownSigner);
    assert_eq!(
        error.to_string(),
        "this change was signed by someone who is not a member of the record"
    );
    // The server's signature presented as the owner's.
    let claimed = WriteSignature {
        signer: record.owner.public_key(),
        ..signature
    };
    assert_eq!(
        verify_write(&record.roster, &statement, &claimed),
        Err(WriteError::BadSignature)
    );
    // Another record's statement.
    let elsewhere = segment(VaultId::generate(), KeyEpoch::FIRST);
    assert_eq!(
        verify_write(
            &record.roster,
            &elsewhere,
            &sign_write(&record.owner, &elsewhere)
        ),
        Err(WriteError::WrongRecord)
    );
}

#[test]
fn each_role_signs_only_what_it_may_do() {
    let record = record();
    let sign = |key: &SigningKey, kind| {
        let statement =
            WriteStatement::for_ciphertext(record.vault, KeyEpoch::FIRST, kind, b"bytes");
        verify_write(&record.roster, &statement, &sign_write(key, &statement)).map(|_| ())
    };
    for kind in WriteKind::ALL {
        assert_eq!(sign(&record.owner, kind), Ok(()), "{kind:?}");
        assert_eq!(
            sign(&record.viewer, kind),
            Err(WriteError::NotAllowed),
            "{kind:?}"
        );
    }
    assert_eq!(sign(&record.manager, WriteKind::Segment), Ok(()));
    assert_eq!(sign(&record.manager, WriteKind::Attachment), Ok(()));
    assert_eq!(sign(&record.manager, WriteKind::KeyWrap), Ok(()));
    assert_eq!(
        sign(&record.manager, WriteKind::Compaction),
        Err(WriteError::NotAllowed)
    );
    // Nobody writes at an epoch the owner has not named.
    let ahead = segment(record.vault, KeyEpoch(2));
    assert_eq!(
        verify_write(&record.roster, &ahead, &sign_write(&record.owner, &ahead)),
        Err(WriteError::NotAllowed)
    );
}

#[test]
fn a_removed_member_signs_nothing_at_a_later_epoch() {
    let record = record();
    let mut append = RosterAppend::after(record.roster.clone(), &record.owner);
    append
        .push(
            RosterChange::RemoveMember {
                account: record.manager_account,
            },
            now(),
        )
        .unwrap();
    append
        .push(
            RosterChange::NewEpoch {
                epoch: KeyEpoch(2),
                vault_recipient: VaultIdentity::generate(KeyEpoch(2)).recipient(),
            },
            now(),
        )
        .unwrap();
    let roster = append.roster();
    let later = segment(record.vault, KeyEpoch(2));
    assert_eq!(
        verify_write(roster, &later, &sign_write(&record.manager, &later)),
        Err(WriteError::NotAllowed)
    );
    // What they wrote while they were a member still reads as theirs.
    let earlier = segment(record.vault, KeyEpoch::FIRST);
    let theirs = verify_write(roster, &earlier, &sign_write(&record.manager, &earlier)).unwrap();
    assert_eq!(theirs.account, record.manager_account);
    // The owner writes at the new epoch.
    verify_write(roster, &later, &sign_write(&record.owner, &later)).unwrap();
}

#[test]
fn a_signing_key_is_kept_wrapped_to_its_account() {
    let account = AccountIdentity::generate();
    let key = SigningKey::generate();
    let wrapped = key.wrap_to(&account.recipient());
    let back = SigningKey::unwrap(&wrapped, &account).unwrap();
    assert_eq!(back.public_key(), key.public_key());
    let statement = segment(VaultId::generate(), KeyEpoch::FIRST);
    assert!(sign_write(&back, &statement).holds_for(&statement));

    let someone_else = AccountIdentity::generate();
    assert_eq!(
        SigningKey::unwrap(&wrapped, &someone_else).unwrap_err(),
        KeyError::NotAMember
    );
    let vault_key_wrap = VaultIdentity::generate(KeyEpoch::FIRST).wrap_to(&account.recipient());
    assert!(matches!(
        SigningKey::unwrap(&vault_key_wrap, &account),
        Err(KeyError::WrongKind { .. })
    ));
    // A signing-key wrap is not taken for a vault key either.
    assert!(wrapped.unwrap_vault(&account, KeyEpoch::FIRST).is_err());
    let mut damaged = wrapped.into_bytes();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert_eq!(
        SigningKey::unwrap(
            &folio_shared::keys::WrappedKey::from_bytes(damaged),
            &account
        )
        .unwrap_err(),
        KeyError::Tampered
    );
}

#[test]
fn public_keys_read_back_from_their_text_and_secrets_stay_out_of_logs() {
    let key = SigningKey::generate();
    let public = key.public_key();
    let text = public.to_string();
    assert!(text.starts_with("folio-sig1"), "{text}");
    assert_eq!(text.parse::<SigningPublicKey>().unwrap(), public);
    assert_eq!(
        serde_json::from_str::<SigningPublicKey>(&serde_json::to_string(&public).unwrap()).unwrap(),
        public
    );
    let recipient = AccountIdentity::generate().recipient().to_string();
    assert!(recipient.parse::<SigningPublicKey>().is_err());
    assert!(text[..text.len() - 1].parse::<SigningPublicKey>().is_err());
    // The identity point is a valid encoding but of small order: refused.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(SigningPublicKey::from_bytes(&identity).is_err());
    assert_eq!(format!("{key:?}"), format!("SigningKey({public})"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_statement_round_trips(
        vault in any::<[u8; 16]>(),
        epoch in any::<u32>(),
        kind in prop::sample::select(WriteKind::ALL.to_vec()),
        hash in any::<[u8; 32]>(),
    ) {
        let key = SigningKey::generate();
        let statement = WriteStatement {
            vault: VaultId(Uuid::from_bytes(vault)),
            epoch: KeyEpoch(epoch),
            kind,
            ciphertext_sha256: hash,
        };
        let signature = sign_write(&key, &statement);
        prop_assert!(signature.holds_for(&statement));
        let json = serde_json::to_string(&signature).unwrap();
        let back: WriteSignature = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, signature);
    }
}

#[test]
fn an_accounts_signing_key_is_derived_from_its_identity_alone() {
    let account = AccountIdentity::generate();
    // The same identity, as another client unwraps it.
    let code = folio_shared::keys::RecoveryCode::generate();
    let unlocker = folio_shared::keys::Unlocker::from_recovery_code(&code);
    let again = account
        .wrap_to(&unlocker.recipient())
        .unwrap_account(&unlocker)
        .unwrap();
    assert_eq!(
        SigningKey::of_account(&account).public_key(),
        SigningKey::of_account(&again).public_key(),
        "every client that unlocks the account signs with the same key"
    );
    assert_ne!(
        SigningKey::of_account(&account).public_key(),
        SigningKey::of_account(&AccountIdentity::generate()).public_key()
    );
    // What it signs verifies under its public half.
    let key = SigningKey::of_account(&account);
    let statement = WriteStatement::for_ciphertext(
        VaultId(Uuid::new_v4()),
        KeyEpoch::FIRST,
        WriteKind::Segment,
        b"sealed",
    );
    let signature = sign_write(&key, &statement);
    assert_eq!(signature.signer, key.public_key());
    assert!(signature.holds_for(&statement));
}
