//! Folio's files against JWE code that is not Folio's, in both directions.
//!
//! - `biscuit` is an independent JOSE implementation whose AES-GCM is `ring`'s, not the
//!   `aes-gcm` crate Folio uses: it must open Folio's files, and Folio must open its files.
//! - `biscuit` does not implement `zip`, so for `zip: DEF` the reference reader and writer
//!   below follow RFC 7516 directly on `ring`'s AES-GCM and `libflate`'s raw DEFLATE (not
//!   the `flate2`/`miniz_oxide` Folio uses). That catches the classic producer bug, a
//!   zlib- or gzip-wrapped stream, and any disagreement about the AAD or the part order.

#![cfg(not(target_arch = "wasm32"))]

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use biscuit::jwa::{ContentEncryptionAlgorithm, EncryptionOptions, KeyManagementAlgorithm};
use biscuit::jwe::{self, RegisteredHeader};
use biscuit::jwk::JWK;
use biscuit::{Empty, errors::Error as BiscuitError};
use folio_shared::shl::manifest::{FHIR_JSON, SMART_HEALTH_CARD};
use folio_shared::shl::{LinkKey, decrypt, encrypt};
use rand_core::{OsRng, RngCore};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

type BiscuitJwe = jwe::Compact<Vec<u8>, Empty>;

fn plaintexts() -> Vec<Vec<u8>> {
    let bundle = serde_json::json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": (0..300).map(|n| serde_json::json!({
            "fullUrl": format!("urn:uuid:{n}"),
            "resource": {"resourceType": "Observation", "valueQuantity": {"value": n}},
        })).collect::<Vec<_>>(),
    });
    let mut random = vec![0u8; 5000];
    OsRng.fill_bytes(&mut random);
    vec![
        Vec::new(),
        b"{}".to_vec(),
        "{\"label\":\"Éloïse — 日本語\"}".as_bytes().to_vec(),
        serde_json::to_vec(&bundle).unwrap(),
        random,
    ]
}

fn biscuit_key(key: &LinkKey) -> JWK<Empty> {
    JWK::new_octet_key(key.as_bytes(), Empty::default())
}

fn biscuit_decrypt(
    key: &LinkKey,
    compact: &str,
) -> Result<(Option<String>, Vec<u8>), BiscuitError> {
    let decrypted = BiscuitJwe::new_encrypted(compact).decrypt(
        &biscuit_key(key),
        KeyManagementAlgorithm::DirectSymmetricKey,
        ContentEncryptionAlgorithm::A256GCM,
    )?;
    let (header, payload) = decrypted.unwrap_decrypted();
    Ok((header.registered.content_type, payload))
}

fn biscuit_encrypt(key: &LinkKey, content_type: &str, plaintext: &[u8]) -> String {
    let header = RegisteredHeader {
        cek_algorithm: KeyManagementAlgorithm::DirectSymmetricKey,
        enc_algorithm: ContentEncryptionAlgorithm::A256GCM,
        content_type: Some(content_type.to_owned()),
        key_id: Some("some-key-id".to_owned()),
        ..Default::default()
    };
    let mut nonce = vec![0u8; 12];
    OsRng.fill_bytes(&mut nonce);
    BiscuitJwe::new_decrypted(header.into(), plaintext.to_vec())
        .encrypt(&biscuit_key(key), &EncryptionOptions::AES_GCM { nonce })
        .unwrap()
        .unwrap_encrypted()
        .encode()
}

fn ring_key(key: &LinkKey) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_bytes()).unwrap())
}

/// RFC 7516 §5.2 for `dir` + `A256GCM` + `zip: DEF`, on ring and libflate.
fn reference_decrypt_compressed(key: &LinkKey, compact: &str) -> (serde_json::Value, Vec<u8>) {
    let parts: Vec<&str> = compact.split('.').collect();
    assert_eq!(parts.len(), 5);
    assert_eq!(parts[1], "");
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let iv = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let mut sealed = URL_SAFE_NO_PAD.decode(parts[3]).unwrap();
    sealed.extend(URL_SAFE_NO_PAD.decode(parts[4]).unwrap());
    let compressed = ring_key(key)
        .open_in_place(
            Nonce::try_assume_unique_for_key(&iv).unwrap(),
            Aad::from(parts[0].as_bytes()),
            &mut sealed,
        )
        .unwrap();
    let mut plaintext = Vec::new();
    libflate::deflate::Decoder::new(&compressed[..])
        .read_to_end(&mut plaintext)
        .unwrap();
    (header, plaintext)
}

/// The same, writing: members in another order than Folio's, and an extra `kid`.
fn reference_encrypt_compressed(key: &LinkKey, content_type: &str, plaintext: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(
        serde_json::json!({"zip": "DEF", "kid": "k1", "enc": "A256GCM", "cty": content_type, "alg": "dir"})
            .to_string(),
    );
    let mut encoder = libflate::deflate::Encoder::new(Vec::new());
    encoder.write_all(plaintext).unwrap();
    let mut buffer = encoder.finish().into_result().unwrap();
    let mut iv = [0u8; 12];
    OsRng.fill_bytes(&mut iv);
    let tag = ring_key(key)
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header.as_bytes()),
            &mut buffer,
        )
        .unwrap();
    format!(
        "{header}..{}.{}.{}",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(&buffer),
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    )
}

#[test]
fn biscuit_opens_folios_files() {
    let key = LinkKey::generate();
    for plaintext in plaintexts() {
        let compact = encrypt(&key, FHIR_JSON, &plaintext, false);
        let (content_type, opened) = biscuit_decrypt(&key, &compact).unwrap();
        assert_eq!(opened, plaintext);
        assert_eq!(content_type.as_deref(), Some(FHIR_JSON));
    }
}

#[test]
fn folio_opens_biscuits_files() {
    let key = LinkKey::generate();
    for plaintext in plaintexts() {
        let compact = biscuit_encrypt(&key, SMART_HEALTH_CARD, &plaintext);
        let file = decrypt(&key, &compact).unwrap();
        assert_eq!(file.plaintext, plaintext);
        assert_eq!(file.content_type.as_deref(), Some(SMART_HEALTH_CARD));
    }
}

/// The two implementations agree on what a wrong key is.
#[test]
fn neither_opens_the_others_file_with_another_key() {
    let key = LinkKey::generate();
    let other = LinkKey::generate();
    assert!(decrypt(&other, &biscuit_encrypt(&key, FHIR_JSON, b"{}")).is_err());
    assert!(matches!(
        biscuit_decrypt(&other, &encrypt(&key, FHIR_JSON, b"{}", false)),
        Err(BiscuitError::UnspecifiedCryptographicError)
    ));
}

/// biscuit authenticates and decrypts a compressed file, then stops because it cannot
/// inflate: so its refusal here (unlike the crypto error of a wrong tag) shows that
/// Folio's header, IV, AAD and tag are right for compressed files too.
#[test]
fn biscuit_authenticates_folios_compressed_files() {
    let key = LinkKey::generate();
    let compact = encrypt(&key, FHIR_JSON, &plaintexts()[3], true);
    assert!(matches!(
        biscuit_decrypt(&key, &compact),
        Err(BiscuitError::UnsupportedOperation)
    ));
    let mut parts: Vec<&str> = compact.split('.').collect();
    let wrong_tag = URL_SAFE_NO_PAD.encode([0u8; 16]);
    parts[4] = &wrong_tag;
    assert!(matches!(
        biscuit_decrypt(&key, &parts.join(".")),
        Err(BiscuitError::UnspecifiedCryptographicError)
    ));
}

#[test]
fn the_reference_reader_opens_folios_compressed_files() {
    let key = LinkKey::generate();
    for plaintext in plaintexts() {
        let compact = encrypt(&key, FHIR_JSON, &plaintext, true);
        let (header, opened) = reference_decrypt_compressed(&key, &compact);
        assert_eq!(opened, plaintext);
        assert_eq!(header["zip"], "DEF");
        assert_eq!(header["cty"], FHIR_JSON);
    }
}

#[test]
fn folio_opens_the_reference_writers_compressed_files() {
    let key = LinkKey::generate();
    for plaintext in plaintexts() {
        let compact = reference_encrypt_compressed(&key, FHIR_JSON, &plaintext);
        let file = decrypt(&key, &compact).unwrap();
        assert_eq!(file.plaintext, plaintext);
        assert_eq!(file.content_type.as_deref(), Some(FHIR_JSON));
    }
}
