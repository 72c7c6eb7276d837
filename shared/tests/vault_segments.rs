//! Sealing and opening segments: the log's semantics, size bounds, compaction, rotation,
//! and each way a segment is refused.

// Native only: the browser runs the same paths through tests/vault_wasm.rs.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, Utc};
use folio_shared::keys::{KeyEpoch, VaultIdentity};
use folio_shared::record::{Entry, EntryId, Op, Source};
use folio_shared::vault::{
    ENVELOPE_VERSION, SealError, SealedSegment, Sealer, SegmentError, SetAside, VaultContents,
    VaultId, VaultKeyring, compact, rotate,
};
use serde_json::json;
use sha2::{Digest, Sha256};

const HEADER_LEN: usize = 41;

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 123_456_789).unwrap()
}

fn source(provider: &str) -> Source {
    Source {
        provider: Some(provider.into()),
        file: Some("export.json".into()),
        retrieved_at: time(0),
        ..Source::default()
    }
}

fn put(id: &str, value: i64) -> Entry {
    Entry {
        id: EntryId(id.into()),
        op: Op::Put {
            resource: json!({"resourceType": "Observation", "id": id, "valueInteger": value}),
            source: source("Clinic"),
        },
        at: time(value),
    }
}

fn delete(id: &str) -> Entry {
    Entry {
        id: EntryId(id.into()),
        op: Op::Delete,
        at: time(99),
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

fn value_of(contents: &VaultContents, id: &str) -> Option<i64> {
    contents
        .get(&EntryId(id.into()))
        .map(|stored| stored.resource["valueInteger"].as_i64().unwrap())
}

/// Opens one segment; a segment that opening sets aside is an error here.
fn open_one(vault: &Vault, bytes: Vec<u8>) -> Result<VaultContents, SegmentError> {
    let segment = SealedSegment::from_bytes(bytes)?;
    let contents = vault.keyring.open([&segment]);
    match contents.set_aside() {
        [] => Ok(contents),
        [SetAside { position: 0, error }] => Err(error.clone()),
        other => panic!("one segment, set aside as {other:?}"),
    }
}

#[test]
fn entries_round_trip_exactly() {
    let vault = vault();
    let entries = vec![put("a", 1), delete("b"), put("c", 3)];
    let segments = vault.sealer.seal(&entries).unwrap();
    assert_eq!(segments.len(), 1);
    assert_eq!(vault.keyring.entries(&segments[0]).unwrap(), entries);
}

#[test]
fn replay_applies_puts_and_deletes_in_order() {
    let vault = vault();
    let first = vault
        .sealer
        .seal(&[put("a", 1), put("b", 2), put("c", 3)])
        .unwrap();
    let second = vault
        .sealer
        .seal(&[put("a", 10), delete("b"), delete("never-put")])
        .unwrap();
    let contents = vault.keyring.open(first.iter().chain(&second));
    assert_eq!(contents.len(), 2);
    assert_eq!(value_of(&contents, "a"), Some(10));
    assert_eq!(value_of(&contents, "b"), None);
    assert_eq!(value_of(&contents, "c"), Some(3));
    let stored = contents.get(&EntryId("a".into())).unwrap();
    assert_eq!(stored.at, time(10));
    assert_eq!(*stored.source, source("Clinic"));
}

/// A page that reads a few kinds of resource opens only those: exactly what a full open
/// holds of them (puts and deletes replayed in order, times and sources), nothing else.
#[test]
fn opening_only_some_resource_types_keeps_exactly_those() {
    let vault = vault();
    let first = vault
        .sealer
        .seal(&[
            put("Observation/a", 1),
            put("Claim/b", 2),
            put("Observation/c", 3),
            put("Claim/d", 4),
        ])
        .unwrap();
    let second = vault
        .sealer
        .seal(&[
            put("Observation/a", 10),
            delete("Observation/c"),
            delete("Claim/b"),
            put("Observation/e", 5),
        ])
        .unwrap();
    let whole = vault.keyring.open(first.iter().chain(&second));
    let part = vault
        .keyring
        .open_where(first.iter().chain(&second), |kind| kind == "Observation");
    let observations: Vec<_> = whole
        .iter()
        .filter(|(id, _)| id.resource_type() == "Observation")
        .collect();
    assert_eq!(part.iter().collect::<Vec<_>>(), observations);
    assert_eq!(part.len(), 2);
    assert_eq!(value_of(&part, "Observation/a"), Some(10));
    assert_eq!(value_of(&part, "Claim/d"), None);

    // What a full open refuses, a partial one refuses too.
    let mut bytes = first[0].clone().into_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let tampered = SealedSegment::from_bytes(bytes).unwrap();
    let refused = vault.keyring.open_where([&tampered], |_| false);
    assert_eq!(
        refused.set_aside(),
        [SetAside {
            position: 0,
            error: SegmentError::Tampered
        }]
    );
}

#[test]
fn reapplying_segments_changes_nothing() {
    let vault = vault();
    let segments = vault
        .sealer
        .seal(&[put("a", 1), put("b", 2), delete("a")])
        .unwrap();
    let once = vault.keyring.open(&segments);
    let mut twice = once.clone();
    for segment in &segments {
        twice.apply_segment(&vault.keyring, segment).unwrap();
    }
    assert_eq!(once, twice);
}

#[test]
fn a_large_batch_is_split_at_the_size_bound() {
    let vault = vault();
    let limit = 2048;
    let sealer = vault.sealer.clone().with_segment_limit(limit);
    // Incompressible enough that a few entries fill a segment.
    let entries: Vec<Entry> = (0..200)
        .map(|i| Entry {
            id: EntryId(format!("Binary/{i}")),
            op: Op::Put {
                resource: json!({"data": format!("{:x}", Sha256::digest(i.to_string()))}),
                source: source(if i % 2 == 0 { "Clinic" } else { "Lab" }),
            },
            at: time(i),
        })
        .collect();
    let segments = sealer.seal(&entries).unwrap();
    assert!(segments.len() > 5, "{} segments", segments.len());
    // The bound is on compressed plaintext. On top come the envelope header (41 bytes),
    // the batch header (26), age's header (168 for one X25519 stanza, plus a random
    // "grease" stanza of up to about 210), its nonce (16) and one chunk tag (16).
    for segment in &segments {
        assert!(
            segment.len() <= limit + 41 + 26 + 168 + 210 + 32,
            "{} bytes",
            segment.len()
        );
    }
    let reread: Vec<Entry> = segments
        .iter()
        .flat_map(|segment| vault.keyring.entries(segment).unwrap())
        .collect();
    assert_eq!(reread, entries);
}

#[test]
fn an_entry_larger_than_the_bound_gets_a_segment_of_its_own() {
    let vault = vault();
    let sealer = vault.sealer.clone().with_segment_limit(64);
    let segments = sealer.seal(&[put("a", 1), put("b", 2)]).unwrap();
    assert_eq!(segments.len(), 2);
    assert_eq!(value_of(&vault.keyring.open(&segments), "b"), Some(2));
}

#[test]
fn an_entry_too_large_for_any_segment_is_refused() {
    let vault = vault();
    let huge = "x".repeat(folio_shared::vault::MAX_PLAINTEXT_BYTES);
    let entry = Entry {
        id: EntryId("Binary/huge".into()),
        op: Op::Put {
            resource: json!({ "data": huge }),
            source: source("Clinic"),
        },
        at: time(0),
    };
    assert!(matches!(
        vault.sealer.seal(&[entry]),
        Err(SealError::EntryTooLarge { id, .. }) if id.as_str() == "Binary/huge"
    ));
}

#[test]
fn an_empty_batch_seals_to_nothing() {
    assert!(vault().sealer.seal(&[]).unwrap().is_empty());
}

#[test]
fn compaction_keeps_the_contents_and_drops_history() {
    let vault = vault();
    let mut log = Vec::new();
    for round in 0..10 {
        let mut batch: Vec<Entry> = (0..20)
            .map(|i| put(&format!("r{i}"), round * 100 + i))
            .collect();
        batch.push(delete(&format!("r{round}")));
        log.extend(vault.sealer.seal(&batch).unwrap());
    }
    let before = vault.keyring.open(&log);
    let compacted = compact(&vault.keyring, &log, &vault.sealer).unwrap();
    assert_eq!(compacted.len(), 1);
    assert_eq!(vault.keyring.open(&compacted), before);
    let entries = vault.keyring.entries(&compacted[0]).unwrap();
    assert_eq!(entries.len(), before.len());
    assert!(
        entries
            .iter()
            .all(|entry| matches!(entry.op, Op::Put { .. }))
    );
}

#[test]
fn rotation_moves_the_vault_to_a_new_key() {
    let vault = vault();
    let log = vault.sealer.seal(&[put("a", 1), put("b", 2)]).unwrap();
    let before = vault.keyring.open(&log);
    let rotation = rotate(&vault.keyring, &log).unwrap();
    assert_eq!(rotation.identity.epoch(), KeyEpoch(2));
    assert!(rotation.segments.iter().all(|s| s.epoch() == KeyEpoch(2)));

    let new_keyring = VaultKeyring::new(vault.keyring.vault_id(), rotation.identity.clone());
    assert_eq!(new_keyring.open(&rotation.segments), before);
    // The old key, all a removed member holds, opens nothing re-sealed.
    assert_eq!(
        vault.keyring.open(&rotation.segments).set_aside(),
        [SetAside {
            position: 0,
            error: SegmentError::NoKeyForEpoch { epoch: KeyEpoch(2) }
        }]
    );
    // A client holding both epochs reads an old segment uploaded before the swap.
    let mut both = new_keyring.clone();
    both.insert(vault.keyring.current().clone());
    let contents = both.open(log.iter().chain(&rotation.segments));
    assert_eq!(contents, before);
    assert_eq!(both.current().epoch(), KeyEpoch(2));
}

#[test]
fn the_server_sees_only_the_header() {
    let vault = vault();
    let segment = vault
        .sealer
        .seal(&[put("secret-marker-7f3a", 1)])
        .unwrap()
        .remove(0);
    assert_eq!(segment.vault_id(), vault.keyring.vault_id());
    assert_eq!(segment.epoch(), KeyEpoch::FIRST);
    assert_eq!(segment.version(), ENVELOPE_VERSION);
    let bytes = segment.as_bytes();
    assert!(!bytes.windows(18).any(|w| w == b"secret-marker-7f3a"));
    assert!(!bytes.windows(6).any(|w| w == b"Clinic"));
    // What the server stores parses back to the same segment.
    let received = SealedSegment::from_bytes(bytes.to_vec()).unwrap();
    assert_eq!(received, segment);
}

// Refusals, one per error.

fn sealed(vault: &Vault) -> Vec<u8> {
    vault
        .sealer
        .seal(&[put("a", 1)])
        .unwrap()
        .remove(0)
        .into_bytes()
}

#[test]
fn refuses_bad_magic() {
    let vault = vault();
    let mut bytes = sealed(&vault);
    bytes[0] = b'X';
    assert_eq!(open_one(&vault, bytes).unwrap_err(), SegmentError::BadMagic);
    assert_eq!(
        SealedSegment::from_bytes(b"age-encryption.org/v1\n".to_vec()).unwrap_err(),
        SegmentError::BadMagic
    );
}

#[test]
fn refuses_an_unknown_envelope_version() {
    let vault = vault();
    let mut bytes = sealed(&vault);
    bytes[8] = 2;
    assert_eq!(
        open_one(&vault, bytes).unwrap_err(),
        SegmentError::UnknownVersion { version: 2 }
    );
}

#[test]
fn refuses_a_truncated_segment() {
    let vault = vault();
    let bytes = sealed(&vault);
    for cut in [0, 5, 8, 20, HEADER_LEN, HEADER_LEN + 30, bytes.len() - 1] {
        assert_eq!(
            SealedSegment::from_bytes(bytes[..cut].to_vec()).unwrap_err(),
            SegmentError::Truncated,
            "cut at {cut}"
        );
    }
    // Cut, with the length field edited to match: age finds the stream ends early.
    let payload_end = bytes.len() - 17; // drop the last chunk's tag and one byte
    let mut cut = bytes[..payload_end].to_vec();
    let age_len = u32::try_from(payload_end - HEADER_LEN).unwrap();
    cut[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&age_len.to_be_bytes());
    assert!(matches!(
        open_one(&vault, cut).unwrap_err(),
        SegmentError::Truncated | SegmentError::Tampered
    ));
    let header_only_len = bytes.windows(4).position(|w| w == b"\n---").unwrap() + 1;
    let mut cut = bytes[..header_only_len].to_vec();
    let age_len = u32::try_from(header_only_len - HEADER_LEN).unwrap();
    cut[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&age_len.to_be_bytes());
    assert_eq!(open_one(&vault, cut).unwrap_err(), SegmentError::Truncated);
}

#[test]
fn refuses_trailing_bytes() {
    let vault = vault();
    let mut bytes = sealed(&vault);
    bytes.extend_from_slice(b"more");
    assert_eq!(
        open_one(&vault, bytes).unwrap_err(),
        SegmentError::TrailingBytes { extra: 4 }
    );
}

#[test]
fn refuses_a_segment_of_another_vault() {
    let ours = vault();
    let theirs = vault();
    assert_eq!(
        open_one(&ours, sealed(&theirs)).unwrap_err(),
        SegmentError::ForeignVault {
            expected: ours.keyring.vault_id(),
            found: theirs.keyring.vault_id()
        }
    );
}

#[test]
fn refuses_a_segment_whose_header_was_moved_to_another_vault() {
    // Even where the key matches (a key reused across vaults), the vault id sealed inside
    // catches a header rewritten to route the segment elsewhere.
    let theirs = vault();
    let ours_id = VaultId::generate();
    let ours = Vault {
        keyring: VaultKeyring::new(ours_id, theirs.keyring.current().clone()),
        sealer: theirs.sealer.clone(),
    };
    let mut bytes = sealed(&theirs);
    bytes[9..25].copy_from_slice(ours_id.0.as_bytes());
    assert_eq!(
        open_one(&ours, bytes).unwrap_err(),
        SegmentError::ForeignVault {
            expected: ours_id,
            found: theirs.keyring.vault_id()
        }
    );
}

#[test]
fn refuses_a_segment_of_an_epoch_without_a_key() {
    let vault = vault();
    let later = VaultIdentity::generate(KeyEpoch(5));
    let segment = Sealer::for_identity(vault.keyring.vault_id(), &later)
        .seal(&[put("a", 1)])
        .unwrap()
        .remove(0);
    assert_eq!(
        open_one(&vault, segment.into_bytes()).unwrap_err(),
        SegmentError::NoKeyForEpoch { epoch: KeyEpoch(5) }
    );
}

#[test]
fn refuses_a_segment_sealed_to_another_key_of_the_same_epoch() {
    let vault = vault();
    let impostor = VaultIdentity::generate(KeyEpoch::FIRST);
    let segment = Sealer::for_identity(vault.keyring.vault_id(), &impostor)
        .seal(&[put("a", 1)])
        .unwrap()
        .remove(0);
    assert_eq!(
        open_one(&vault, segment.into_bytes()).unwrap_err(),
        SegmentError::WrongKey {
            epoch: KeyEpoch::FIRST
        }
    );
}

#[test]
fn refuses_a_header_whose_epoch_was_edited() {
    let vault = vault();
    let key = vault.keyring.current();
    // Sealed for epoch 2 to the epoch-1 key, then relabelled as epoch 1.
    let segment = Sealer::new(vault.keyring.vault_id(), KeyEpoch(2), key.recipient())
        .seal(&[put("a", 1)])
        .unwrap()
        .remove(0);
    let mut bytes = segment.into_bytes();
    bytes[25..29].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(
        open_one(&vault, bytes).unwrap_err(),
        SegmentError::EpochMismatch {
            header: KeyEpoch(1),
            sealed: KeyEpoch(2)
        }
    );
}

#[test]
fn refuses_altered_ciphertext() {
    let vault = vault();
    let bytes = sealed(&vault);
    let header_end = bytes.windows(4).position(|w| w == b"\n---").unwrap();
    // In the recipient stanza, in the header MAC, and in the payload.
    for position in [HEADER_LEN + 40, header_end + 10, bytes.len() - 5] {
        let mut altered = bytes.clone();
        altered[position] ^= 0x04;
        assert_eq!(
            open_one(&vault, altered).unwrap_err(),
            SegmentError::Tampered,
            "byte {position}"
        );
    }
}

/// Builds a segment by hand, following the documented layout, around any plaintext: what
/// a buggy or hostile holder of the public vault recipient could upload.
fn forge(vault: &Vault, plaintext: &[u8]) -> Vec<u8> {
    let identity = vault.keyring.current();
    let recipient_text = identity.recipient().to_string();
    let recipient: age::x25519::Recipient = recipient_text.parse().unwrap();
    let age_file = age::encrypt(&recipient, plaintext).unwrap();
    let fingerprint = Sha256::new()
        .chain_update(b"folio segment recipient v1\n")
        .chain_update(recipient_text.as_bytes())
        .finalize();
    let mut bytes = b"FOLIOSEG\x01".to_vec();
    bytes.extend_from_slice(vault.keyring.vault_id().0.as_bytes());
    bytes.extend_from_slice(&identity.epoch().0.to_be_bytes());
    bytes.extend_from_slice(&fingerprint[..8]);
    bytes.extend_from_slice(&u32::try_from(age_file.len()).unwrap().to_be_bytes());
    bytes.extend_from_slice(&age_file);
    bytes
}

fn batch_plaintext(vault: &Vault, codec: u8, declared: u32, body: &[u8]) -> Vec<u8> {
    let mut plaintext = vec![ENVELOPE_VERSION];
    plaintext.extend_from_slice(vault.keyring.vault_id().0.as_bytes());
    plaintext.extend_from_slice(&vault.keyring.current().epoch().0.to_be_bytes());
    plaintext.push(codec);
    plaintext.extend_from_slice(&declared.to_be_bytes());
    plaintext.extend_from_slice(body);
    plaintext
}

#[test]
fn a_hand_built_segment_following_the_layout_opens() {
    let vault = vault();
    let body = br#"{"entries":[{"id":"a","at":[1700000000,0],"source":0,"resource":{"n":1}}],"sources":[{"retrieved_at":"2026-01-01T00:00:00Z"}]}"#;
    let compressed = lz4_flex::block::compress(body);
    let plaintext = batch_plaintext(&vault, 1, body.len() as u32, &compressed);
    let contents = open_one(&vault, forge(&vault, &plaintext)).unwrap();
    assert_eq!(
        contents.get(&EntryId("a".into())).unwrap().resource,
        json!({"n": 1})
    );
}

#[test]
fn refuses_malformed_plaintext() {
    let vault = vault();
    let lz4 = |body: &[u8]| lz4_flex::block::compress(body);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("too short", b"\x01".to_vec()),
        ("unknown codec", batch_plaintext(&vault, 9, 2, b"{}")),
        ("bomb", batch_plaintext(&vault, 1, u32::MAX, &lz4(b"{}"))),
        ("not LZ4", batch_plaintext(&vault, 1, 100, b"\xff\xff\xff")),
        ("length lies", batch_plaintext(&vault, 1, 100, &lz4(b"{}"))),
        ("not a batch", batch_plaintext(&vault, 1, 2, &lz4(b"{}"))),
        (
            "missing source",
            batch_plaintext(
                &vault,
                1,
                61,
                &lz4(br#"{"entries":[{"id":"a","at":[0,0],"source":3}],"sources":[]}"#),
            ),
        ),
    ];
    for (what, plaintext) in cases {
        let error = open_one(&vault, forge(&vault, &plaintext)).unwrap_err();
        assert!(
            matches!(error, SegmentError::Malformed(_)),
            "{what}: {error:?}"
        );
    }
}

#[test]
fn errors_read_clearly() {
    let error = SetAside {
        position: 3,
        error: SegmentError::NoKeyForEpoch { epoch: KeyEpoch(2) },
    };
    assert_eq!(
        error.to_string(),
        "segment 3 of the vault was set aside: no vault key for epoch 2: unwrap that epoch's key first"
    );
}
