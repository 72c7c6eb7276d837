//! Share links and their files survive the trip from writer to reader: payloads through
//! `encode`/`parse` (in every accepted spelling), files through `encrypt`/`decrypt` with and
//! without compression, and any single changed character of a file is caught.

#![cfg(not(target_arch = "wasm32"))]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use folio_shared::shl::manifest::{FHIR_JSON, SMART_HEALTH_CARD};
use folio_shared::shl::payload::{LINK_ID_CHARS, MAX_LABEL_CHARS, MAX_URL_CHARS};
use folio_shared::shl::{
    Flags, JweError, LinkId, LinkKey, ShareLinkPayload, decrypt, decrypt_with_limit, encrypt,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn payload(flags: &str, label: Option<&str>, exp: Option<i64>) -> ShareLinkPayload {
    ShareLinkPayload {
        url: LinkId::generate().url("https://folio.example/shl"),
        key: LinkKey::generate(),
        exp,
        flags: Flags::from_letters(flags),
        label: label.map(str::to_owned),
        v: None,
    }
}

/// The JSON inside a bare link, as a receiver that is not Folio would decode it.
fn payload_json(link: &str) -> Value {
    let encoded = link.strip_prefix("shlink:/").unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(encoded).unwrap()).unwrap()
}

fn header_json(compact: &str) -> Value {
    let header = compact.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

#[test]
fn keys_are_random_43_characters_and_read_back() {
    let key = LinkKey::generate();
    let text = key.to_base64url();
    assert_eq!(text.len(), 43);
    assert_eq!(LinkKey::from_base64url(&text).unwrap(), key);
    assert_ne!(LinkKey::generate(), key);
    assert_eq!(LinkKey::from_bytes(*key.as_bytes()), key);
}

#[test]
fn debug_output_never_shows_the_key() {
    let key = LinkKey::from_bytes([0xab; 32]);
    let link = ShareLinkPayload {
        url: "https://shl.example.org/m".into(),
        key: key.clone(),
        ..payload("L", Some("label"), None)
    };
    for shown in [format!("{key:?}"), format!("{link:?}")] {
        assert!(!shown.contains(key.to_base64url().as_str()), "{shown}");
        assert!(!shown.contains("171"), "{shown}"); // 0xab in decimal
        assert!(!shown.to_lowercase().contains("abab"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}

#[test]
fn flags_are_written_in_alphabetical_order_and_omitted_when_empty() {
    let flags = Flags::from_letters("UL");
    assert_eq!(flags.to_letters(), "LU");
    assert_eq!(Flags::from_letters("PL").to_letters(), "LP");
    let link = payload("UL", None, None).encode();
    assert_eq!(payload_json(&link)["flag"], "LU");

    let plain = payload("", None, None);
    assert!(plain.flags.is_empty());
    let json = payload_json(&plain.encode());
    assert_eq!(
        json.as_object().unwrap().keys().collect::<Vec<_>>().len(),
        2,
        "only url and key: {json}"
    );
    assert!(json.get("flag").is_none());
}

#[test]
fn payload_json_is_minified_in_the_standards_key_order() {
    let link = ShareLinkPayload {
        v: Some(1),
        ..payload("LP", Some("Oliver"), Some(1_706_745_600))
    };
    let encoded = link.encode();
    let json = String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(&encoded["shlink:/".len()..])
            .unwrap(),
    )
    .unwrap();
    let expected = format!(
        r#"{{"url":"{}","flag":"LP","key":"{}","exp":1706745600,"label":"Oliver","v":1}}"#,
        link.url,
        *link.key.to_base64url()
    );
    assert_eq!(json, expected);
}

#[test]
fn every_flag_combination_the_standard_allows_round_trips() {
    for letters in ["", "L", "P", "LP", "U", "LU"] {
        let link = payload(letters, Some("A label"), Some(42));
        assert_eq!(ShareLinkPayload::parse(&link.encode()).unwrap(), link);
        assert_eq!(link.flags.to_letters(), letters);
    }
}

/// A non-ASCII label puts `-` or `_` into the base64url, where plain-base64 readers break.
#[test]
fn non_ascii_labels_round_trip_through_base64url() {
    let link = payload("", Some("Résumé médical d'Éloïse — 日本語 ✓"), None);
    let encoded = link.encode();
    assert!(
        encoded.contains('-') || encoded.contains('_'),
        "this label was chosen to need the URL-safe alphabet: {encoded}"
    );
    assert_eq!(ShareLinkPayload::parse(&encoded).unwrap(), link);
}

#[test]
fn the_reader_accepts_every_spelling_found_in_the_wild() {
    let link = payload("LP", Some("Back to school"), Some(1_767_225_600));
    let bare = link.encode();
    let encoded = &bare["shlink:/".len()..];
    let padding = "=".repeat((4 - encoded.len() % 4) % 4);
    for text in [
        bare.clone(),
        format!("  \n{bare}\t \r\n"),
        link.viewer_url("https://viewer.example.org"),
        link.viewer_url("https://viewer.example.org#"),
        format!("https://viewer.tcpdev.org/shlink.html#{bare}"),
        format!("https://viewer.example.org/view?lang=fr#{bare}"),
        format!("SHLINK:/{encoded}"),
        format!("https://viewer.example.org#SHLink:/{encoded}"),
        format!("{bare}{padding}"),
        format!("{bare}==="),
    ] {
        assert_eq!(ShareLinkPayload::parse(&text).unwrap(), link, "{text:?}");
    }
}

#[test]
fn unknown_properties_flags_and_nulls_are_ignored() {
    let key = LinkKey::generate();
    let json = json!({
        "url": "https://shl.example.org/m/abc",
        "key": *key.to_base64url(),
        "flag": "XLZ",
        "label": null,
        "exp": null,
        "_folio": {"anything": [1, 2, 3]},
        "extension": "reserved, never defined",
        "labelzzz": "a typo",
    });
    let link = format!(
        "shlink:/{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json).unwrap())
    );
    let read = ShareLinkPayload::parse(&link).unwrap();
    assert_eq!(
        read,
        ShareLinkPayload {
            url: "https://shl.example.org/m/abc".into(),
            key,
            exp: None,
            flags: Flags {
                long_term: true,
                ..Flags::default()
            },
            label: None,
            v: None,
        }
    );
}

#[test]
fn exp_is_read_as_whole_seconds_and_a_non_number_as_no_hint() {
    let key = LinkKey::generate();
    let read = |exp: Value| {
        let json = json!({"url": "https://x.example/m", "key": *key.to_base64url(), "exp": exp});
        ShareLinkPayload::from_json(&serde_json::to_vec(&json).unwrap())
            .unwrap()
            .exp
    };
    assert_eq!(read(json!(1_706_745_600)), Some(1_706_745_600));
    assert_eq!(read(json!(1_706_745_600.75)), Some(1_706_745_600));
    assert_eq!(read(json!(-5)), Some(-5));
    assert_eq!(read(json!("1767225600000")), None);
    assert_eq!(read(json!({"seconds": 1})), None);
    assert_eq!(read(json!(1e300)), Some(i64::MAX));
}

#[test]
fn a_label_of_exactly_80_characters_is_accepted() {
    let label: String = "é".repeat(MAX_LABEL_CHARS);
    assert_eq!(label.len(), 2 * MAX_LABEL_CHARS, "two bytes per character");
    let link = payload("", Some(&label), None);
    assert_eq!(link.check(), Ok(()));
    assert_eq!(ShareLinkPayload::parse(&link.encode()).unwrap(), link);
}

#[test]
fn version_1_is_read() {
    let link = ShareLinkPayload {
        v: Some(1),
        ..payload("", None, None)
    };
    assert_eq!(ShareLinkPayload::parse(&link.encode()).unwrap().v, Some(1));
}

#[test]
fn link_ids_are_43_characters_of_32_random_bytes() {
    let id = LinkId::generate();
    assert_eq!(id.as_str().len(), LINK_ID_CHARS);
    assert_eq!(URL_SAFE_NO_PAD.decode(id.as_str()).unwrap().len(), 32);
    assert_ne!(LinkId::generate(), id);
    assert_eq!(LinkId::parse(id.as_str()), Some(id.clone()));
    assert!(!format!("{id:?}").contains(id.as_str()));

    let url = id.url("https://folio.example/shl/");
    assert_eq!(url, format!("https://folio.example/shl/{}", id.as_str()));
    assert_eq!(id.url("https://folio.example/shl"), url);
    assert!(url.len() <= MAX_URL_CHARS);
}

#[test]
fn link_id_parse_refuses_what_generate_cannot_make() {
    let id = LinkId::generate();
    let text = id.as_str();
    assert_eq!(LinkId::parse(&text[1..]), None);
    assert_eq!(LinkId::parse(&format!("{text}A")), None);
    assert_eq!(LinkId::parse(&format!("{}+", &text[1..])), None);
    assert_eq!(LinkId::parse(&format!("{}=", &text[1..])), None);
    assert_eq!(LinkId::parse(""), None);
}

#[test]
fn files_round_trip_with_and_without_compression() {
    let key = LinkKey::generate();
    let plaintext = serde_json::to_vec(&json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": vec![json!({"resource": {"resourceType": "Observation", "status": "final"}}); 200],
    }))
    .unwrap();
    for compress in [false, true] {
        let compact = encrypt(&key, FHIR_JSON, &plaintext, compress);
        let file = decrypt(&key, &compact).unwrap();
        assert_eq!(file.plaintext, plaintext);
        assert_eq!(file.content_type.as_deref(), Some(FHIR_JSON));

        let mut expected = json!({"alg": "dir", "enc": "A256GCM", "cty": FHIR_JSON});
        if compress {
            expected["zip"] = json!("DEF");
        }
        assert_eq!(header_json(&compact), expected);

        let parts: Vec<&str> = compact.split('.').collect();
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[1], "", "dir has no encrypted key");
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 12);
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[4]).unwrap().len(), 16);
        let ciphertext_len = URL_SAFE_NO_PAD.decode(parts[3]).unwrap().len();
        if compress {
            assert!(ciphertext_len < plaintext.len() / 10, "{ciphertext_len}");
        } else {
            assert_eq!(ciphertext_len, plaintext.len());
        }
    }
}

#[test]
fn every_encryption_draws_a_fresh_iv() {
    let key = LinkKey::generate();
    let ivs: std::collections::HashSet<String> = (0..64)
        .map(|_| {
            let compact = encrypt(&key, SMART_HEALTH_CARD, b"{}", false);
            compact.split('.').nth(2).unwrap().to_owned()
        })
        .collect();
    assert_eq!(ivs.len(), 64);
}

#[test]
fn an_empty_file_round_trips() {
    let key = LinkKey::generate();
    for compress in [false, true] {
        let file = decrypt(&key, &encrypt(&key, FHIR_JSON, b"", compress)).unwrap();
        assert!(file.plaintext.is_empty());
    }
}

#[test]
fn a_trailing_newline_after_the_file_is_ignored() {
    let key = LinkKey::generate();
    let compact = encrypt(&key, FHIR_JSON, b"{\"resourceType\":\"Patient\"}", false);
    let file = decrypt(&key, &format!("{compact}\r\n")).unwrap();
    assert_eq!(file.json().unwrap()["resourceType"], "Patient");
}

#[test]
fn the_plaintext_limit_is_inclusive() {
    let key = LinkKey::generate();
    let plaintext = vec![b'a'; 1000];
    for compress in [false, true] {
        let compact = encrypt(&key, FHIR_JSON, &plaintext, compress);
        assert_eq!(
            decrypt_with_limit(&key, &compact, 1000).unwrap().plaintext,
            plaintext
        );
        assert_eq!(
            decrypt_with_limit(&key, &compact, 999).unwrap_err(),
            JweError::TooLarge { limit: 999 }
        );
    }
}

#[test]
fn decrypted_debug_output_shows_no_plaintext() {
    let key = LinkKey::generate();
    let file = decrypt(&key, &encrypt(&key, FHIR_JSON, b"secret diagnosis", false)).unwrap();
    let shown = format!("{file:?}");
    assert!(!shown.contains("secret"), "{shown}");
    assert!(shown.contains("16"), "{shown}");
}

const BASE64URL_AND_DOT: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

proptest! {
    #[test]
    fn any_file_round_trips(
        plaintext in proptest::collection::vec(any::<u8>(), 0..4096),
        compress in any::<bool>(),
        content_type in "[a-z]{1,12}/[a-z+.-]{1,24}(;[a-zA-Z]{1,8}=[0-9.]{1,6})?",
    ) {
        let key = LinkKey::generate();
        let file = decrypt(&key, &encrypt(&key, &content_type, &plaintext, compress)).unwrap();
        prop_assert_eq!(file.plaintext, plaintext);
        prop_assert_eq!(file.content_type, Some(content_type));
    }

    /// Whichever character changes (in the header, IV, ciphertext or tag, or a dot), and
    /// whatever it becomes, the file fails to decrypt; it never opens to other plaintext.
    #[test]
    fn any_changed_character_is_an_error(
        plaintext in proptest::collection::vec(any::<u8>(), 0..512),
        compress in any::<bool>(),
        position in any::<prop::sample::Index>(),
        replacement in any::<prop::sample::Index>(),
    ) {
        let key = LinkKey::generate();
        let compact = encrypt(&key, FHIR_JSON, &plaintext, compress);
        let position = position.index(compact.len());
        let original = compact.as_bytes()[position];
        let others: Vec<u8> =
            BASE64URL_AND_DOT.iter().copied().filter(|&c| c != original).collect();
        let mut changed = compact.into_bytes();
        changed[position] = *replacement.get(&others);
        let changed = String::from_utf8(changed).unwrap();
        prop_assert!(decrypt(&key, &changed).is_err(), "{} opened", changed);
    }

    #[test]
    fn any_payload_round_trips(
        url in "https://[a-z]{1,20}\\.example/[A-Za-z0-9_-]{43}",
        label in proptest::option::of("\\PC{0,80}"),
        exp in proptest::option::of(any::<i64>()),
        letters in prop::sample::select(vec!["", "L", "P", "LP", "U", "LU"]),
        v in proptest::option::of(Just(1u32)),
        viewer in proptest::option::of("https://[a-z]{1,12}\\.example(/[a-z]{1,8}(\\.html)?)?"),
    ) {
        let link = ShareLinkPayload {
            url,
            key: LinkKey::generate(),
            exp,
            flags: Flags::from_letters(letters),
            label,
            v,
        };
        let text = match &viewer {
            Some(viewer) => link.viewer_url(viewer),
            None => link.encode(),
        };
        prop_assert_eq!(ShareLinkPayload::parse(&text).unwrap(), link);
    }
}
