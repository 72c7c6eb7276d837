//! The SMART Health Links standard's published vectors and the real links of the HL7 and
//! seanno example repositories (see `../shared/data/README.md`), read from disk: every link
//! decodes to the payload its details file states, and every file decrypts with the key of
//! the link that points at it to exactly the published plaintext.

#![cfg(not(target_arch = "wasm32"))]

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use folio_shared::shl::manifest::{self, FileSource, ManifestStatus};
use folio_shared::shl::{Flags, JweError, LinkKey, Manifest, ShareLinkPayload, decrypt};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const HL7: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/shl/hl7-smart-health-cards-and-links/"
);
const SEANNO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/shl/seanno-shc-demo-data/"
);

/// The key of every published example link, and its bytes as the standard prints them.
const EXAMPLE_KEY: &str = "rxTgYlOaKJPFtcEd0qcceN8wEU4p94SqAwIWQe6uX7Q";
const EXAMPLE_KEY_HEX: &str = "af14e062539a2893c5b5c11dd2a71c78df30114e29f784aa03021641eeae5fb4";

fn read(path: String) -> String {
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read_json(path: String) -> Value {
    serde_json::from_str(&read(path)).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The payload as a receiver sees it, for comparison with a published payload JSON.
fn as_published_json(payload: &ShareLinkPayload) -> Value {
    let mut object = json!({
        "url": payload.url,
        "key": *payload.key.to_base64url(),
    });
    if !payload.flags.is_empty() {
        object["flag"] = json!(payload.flags.to_letters());
    }
    if let Some(label) = &payload.label {
        object["label"] = json!(label);
    }
    if let Some(exp) = payload.exp {
        object["exp"] = json!(exp);
    }
    if let Some(v) = payload.v {
        object["v"] = json!(v);
    }
    object
}

/// §5.1 of the summary: the standard's "Example SMART Health Link Generation".
#[test]
fn standard_generation_example_encodes_byte_for_byte() {
    let encoded = "eyJ1cmwiOiJodHRwczovL2Voci5leGFtcGxlLm9yZy9xci9ZOXh3a1VkdG1OOXd3b0pvTjNmZkpJaFgyVUd2Q0wxSm5sUFZOTDNrRFdNL20iLCJmbGFnIjoiTFAiLCJrZXkiOiJyeFRnWWxPYUtKUEZ0Y0VkMHFjY2VOOHdFVTRwOTRTcUF3SVdRZTZ1WDdRIiwibGFiZWwiOiJCYWNrLXRvLXNjaG9vbCBpbW11bml6YXRpb25zIGZvciBPbGl2ZXIgQnJvd24ifQ";
    let payload = ShareLinkPayload {
        url: "https://ehr.example.org/qr/Y9xwkUdtmN9wwoJoN3ffJIhX2UGvCL1JnlPVNL3kDWM/m".into(),
        key: LinkKey::from_base64url(EXAMPLE_KEY).unwrap(),
        exp: None,
        flags: Flags::from_letters("LP"),
        label: Some("Back-to-school immunizations for Oliver Brown".into()),
        v: None,
    };
    assert_eq!(hex(payload.key.as_bytes()), EXAMPLE_KEY_HEX);
    assert_eq!(payload.encode(), format!("shlink:/{encoded}"));
    assert_eq!(
        payload.viewer_url("https://viewer.example.org"),
        format!("https://viewer.example.org#shlink:/{encoded}")
    );
    for text in [
        format!("shlink:/{encoded}"),
        format!("https://viewer.example.org#shlink:/{encoded}"),
    ] {
        assert_eq!(ShareLinkPayload::parse(&text).unwrap(), payload);
    }
}

/// §5.4 of the summary: the KTC profile's example, which has `exp` and the `U` flag.
#[test]
fn ktc_example_encodes_byte_for_byte() {
    let link = "shlink:/eyJ1cmwiOiJodHRwczovL3BhdGllbnQtYXBwLmV4YW1wbGUuY29tL1k5eHdrVWR0bU45d3dvSm9OM2ZmSkloWDJVR3ZDTDFKbmxQVk5MM2tEV00iLCJmbGFnIjoiVSIsImtleSI6InJ4VGdZbE9hS0pQRnRjRWQwcWNjZU44d0VVNHA5NFNxQXdJV1FlNnVYN1EiLCJleHAiOjE3MDY3NDU2MDAsImxhYmVsIjoiSmVzc2ljYSBBcmdvbmF1dCdzIGhlYWx0aCBzdW1tYXJ5In0";
    let payload = ShareLinkPayload::parse(link).unwrap();
    assert_eq!(
        payload.url,
        "https://patient-app.example.com/Y9xwkUdtmN9wwoJoN3ffJIhX2UGvCL1JnlPVNL3kDWM"
    );
    assert_eq!(payload.exp, Some(1_706_745_600));
    assert_eq!(
        payload.flags,
        Flags {
            direct_file: true,
            ..Flags::default()
        }
    );
    assert_eq!(
        payload.label.as_deref(),
        Some("Jessica Argonaut's health summary")
    );
    assert_eq!(payload.encode(), link);
}

/// §5.2 of the summary: the standard's "Example Encryption/Decryption", a health card file.
#[test]
fn standard_encryption_example_decrypts() {
    const SPEC_EXAMPLE_JWE: &str = concat!(
        "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwiY3R5IjoiYXBwbGljYXRpb24vc21hcnQtaGVhbHRoLWNhcmQi",
        "fQ..B9Bd5AW751az-gEx.iah6mxLb5TQe2ZfCwEUs4R1t8WoP0mnFc-TUzN1NIyzUeDwJNOcxv4CY8wV6ys4Dicn",
        "r3IhqTvVU1RbR-4eq1GCd4g96faV8_0MbHwXzP246Tz9BDLhQ2zlAjYqvvCi_JuWdyWqGhKeWGX1XibNHFzzVT0F",
        "mYensfKF4o0uSeZWQDKVEEhzMSKuALMpUkfwHcmCRfLT-ctANSxq-Zj0IIeT66XbztOomStjlfi-F-FaqBGZfHOA",
        "RCVvT143CTYELLJCUdD4qUVkrNuLmRZrNuqVpY0g5BjABswkIoDmyoRJAEohuZCamZNA--p-uRqJjRefED1eMrKS",
        "ppabV2ugaqoFlieujTOE-a3VKib9aC-lFsmLalkwh9ctr_FZqS9H46rqGjGcOxtAXalo1jkMPGupVsE1W-xIH14w",
        "bPCYcgfldH9SH7X60462kxD8OFdHpvnnfAvjQnaE4QDqasT5ySpBRtck4GVxs2IRBt62-kOlzoI8lHapLdwIms-G",
        "dt7z38E47ZE3afE4IIbobPGz7wGvjbi3z234ARvGQ4jREgPQb1NRYAEtZlrZNzR6N7ofXD8jF502tw-QWI_Ox0jF",
        "P5tynIiMp-hG25ecQ0s4MzPHFC0ZABPamgg3MS-UILl76gMDCHS5Te_JAXZoC1HnkETw5M217SaG5ISAU0F5qETM",
        "REfTjZR9E45MDhnw7uY1vo2lffRB3ei1QqGuLh0gUnVU7TUfFYwcOqV15sb0t1lMj0mmyG5v-_dE9H6dYtRKJARl",
        "tmdfSmc1HisBewx75Xh5ChJQ1hiCEDaZ1wqFjsFJ6SrKgJ7C1N7vx6QKx8YXwFH7ePG2qG39leT5JKZnqAvi9fqc",
        "6x-YwfhSjbRKGZoj2o55Fd2fbwtK6CXpiW6AekT7PUcl_7ynTq-DaQ_Yc29WwtmgapcCRNpfcMsoqCD4giu1V3Sj",
        "5DQLglwuk1gAMcuV5fo8JpABu2_is83WZ_GJ1WWMUxyZGq6u-EGuZrP96Yewb7-zfnt2lao_LJg1ef5cqDTW7-0M",
        "S27wkmLiIi0e-PYvS-UfWVHg1oNbR-MHXMVEQ6gqNg08IgEyPDSFCUbf75HuMILN80bQNtSlFj6FR7uNKHr8sigv",
        "KI80k.5flOKKmeqYm0TamwROr8Nw",
    );
    let key = LinkKey::from_base64url(EXAMPLE_KEY).unwrap();
    let file = decrypt(&key, SPEC_EXAMPLE_JWE).unwrap();
    assert_eq!(
        file.content_type.as_deref(),
        Some(manifest::SMART_HEALTH_CARD)
    );
    assert_eq!(file.plaintext.len(), 846);
    assert_eq!(
        hex(&Sha256::digest(&file.plaintext)),
        "7e581b1bb86949d849815bc6f653fa56ab342af9e550da671414c7d9830c48c6"
    );
    let card = file.json().unwrap();
    let credentials = card["verifiableCredential"].as_array().unwrap();
    assert_eq!(credentials.len(), 1);
    assert!(credentials[0].as_str().unwrap().starts_with(
        "eyJ6aXAiOiJERUYiLCJhbGciOiJFUzI1NiIsImtpZCI6IjNLZmRnLVh3UC03Z1h5eXd0VWZVQUR3QnVt"
    ));
}

/// Every link file of the collection decodes to what its folder's payload JSON says.
#[test]
fn every_published_link_decodes_to_its_payload() {
    let cases = [
        (
            format!("{HL7}IPS_IG-bundle-01-shl.txt"),
            format!("{HL7}shl-payload-2.json"),
        ),
        (
            format!("{HL7}CARIN_INS_CD-bundle-01-shl.txt"),
            format!("{HL7}CARIN_INS_CD-bundle-01-shl-details.json"),
        ),
        (
            format!("{SEANNO}carin-insurance-example/shl.txt"),
            format!("{SEANNO}carin-insurance-example/shl.json"),
        ),
        (
            format!("{SEANNO}example-covid/shl.txt"),
            format!("{SEANNO}example-covid/shl.json"),
        ),
    ];
    for (link, expected) in cases {
        let payload = ShareLinkPayload::parse(&read(link.clone())).unwrap();
        assert_eq!(as_published_json(&payload), read_json(expected), "{link}");
        assert_eq!(payload.flags, Flags::from_letters("LU"), "{link}");
        assert_eq!(payload.v, None);
        assert_eq!(payload.exp, None);
    }
}

/// The `*.details.json` files state a payload and both forms of its link.
#[test]
fn details_files_agree_with_both_link_forms() {
    for details in [
        format!("{HL7}IPS_IG-bundle-01-shl-details.json"),
        format!("{HL7}120day_raw_obs_unguessable_shl_id0000000000.details.json"),
    ] {
        let details = read_json(details);
        for form in ["shlinkBare", "shlink"] {
            let payload = ShareLinkPayload::parse(details[form].as_str().unwrap()).unwrap();
            assert_eq!(as_published_json(&payload), details["shlinkJsonPayload"]);
        }
    }
}

/// The CGM example's key is a placeholder, not random, but it is 43 base64url characters
/// of 32 bytes, so a reader (which cannot tell randomness) accepts it as written.
#[test]
fn placeholder_key_of_the_cgm_example_is_read_as_written() {
    let details = read_json(format!(
        "{HL7}120day_raw_obs_unguessable_shl_id0000000000.details.json"
    ));
    let payload = ShareLinkPayload::parse(details["shlink"].as_str().unwrap()).unwrap();
    assert_eq!(
        *payload.key.to_base64url(),
        "raw_obs_unguessable_random_key0000000000000"
    );
    assert_eq!(payload.label.as_deref(), Some("Josh's CGM Data"));
}

/// The HL7 payload example 1 has two known errors (summary §0): `exp` is a string of
/// milliseconds and the label's key is misspelt `labelzzz`. A tolerant reader still opens
/// the link: the unknown property is ignored (so there is no label), and the `exp` that is
/// not a number is no expiry hint at all rather than a guessed one.
#[test]
fn payload_example_1_is_read_tolerantly() {
    let json = read(format!("{HL7}shl-payload-1.json"));
    let expected = ShareLinkPayload {
        url: "https://ehr.example.org/qr/Y9xwkUdtmN9wwoJoN3ffJIhX2UGvCL1JnlPVNL3kDWM/m".into(),
        key: LinkKey::from_base64url(EXAMPLE_KEY).unwrap(),
        exp: None,
        flags: Flags {
            long_term: true,
            passcode: true,
            direct_file: false,
        },
        label: None,
        v: Some(1),
    };
    assert_eq!(
        ShareLinkPayload::from_json(json.as_bytes()).unwrap(),
        expected
    );
    // The same JSON as a link, base64url-encoded as it was written (with its whitespace).
    let link = format!("shlink:/{}", URL_SAFE_NO_PAD.encode(&json));
    assert_eq!(ShareLinkPayload::parse(&link).unwrap(), expected);
}

#[test]
fn payload_example_2_matches_the_ips_link() {
    let from_json =
        ShareLinkPayload::from_json(read(format!("{HL7}shl-payload-2.json")).as_bytes()).unwrap();
    let from_link =
        ShareLinkPayload::parse(&read(format!("{HL7}IPS_IG-bundle-01-shl.txt"))).unwrap();
    assert_eq!(from_json, from_link);
    assert!(from_link.url.ends_with("/ips/IPS_IG-bundle-01-enc.txt"));
}

#[test]
fn expired_and_passcode_variants_of_the_carin_link() {
    let expired = ShareLinkPayload::parse(&read(format!(
        "{SEANNO}carin-insurance-example/shl-expired.txt"
    )))
    .unwrap();
    assert_eq!(expired.exp, Some(1));
    assert!(expired.is_expired_at(1_767_225_600));
    assert!(!expired.is_expired_at(0));

    let hosted = ShareLinkPayload::parse(&read(format!(
        "{SEANNO}carin-insurance-example/shl-hosted-pass.txt"
    )))
    .unwrap();
    assert_eq!(hosted.flags, Flags::from_letters("LP"));
    assert_eq!(
        hosted.url,
        "https://localhost:3001/manifest?card=carin-insurance-example&passcode=passcode"
    );
    assert!(!hosted.is_expired_at(i64::MAX));
}

/// §5.3: the IPS file has a stray `kid` and no `cty`; its plaintext is the IPS Bundle.
#[test]
fn ips_file_decrypts_to_the_published_bundle() {
    let link = ShareLinkPayload::parse(&read(format!("{HL7}IPS_IG-bundle-01-shl.txt"))).unwrap();
    let file = decrypt(&link.key, &read(format!("{HL7}IPS_IG-bundle-01-enc.txt"))).unwrap();
    assert_eq!(file.content_type, None);
    assert_eq!(file.plaintext.len(), 60_973);
    assert_eq!(
        hex(&Sha256::digest(&file.plaintext)),
        "fdf7432edbd8f140d052d65779215eb867e4e9a16813247b165da5da65e05b16"
    );
    let bundle = file.json().unwrap();
    assert_eq!(bundle, read_json(format!("{HL7}IPS_IG-bundle-01.json")));
    assert_eq!(
        manifest::sniff_content_type(&bundle),
        Some(manifest::FHIR_JSON)
    );
    assert_eq!(bundle["type"], "document");
    assert_eq!(bundle["entry"].as_array().unwrap().len(), 20);
}

/// The two seanno cards: each `jws.txt` decrypts, with the key of the `shl.txt` beside it,
/// to a `.smart-health-card` file whose only credential is `jws-raw.txt`; and that card's
/// payload holds exactly the entries of `fhir.json`.
#[test]
fn seanno_cards_decrypt_to_files_wrapping_their_raw_jws() {
    for card in ["carin-insurance-example", "example-covid"] {
        let folder = format!("{SEANNO}{card}/");
        let link = ShareLinkPayload::parse(&read(format!("{folder}shl.txt"))).unwrap();
        assert!(link.url.ends_with(&format!("/cards/{card}/jws.txt")));
        let file = decrypt(&link.key, &read(format!("{folder}jws.txt"))).unwrap();
        assert_eq!(file.content_type, None, "{card}");
        let json = file.json().unwrap();
        assert_eq!(
            manifest::sniff_content_type(&json),
            Some(manifest::SMART_HEALTH_CARD)
        );
        let raw = read(format!("{folder}jws-raw.txt"));
        assert_eq!(
            json,
            json!({ "verifiableCredential": [raw.trim()] }),
            "{card}"
        );

        let claims = inflate_jws_payload(raw.trim());
        assert_eq!(
            numbers_as_f64(&claims["vc"]["credentialSubject"]["fhirBundle"]["entry"]),
            numbers_as_f64(&read_json(format!("{folder}fhir.json"))),
            "{card}"
        );
    }
}

/// The HL7 CARIN example: its link points at the seanno CARIN file, whose card is
/// byte-identical to `CARIN_INS_CD-bundle-01-enc.txt`, which despite its name is the signed
/// JWS itself and not a JWE; its entries are `CARIN_INS_CD-bundle-01.json`.
#[test]
fn carin_link_leads_to_the_published_card() {
    let link =
        ShareLinkPayload::parse(&read(format!("{HL7}CARIN_INS_CD-bundle-01-shl.txt"))).unwrap();
    assert!(
        link.url
            .ends_with("/seanno/shc-demo-data/main/cards/carin-insurance-example/jws.txt")
    );
    let file = decrypt(
        &link.key,
        &read(format!("{SEANNO}carin-insurance-example/jws.txt")),
    )
    .unwrap();
    let card_jws = read(format!("{HL7}CARIN_INS_CD-bundle-01-enc.txt"));
    assert_eq!(
        file.json().unwrap()["verifiableCredential"][0],
        card_jws.trim()
    );
    assert_eq!(
        decrypt(&link.key, &card_jws).unwrap_err(),
        JweError::WrongPartCount { found: 3 }
    );
    assert_eq!(
        numbers_as_f64(
            &inflate_jws_payload(card_jws.trim())["vc"]["credentialSubject"]["fhirBundle"]["entry"]
        ),
        numbers_as_f64(&read_json(format!("{HL7}CARIN_INS_CD-bundle-01.json")))
    );
}

/// The HL7 manifest example, in the pre-STU1 layout (status and FHIR version per file).
/// Its embedded JWE was cut short in the origin (`<snipped>`), so it cannot decrypt.
#[test]
fn manifest_example_reads_in_its_older_layout() {
    let manifest: Manifest =
        serde_json::from_str(&read(format!("{HL7}shl-manifest-1.json"))).unwrap();
    assert_eq!(manifest.status, None);
    assert_eq!(manifest.files.len(), 3);
    let [location, embedded, fhir] = &manifest.files[..] else {
        unreachable!()
    };
    assert_eq!(location.content_type, manifest::SMART_HEALTH_CARD);
    assert_eq!(
        location.source().unwrap(),
        FileSource::Location(
            "https://bucket.cloud.example.org/file1?sas=MFXK6jL3oL3SI_lRfi_-cEfzIs5oHs6rRWmrsCAFzvk"
        )
    );
    assert_eq!(location.fhir_version(), None);
    let FileSource::Embedded(jwe) = embedded.source().unwrap() else {
        panic!("the second file is embedded");
    };
    let key = LinkKey::from_base64url(EXAMPLE_KEY).unwrap();
    assert_eq!(
        decrypt(&key, jwe).unwrap_err(),
        JweError::WrongPartCount { found: 4 }
    );
    assert_eq!(manifest.status_of(fhir), Some(ManifestStatus::Finalized));
    assert_eq!(manifest.status_of(location), None);
    assert_eq!(fhir.fhir_version(), Some("4.0.1"));
    assert_eq!(fhir.last_updated.as_deref(), Some("2025-03-09T15:29:46Z"));
}

/// A health card JWS payload is raw-DEFLATEd JSON claims.
fn inflate_jws_payload(jws: &str) -> Value {
    use std::io::Read;
    let compressed = URL_SAFE_NO_PAD
        .decode(jws.split('.').nth(1).unwrap())
        .unwrap();
    let mut claims = String::new();
    flate2::read::DeflateDecoder::new(compressed.as_slice())
        .read_to_string(&mut claims)
        .unwrap();
    serde_json::from_str(&claims).unwrap()
}

/// The card's issuer minified `10000.0` to `10000`: the same JSON number, which
/// `serde_json::Value` would call different. Compare numbers by value instead.
fn numbers_as_f64(value: &Value) -> Value {
    match value {
        Value::Number(number) => json!(number.as_f64().unwrap()),
        Value::Array(items) => items.iter().map(numbers_as_f64).collect(),
        Value::Object(members) => members
            .iter()
            .map(|(name, member)| (name.clone(), numbers_as_f64(member)))
            .collect(),
        other => other.clone(),
    }
}
