//! Readers of the FHIR datatypes the summary needs. They are tolerant: a missing or
//! malformed element reads as `None`, never as an error, because a clinician should see
//! everything that can be read.

use chrono::NaiveDate;
use serde_json::Value;

/// The `resourceType` of a resource, or "".
pub fn resource_type(resource: &Value) -> &str {
    resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// A string element.
pub fn string<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The words of a CodeableConcept: its text, else the first coding display, else the
/// first code.
pub fn concept_text(concept: &Value) -> Option<String> {
    if let Some(text) = string(concept, "/text") {
        return Some(text.to_owned());
    }
    let codings = concept.get("coding").and_then(Value::as_array)?;
    codings
        .iter()
        .find_map(|c| string(c, "/display"))
        .or_else(|| codings.iter().find_map(|c| string(c, "/code")))
        .map(str::to_owned)
}

/// The first coding code of a CodeableConcept (lowercased), e.g. a clinical status.
pub fn concept_code(concept: Option<&Value>) -> Option<String> {
    concept?
        .get("coding")
        .and_then(Value::as_array)?
        .iter()
        .find_map(|c| string(c, "/code"))
        .map(str::to_ascii_lowercase)
}

/// A stable key for a CodeableConcept: the first `system|code`, else its text.
pub fn concept_key(concept: &Value) -> Option<String> {
    if let Some(codings) = concept.get("coding").and_then(Value::as_array)
        && let Some(coding) = codings.iter().find(|c| string(c, "/code").is_some())
    {
        return Some(format!(
            "{}|{}",
            string(coding, "/system").unwrap_or(""),
            string(coding, "/code").unwrap_or("")
        ));
    }
    concept_text(concept).map(|t| t.to_lowercase())
}

/// The display of a Reference.
pub fn reference_display(reference: &Value) -> Option<String> {
    string(reference, "/display").map(str::to_owned)
}

/// The date part (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) of a FHIR date or dateTime.
pub fn date_part(text: &str) -> &str {
    text.split('T').next().unwrap_or(text)
}

/// A FHIR date, completed to the first day of its month or year when partial.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let date = date_part(text.trim());
    let mut parts = date.split('-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next().map_or(Some(1), |m| m.parse().ok())?;
    let day = parts.next().map_or(Some(1), |d| d.parse().ok())?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The first of these dateTime-ish elements that is present: `…DateTime` strings,
/// `…Period.start`, or a bare date.
pub fn first_date(resource: &Value, pointers: &[&str]) -> Option<String> {
    pointers
        .iter()
        .find_map(|p| string(resource, p))
        .map(str::to_owned)
}

/// Where a resource came from, when the resource says: `meta.source`, an extension of
/// `meta` or of the resource whose URL names a source or provider, or a `meta.tag` whose
/// system names one.
pub fn source_of(resource: &Value) -> Option<String> {
    if let Some(source) = string(resource, "/meta/source") {
        return Some(source.to_owned());
    }
    let names_source = |url: &str| {
        let url = url.to_ascii_lowercase();
        (url.contains("source") || url.contains("provider")) && !url.contains("original")
    };
    for pointer in ["/meta/extension", "/extension"] {
        if let Some(extensions) = resource.pointer(pointer).and_then(Value::as_array) {
            for extension in extensions {
                if string(extension, "/url").is_some_and(names_source)
                    && let Some(value) = string(extension, "/valueString")
                        .or_else(|| string(extension, "/valueUri"))
                        .or_else(|| string(extension, "/valueReference/display"))
                {
                    return Some(value.to_owned());
                }
            }
        }
    }
    resource
        .pointer("/meta/tag")
        .and_then(Value::as_array)?
        .iter()
        .find(|tag| string(tag, "/system").is_some_and(names_source))
        .and_then(|tag| string(tag, "/display").or_else(|| string(tag, "/code")))
        .map(str::to_owned)
}

/// A number from a JSON value (FHIR decimals are JSON numbers).
pub fn number(value: &Value, pointer: &str) -> Option<f64> {
    value.pointer(pointer).and_then(Value::as_f64)
}

/// Every `system|code` of a CodeableConcept, else its words (lowercased): what two
/// records of the same fact share.
pub fn codes_of(concept: &Value) -> Vec<String> {
    let codes = codings_of(concept);
    if codes.is_empty() {
        concept_text(concept)
            .map(|text| vec![text.to_lowercase()])
            .unwrap_or_default()
    } else {
        codes
    }
}

/// Every `system|code` of a CodeableConcept (a coding without a system as `|code`).
pub fn codings_of(concept: &Value) -> Vec<String> {
    concept
        .get("coding")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|coding| {
            let code = string(coding, "/code")?;
            Some(format!(
                "{}|{code}",
                string(coding, "/system").unwrap_or("")
            ))
        })
        .collect()
}
