//! The sections of Folio's International Patient Summary and which resources of the
//! record each one summarises.
//!
//! A summary is not the record: it says what matters now, as the IPS asks ("current and
//! relevant"), and each rule below only leaves things out, never makes them up.
//! - **Allergies and intolerances**: all, except entered in error. A resolved allergy
//!   is still worth a clinician's glance; the table shows its status. They are listed in
//!   the order every view of the record uses ([`crate::clinical_view::AllergyRank`]):
//!   current first, drug allergies first, then by criticality.
//! - **Medication summary**: current medications only (statement `active`, `intended`,
//!   `on-hold` or `unknown`; request `active`, `on-hold` or `unknown`; administration or
//!   dispense in progress, in preparation, on hold or unknown). The narrative says how
//!   many past ones the record holds.
//! - **Problem list** ("active problems"): conditions whose clinical status is active,
//!   recurrence or relapse, or not recorded (a problem of unknown status is safer shown);
//!   **history of past illness**: inactive, remission or resolved. Refuted and
//!   entered-in-error conditions are in neither.
//! - **Immunizations**: all that were given: not `not-done` nor entered in error.
//! - **Results** and **vital signs**: the most recent of each test (by code), so a
//!   decade of lab panels does not bury the summary; cancelled and entered-in-error ones
//!   are skipped. A DiagnosticReport is summarised only when it stands alone (no
//!   `result` observations, e.g. an imaging report's conclusion): otherwise its
//!   observations are.
//! - **History of procedures**: all, except entered in error and not done.
//! - **Medical devices**: DeviceUseStatements, except entered in error.
//!
//! What did not happen (a vaccine or a procedure `not-done`) is not in the summary.
//!
//! Social history, plan of care and the other optional IPS sections are not built:
//! Folio does not share social-history observations by category either (see
//! [`crate::share::category`]), and the summary must not share more than a category
//! selection of everything would.

use crate::share::category::{ShareCategory, ShareRole, share_role};
use crate::share::narrative::status_code;
use crate::share::patient_record::resource_type;
use serde_json::Value;

/// A section of the summary, in the order the Composition lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SummarySection {
    Allergies,
    Medications,
    Problems,
    Immunizations,
    Results,
    VitalSigns,
    Procedures,
    Devices,
    PastIllness,
}

impl SummarySection {
    /// Every section Folio can build, in Composition order.
    pub const ALL: [SummarySection; 9] = [
        SummarySection::Allergies,
        SummarySection::Medications,
        SummarySection::Problems,
        SummarySection::Immunizations,
        SummarySection::Results,
        SummarySection::VitalSigns,
        SummarySection::Procedures,
        SummarySection::Devices,
        SummarySection::PastIllness,
    ];

    /// The section's LOINC code, as the IPS fixes it.
    pub fn loinc(self) -> &'static str {
        match self {
            SummarySection::Allergies => "48765-2",
            SummarySection::Medications => "10160-0",
            SummarySection::Problems => "11450-4",
            SummarySection::Immunizations => "11369-6",
            SummarySection::Results => "30954-2",
            SummarySection::VitalSigns => "8716-3",
            SummarySection::Procedures => "47519-4",
            SummarySection::Devices => "46264-8",
            SummarySection::PastIllness => "11348-0",
        }
    }

    /// LOINC's display name of [`Self::loinc`].
    pub fn loinc_display(self) -> &'static str {
        match self {
            SummarySection::Allergies => "Allergies and adverse reactions Document",
            SummarySection::Medications => "History of Medication use Narrative",
            SummarySection::Problems => "Problem list - Reported",
            SummarySection::Immunizations => "History of Immunization Narrative",
            SummarySection::Results => "Relevant diagnostic tests/laboratory data Narrative",
            SummarySection::VitalSigns => "Vital signs",
            SummarySection::Procedures => "History of Procedures Document",
            SummarySection::Devices => "History of medical device use",
            SummarySection::PastIllness => "History of Past illness Narrative",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SummarySection::Allergies => "Allergies and Intolerances",
            SummarySection::Medications => "Medication Summary",
            SummarySection::Problems => "Problem List",
            SummarySection::Immunizations => "Immunizations",
            SummarySection::Results => "Results",
            SummarySection::VitalSigns => "Vital Signs",
            SummarySection::Procedures => "History of Procedures",
            SummarySection::Devices => "Medical Devices",
            SummarySection::PastIllness => "History of Past Illness",
        }
    }

    /// The IPS requires these three in every summary (`ips-comp-1`): with entries, or
    /// with an `emptyReason`.
    pub fn required(self) -> bool {
        matches!(
            self,
            SummarySection::Allergies | SummarySection::Medications | SummarySection::Problems
        )
    }

    /// Whether only the most recent resource of each test goes in.
    pub(crate) fn latest_only(self) -> bool {
        matches!(self, SummarySection::Results | SummarySection::VitalSigns)
    }

    /// What the narrative says above the table.
    pub(crate) fn note(self) -> Option<&'static str> {
        Some(match self {
            SummarySection::Medications => {
                "Current medications: active, on hold, intended, or of unknown status."
            }
            SummarySection::Problems => "Problems that are active or whose status is not recorded.",
            SummarySection::PastIllness => "Problems that are resolved, inactive or in remission.",
            SummarySection::Results => "The most recent result of each test in the record.",
            SummarySection::VitalSigns => "The most recent measurement of each vital sign.",
            _ => return None,
        })
    }

    /// What the narrative of a required section says when the record has nothing for it.
    pub(crate) fn empty_text(self) -> &'static str {
        match self {
            SummarySection::Allergies => {
                "No information about allergies or intolerances is recorded in this patient's record."
            }
            SummarySection::Medications => {
                "No information about current medications is recorded in this patient's record."
            }
            SummarySection::Problems => {
                "No information about current problems is recorded in this patient's record."
            }
            _ => "No information is recorded in this patient's record.",
        }
    }
}

/// Which section a resource of the record belongs in, if any.
pub(crate) fn section_of(resource: &Value) -> Option<SummarySection> {
    let status = resource.get("status").and_then(Value::as_str);
    let verification = status_code(resource.get("verificationStatus"));
    let not_in_error = status != Some("entered-in-error");
    match resource_type(resource) {
        "AllergyIntolerance" => {
            (verification != Some("entered-in-error")).then_some(SummarySection::Allergies)
        }
        "Condition" => {
            if matches!(verification, Some("entered-in-error" | "refuted")) {
                return None;
            }
            match status_code(resource.get("clinicalStatus")) {
                Some("inactive" | "remission" | "resolved") => Some(SummarySection::PastIllness),
                _ => Some(SummarySection::Problems),
            }
        }
        "MedicationStatement"
        | "MedicationRequest"
        | "MedicationAdministration"
        | "MedicationDispense" => {
            is_current_medication(resource).then_some(SummarySection::Medications)
        }
        "Immunization" => (!matches!(status, Some("entered-in-error" | "not-done")))
            .then_some(SummarySection::Immunizations),
        "Observation" => {
            if matches!(status, Some("entered-in-error" | "cancelled")) {
                return None;
            }
            match share_role(resource) {
                ShareRole::Clinical(ShareCategory::VitalSigns) => Some(SummarySection::VitalSigns),
                ShareRole::Clinical(ShareCategory::Results) => Some(SummarySection::Results),
                _ => None,
            }
        }
        "DiagnosticReport" => {
            let stands_alone = resource
                .get("result")
                .and_then(Value::as_array)
                .is_none_or(|r| r.is_empty());
            (stands_alone && !matches!(status, Some("entered-in-error" | "cancelled")))
                .then_some(SummarySection::Results)
        }
        "Procedure" => (!matches!(status, Some("entered-in-error" | "not-done")))
            .then_some(SummarySection::Procedures),
        "DeviceUseStatement" => not_in_error.then_some(SummarySection::Devices),
        _ => None,
    }
}

/// Whether a medication resource says the patient takes it now.
pub(crate) fn is_current_medication(resource: &Value) -> bool {
    let status = resource
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let current: &[&str] = match resource_type(resource) {
        "MedicationStatement" => &["active", "intended", "on-hold", "unknown"],
        "MedicationRequest" => &["active", "on-hold", "unknown"],
        "MedicationAdministration" => &["in-progress", "on-hold", "unknown"],
        "MedicationDispense" => &["preparation", "in-progress", "on-hold", "unknown"],
        _ => return false,
    };
    current.contains(&status)
}

/// What makes two results "the same test": the type and the first coding (or text).
pub(crate) fn test_key(resource: &Value) -> String {
    let code = resource.get("code");
    let coding = code
        .and_then(|c| c.get("coding"))
        .and_then(Value::as_array)
        .and_then(|c| c.first());
    let identity = match coding {
        Some(c) => format!(
            "{}|{}",
            c.get("system").and_then(Value::as_str).unwrap_or_default(),
            c.get("code").and_then(Value::as_str).unwrap_or_default()
        ),
        None => code
            .and_then(|c| c.get("text"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    };
    format!("{}:{identity}", resource_type(resource))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_split_into_active_and_past_and_refuted_ones_stay_out() {
        let condition = |clinical: Option<&str>, verification: &str| {
            let mut c = json!({"resourceType": "Condition",
                "verificationStatus": {"coding": [{"code": verification}]}});
            if let Some(s) = clinical {
                c["clinicalStatus"] = json!({"coding": [{"code": s}]});
            }
            section_of(&c)
        };
        assert_eq!(
            condition(Some("active"), "confirmed"),
            Some(SummarySection::Problems)
        );
        assert_eq!(
            condition(Some("relapse"), "confirmed"),
            Some(SummarySection::Problems)
        );
        assert_eq!(condition(None, "confirmed"), Some(SummarySection::Problems));
        assert_eq!(
            condition(Some("resolved"), "confirmed"),
            Some(SummarySection::PastIllness)
        );
        assert_eq!(condition(Some("active"), "refuted"), None);
        assert_eq!(condition(Some("active"), "entered-in-error"), None);
    }

    #[test]
    fn only_current_medications_and_standalone_reports_are_summarised() {
        let med = |t: &str, s: &str| section_of(&json!({"resourceType": t, "status": s}));
        assert_eq!(
            med("MedicationRequest", "active"),
            Some(SummarySection::Medications)
        );
        assert_eq!(med("MedicationRequest", "stopped"), None);
        assert_eq!(med("MedicationStatement", "completed"), None);
        assert_eq!(
            med("MedicationStatement", "intended"),
            Some(SummarySection::Medications)
        );
        let report = json!({"resourceType": "DiagnosticReport", "status": "final",
            "result": [{"reference": "Observation/1"}]});
        assert_eq!(section_of(&report), None);
        let alone = json!({"resourceType": "DiagnosticReport", "status": "final",
            "conclusion": "No fracture"});
        assert_eq!(section_of(&alone), Some(SummarySection::Results));
    }
}
