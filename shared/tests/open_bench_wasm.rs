//! Benchmarks, not tests: how long a 30,000-resource vault takes to open in the browser,
//! beside `JSON.parse` of the same plaintext in the same page, and how long the owner's
//! client takes to rotate it (after removing a caregiver). Ignored by the test suite;
//! run with `cargo xtask bench-wasm`, which builds it in release mode and prints the
//! figures. The record is the Synthea bundles of `../shared/data` repeated with fresh ids,
//! as a lifetime record gathered from many providers would be.

#![cfg(target_arch = "wasm32")]

use chrono::{DateTime, Utc};
use folio_shared::keys::AccountIdentity;
use folio_shared::keys::{KeyEpoch, VaultIdentity};
use folio_shared::record::{Entry, EntryId, Op, Source};
use folio_shared::vault::{SealedSegment, Sealer, VaultId, VaultKeyring, rotate};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` on a string already in JavaScript, so the baseline is the browser's
    /// parser alone, with no copy across the WebAssembly boundary.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &js_sys::JsString) -> JsValue;
}

wasm_bindgen_test_configure!(run_in_browser);

const TARGET_RESOURCES: usize = 30_000;
const RUNS: usize = 5;

const BUNDLES: [&[u8]; 4] = [
    include_bytes!(
        "../../../shared/data/fhir-r4/synthea/Alejandro_Riojas_a9fcc685-c7a2-4474-bf25-26c8fe4b48f9.json"
    ),
    include_bytes!(
        "../../../shared/data/fhir-r4/synthea/Catherine_Turner_fa4fbf0c-f581-41f2-889b-f3769e57681d.json"
    ),
    include_bytes!(
        "../../../shared/data/fhir-r4/synthea/Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json"
    ),
    include_bytes!(
        "../../../shared/data/fhir-r4/synthea/Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json"
    ),
];

fn lifetime_record() -> Vec<Entry> {
    let at: DateTime<Utc> = "2026-11-22T00:00:00Z".parse().unwrap();
    let resources: Vec<Value> = BUNDLES
        .iter()
        .flat_map(|bytes| {
            let bundle: Value = serde_json::from_slice(bytes).unwrap();
            bundle["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["resource"].clone())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut entries = Vec::with_capacity(TARGET_RESOURCES);
    'copies: for copy in 0.. {
        for resource in &resources {
            if entries.len() == TARGET_RESOURCES {
                break 'copies;
            }
            let mut resource = resource.clone();
            let id = format!(
                "{}-{}",
                resource["id"].as_str().unwrap_or("x"),
                entries.len()
            );
            resource["id"] = Value::String(id.clone());
            let kind = resource["resourceType"].as_str().unwrap().to_owned();
            entries.push(Entry {
                id: EntryId(format!("{kind}/{id}")),
                op: Op::Put {
                    resource,
                    source: Source {
                        provider: Some(format!("Provider {}", copy % 7)),
                        file: Some(format!("export-{copy}.json")),
                        retrieved_at: at,
                        ..Source::default()
                    },
                },
                at,
            });
        }
    }
    entries
}

/// The lifetime record sealed into a fresh vault: its entries, segments and keyring.
fn sealed_lifetime_vault() -> (Vec<Entry>, Vec<SealedSegment>, VaultKeyring) {
    let entries = lifetime_record();
    let vault = VaultId(uuid::Uuid::new_v4());
    let identity = VaultIdentity::generate(KeyEpoch::FIRST);
    let segments = Sealer::for_identity(vault, &identity)
        .seal(&entries)
        .unwrap();
    (entries, segments, VaultKeyring::new(vault, identity))
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with `cargo xtask bench-wasm`"]
fn open_a_lifetime_vault() {
    let (entries, segments, keyring) = sealed_lifetime_vault();
    let plaintext = serde_json::to_string(
        &entries
            .iter()
            .map(|e| match &e.op {
                Op::Put { resource, .. } => resource,
                Op::Delete => unreachable!(),
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let plaintext_js = js_sys::JsString::from(plaintext.as_str());

    let mut open_ms = Vec::new();
    let mut parse_ms = Vec::new();
    for _ in 0..RUNS {
        let start = js_sys::Date::now();
        let contents = keyring.open(&segments);
        open_ms.push(js_sys::Date::now() - start);
        assert_eq!(contents.len(), TARGET_RESOURCES);

        let start = js_sys::Date::now();
        let parsed = json_parse(&plaintext_js);
        parse_ms.push(js_sys::Date::now() - start);
        assert!(parsed.is_object());
    }
    let stored: usize = segments.iter().map(|s| s.len()).sum();
    let (open, parse) = (median(open_ms), median(parse_ms));
    console_log!(
        "wasm open: {} resources in {} segments ({} stored bytes, {} plaintext bytes)",
        entries.len(),
        segments.len(),
        stored,
        plaintext.len()
    );
    console_log!(
        "wasm open: open {open:.0} ms, JSON.parse {parse:.0} ms, ratio {:.2} (median of {RUNS})",
        open / parse
    );
}

/// The client's part of a rotation after a caregiver is removed: open the whole log, re-seal
/// it to a fresh vault key, and wrap that key to the owner and two remaining caregivers. The
/// upload of the result (one compaction request) is not in it.
#[wasm_bindgen_test]
#[ignore = "a benchmark: run with `cargo xtask bench-wasm`"]
fn rotate_a_lifetime_vault() {
    let (entries, segments, keyring) = sealed_lifetime_vault();
    let vault = keyring.vault_id();
    let members: Vec<_> = (0..3)
        .map(|_| AccountIdentity::generate().recipient())
        .collect();

    let mut rotate_ms = Vec::new();
    let mut rotated_bytes = 0;
    for _ in 0..RUNS {
        let start = js_sys::Date::now();
        let rotation = rotate(&keyring, &segments).unwrap();
        let wraps: Vec<_> = members
            .iter()
            .map(|member| rotation.identity.wrap_to(member))
            .collect();
        rotate_ms.push(js_sys::Date::now() - start);
        assert_eq!(rotation.identity.epoch(), KeyEpoch(2));
        assert_eq!(wraps.len(), members.len());
        rotated_bytes = rotation.segments.iter().map(|s| s.len()).sum::<usize>();
        let reopened = VaultKeyring::new(vault, rotation.identity).open(&rotation.segments);
        assert_eq!(
            reopened.len(),
            TARGET_RESOURCES,
            "the rotated log holds it all"
        );
    }
    console_log!(
        "wasm rotate: {} resources, {} segments in, {rotated_bytes} bytes out, \
         rotate {:.0} ms (median of {RUNS})",
        entries.len(),
        segments.len(),
        median(rotate_ms)
    );
}

/// The same open with signed writes: every segment's signature checked against a member
/// list (one SHA-256 of the segment and one Ed25519 verification each) before it opens.
#[wasm_bindgen_test]
#[ignore = "a benchmark: run with `cargo xtask bench-wasm`"]
fn open_a_lifetime_vault_checking_signatures() {
    use folio_shared::care::Role;
    use folio_shared::keys::SigningKey;
    use folio_shared::roster::{
        Member, RosterAppend, RosterChange, WriteKind, WriteStatement, sign_write,
        vouch_for_segment,
    };

    let (_, segments, keyring) = sealed_lifetime_vault();
    // `Utc::now` has no clock to read in wasm32 tests.
    let at: DateTime<Utc> = "2026-12-01T09:00:00Z".parse().unwrap();
    let owner = SigningKey::generate();
    let vault = keyring.vault_id();
    let member = Member {
        account: uuid::Uuid::new_v4(),
        name: "Owner".into(),
        role: Role::Owner,
        signing_key: owner.public_key(),
        recipient: AccountIdentity::generate().recipient(),
    };
    let mut append = RosterAppend::genesis(vault, &owner, member, at).unwrap();
    append
        .push(
            RosterChange::NewEpoch {
                epoch: keyring.current().epoch(),
                vault_recipient: keyring.current().recipient(),
            },
            at,
        )
        .unwrap();
    let (roster, _) = append.finish();
    let signatures: Vec<_> = segments
        .iter()
        .map(|segment| {
            let statement = WriteStatement::for_ciphertext(
                vault,
                segment.epoch(),
                WriteKind::Segment,
                segment.as_bytes(),
            );
            sign_write(&owner, &statement)
        })
        .collect();

    let mut plain_ms = Vec::new();
    let mut checked_ms = Vec::new();
    for _ in 0..RUNS {
        let start = js_sys::Date::now();
        let contents = keyring.open(&segments);
        plain_ms.push(js_sys::Date::now() - start);
        assert_eq!(contents.len(), TARGET_RESOURCES);

        let start = js_sys::Date::now();
        let contents = keyring.open_vouched(&segments, |position, segment| {
            vouch_for_segment(&roster, segment, Some(&signatures[position])).map(drop)
        });
        checked_ms.push(js_sys::Date::now() - start);
        assert_eq!(contents.len(), TARGET_RESOURCES);
        assert!(contents.set_aside().is_empty());
    }
    let (plain, checked) = (median(plain_ms), median(checked_ms));
    console_log!(
        "wasm open: {} segments with every signature checked {checked:.0} ms against {plain:.0} ms \
         unchecked (+{:.0} ms, median of {RUNS})",
        segments.len(),
        checked - plain
    );
}
