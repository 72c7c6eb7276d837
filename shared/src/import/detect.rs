//! Format detection by content. Extensions lie (C-CDA ships as `.xml`, `.ccd`, `.txt`),
//! so only magic bytes and the first meaningful characters decide.

use super::error::{ImportError, ImportErrorKind};
use super::json_outline::TextOutline;
use super::options::ImportLimits;
use super::report::Location;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    /// A FHIR resource or Bundle in JSON.
    FhirJson,
    /// Bulk-export NDJSON: one resource per line.
    FhirNdjson,
    /// An HL7 C-CDA (or older CCD/C32) XML document.
    Ccda,
    /// A `.smart-health-card` file: `{"verifiableCredential": [jws, …]}`.
    SmartHealthCard,
    /// A bare compact JWS of a health card.
    SmartHealthCardJws,
    /// `shc:/` numeric QR text, one or more chunks.
    SmartHealthCardQr,
    /// A decoded, unsigned health-card JWS payload (`{"iss", "vc": …}`).
    SmartHealthCardPayload,
    Zip,
    Pdf,
    Jpeg,
    Png,
}

impl ImportFormat {
    /// A signed health card, whose issuer's keys are needed to verify it (an unsigned
    /// payload has no signature to check).
    pub fn is_signed_health_card(self) -> bool {
        matches!(
            self,
            ImportFormat::SmartHealthCard
                | ImportFormat::SmartHealthCardJws
                | ImportFormat::SmartHealthCardQr
        )
    }
}

/// Decide the format of `bytes`, after checking the size limit (first, so a 2 GB file is
/// refused before any parsing).
pub fn detect(
    name: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<ImportFormat, ImportError> {
    detect_with(name, bytes, limits, detect_json)
}

/// [`detect`], with `json` to tell the JSON formats apart (given the name and the text
/// from its first `{` or `[`).
fn detect_with(
    name: &str,
    bytes: &[u8],
    limits: &ImportLimits,
    json: impl FnOnce(&str, &[u8]) -> ImportFormat,
) -> Result<ImportFormat, ImportError> {
    let err = |kind| Err(ImportError::new(Location::file(name), kind));
    let size = bytes.len() as u64;
    if size > limits.max_input_bytes {
        return err(ImportErrorKind::TooLarge {
            size,
            max: limits.max_input_bytes,
        });
    }
    if let Some(format) = sniff_binary(bytes) {
        return Ok(format);
    }
    let text = strip_bom(bytes);
    let trimmed = text.trim_ascii_start();
    if trimmed.is_empty() {
        return err(ImportErrorKind::Empty);
    }
    match trimmed[0] {
        b'<' => Ok(ImportFormat::Ccda),
        b'{' | b'[' => Ok(json(name, trimmed)),
        _ if trimmed.starts_with(b"shc:/") => Ok(ImportFormat::SmartHealthCardQr),
        _ if looks_like_compact_jws(trimmed) => Ok(ImportFormat::SmartHealthCardJws),
        _ => err(ImportErrorKind::UnrecognizedFormat),
    }
}

/// A file's format, with what detecting it learnt that importing it needs again: a FHIR
/// JSON file's outline (the skim that finds its top-level keys also finds its entries), so
/// a large Bundle is read once for both. Made by [`detect_for_import`], used by
/// [`import_detected`](super::import_detected).
#[derive(Debug)]
pub struct Detected {
    pub(crate) format: ImportFormat,
    pub(crate) outline: Option<TextOutline>,
}

impl Detected {
    pub fn format(&self) -> ImportFormat {
        self.format
    }
}

impl From<ImportFormat> for Detected {
    fn from(format: ImportFormat) -> Self {
        Detected {
            format,
            outline: None,
        }
    }
}

/// [`detect`], keeping what the importer can use again. A JSON file's format is decided
/// from its outline, which validates all of it, rather than from a skim of its top-level
/// keys: the same answer whenever the file is valid JSON, and the skim still decides when
/// it is not (one value per line is NDJSON).
pub fn detect_for_import(
    name: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<Detected, ImportError> {
    let mut outline = None;
    let format = detect_with(name, bytes, limits, |name, trimmed| {
        if let Some(format) = json_format_by_name(name) {
            return format;
        }
        match text(name, bytes).map(TextOutline::read) {
            Ok(Ok(read)) => {
                let format = read.outline.json_format();
                if format == ImportFormat::FhirJson {
                    outline = Some(read);
                }
                format
            }
            _ => detect_json(name, trimmed),
        }
    })?;
    Ok(Detected { format, outline })
}

/// Magic numbers of the binary formats.
pub fn sniff_binary(bytes: &[u8]) -> Option<ImportFormat> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(ImportFormat::Zip)
    } else if bytes.starts_with(b"%PDF-") {
        Some(ImportFormat::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImportFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImportFormat::Png)
    } else {
        None
    }
}

/// JSON flavours: a health-card file or payload by its top-level keys, NDJSON when a
/// second JSON value follows the first line. Anything else goes to the FHIR JSON importer,
/// which reports precisely why it is not FHIR.
fn detect_json(name: &str, text: &[u8]) -> ImportFormat {
    if let Some(format) = json_format_by_name(name) {
        return format;
    }
    // Only the top-level keys matter: skim the values without building a tree, which for a
    // large Bundle costs as much as the import's own parse. Anything but an object fails
    // with a data error, which goes to the FHIR importer like any other JSON.
    match serde_json::from_slice::<HashMap<String, IgnoredAny>>(text) {
        Ok(keys) if keys.contains_key("verifiableCredential") => ImportFormat::SmartHealthCard,
        Ok(keys) if keys.contains_key("vc") && keys.contains_key("iss") => {
            ImportFormat::SmartHealthCardPayload
        }
        Ok(_) => ImportFormat::FhirJson,
        Err(e) if e.classify() == serde_json::error::Category::Syntax && e.line() > 1 => {
            // `trailing characters` on a later line: one JSON value per line.
            let first_line = text.split(|&b| b == b'\n').next().unwrap_or_default();
            if serde_json::from_slice::<IgnoredAny>(first_line).is_ok() {
                ImportFormat::FhirNdjson
            } else {
                ImportFormat::FhirJson
            }
        }
        Err(_) => ImportFormat::FhirJson,
    }
}

/// The JSON formats whose file names say what they are.
fn json_format_by_name(name: &str) -> Option<ImportFormat> {
    if name.ends_with(".ndjson") || name.ends_with(".jsonl") {
        Some(ImportFormat::FhirNdjson)
    } else if name.ends_with(".smart-health-card") {
        Some(ImportFormat::SmartHealthCard)
    } else {
        None
    }
}

/// `header.payload.signature`, all base64url, with a JSON header.
fn looks_like_compact_jws(text: &[u8]) -> bool {
    let text = text.trim_ascii();
    let parts: Vec<&[u8]> = text.split(|&b| b == b'.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && parts[0].starts_with(b"eyJ")
}

pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The file as UTF-8 text, without a byte-order mark.
pub(crate) fn text<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    std::str::from_utf8(strip_bom(bytes))
        .map_err(|_| ImportError::new(Location::file(name), ImportErrorKind::NotUtf8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_signed_cards_need_their_issuers_keys() {
        let limits = ImportLimits::default();
        let card = detect(
            "c.smart-health-card",
            b"{\"verifiableCredential\":[\"x\"]}",
            &limits,
        );
        assert!(card.unwrap().is_signed_health_card());
        let qr = detect("qr.txt", b"shc:/5676290952432060346029243740", &limits);
        assert!(qr.unwrap().is_signed_health_card());
        let bundle = detect("b.json", b"{\"resourceType\":\"Bundle\"}", &limits);
        assert!(!bundle.unwrap().is_signed_health_card());
    }

    #[test]
    fn detecting_for_import_finds_the_formats_detecting_finds() {
        let limits = ImportLimits::default();
        for (name, text) in [
            ("a.json", "{\"resourceType\":\"Bundle\",\"entry\":[]}"),
            ("a.json", "\u{feff}  \n{\"resourceType\":\"Patient\"}"),
            ("a.json", "[{\"resourceType\":\"Patient\"}]"),
            (
                "a.json",
                "{\"verifiableCredential\":[\"x\"],\"resourceType\":\"Patient\"}",
            ),
            ("a.json", "{\"iss\":\"https://x\",\"vc\":{}}"),
            ("a.json", "{\"iss\":\"https://x\"}"),
            (
                "a.txt",
                "{\"resourceType\":\"Patient\"}\n{\"resourceType\":\"Patient\"}\n",
            ),
            ("a.json", "{\"resourceType\":\"Patient\",\n\"a\":tru}"),
            ("a.json", "{\"resourceType\":\"Patient\",\"a\":\"\\ud800\"}"),
            ("a.ndjson", "{\"resourceType\":\"Patient\"}"),
            ("a.smart-health-card", "{}"),
            ("a.json", "<ClinicalDocument/>"),
            ("a.json", "   "),
        ] {
            let bytes = text.as_bytes();
            let format = detect(name, bytes, &limits).map_err(|e| e.kind);
            let detected = detect_for_import(name, bytes, &limits);
            assert_eq!(
                detected
                    .as_ref()
                    .map(|d| d.format())
                    .map_err(|e| e.kind.clone()),
                format,
                "{text}"
            );
            if let Ok(detected) = detected {
                assert_eq!(
                    detected.outline.is_some(),
                    detected.format == ImportFormat::FhirJson
                        && serde_json::from_str::<serde_json::Value>(
                            text.trim_start_matches('\u{feff}')
                        )
                        .is_ok(),
                    "{text}"
                );
            }
        }
    }
}
