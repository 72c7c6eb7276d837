//! One bad write cannot break a record: a segment that does not decrypt or parse is set
//! aside, the rest of the log opens as if it were not there, and compaction and rotation
//! leave it out instead of failing.

#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, Utc};
use folio_shared::api::SegmentOrigin;
use folio_shared::keys::{KeyEpoch, VaultIdentity};
use folio_shared::record::{Entry, EntryId, Op, Source};
use folio_shared::vault::{
    SealedSegment, Sealer, SegmentError, SetAside, SetAsidePart, SetAsideReason, Uploader,
    VaultContents, VaultId, VaultKeyring, compact, rotate,
};
use serde_json::json;
use uuid::Uuid;

/// Magic, version, vault id, epoch and recipient fingerprint: the envelope before the age
/// file's length.
const HEADER_BEFORE_LENGTH: usize = 8 + 1 + 16 + 4 + 8;

fn put(id: &str, value: i64) -> Entry {
    Entry {
        id: EntryId(id.into()),
        op: Op::Put {
            resource: json!({"resourceType": "Observation", "id": id, "valueInteger": value}),
            source: Source::default(),
        },
        at: DateTime::from_timestamp(1_700_000_000 + value, 0).unwrap(),
    }
}

struct Vault {
    keyring: VaultKeyring,
    sealer: Sealer,
}

fn vault() -> Vault {
    let id = VaultId::generate();
    let identity = VaultIdentity::generate(KeyEpoch::FIRST);
    Vault {
        sealer: Sealer::for_identity(id, &identity),
        keyring: VaultKeyring::new(id, identity),
    }
}

/// `good`'s envelope header (so the server accepts it) around `age_file`.
fn reframed(good: &SealedSegment, age_file: &[u8]) -> SealedSegment {
    let mut bytes = good.as_bytes()[..HEADER_BEFORE_LENGTH].to_vec();
    bytes.extend_from_slice(&u32::try_from(age_file.len()).unwrap().to_be_bytes());
    bytes.extend_from_slice(age_file);
    SealedSegment::from_bytes(bytes).unwrap()
}

fn age_file_of(segment: &SealedSegment) -> &[u8] {
    &segment.as_bytes()[HEADER_BEFORE_LENGTH + 4..]
}

/// The four kinds of bad write, each a segment the server would store.
fn bad_segments(vault: &Vault) -> Vec<(SealedSegment, SetAsideReason)> {
    let good = vault.sealer.seal(&[put("bad", 666)]).unwrap().remove(0);

    let random_bytes = reframed(&good, Uuid::new_v4().as_bytes());

    // Sealed to another key under this vault's header: what anyone who guessed the
    // layout but not the key would write.
    let stranger = VaultIdentity::generate(KeyEpoch::FIRST);
    let other_key = Sealer::for_identity(vault.keyring.vault_id(), &stranger)
        .seal(&[put("bad", 667)])
        .unwrap()
        .remove(0);

    let age = age_file_of(&good);
    let truncated = reframed(&good, &age[..age.len() - 20]);

    // A valid age file to the vault's own recipient, holding something that is not a batch.
    let recipient: age::x25519::Recipient = vault
        .keyring
        .current()
        .recipient()
        .to_string()
        .parse()
        .unwrap();
    let not_json = reframed(
        &good,
        &age::encrypt(&recipient, b"this is not a batch of entries").unwrap(),
    );

    vec![
        (random_bytes, SetAsideReason::Damaged),
        (other_key, SetAsideReason::WrongKey),
        (truncated, SetAsideReason::Damaged),
        (not_json, SetAsideReason::NotARecord),
    ]
}

/// A log with good writes around the bad ones: good, bad, good, bad, ….
fn mixed_log(vault: &Vault) -> (Vec<SealedSegment>, Vec<SetAsideReason>, VaultContents) {
    let mut log = Vec::new();
    let mut reasons = Vec::new();
    let mut expected = VaultContents::default();
    for (round, (bad, reason)) in bad_segments(vault).into_iter().enumerate() {
        let entries = [put(&format!("Observation/{round}"), round as i64)];
        expected.apply(entries[0].clone());
        log.extend(vault.sealer.seal(&entries).unwrap());
        log.push(bad);
        reasons.push(reason);
    }
    (log, reasons, expected)
}

#[test]
fn every_kind_of_bad_write_is_set_aside_and_the_rest_opens() {
    let vault = vault();
    let (log, reasons, expected) = mixed_log(&vault);
    let opened = vault.keyring.open(&log);
    assert_eq!(opened.len(), 4, "every good write opened");
    for (id, stored) in expected.iter() {
        assert_eq!(opened.get(id).map(|s| &s.resource), Some(&stored.resource));
    }
    assert!(opened.get(&EntryId("bad".into())).is_none());
    let set_aside: Vec<(usize, SetAsideReason)> = opened
        .set_aside()
        .iter()
        .map(|part| (part.position, part.reason()))
        .collect();
    let want: Vec<(usize, SetAsideReason)> = reasons
        .into_iter()
        .enumerate()
        .map(|(round, reason)| (round * 2 + 1, reason))
        .collect();
    assert_eq!(set_aside, want);
    assert!(matches!(
        opened.set_aside()[3].error,
        SegmentError::Malformed(_)
    ));

    // Opening only some kinds of resource sets aside exactly the same.
    let part = vault.keyring.open_where(&log, |kind| kind == "Observation");
    assert_eq!(part.set_aside(), opened.set_aside());
    assert_eq!(part.len(), 4);
}

#[test]
fn compaction_without_them_gives_a_clean_record() {
    let vault = vault();
    let (log, _, _) = mixed_log(&vault);
    let opened = vault.keyring.open(&log);
    let compacted = compact(&vault.keyring, &log, &vault.sealer).unwrap();
    let reopened = vault.keyring.open(&compacted);
    assert!(reopened.set_aside().is_empty());
    assert_eq!(reopened.len(), 4);
    assert!(reopened.iter().eq(opened.iter()), "the same resources");
}

#[test]
fn rotation_succeeds_around_them_and_says_what_it_dropped() {
    let vault = vault();
    let (log, reasons, _) = mixed_log(&vault);
    let rotation = rotate(&vault.keyring, &log).unwrap();
    assert_eq!(
        rotation
            .dropped
            .iter()
            .map(SetAside::reason)
            .collect::<Vec<_>>(),
        reasons
    );
    let rotated = VaultKeyring::new(vault.keyring.vault_id(), rotation.identity);
    let reopened = rotated.open(&rotation.segments);
    assert!(reopened.set_aside().is_empty());
    assert_eq!(reopened.len(), 4);
}

#[test]
fn a_record_without_bad_writes_sets_nothing_aside() {
    let vault = vault();
    let log = vault.sealer.seal(&[put("a", 1), put("b", 2)]).unwrap();
    assert!(vault.keyring.open(&log).set_aside().is_empty());
    assert!(rotate(&vault.keyring, &log).unwrap().dropped.is_empty());
}

#[test]
fn a_set_aside_part_says_who_appears_to_have_written_it() {
    let vault = vault();
    let (log, _, _) = mixed_log(&vault);
    let opened = vault.keyring.open(&log);
    let seqs: Vec<i64> = (1..=log.len() as i64).collect();
    let (owner, sam, stranger) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let at =
        |day| "2026-12-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Days::new(day);
    let origins = vec![
        SegmentOrigin {
            seq: 2,
            uploaded_by: Some(sam),
            uploaded_at: at(2),
            write_signature: None,
        },
        SegmentOrigin {
            seq: 4,
            uploaded_by: Some(owner),
            uploaded_at: at(3),
            write_signature: None,
        },
        SegmentOrigin {
            seq: 6,
            uploaded_by: Some(stranger),
            uploaded_at: at(4),
            write_signature: None,
        },
        // Seq 8 was stored before uploaders were recorded.
        SegmentOrigin {
            seq: 8,
            uploaded_by: None,
            uploaded_at: at(5),
            write_signature: None,
        },
    ];
    let parts = SetAsidePart::describe(opened.set_aside(), &seqs, &origins, owner, |account| {
        (account == sam).then(|| "Sam".to_owned())
    });
    assert_eq!(
        parts.iter().map(|p| p.seq).collect::<Vec<_>>(),
        [Some(2), Some(4), Some(6), Some(8)]
    );
    assert_eq!(
        parts[0].uploaded_by,
        Some(Uploader {
            account_id: sam,
            name: Some("Sam".into()),
            is_reader: false
        })
    );
    assert_eq!(
        parts[0].sentence(),
        "An addition on 3 Dec 2026 that appears to have come from Sam could not be read. \
         It may have been damaged or tampered with."
    );
    assert!(
        parts[1].sentence().contains("from your own account"),
        "{}",
        parts[1].sentence()
    );
    assert!(
        parts[2]
            .sentence()
            .contains("an account Folio does not recognise")
    );
    assert!(
        parts[3]
            .sentence()
            .starts_with("An addition on 6 Dec 2026 could not be read.")
    );

    // Without seqs (a copy kept offline), each part is still described, by reason alone.
    let offline = SetAsidePart::describe(opened.set_aside(), &[], &[], owner, |_| None);
    assert_eq!(offline.len(), 4);
    assert!(
        offline[0]
            .sentence()
            .starts_with("An addition could not be read.")
    );
}
