//! What patients add to their own record by hand: an allergy, a medication, a condition or
//! a note, as FHIR R4 resources marked patient-reported.
//!
//! **Decision.** The mark is twofold: the entry's [`Source`] says `patient_reported` (what
//! the app shows), and the resource carries a `meta.tag` ([`PATIENT_REPORTED_TAG`]) so the
//! mark survives an export or a share, where the vault's sources do not travel. Allergies
//! are recorded `unconfirmed` and conditions `provisional`: no clinician has verified them.
//! Editing one is a new put under the same entry id, so the log keeps the history.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::record::{Entry, EntryId, Op, Source};

/// `meta.tag` system and code of a resource the patient entered.
pub const PATIENT_REPORTED_TAG: (&str, &str) = (
    "https://folio.health/fhir/CodeSystem/provenance",
    "patient-reported",
);

/// The longest text a field takes: a sentence or two, not a document.
pub const MAX_TEXT_CHARS: usize = 2000;

/// What kind of fact the patient is adding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportedKind {
    Allergy,
    Medication,
    Condition,
    Note,
}

impl ReportedKind {
    pub fn resource_type(self) -> &'static str {
        match self {
            ReportedKind::Allergy => "AllergyIntolerance",
            ReportedKind::Medication => "MedicationStatement",
            ReportedKind::Condition => "Condition",
            ReportedKind::Note => "DocumentReference",
        }
    }
}

/// How bad an allergic reaction is, in FHIR's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Mild,
    Moderate,
    Severe,
}

impl Severity {
    fn code(self) -> &'static str {
        match self {
            Severity::Mild => "mild",
            Severity::Moderate => "moderate",
            Severity::Severe => "severe",
        }
    }
}

/// A fact as the patient typed it.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientReport {
    pub kind: ReportedKind,
    /// What it is: "Penicillin", "Metformin 500 mg", "Migraine", or the note itself.
    pub text: String,
    /// Since when (onset, start) or, for a note, its day.
    pub date: Option<NaiveDate>,
    /// The reaction (allergy), the dose (medication) or a comment (condition).
    pub detail: Option<String>,
    /// Allergies only.
    pub severity: Option<Severity>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("say what it is: the text is empty")]
    Empty,
    #[error("keep it under {MAX_TEXT_CHARS} characters")]
    TooLong,
    #[error("the date is in the future")]
    FutureDate,
    #[error("only an allergy has a severity")]
    SeverityNotAllergy,
    #[error("{0} is not a {1}: an edit keeps the kind")]
    WrongKind(String, &'static str),
}

impl PatientReport {
    /// The entry that puts this report into the record: a new one, or (`editing`) the next
    /// version of one the patient entered before. `patient` is the record's Patient entry,
    /// when it has one, so the resource points at whom it is about.
    pub fn to_entry(
        &self,
        editing: Option<&EntryId>,
        patient: Option<&EntryId>,
        now: DateTime<Utc>,
    ) -> Result<Entry, ReportError> {
        let text = self.text.trim();
        let detail = self
            .detail
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty());
        if text.is_empty() {
            return Err(ReportError::Empty);
        }
        if text.chars().count() > MAX_TEXT_CHARS
            || detail.is_some_and(|d| d.chars().count() > MAX_TEXT_CHARS)
        {
            return Err(ReportError::TooLong);
        }
        if self.date.is_some_and(|d| d > now.date_naive()) {
            return Err(ReportError::FutureDate);
        }
        if self.severity.is_some() && self.kind != ReportedKind::Allergy {
            return Err(ReportError::SeverityNotAllergy);
        }
        let resource_type = self.kind.resource_type();
        let id = match editing {
            Some(id) if id.as_str().split('/').next() == Some(resource_type) => id.clone(),
            Some(id) => return Err(ReportError::WrongKind(id.to_string(), resource_type)),
            None => EntryId(format!("{resource_type}/{}", uuid::Uuid::new_v4().simple())),
        };
        let local_id = id.as_str().split('/').nth(1).unwrap_or_default().to_owned();
        let mut resource = self.resource(text, detail, now);
        resource["id"] = json!(local_id);
        resource["meta"] = json!({"tag": [{
            "system": PATIENT_REPORTED_TAG.0,
            "code": PATIENT_REPORTED_TAG.1,
            "display": "Patient-reported"
        }]});
        if let Some(patient) = patient {
            let field = match self.kind {
                ReportedKind::Allergy => "patient",
                _ => "subject",
            };
            resource[field] = json!({"reference": patient.as_str()});
        }
        Ok(Entry {
            id,
            op: Op::Put {
                resource,
                source: Source::patient_reported(now),
            },
            at: now,
        })
    }

    fn resource(&self, text: &str, detail: Option<&str>, now: DateTime<Utc>) -> Value {
        let day = self.date.map(|d| d.format("%Y-%m-%d").to_string());
        let recorded = now.format("%Y-%m-%d").to_string();
        match self.kind {
            ReportedKind::Allergy => {
                let mut allergy = json!({
                    "resourceType": "AllergyIntolerance",
                    "clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
                    "verificationStatus": concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "unconfirmed"),
                    "code": {"text": text},
                    "recordedDate": recorded,
                });
                if let Some(day) = day {
                    allergy["onsetDateTime"] = json!(day);
                }
                if detail.is_some() || self.severity.is_some() {
                    let mut reaction = json!({});
                    if let Some(detail) = detail {
                        reaction["manifestation"] = json!([{"text": detail}]);
                    } else {
                        reaction["manifestation"] = json!([{"text": "not described"}]);
                    }
                    if let Some(severity) = self.severity {
                        reaction["severity"] = json!(severity.code());
                    }
                    allergy["reaction"] = json!([reaction]);
                }
                allergy
            }
            ReportedKind::Medication => {
                let mut medication = json!({
                    "resourceType": "MedicationStatement",
                    "status": "active",
                    "medicationCodeableConcept": {"text": text},
                    "dateAsserted": recorded,
                });
                if let Some(day) = day {
                    medication["effectivePeriod"] = json!({"start": day});
                }
                if let Some(dose) = detail {
                    medication["dosage"] = json!([{"text": dose}]);
                }
                medication
            }
            ReportedKind::Condition => {
                let mut condition = json!({
                    "resourceType": "Condition",
                    "clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                    "verificationStatus": concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "provisional"),
                    "code": {"text": text},
                    "recordedDate": recorded,
                });
                if let Some(day) = day {
                    condition["onsetDateTime"] = json!(day);
                }
                if let Some(comment) = detail {
                    condition["note"] = json!([{"text": comment}]);
                }
                condition
            }
            ReportedKind::Note => {
                use base64::Engine as _;
                let data = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                json!({
                    "resourceType": "DocumentReference",
                    "status": "current",
                    "type": {"text": "Patient note"},
                    "date": format!("{}T00:00:00Z", day.unwrap_or(recorded)),
                    "description": detail.unwrap_or(first_line(text)),
                    "content": [{"attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "data": data,
                        "title": first_line(text),
                    }}],
                })
            }
        }
    }
}

impl PatientReport {
    /// The report a patient-reported resource was made from, to edit it; `None` for
    /// anything else (a provider's data is not the patient's to edit).
    pub fn from_resource(resource: &Value) -> Option<PatientReport> {
        if !is_patient_reported(resource) {
            return None;
        }
        let text_at = |pointer: &str| {
            resource
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let day_at = |pointer: &str| {
            resource
                .pointer(pointer)
                .and_then(Value::as_str)
                .and_then(|d| NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok())
        };
        let report = match resource["resourceType"].as_str()? {
            "AllergyIntolerance" => PatientReport {
                kind: ReportedKind::Allergy,
                text: text_at("/code/text")?,
                date: day_at("/onsetDateTime"),
                detail: text_at("/reaction/0/manifestation/0/text")
                    .filter(|d| d != "not described"),
                severity: match text_at("/reaction/0/severity").as_deref() {
                    Some("mild") => Some(Severity::Mild),
                    Some("moderate") => Some(Severity::Moderate),
                    Some("severe") => Some(Severity::Severe),
                    _ => None,
                },
            },
            "MedicationStatement" => PatientReport {
                kind: ReportedKind::Medication,
                text: text_at("/medicationCodeableConcept/text")?,
                date: day_at("/effectivePeriod/start"),
                detail: text_at("/dosage/0/text"),
                severity: None,
            },
            "Condition" => PatientReport {
                kind: ReportedKind::Condition,
                text: text_at("/code/text")?,
                date: day_at("/onsetDateTime"),
                detail: text_at("/note/0/text"),
                severity: None,
            },
            "DocumentReference" => {
                use base64::Engine as _;
                let data = text_at("/content/0/attachment/data")?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .ok()?;
                PatientReport {
                    kind: ReportedKind::Note,
                    text: String::from_utf8(bytes).ok()?,
                    date: day_at("/date"),
                    detail: None,
                    severity: None,
                }
            }
            _ => return None,
        };
        Some(report)
    }
}

fn concept(system: &str, code: &str) -> Value {
    json!({"coding": [{"system": system, "code": code}]})
}

fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or(text);
    match line.char_indices().nth(80) {
        Some((at, _)) => &line[..at],
        None => line,
    }
}

/// Whether a resource says it was entered by the patient (its `meta.tag`).
pub fn is_patient_reported(resource: &Value) -> bool {
    resource
        .pointer("/meta/tag")
        .and_then(Value::as_array)
        .is_some_and(|tags| {
            tags.iter().any(|t| {
                t["system"] == PATIENT_REPORTED_TAG.0 && t["code"] == PATIENT_REPORTED_TAG.1
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    fn allergy() -> PatientReport {
        PatientReport {
            kind: ReportedKind::Allergy,
            text: " Penicillin ".into(),
            date: NaiveDate::from_ymd_opt(2019, 3, 4),
            detail: Some("Hives".into()),
            severity: Some(Severity::Moderate),
        }
    }

    #[test]
    fn an_allergy_is_an_unconfirmed_allergy_intolerance_marked_patient_reported() {
        let patient = EntryId("Patient/abc".into());
        let entry = allergy().to_entry(None, Some(&patient), now()).unwrap();
        let Op::Put { resource, source } = &entry.op else {
            panic!("a put")
        };
        assert!(source.patient_reported);
        assert!(is_patient_reported(resource));
        assert!(entry.id.as_str().starts_with("AllergyIntolerance/"));
        assert_eq!(resource["id"], entry.id.as_str().split('/').nth(1).unwrap());
        assert_eq!(resource["code"]["text"], "Penicillin");
        assert_eq!(
            resource["verificationStatus"]["coding"][0]["code"],
            "unconfirmed"
        );
        assert_eq!(resource["reaction"][0]["manifestation"][0]["text"], "Hives");
        assert_eq!(resource["reaction"][0]["severity"], "moderate");
        assert_eq!(resource["onsetDateTime"], "2019-03-04");
        assert_eq!(resource["patient"]["reference"], "Patient/abc");
    }

    #[test]
    fn an_edit_keeps_the_id_and_the_kind() {
        let first = allergy().to_entry(None, None, now()).unwrap();
        let mut changed = allergy();
        changed.severity = Some(Severity::Severe);
        let edit = changed.to_entry(Some(&first.id), None, now()).unwrap();
        assert_eq!(edit.id, first.id);
        let condition = PatientReport {
            kind: ReportedKind::Condition,
            severity: None,
            ..allergy()
        };
        assert!(matches!(
            condition.to_entry(Some(&first.id), None, now()),
            Err(ReportError::WrongKind(..))
        ));
    }

    #[test]
    fn medications_conditions_and_notes_map_to_their_resources() {
        let base = PatientReport {
            severity: None,
            ..allergy()
        };
        let med = PatientReport {
            kind: ReportedKind::Medication,
            detail: Some("500 mg twice a day".into()),
            ..base.clone()
        };
        let Op::Put { resource, .. } = med.to_entry(None, None, now()).unwrap().op else {
            panic!()
        };
        assert_eq!(resource["resourceType"], "MedicationStatement");
        assert_eq!(resource["dosage"][0]["text"], "500 mg twice a day");
        assert_eq!(resource["effectivePeriod"]["start"], "2019-03-04");
        let note = PatientReport {
            kind: ReportedKind::Note,
            text: "Felt dizzy after the new dose".into(),
            detail: None,
            ..base
        };
        let Op::Put { resource, .. } = note.to_entry(None, None, now()).unwrap().op else {
            panic!()
        };
        assert_eq!(resource["resourceType"], "DocumentReference");
        assert_eq!(resource["description"], "Felt dizzy after the new dose");
    }

    #[test]
    fn every_kind_reads_back_as_the_report_it_was_made_from() {
        let allergy = allergy();
        let kinds = [
            PatientReport {
                text: "Penicillin".into(),
                ..allergy.clone()
            },
            PatientReport {
                kind: ReportedKind::Medication,
                text: "Metformin".into(),
                severity: None,
                ..allergy.clone()
            },
            PatientReport {
                kind: ReportedKind::Condition,
                text: "Migraine".into(),
                severity: None,
                ..allergy.clone()
            },
            PatientReport {
                kind: ReportedKind::Note,
                text: "Felt dizzy\nafter the new dose".into(),
                detail: None,
                severity: None,
                ..allergy
            },
        ];
        for report in kinds {
            let Op::Put { resource, .. } = report.to_entry(None, None, now()).unwrap().op else {
                panic!()
            };
            assert_eq!(PatientReport::from_resource(&resource), Some(report));
        }
        let provider = json!({"resourceType": "AllergyIntolerance", "code": {"text": "Nuts"}});
        assert_eq!(
            PatientReport::from_resource(&provider),
            None,
            "not the patient's"
        );
    }

    #[test]
    fn bad_reports_are_refused_with_a_reason() {
        let empty = PatientReport {
            text: "  ".into(),
            ..allergy()
        };
        assert_eq!(empty.to_entry(None, None, now()), Err(ReportError::Empty));
        let long = PatientReport {
            text: "x".repeat(MAX_TEXT_CHARS + 1),
            ..allergy()
        };
        assert_eq!(long.to_entry(None, None, now()), Err(ReportError::TooLong));
        let future = PatientReport {
            date: NaiveDate::from_ymd_opt(2027, 1, 1),
            ..allergy()
        };
        assert_eq!(
            future.to_entry(None, None, now()),
            Err(ReportError::FutureDate)
        );
        let severe_note = PatientReport {
            kind: ReportedKind::Note,
            ..allergy()
        };
        assert_eq!(
            severe_note.to_entry(None, None, now()),
            Err(ReportError::SeverityNotAllergy)
        );
    }
}
