//! SMART Health Cards: `.smart-health-card` files, bare compact JWS, and `shc:/` numeric QR
//! text (single or multi-chunk `shc:/1/3/…`).
//!
//! A card is a compact JWS (ES256 over P-256) whose payload is raw-DEFLATEd JSON
//! (`zip: DEF`) holding a FHIR Bundle at `vc.credentialSubject.fhirBundle`. Verification
//! needs the issuer's JWKS, which the caller fetches from `iss + /.well-known/jwks.json`
//! (this crate does no I/O; [`card_issuers`] tells the caller which issuers to fetch).
//!
//! **Decision.** A card that does not verify is still imported: the patient holds a paper
//! record that says the same, and hiding it helps no one. Every entry's `Source` says
//! either `verified_issuer` (signature good, key known, not expired, not revoked) or
//! `unverified_reason` (no keys given, unknown `kid`, bad signature, expired, revoked), and
//! the report warns about each unverified card. Malformed cards (not a JWS, payload not
//! DEFLATE or not JSON, no bundle) are errors: there is nothing trustworthy to import.

use super::EntrySink;
use super::detect::ImportFormat;
use super::error::{ImportError, ImportErrorKind};
use super::fhir_json::collect;
use super::identity::{FileScope, assign_ids_and_push};
use super::options::TrustedIssuer;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;

/// A JSON Web Key Set as served at `/.well-known/jwks.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// One public key; only EC P-256 keys are used for health cards.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

/// A revocation list (`/.well-known/crl/<kid>.json`, method `rid`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Crl {
    pub kid: String,
    #[serde(default)]
    pub method: Option<String>,
    pub rids: Vec<String>,
}

/// The outcome of checking one card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardTrust {
    Verified { issuer: String },
    Unverified { reason: String },
}

/// A decoded card: its issuer claim, the JWS it came from and its payload.
#[derive(Debug, Clone)]
pub struct DecodedCard {
    pub jws: String,
    pub kid: Option<String>,
    pub payload: Value,
    signing_input: String,
    signature: Vec<u8>,
}

impl DecodedCard {
    pub fn issuer(&self) -> Option<&str> {
        self.payload.get("iss").and_then(Value::as_str)
    }
}

fn card_error(sink_file: &str, message: impl Into<String>) -> ImportError {
    ImportError::new(
        super::report::Location::file(sink_file),
        ImportErrorKind::InvalidHealthCard(message.into()),
    )
}

/// The issuers (`iss`) of the cards in a file, so the caller knows whose JWKS to fetch
/// before importing. Nothing is verified here, but the default import limits hold: the
/// size is checked before anything is read, and a payload inflates no further than an
/// import would let it.
pub fn card_issuers(name: &str, bytes: &[u8]) -> Result<Vec<String>, ImportError> {
    let limits = super::ImportLimits::default();
    let format = super::detect::detect(name, bytes, &limits)?;
    let text = super::detect::text(name, bytes)?;
    let mut issuers: Vec<String> = jws_list(name, format, text)?
        .iter()
        .map(|jws| decode_jws(name, jws, limits.max_card_payload_bytes))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .filter_map(|card| card.issuer().map(str::to_string))
        .collect();
    issuers.dedup();
    Ok(issuers)
}

/// Import the card(s) in a health-card file, JWS, QR text or bare payload.
pub(crate) fn import_card(
    sink: &mut EntrySink<'_>,
    format: ImportFormat,
    text: &str,
) -> Result<(), ImportError> {
    if format == ImportFormat::SmartHealthCardPayload {
        // A decoded payload has lost its signature: nothing to verify against.
        let payload: Value = super::fhir_json::parse_json(sink, text, None)?;
        let scope = FileScope::of(text.trim().as_bytes());
        let trust = CardTrust::Unverified {
            reason: "a decoded card payload without its signature".into(),
        };
        return import_payload(sink, &payload, &scope, trust);
    }
    let max = sink.opts.limits.max_card_payload_bytes;
    for jws in jws_list(sink.file, format, text)? {
        let card = decode_jws(sink.file, &jws, max)?;
        let issuer = card.issuer().unwrap_or_default().to_string();
        let trusted = sink.opts.issuer(&issuer);
        let trust = verify_card(&card, trusted, sink.opts.imported_at);
        import_payload(
            sink,
            &card.payload,
            &FileScope::of(card.jws.as_bytes()),
            trust,
        )?;
    }
    Ok(())
}

fn import_payload(
    sink: &mut EntrySink<'_>,
    payload: &Value,
    scope: &FileScope<'_>,
    trust: CardTrust,
) -> Result<(), ImportError> {
    let Some(bundle) = payload.pointer("/vc/credentialSubject/fhirBundle") else {
        return Err(card_error(
            sink.file,
            "no FHIR bundle at vc.credentialSubject.fhirBundle",
        ));
    };
    let issuer = payload
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut source = sink.source();
    if source.provider.is_none() {
        source.provider = issuer.clone();
    }
    match trust {
        CardTrust::Verified { issuer } => source.verified_issuer = Some(issuer),
        CardTrust::Unverified { reason } => {
            let location = sink.location();
            let who = issuer.as_deref().unwrap_or("unknown issuer");
            sink.warn(
                location,
                format!("health card from {who} is not verified: {reason}"),
            );
            source.unverified_reason = Some(reason);
        }
    }
    let mut found = Vec::new();
    collect(
        sink,
        bundle.clone(),
        "/vc/credentialSubject/fhirBundle",
        &mut found,
    )?;
    assign_ids_and_push(sink, found, scope, &source)
}

/// The compact JWS strings in a file of the given format.
fn jws_list(name: &str, format: ImportFormat, text: &str) -> Result<Vec<String>, ImportError> {
    match format {
        ImportFormat::SmartHealthCardJws => Ok(vec![text.trim().to_string()]),
        ImportFormat::SmartHealthCardQr => Ok(vec![jws_from_qr(name, text)?]),
        ImportFormat::SmartHealthCard => {
            let file: Value = serde_json::from_str(text)
                .map_err(|e| card_error(name, format!("not JSON: {e}")))?;
            let list = file
                .get("verifiableCredential")
                .and_then(Value::as_array)
                .ok_or_else(|| card_error(name, "no `verifiableCredential` array"))?;
            list.iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| card_error(name, "a verifiableCredential is not a string"))
                })
                .collect()
        }
        _ => Err(card_error(name, "not a health card")),
    }
}

/// Decode `shc:/` numeric QR text: one chunk, or every chunk of a multi-part card (one per
/// line, any order). Each pair of digits is a character code minus 45.
pub fn jws_from_qr(name: &str, text: &str) -> Result<String, ImportError> {
    let mut chunks: BTreeMap<usize, String> = BTreeMap::new();
    let mut expected = 1;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let body = line
            .strip_prefix("shc:/")
            .ok_or_else(|| card_error(name, "a QR line does not start with shc:/"))?;
        let (index, total, digits) = match body.split('/').collect::<Vec<_>>()[..] {
            [digits] => (1, 1, digits),
            [i, n, digits] => {
                let parse = |s: &str| {
                    s.parse::<usize>()
                        .map_err(|_| card_error(name, "bad chunk number"))
                };
                (parse(i)?, parse(n)?, digits)
            }
            _ => return Err(card_error(name, "malformed shc:/ text")),
        };
        if index == 0 || index > total || (!chunks.is_empty() && total != expected) {
            return Err(card_error(name, "inconsistent chunk numbers"));
        }
        expected = total;
        chunks.insert(index, decode_numeric(name, digits)?);
    }
    if chunks.len() != expected {
        let have: Vec<String> = chunks.keys().map(|k| k.to_string()).collect();
        return Err(card_error(
            name,
            format!(
                "a card in {expected} QR chunks needs all of them (have chunk {} of {expected}); scan the others and import them together",
                have.join(", ")
            ),
        ));
    }
    Ok(chunks.into_values().collect())
}

fn decode_numeric(name: &str, digits: &str) -> Result<String, ImportError> {
    let bytes = digits.as_bytes();
    if !bytes.len().is_multiple_of(2) || !bytes.iter().all(u8::is_ascii_digit) {
        return Err(card_error(name, "QR numeric data must be pairs of digits"));
    }
    bytes
        .chunks(2)
        .map(|pair| {
            let n = (pair[0] - b'0') * 10 + (pair[1] - b'0');
            if n > 77 {
                return Err(card_error(name, "QR digit pair out of range"));
            }
            Ok(char::from(n + 45))
        })
        .collect()
}

/// Split and decode a compact JWS; the payload is inflated up to `max_payload` bytes.
pub fn decode_jws(name: &str, jws: &str, max_payload: usize) -> Result<DecodedCard, ImportError> {
    let jws = jws.trim();
    let parts: Vec<&str> = jws.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = parts[..] else {
        return Err(card_error(name, "a JWS has three dot-separated parts"));
    };
    let b64 = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|e| card_error(name, format!("{what} is not base64url: {e}")))
    };
    let header: Value = serde_json::from_slice(&b64(header_b64, "header")?)
        .map_err(|e| card_error(name, format!("header is not JSON: {e}")))?;
    if header.get("alg").and_then(Value::as_str) != Some("ES256") {
        return Err(card_error(name, "only ES256 cards exist (header `alg`)"));
    }
    let compressed = b64(payload_b64, "payload")?;
    let raw = if header.get("zip").and_then(Value::as_str) == Some("DEF") {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(compressed.as_slice())
            .take(max_payload as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| card_error(name, format!("payload is not raw DEFLATE: {e}")))?;
        if out.len() > max_payload {
            return Err(card_error(
                name,
                format!("payload inflates past {max_payload} bytes"),
            ));
        }
        out
    } else {
        compressed
    };
    let payload: Value = serde_json::from_slice(&raw)
        .map_err(|e| card_error(name, format!("payload is not JSON: {e}")))?;
    Ok(DecodedCard {
        jws: jws.to_string(),
        kid: header
            .get("kid")
            .and_then(Value::as_str)
            .map(str::to_string),
        payload,
        signing_input: format!("{header_b64}.{payload_b64}"),
        signature: b64(signature_b64, "signature")?,
    })
}

/// Check a card against its issuer's keys and revocation lists at time `now`.
pub fn verify_card(
    card: &DecodedCard,
    issuer: Option<&TrustedIssuer>,
    now: DateTime<Utc>,
) -> CardTrust {
    let unverified = |reason: &str| CardTrust::Unverified {
        reason: reason.to_string(),
    };
    let Some(iss) = card.issuer() else {
        return unverified("the card names no issuer");
    };
    let Some(trusted) = issuer else {
        return CardTrust::Unverified {
            reason: format!("no issuer keys (JWKS) given for {iss}"),
        };
    };
    let Some(kid) = card.kid.as_deref() else {
        return unverified("the card names no key (kid)");
    };
    let Some(jwk) = trusted
        .jwks
        .keys
        .iter()
        .find(|k| k.kid.as_deref() == Some(kid))
    else {
        return CardTrust::Unverified {
            reason: format!("key {kid} is not in the issuer's JWKS"),
        };
    };
    let Some(key) = verifying_key(jwk) else {
        return unverified("the issuer's key is not an EC P-256 key");
    };
    let Ok(signature) = Signature::from_slice(&card.signature) else {
        return unverified("the signature is not a 64-byte ES256 signature");
    };
    if key
        .verify(card.signing_input.as_bytes(), &signature)
        .is_err()
    {
        return unverified("the signature does not verify");
    }
    // The signature is good: now every reason the card should not be trusted, together,
    // so the user sees e.g. both "expired" and "revoked".
    let mut problems = Vec::new();
    let seconds = |claim: &str| card.payload.get(claim).and_then(Value::as_f64);
    let now_s = now.timestamp() as f64;
    if let Some(exp) = seconds("exp").filter(|exp| *exp < now_s) {
        let when = DateTime::from_timestamp(exp as i64, 0).unwrap_or_default();
        problems.push(format!("expired on {}", when.date_naive()));
    }
    if seconds("nbf").is_some_and(|nbf| nbf > now_s + 300.0) {
        problems.push("not valid yet (nbf in the future)".to_string());
    }
    if let Some(rid) = card.payload.pointer("/vc/rid").and_then(Value::as_str) {
        let nbf = seconds("nbf").unwrap_or(0.0);
        let revoked = trusted
            .crls
            .iter()
            .filter(|c| c.kid == kid)
            .any(|crl| crl.rids.iter().any(|r| revokes(r, rid, nbf)));
        if revoked {
            problems.push("revoked by the issuer".to_string());
        }
    }
    if !problems.is_empty() {
        return CardTrust::Unverified {
            reason: problems.join("; "),
        };
    }
    CardTrust::Verified {
        issuer: iss.to_string(),
    }
}

/// A CRL entry `rid` or `rid.timestamp` (cards issued before the timestamp are revoked).
fn revokes(entry: &str, rid: &str, nbf: f64) -> bool {
    match entry.split_once('.') {
        Some((r, ts)) => r == rid && ts.parse::<f64>().is_ok_and(|ts| nbf < ts),
        None => entry == rid,
    }
}

fn verifying_key(jwk: &Jwk) -> Option<VerifyingKey> {
    if jwk.kty != "EC" || jwk.crv.as_deref() != Some("P-256") {
        return None;
    }
    let x = URL_SAFE_NO_PAD.decode(jwk.x.as_deref()?).ok()?;
    let y = URL_SAFE_NO_PAD.decode(jwk.y.as_deref()?).ok()?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(0x04);
    sec1.extend_from_slice(&x);
    sec1.extend_from_slice(&y);
    VerifyingKey::from_sec1_bytes(&sec1).ok()
}
