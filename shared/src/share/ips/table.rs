//! The narrative table of each summary section: one row per entry, read from the
//! resources as they are in the bundle, so the text says what the data says.

use super::section::SummarySection;
use crate::patient_identity::PatientDetails;
use crate::share::clinical_date::clinical_date_text;
use crate::share::narrative::{concept_text, day_text, observation_value_text, status_code};
use serde_json::Value;
use std::collections::HashMap;

/// Finds the target of a reference inside the bundle (by fullUrl) or inside the
/// referring resource (`#id` of a contained resource).
pub(crate) struct Lookup<'b> {
    by_url: HashMap<&'b str, &'b Value>,
}

impl<'b> Lookup<'b> {
    pub(crate) fn new(entries: &'b [Value]) -> Self {
        let by_url = entries
            .iter()
            .filter_map(|e| Some((e.get("fullUrl")?.as_str()?, e.get("resource")?)))
            .collect();
        Lookup { by_url }
    }

    pub(crate) fn resource(&self, full_url: &str) -> Option<&'b Value> {
        self.by_url.get(full_url).copied()
    }

    fn target<'h>(&self, holder: &'h Value, reference: Option<&Value>) -> Option<&'h Value>
    where
        'b: 'h,
    {
        let r = reference?.get("reference")?.as_str()?;
        match r.strip_prefix('#') {
            Some(id) => holder
                .get("contained")?
                .as_array()?
                .iter()
                .find(|c| c.get("id").and_then(Value::as_str) == Some(id)),
            None => self.resource(r),
        }
    }
}

/// Column headings of a section's table.
pub(crate) fn headers(section: SummarySection) -> &'static [&'static str] {
    match section {
        SummarySection::Allergies => &[
            "Allergy or intolerance",
            "Type",
            "Criticality",
            "Status",
            "Reactions",
            "Onset",
        ],
        SummarySection::Medications => &["Medication", "Status", "Dosage", "Date"],
        SummarySection::Problems => &["Problem", "Status", "Onset"],
        SummarySection::PastIllness => &["Problem", "Status", "Onset", "Resolved"],
        SummarySection::Immunizations => &["Vaccine", "Status", "Date"],
        SummarySection::Results => &["Test", "Result", "Interpretation", "Date"],
        SummarySection::VitalSigns => &["Measurement", "Value", "Date"],
        SummarySection::Procedures => &["Procedure", "Status", "Date"],
        SummarySection::Devices => &["Device", "Status", "Since"],
    }
}

const UNNAMED: &str = "(not named in the record)";

/// One row of a section's table for `resource`.
pub(crate) fn row(section: SummarySection, resource: &Value, lookup: &Lookup<'_>) -> Vec<String> {
    let text = |field: &str| concept_text(resource.get(field));
    let named = |name: Option<String>| name.unwrap_or_else(|| UNNAMED.to_string());
    let date = clinical_date_text(resource)
        .map(day_text)
        .unwrap_or_default();
    let status = resource
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let clinical = clinical_status(resource);
    match section {
        SummarySection::Allergies => vec![
            named(text("code")),
            allergy_type(resource),
            resource
                .get("criticality")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            clinical,
            reactions(resource),
            date,
        ],
        SummarySection::Medications => vec![
            named(medication_name(resource, lookup)),
            status,
            dosage(resource),
            date,
        ],
        SummarySection::Problems => vec![named(text("code")), clinical, date],
        SummarySection::PastIllness => {
            let resolved = [
                "/abatementDateTime",
                "/abatementPeriod/end",
                "/abatementString",
            ]
            .iter()
            .find_map(|p| resource.pointer(p).and_then(Value::as_str))
            .map(day_text)
            .unwrap_or_default();
            vec![named(text("code")), clinical, date, resolved]
        }
        SummarySection::Immunizations => vec![named(text("vaccineCode")), status, date],
        SummarySection::Results => {
            let result = observation_value_text(resource)
                .or_else(|| {
                    resource
                        .get("conclusion")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_default();
            let interpretation = resource
                .get("interpretation")
                .and_then(Value::as_array)
                .and_then(|i| i.first())
                .and_then(|i| concept_text(Some(i)))
                .unwrap_or_default();
            vec![named(text("code")), result, interpretation, date]
        }
        SummarySection::VitalSigns => vec![
            named(text("code")),
            observation_value_text(resource).unwrap_or_default(),
            date,
        ],
        SummarySection::Procedures => vec![named(text("code")), status, date],
        SummarySection::Devices => {
            let since = ["/timingDateTime", "/timingPeriod/start", "/recordedOn"]
                .iter()
                .find_map(|p| resource.pointer(p).and_then(Value::as_str))
                .map(day_text)
                .unwrap_or_default();
            vec![named(device_name(resource, lookup)), status, since]
        }
    }
}

/// Clinical status, with the verification status when it is not simply confirmed.
fn clinical_status(resource: &Value) -> String {
    let clinical = status_code(resource.get("clinicalStatus")).unwrap_or_default();
    match status_code(resource.get("verificationStatus")) {
        Some(v) if v != "confirmed" && clinical.is_empty() => v.to_string(),
        Some(v) if v != "confirmed" => format!("{clinical} ({v})"),
        _ => clinical.to_string(),
    }
}

fn allergy_type(resource: &Value) -> String {
    let kind = resource.get("type").and_then(Value::as_str);
    let categories: Vec<&str> = resource
        .get("category")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    match (kind, categories.is_empty()) {
        (Some(k), false) => format!("{k} ({})", categories.join(", ")),
        (Some(k), true) => k.to_string(),
        (None, _) => categories.join(", "),
    }
}

fn reactions(resource: &Value) -> String {
    let list: Vec<String> = resource
        .get("reaction")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            let manifestations: Vec<String> = r
                .get("manifestation")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| concept_text(Some(m)))
                .collect();
            let mut text = manifestations.join(", ");
            if let Some(s) = r.get("severity").and_then(Value::as_str) {
                text = format!("{text} ({s})");
            }
            text
        })
        .filter(|t| !t.is_empty())
        .collect();
    list.join("; ")
}

fn medication_name(resource: &Value, lookup: &Lookup<'_>) -> Option<String> {
    if let Some(name) = concept_text(resource.get("medicationCodeableConcept")) {
        return Some(name);
    }
    let reference = resource.get("medicationReference");
    lookup
        .target(resource, reference)
        .and_then(|m| concept_text(m.get("code")))
        .or_else(|| {
            reference
                .and_then(|r| r.get("display"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
}

fn dosage(resource: &Value) -> String {
    let dosage = ["dosage", "dosageInstruction"]
        .iter()
        .find_map(|k| resource.get(*k).and_then(Value::as_array))
        .and_then(|d| d.first())
        .or_else(|| resource.get("dosage"));
    let Some(dosage) = dosage else {
        return String::new();
    };
    if let Some(t) = dosage.get("text").and_then(Value::as_str) {
        return t.to_string();
    }
    dosage
        .pointer("/doseAndRate/0/doseQuantity")
        .or_else(|| dosage.get("dose"))
        .and_then(crate::share::narrative::quantity_text)
        .unwrap_or_default()
}

fn device_name(resource: &Value, lookup: &Lookup<'_>) -> Option<String> {
    let reference = resource.get("device");
    let device = lookup.target(resource, reference);
    device
        .and_then(|d| {
            d.get("deviceName")?
                .as_array()?
                .first()?
                .get("name")?
                .as_str()
        })
        .map(str::to_string)
        .or_else(|| device.and_then(|d| concept_text(d.get("type"))))
        .or_else(|| {
            reference
                .and_then(|r| r.get("display"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
}

/// The patient's name and birth date as the Composition's narrative gives them.
pub(crate) fn patient_line(patient: &Value) -> String {
    let name = PatientDetails::of(patient)
        .name
        .unwrap_or_else(|| "a patient whose name is not recorded".into());
    match patient.get("birthDate").and_then(Value::as_str) {
        Some(born) => format!("{name}, born {born}"),
        None => name,
    }
}
