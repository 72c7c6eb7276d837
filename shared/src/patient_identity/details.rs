//! [`PatientDetails`]: what one Patient resource says about the person, as shown on a
//! banner and as compared by the match rule.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use crate::clinical_view::fhir::{date_part, parse_date};
use crate::clinical_view::model::age_on;

/// A person as a Patient resource describes them. Serialized as `{name, birth_date, sex}`,
/// what `folio import --json` reports as a file's `patient`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PatientDetails {
    /// The name as one line: the official name, else the usual one, else the first; its
    /// text, else its given and family names (no prefix: it is the patient's own banner).
    pub name: Option<String>,
    /// `birthDate` as written: `1970`, `1970-05` or `1970-05-01`.
    pub birth_date: Option<String>,
    /// `gender` as written: `male`, `female`, `other` or `unknown`.
    pub sex: Option<String>,
    /// Every name's parts as written, for the match rule to fold (`folding.rs`): folding
    /// needs Unicode tables that the pages which only show a name should not load.
    #[serde(skip)]
    pub(super) names: Vec<NameParts>,
    /// Every identifier that has both a system and a value.
    #[serde(skip)]
    pub(super) identifiers: Vec<(String, String)>,
}

/// One HumanName's parts as written: the family name, the given names, the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NameParts {
    pub(super) family: Option<String>,
    pub(super) given: Vec<String>,
    pub(super) text: Option<String>,
}

impl PatientDetails {
    /// Reads a Patient resource (any JSON object: missing fields are simply unknown).
    pub fn of(patient: &Value) -> PatientDetails {
        let text = |pointer: &str| {
            patient
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        PatientDetails {
            name: display_name(patient),
            birth_date: text("/birthDate"),
            sex: text("/gender"),
            names: array(patient, "name").map(name_parts).collect(),
            identifiers: array(patient, "identifier")
                .filter_map(|id| {
                    let part = |key| {
                        id.get(key)
                            .and_then(Value::as_str)
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                    };
                    Some((part("system")?.to_owned(), part("value")?.to_owned()))
                })
                .collect(),
        }
    }

    /// Whole years on `today`, when the birth date is known.
    pub fn age_on(&self, today: NaiveDate) -> Option<u32> {
        let born = parse_date(self.birth_date.as_deref()?)?;
        age_on(born, today)
    }

    /// The birth date as a day, month or year, for comparing ones of different precision.
    pub(super) fn birth_parts(&self) -> Option<Vec<&str>> {
        let date = date_part(self.birth_date.as_deref()?.trim());
        Some(date.split('-').collect())
    }

    /// The sex when it says something: `unknown` (or nothing) compares with anything.
    pub(super) fn known_sex(&self) -> Option<String> {
        self.sex
            .as_deref()
            .map(str::to_ascii_lowercase)
            .filter(|s| s != "unknown")
    }

    /// Who this is, in words a patient reads: "Myra Jones, born 1947-05-01, female".
    pub fn describe(&self) -> String {
        let mut words = self
            .name
            .clone()
            .unwrap_or_else(|| "someone whose name is not given".into());
        if let Some(born) = &self.birth_date {
            words.push_str(&format!(", born {born}"));
        }
        if let Some(sex) = self.known_sex() {
            words.push_str(&format!(", {sex}"));
        }
        words
    }
}

fn array<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The name a banner shows: the official HumanName, else the usual one, else the first;
/// its text, else its given names and family name.
fn display_name(patient: &Value) -> Option<String> {
    let with_use = |wanted: &str| {
        array(patient, "name").find(|n| n.get("use").and_then(Value::as_str) == Some(wanted))
    };
    let name = with_use("official")
        .or_else(|| with_use("usual"))
        .or_else(|| array(patient, "name").next())?;
    if let Some(text) = name.get("text").and_then(Value::as_str)
        && !text.trim().is_empty()
    {
        return Some(text.trim().to_owned());
    }
    let words: Vec<&str> = array(name, "given")
        .filter_map(Value::as_str)
        .chain(name.get("family").and_then(Value::as_str))
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn name_parts(name: &Value) -> NameParts {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    NameParts {
        family: text(name.get("family")),
        given: array(name, "given")
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        text: text(name.get("text")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_display_name_prefers_the_official_name_and_leaves_out_prefixes() {
        let patient = json!({
            "resourceType": "Patient",
            "name": [
                {"use": "nickname", "given": ["Ally"]},
                {"use": "official", "prefix": ["Ms."], "given": ["Alice", "May"], "family": "Smith"}
            ],
            "birthDate": "1970-05-01",
            "gender": "female",
            "identifier": [{"system": "urn:mrn", "value": " 42 "}, {"value": "no system"}]
        });
        let details = PatientDetails::of(&patient);
        assert_eq!(details.name.as_deref(), Some("Alice May Smith"));
        assert_eq!(
            details.describe(),
            "Alice May Smith, born 1970-05-01, female"
        );
        assert_eq!(details.identifiers, [("urn:mrn".into(), "42".into())]);
        assert_eq!(details.names.len(), 2);
        assert_eq!(
            details.age_on(NaiveDate::from_ymd_opt(2020, 4, 30).unwrap()),
            Some(49)
        );
    }

    #[test]
    fn a_name_given_only_as_text_is_shown_as_written() {
        let details = PatientDetails::of(&json!({"name": [{"text": "Peter James Chalmers"}]}));
        assert_eq!(details.name.as_deref(), Some("Peter James Chalmers"));
        assert_eq!(
            PatientDetails::of(&json!({})).describe(),
            "someone whose name is not given"
        );
    }
}
