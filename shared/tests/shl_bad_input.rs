//! Every refusal of the share-link codec, one test per error variant: links that are not
//! links, payloads that break the standard's rules, files that are not JWE, use other
//! algorithms, were altered, or would inflate past the limit.

#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use folio_shared::shl::jwe::{DEFAULT_MAX_PLAINTEXT_BYTES, JwePart};
use folio_shared::shl::manifest::FHIR_JSON;
use folio_shared::shl::{
    Flags, JweError, LinkKey, LinkKeyError, ManifestError, ManifestFile, PayloadError,
    ShareLinkPayload, decrypt, decrypt_with_limit, encrypt,
};
use serde_json::{Value, json};

fn link_of(json: &Value) -> String {
    format!(
        "shlink:/{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).unwrap())
    )
}

fn good_payload() -> Value {
    json!({
        "url": "https://shl.example.org/m/I91rhba3VsuGXGchcnr6VHlQFKxfE28kuZ0ssbEuxno",
        "key": *LinkKey::generate().to_base64url(),
    })
}

fn with(field: &str, value: Value) -> Value {
    let mut payload = good_payload();
    payload[field] = value;
    payload
}

fn without(field: &str) -> Value {
    let mut payload = good_payload();
    payload.as_object_mut().unwrap().remove(field);
    payload
}

fn parse(json: &Value) -> Result<ShareLinkPayload, PayloadError> {
    ShareLinkPayload::parse(&link_of(json))
}

/// A JWE sealed under `key` with any protected header, made without Folio's writer, so a
/// header the writer would never produce can still be correctly encrypted.
fn seal_with_header(key: &LinkKey, header: &[u8], plaintext: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(header);
    let iv = [7u8; 12];
    let mut buffer = plaintext.to_vec();
    let tag = Aes256Gcm::new(key.as_bytes().into())
        .encrypt_in_place_detached(Nonce::from_slice(&iv), header.as_bytes(), &mut buffer)
        .unwrap();
    format!(
        "{header}..{}.{}.{}",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(&buffer),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

fn replace_part(compact: &str, index: usize, part: &str) -> String {
    let mut parts: Vec<&str> = compact.split('.').collect();
    parts[index] = part;
    parts.join(".")
}

// ---- payloads -------------------------------------------------------------------------

#[test]
fn text_without_a_link_is_no_share_link() {
    for text in [
        "",
        "   ",
        "https://viewer.example.org/view",
        "shc:/5676290952432060346029243740",
        "https://viewer.example.org#shlink:",
        "xshlink:/eyJ1cmwiOiJ4In0",
    ] {
        assert_eq!(
            ShareLinkPayload::parse(text),
            Err(PayloadError::NoShareLink),
            "{text:?}"
        );
    }
}

#[test]
fn a_payload_outside_the_base64url_alphabet_is_refused() {
    let standard = STANDARD.encode(serde_json::to_vec(&with("label", json!("ÿÿÿ>>>???"))).unwrap());
    assert!(
        standard.contains('+') || standard.contains('/'),
        "{standard}"
    );
    for text in [
        format!("shlink:/{standard}"),
        "shlink:/eyJ1cmwi OiJ4In0".to_owned(),
        "shlink:/A".to_owned(),
        "shlink:/eyJ1cmwiOiJ4In0=A".to_owned(),
    ] {
        assert_eq!(
            ShareLinkPayload::parse(&text),
            Err(PayloadError::NotBase64Url),
            "{text}"
        );
    }
}

#[test]
fn a_payload_that_is_not_json_is_refused() {
    let link = format!("shlink:/{}", URL_SAFE_NO_PAD.encode(b"{\"url\": \"x\""));
    assert!(matches!(
        ShareLinkPayload::parse(&link),
        Err(PayloadError::NotJson(_))
    ));
    assert!(matches!(
        ShareLinkPayload::parse("shlink:/"),
        Err(PayloadError::NotJson(_))
    ));
}

#[test]
fn a_payload_that_is_not_an_object_is_refused() {
    for json in [json!([1, 2]), json!("shlink"), json!(null), json!(4)] {
        assert_eq!(parse(&json), Err(PayloadError::NotAnObject), "{json}");
    }
}

#[test]
fn url_and_key_are_required() {
    assert_eq!(
        parse(&without("url")),
        Err(PayloadError::MissingField("url"))
    );
    assert_eq!(
        parse(&with("url", json!(null))),
        Err(PayloadError::MissingField("url"))
    );
    assert_eq!(
        parse(&with("url", json!(""))),
        Err(PayloadError::MissingField("url"))
    );
    assert_eq!(
        parse(&without("key")),
        Err(PayloadError::MissingField("key"))
    );
    assert_eq!(
        parse(&with("key", json!(null))),
        Err(PayloadError::MissingField("key"))
    );
}

#[test]
fn fields_of_the_wrong_type_are_refused() {
    let cases = [
        ("url", json!(42), "a string"),
        ("key", json!([1, 2, 3]), "a string"),
        ("flag", json!(["L"]), "a string"),
        ("label", json!(7), "a string"),
        ("v", json!("1"), "a positive integer"),
        ("v", json!(0), "a positive integer"),
        ("v", json!(-1), "a positive integer"),
        ("v", json!(1.5), "a positive integer"),
    ];
    for (field, value, expected) in cases {
        assert_eq!(
            parse(&with(field, value.clone())),
            Err(PayloadError::WrongType { field, expected }),
            "{field}: {value}"
        );
    }
}

#[test]
fn a_key_that_is_not_base64url_is_refused() {
    for key in [
        "rxTgYlOaKJPFtcEd0qcceN8wEU4p94SqAwIWQe6uX7Q!",
        "rxTgYlOaKJPFtcEd0qcceN8wEU4p94SqAwIWQe6uX7+",
        "r",
    ] {
        assert_eq!(
            parse(&with("key", json!(key))),
            Err(PayloadError::Key(LinkKeyError::NotBase64Url)),
            "{key}"
        );
        assert_eq!(
            LinkKey::from_base64url(key).unwrap_err(),
            LinkKeyError::NotBase64Url
        );
    }
}

#[test]
fn a_key_of_other_than_32_bytes_is_refused() {
    for length in [0usize, 16, 31, 33, 64] {
        let key = URL_SAFE_NO_PAD.encode(vec![9u8; length]);
        assert_eq!(
            parse(&with("key", json!(key))),
            Err(PayloadError::Key(LinkKeyError::WrongLength {
                found: length
            })),
            "{length} bytes"
        );
    }
}

#[test]
fn a_label_over_80_characters_is_refused() {
    let label = "é".repeat(81);
    assert_eq!(
        parse(&with("label", json!(label))),
        Err(PayloadError::LabelTooLong { found: 81 })
    );
    let payload = ShareLinkPayload {
        label: Some("x".repeat(200)),
        ..ShareLinkPayload::parse(&link_of(&good_payload())).unwrap()
    };
    assert_eq!(
        payload.check(),
        Err(PayloadError::LabelTooLong { found: 200 })
    );
}

#[test]
fn passcode_and_direct_file_together_are_refused() {
    for letters in ["PU", "LPU", "UP", "ZUQP"] {
        assert_eq!(
            parse(&with("flag", json!(letters))),
            Err(PayloadError::PasscodeWithDirectFile),
            "{letters}"
        );
    }
    let payload = ShareLinkPayload {
        flags: Flags {
            passcode: true,
            direct_file: true,
            long_term: false,
        },
        ..ShareLinkPayload::parse(&link_of(&good_payload())).unwrap()
    };
    assert_eq!(payload.check(), Err(PayloadError::PasscodeWithDirectFile));
}

/// A newer version may change what the other fields mean, so it is reported before any
/// of them is looked at: the user is told to update, not that the key looks wrong.
#[test]
fn a_newer_version_is_its_own_error_and_comes_first() {
    assert_eq!(
        parse(&with("v", json!(2))),
        Err(PayloadError::UnsupportedVersion { found: 2 })
    );
    let huge = u64::from(u32::MAX) + 1;
    assert_eq!(
        parse(&with("v", json!(huge))),
        Err(PayloadError::UnsupportedVersion { found: huge })
    );
    let future = json!({"v": 3, "url": 5, "key": "not a key", "flag": "PU"});
    assert_eq!(
        parse(&future),
        Err(PayloadError::UnsupportedVersion { found: 3 })
    );
    let payload = ShareLinkPayload {
        v: Some(2),
        ..ShareLinkPayload::parse(&link_of(&good_payload())).unwrap()
    };
    assert_eq!(
        payload.check(),
        Err(PayloadError::UnsupportedVersion { found: 2 })
    );
}

// ---- files ----------------------------------------------------------------------------

#[test]
fn a_file_without_five_parts_is_refused() {
    let key = LinkKey::generate();
    let compact = encrypt(&key, FHIR_JSON, b"{}", false);
    let four = compact.rsplit_once('.').unwrap().0.to_owned();
    for (text, found) in [
        ("".to_owned(), 1),
        ("eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.c2ln".to_owned(), 3),
        (four, 4),
        (format!("{compact}."), 6),
    ] {
        assert_eq!(
            decrypt(&key, &text).unwrap_err(),
            JweError::WrongPartCount { found },
            "{text}"
        );
    }
}

#[test]
fn each_part_must_be_unpadded_base64url() {
    let key = LinkKey::generate();
    let compact = encrypt(&key, FHIR_JSON, b"{\"resourceType\":\"Patient\"}", false);
    let parts: Vec<&str> = compact.split('.').collect();
    for (index, part) in [
        (0, JwePart::ProtectedHeader),
        (2, JwePart::Iv),
        (3, JwePart::Ciphertext),
        (4, JwePart::Tag),
    ] {
        for bad in [
            format!("{}=", parts[index]),
            format!("{}*", parts[index]),
            "A".into(),
        ] {
            assert_eq!(
                decrypt(&key, &replace_part(&compact, index, &bad)).unwrap_err(),
                JweError::NotBase64Url { part },
                "{part}: {bad}"
            );
        }
    }
}

/// A last character that differs only in the bits past the data decodes to the same bytes
/// in lenient decoders. The reader refuses it, so no two texts open to the same file.
#[test]
fn stray_bits_after_the_data_are_refused() {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let key = LinkKey::generate();
    // 2 plaintext bytes: 3 characters carrying 2 stray bits; the 16-byte tag carries 4.
    let compact = encrypt(&key, "application/fhir+json", b"{}", false);
    let parts: Vec<&str> = compact.split('.').collect();
    for (index, part) in [
        (0, JwePart::ProtectedHeader),
        (3, JwePart::Ciphertext),
        (4, JwePart::Tag),
    ] {
        let text = parts[index];
        assert_ne!(
            URL_SAFE_NO_PAD.decode(text).unwrap().len() % 3,
            0,
            "the {part} must end in a partial group for this test"
        );
        let last = text.as_bytes()[text.len() - 1];
        let position = ALPHABET.iter().position(|&c| c == last).unwrap();
        let stray = ALPHABET[position ^ 1] as char;
        let altered = format!("{}{stray}", &text[..text.len() - 1]);
        assert_eq!(
            decrypt(&key, &replace_part(&compact, index, &altered)).unwrap_err(),
            JweError::NotBase64Url { part },
            "{part}"
        );
    }
}

#[test]
fn a_header_that_is_not_utf8_is_refused() {
    let key = LinkKey::generate();
    assert_eq!(
        decrypt(
            &key,
            &seal_with_header(&key, b"{\"alg\":\"dir\xff\"}", b"{}")
        )
        .unwrap_err(),
        JweError::HeaderNotUtf8
    );
}

#[test]
fn a_header_that_is_not_a_json_object_is_refused() {
    let key = LinkKey::generate();
    for header in [
        &b"{\"alg\":\"dir\""[..],
        b"[\"dir\",\"A256GCM\"]",
        b"",
        b"dir",
    ] {
        assert_eq!(
            decrypt(&key, &seal_with_header(&key, header, b"{}")).unwrap_err(),
            JweError::HeaderNotJson,
            "{}",
            String::from_utf8_lossy(header)
        );
    }
}

#[test]
fn alg_and_enc_must_be_present_as_strings() {
    let key = LinkKey::generate();
    for (header, missing) in [
        (json!({"enc": "A256GCM"}), "alg"),
        (json!({"alg": ["dir"], "enc": "A256GCM"}), "alg"),
        (json!({"alg": "dir"}), "enc"),
        (json!({"alg": "dir", "enc": null}), "enc"),
    ] {
        let compact = seal_with_header(&key, header.to_string().as_bytes(), b"{}");
        assert_eq!(
            decrypt(&key, &compact).unwrap_err(),
            JweError::MissingHeader(missing),
            "{header}"
        );
    }
}

#[test]
fn key_management_other_than_dir_is_refused() {
    let key = LinkKey::generate();
    for alg in ["A256KW", "none", "RSA-OAEP", "DIR", "ECDH-ES"] {
        let header = json!({"alg": alg, "enc": "A256GCM"});
        let compact = seal_with_header(&key, header.to_string().as_bytes(), b"{}");
        assert_eq!(
            decrypt(&key, &compact).unwrap_err(),
            JweError::UnsupportedAlgorithm(alg.into())
        );
    }
}

#[test]
fn content_encryption_other_than_a256gcm_is_refused() {
    let key = LinkKey::generate();
    for enc in ["A128GCM", "A256CBC-HS512", "a256gcm"] {
        let header = json!({"alg": "dir", "enc": enc});
        let compact = seal_with_header(&key, header.to_string().as_bytes(), b"{}");
        assert_eq!(
            decrypt(&key, &compact).unwrap_err(),
            JweError::UnsupportedEncryption(enc.into())
        );
    }
}

#[test]
fn compression_other_than_def_is_refused() {
    let key = LinkKey::generate();
    for (zip, shown) in [
        (json!("GZIP"), "GZIP"),
        (json!("def"), "def"),
        (json!(true), "true"),
    ] {
        let header = json!({"alg": "dir", "enc": "A256GCM", "zip": zip});
        let compact = seal_with_header(&key, header.to_string().as_bytes(), b"{}");
        assert_eq!(
            decrypt(&key, &compact).unwrap_err(),
            JweError::UnsupportedCompression(shown.into())
        );
    }
}

#[test]
fn critical_header_members_are_refused() {
    let key = LinkKey::generate();
    let header = json!({"alg": "dir", "enc": "A256GCM", "crit": ["exp"], "exp": 1});
    let compact = seal_with_header(&key, header.to_string().as_bytes(), b"{}");
    assert_eq!(
        decrypt(&key, &compact).unwrap_err(),
        JweError::UnsupportedCritical(vec!["exp".into()])
    );
}

#[test]
fn an_encrypted_key_with_dir_is_refused() {
    let key = LinkKey::generate();
    let compact = encrypt(&key, FHIR_JSON, b"{}", false);
    let with_key = replace_part(&compact, 1, &URL_SAFE_NO_PAD.encode([1u8; 32]));
    assert_eq!(
        decrypt(&key, &with_key).unwrap_err(),
        JweError::EncryptedKeyNotEmpty
    );
}

#[test]
fn an_iv_of_other_than_96_bits_is_refused() {
    let key = LinkKey::generate();
    let compact = encrypt(&key, FHIR_JSON, b"{}", false);
    for length in [0usize, 8, 11, 13, 16] {
        let iv = URL_SAFE_NO_PAD.encode(vec![3u8; length]);
        assert_eq!(
            decrypt(&key, &replace_part(&compact, 2, &iv)).unwrap_err(),
            JweError::WrongIvLength { found: length }
        );
    }
}

#[test]
fn a_tag_of_other_than_128_bits_is_refused() {
    let key = LinkKey::generate();
    let compact = encrypt(&key, FHIR_JSON, b"{}", false);
    let tag = URL_SAFE_NO_PAD
        .decode(compact.rsplit('.').next().unwrap())
        .unwrap();
    for truncated in [0usize, 12, 15] {
        let short = URL_SAFE_NO_PAD.encode(&tag[..truncated]);
        assert_eq!(
            decrypt(&key, &replace_part(&compact, 4, &short)).unwrap_err(),
            JweError::WrongTagLength { found: truncated }
        );
    }
}

#[test]
fn the_wrong_key_or_an_altered_file_is_refused() {
    let key = LinkKey::generate();
    let compact = encrypt(&key, FHIR_JSON, b"{\"resourceType\":\"Patient\"}", true);
    assert_eq!(
        decrypt(&LinkKey::generate(), &compact).unwrap_err(),
        JweError::WrongKeyOrTampered
    );

    // A header re-encoded with another, valid content type: the AAD no longer matches.
    let other_header = URL_SAFE_NO_PAD.encode(
        json!({"alg": "dir", "enc": "A256GCM", "cty": "application/smart-health-card", "zip": "DEF"})
            .to_string(),
    );
    assert_eq!(
        decrypt(&key, &replace_part(&compact, 0, &other_header)).unwrap_err(),
        JweError::WrongKeyOrTampered
    );

    // Another valid IV, a ciphertext with one bit flipped, another tag of the right size.
    let parts: Vec<&str> = compact.split('.').collect();
    let mut ciphertext = URL_SAFE_NO_PAD.decode(parts[3]).unwrap();
    ciphertext[0] ^= 1;
    for (index, part) in [
        (2, URL_SAFE_NO_PAD.encode([0u8; 12])),
        (3, URL_SAFE_NO_PAD.encode(&ciphertext)),
        (4, URL_SAFE_NO_PAD.encode([0u8; 16])),
    ] {
        assert_eq!(
            decrypt(&key, &replace_part(&compact, index, &part)).unwrap_err(),
            JweError::WrongKeyOrTampered,
            "part {index}"
        );
    }
}

#[test]
fn a_compressed_file_that_is_not_raw_deflate_is_refused() {
    let key = LinkKey::generate();
    let header = br#"{"alg":"dir","enc":"A256GCM","zip":"DEF"}"#;
    // Block type 3 is reserved in RFC 1951.
    let compact = seal_with_header(&key, header, &[0xff; 32]);
    assert_eq!(decrypt(&key, &compact).unwrap_err(), JweError::NotDeflate);
}

/// A zip bomb: 80 MiB of zeros compress to about 80 KiB, and the reader stops at its
/// default limit instead of inflating them all.
#[test]
fn a_zip_bomb_is_too_large() {
    let key = LinkKey::generate();
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..80 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert!(bomb.len() < 200 * 1024, "{} bytes", bomb.len());
    let header = br#"{"alg":"dir","enc":"A256GCM","cty":"application/fhir+json","zip":"DEF"}"#;
    let compact = seal_with_header(&key, header, &bomb);
    assert_eq!(
        decrypt(&key, &compact).unwrap_err(),
        JweError::TooLarge {
            limit: DEFAULT_MAX_PLAINTEXT_BYTES
        }
    );
}

#[test]
fn an_uncompressed_file_over_the_limit_is_refused_before_decrypting() {
    let key = LinkKey::generate();
    let compact = encrypt(&key, FHIR_JSON, &[b' '; 4096], false);
    assert_eq!(
        decrypt_with_limit(&key, &compact, 4095).unwrap_err(),
        JweError::TooLarge { limit: 4095 }
    );
    // Refused on size alone: even the wrong key gets the size error, not a crypto one.
    assert_eq!(
        decrypt_with_limit(&LinkKey::generate(), &compact, 4095).unwrap_err(),
        JweError::TooLarge { limit: 4095 }
    );
}

#[test]
fn plaintext_that_is_not_utf8_or_not_json_is_reported_as_such() {
    let key = LinkKey::generate();
    let binary = decrypt(&key, &encrypt(&key, FHIR_JSON, &[0xc3, 0x28], false)).unwrap();
    assert_eq!(binary.text().unwrap_err(), JweError::PlaintextNotUtf8);
    assert_eq!(binary.json().unwrap_err(), JweError::PlaintextNotUtf8);

    let text = decrypt(
        &key,
        &encrypt(&key, FHIR_JSON, b"{\"resourceType\":", false),
    )
    .unwrap();
    assert_eq!(text.text().unwrap(), "{\"resourceType\":");
    assert_eq!(text.json().unwrap_err(), JweError::PlaintextNotJson);
}

// ---- manifests ------------------------------------------------------------------------

#[test]
fn a_manifest_file_with_neither_embedded_nor_location_is_refused() {
    let file: ManifestFile =
        serde_json::from_value(json!({"contentType": "application/fhir+json"})).unwrap();
    assert_eq!(file.source(), Err(ManifestError::FileWithoutContent));
}
