//! SMART Health Cards: JWS, `shc:/` QR text and card files from arbitrary bytes; and, for
//! input that looks like a JSON payload, a card carrying it signed by a trusted test
//! issuer, so that what follows a good signature (expiry, `nbf`, revocation) runs too.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use folio_shared::import::shc::{Crl, Jwk, Jwks};
use folio_shared::import::{ImportOptions, TrustedIssuer, import_file};
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use std::io::Write;
use std::sync::LazyLock;

const KID: &str = "fuzz-key";

/// A fixed key: signatures are deterministic (RFC 6979), so every input replays exactly.
static KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::from_slice(&[7; 32]).expect("a valid P-256 scalar"));

fn test_issuer(iss: &str) -> TrustedIssuer {
    let point = KEY.verifying_key().to_encoded_point(false);
    let coordinate = |c: Option<&p256::FieldBytes>| c.map(|c| URL_SAFE_NO_PAD.encode(c));
    TrustedIssuer {
        iss: iss.to_string(),
        jwks: Jwks {
            keys: vec![Jwk {
                kty: "EC".into(),
                kid: Some(KID.into()),
                crv: Some("P-256".into()),
                x: coordinate(point.x()),
                y: coordinate(point.y()),
            }],
        },
        crls: vec![Crl {
            kid: KID.into(),
            method: Some("rid".into()),
            rids: vec!["revoked".into(), "revoked-before.1700000000".into()],
        }],
    }
}

/// `payload` deflated and signed into a compact JWS by the test issuer, imported with that
/// issuer trusted for the `iss` the payload names. Without an `iss` nothing would check
/// the signature, so there is no card to make (and signing is most of an execution's time).
fn signed_card(payload: &[u8]) {
    let Some(iss) = serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .and_then(|p| p.get("iss")?.as_str().map(str::to_string))
    else {
        return;
    };
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    deflate.write_all(payload).expect("writes to a Vec");
    let deflated = deflate.finish().expect("writes to a Vec");
    let header = format!(r#"{{"alg":"ES256","zip":"DEF","kid":"{KID}"}}"#);
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(deflated)
    );
    let signature: Signature = KEY.sign(signing_input.as_bytes());
    let jws = format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    );
    // 2026-01-15, between the `nbf` and `exp` a mutated payload may carry.
    let now = chrono::DateTime::from_timestamp(1_768_478_400, 0).expect("in range");
    let mut opts = ImportOptions::new(now);
    opts.issuers.push(test_issuer(&iss));
    let _ = import_file("fuzz.txt", jws.as_bytes(), &opts);
}

fuzz_target!(|data: &[u8]| {
    let opts = ImportOptions::new(chrono::DateTime::UNIX_EPOCH);
    let mut qr = b"shc:/".to_vec();
    qr.extend_from_slice(data);
    let _ = import_file("fuzz.txt", &qr, &opts);
    let _ = import_file("fuzz.smart-health-card", data, &opts);
    let _ = folio_shared::import::shc::card_issuers("fuzz.smart-health-card", data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = folio_shared::import::shc::decode_jws("fuzz", text, 1 << 20);
    }
    if data.first() == Some(&b'{') {
        signed_card(data);
    }
});
