//! What a patient chooses to share, by kind of record, and which kind each FHIR resource
//! is.
//!
//! **Roles.** Every resource plays one [`ShareRole`] in a share:
//! - the **subject** (the Patient) is always shared;
//! - a **clinical** resource belongs to one [`ShareCategory`] and is shared when the
//!   patient picks that category;
//! - a **supporting** resource (Practitioner, PractitionerRole, Organization, Location,
//!   Medication, Substance, Binary, Device, Specimen) is shared only when a shared
//!   resource points to it, so the shared ones stay readable ("prescribed by whom",
//!   "which product", "which document file");
//! - everything else is **unshared**: no category names it, so no selection can include
//!   it by accident (claims, coverage, care plans, goals, family history…).
//!
//! **Observations** go by their `category` (system
//! `http://terminology.hl7.org/CodeSystem/observation-category`, or no system):
//! - `vital-signs` → vital signs;
//! - `laboratory`, `imaging`, `procedure`, `exam`, `therapy` → results (the IPS "Results"
//!   section covers lab, pathology, imaging and clinical results alike);
//! - no category, or only codes Folio does not know (Synthea writes `vital-sign` for an
//!   ejection fraction) → results: a measured value with no better home is a result;
//! - `social-history`, `survey`, `activity` and nothing better → **unshared**. These are
//!   smoking, alcohol and drug questionnaires, depression and violence screenings, step
//!   counts: a patient who ticks "results" does not expect them to go along, and there is
//!   no category that names them. A later `social_history` category can share them on
//!   purpose.
//!
//! A DiagnosticReport and an ImagingStudy are results too; a Media (a photo) is a
//! document.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A kind of record the patient can choose to share. The order is the order a clinician
/// reads a record in: what can hurt first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareCategory {
    Allergies,
    Problems,
    Medications,
    Immunizations,
    Results,
    VitalSigns,
    Procedures,
    Encounters,
    Documents,
}

impl ShareCategory {
    /// Every category, in reading order.
    pub const ALL: [ShareCategory; 9] = [
        ShareCategory::Allergies,
        ShareCategory::Problems,
        ShareCategory::Medications,
        ShareCategory::Immunizations,
        ShareCategory::Results,
        ShareCategory::VitalSigns,
        ShareCategory::Procedures,
        ShareCategory::Encounters,
        ShareCategory::Documents,
    ];

    /// Every category, in reading order.
    pub fn all() -> &'static [ShareCategory] {
        &Self::ALL
    }

    /// The name used in JSON and on the command line (`vital_signs`).
    pub fn name(self) -> &'static str {
        match self {
            ShareCategory::Allergies => "allergies",
            ShareCategory::Problems => "problems",
            ShareCategory::Medications => "medications",
            ShareCategory::Immunizations => "immunizations",
            ShareCategory::Results => "results",
            ShareCategory::VitalSigns => "vital_signs",
            ShareCategory::Procedures => "procedures",
            ShareCategory::Encounters => "encounters",
            ShareCategory::Documents => "documents",
        }
    }

    /// What a person reads on a button or in a preview (`Vital signs`).
    pub fn label(self) -> &'static str {
        match self {
            ShareCategory::Allergies => "Allergies",
            ShareCategory::Problems => "Problems",
            ShareCategory::Medications => "Medications",
            ShareCategory::Immunizations => "Immunizations",
            ShareCategory::Results => "Results",
            ShareCategory::VitalSigns => "Vital signs",
            ShareCategory::Procedures => "Procedures",
            ShareCategory::Encounters => "Encounters",
            ShareCategory::Documents => "Documents",
        }
    }

    /// Parse a comma-separated list (`allergies,vital_signs`), as a `--categories` option
    /// takes it. An empty list or an empty item is refused rather than read as "all": a
    /// typo must never widen a share.
    pub fn parse_list(list: &str) -> Result<BTreeSet<ShareCategory>, ParseCategoryError> {
        list.split(',').map(str::parse).collect()
    }
}

impl fmt::Display for ShareCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ShareCategory {
    type Err = ParseCategoryError;

    /// Accepts the snake_case names, ignoring case and surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        if wanted.is_empty() {
            return Err(ParseCategoryError::Empty);
        }
        ShareCategory::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ParseCategoryError::Unknown {
                given: wanted.to_string(),
            })
    }
}

/// A category name that is not one of [`ShareCategory::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseCategoryError {
    #[error("unknown share category `{given}`; valid categories are: {valid}", valid = valid_names())]
    Unknown { given: String },
    #[error("empty share category name; valid categories are: {valid}", valid = valid_names())]
    Empty,
}

fn valid_names() -> String {
    ShareCategory::ALL
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The part a resource plays in a share; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareRole {
    /// The Patient: always shared.
    Subject,
    /// Shared when its category is selected.
    Clinical(ShareCategory),
    /// Shared when a shared resource references it.
    Supporting,
    /// Never shared by a category selection.
    Unshared,
}

/// Resource types shared only as the target of a reference from a shared resource.
pub const SUPPORTING_TYPES: &[&str] = &[
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Location",
    "Medication",
    "Substance",
    "Binary",
    "Device",
    "Specimen",
];

const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

/// The role `resource` plays in a share.
pub fn share_role(resource: &Value) -> ShareRole {
    let resource_type = resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let category = match resource_type {
        "Patient" => return ShareRole::Subject,
        t if SUPPORTING_TYPES.contains(&t) => return ShareRole::Supporting,
        "AllergyIntolerance" => ShareCategory::Allergies,
        "Condition" => ShareCategory::Problems,
        "MedicationStatement"
        | "MedicationRequest"
        | "MedicationAdministration"
        | "MedicationDispense" => ShareCategory::Medications,
        "Immunization" => ShareCategory::Immunizations,
        "Observation" => match observation_category(resource) {
            Some(c) => c,
            None => return ShareRole::Unshared,
        },
        "DiagnosticReport" | "ImagingStudy" => ShareCategory::Results,
        "Procedure" => ShareCategory::Procedures,
        "Encounter" => ShareCategory::Encounters,
        "DocumentReference" | "Media" => ShareCategory::Documents,
        _ => return ShareRole::Unshared,
    };
    ShareRole::Clinical(category)
}

/// The category `resource` belongs to. Supporting resources that travel with one
/// category (a Medication with the medications that name it, a Binary with the
/// documents whose content it is) report that category, although they are shared only
/// when referenced ([`share_role`] says so).
pub fn category_of(resource: &Value) -> Option<ShareCategory> {
    match share_role(resource) {
        ShareRole::Clinical(c) => Some(c),
        ShareRole::Supporting => match resource.get("resourceType").and_then(Value::as_str) {
            Some("Medication" | "Substance") => Some(ShareCategory::Medications),
            Some("Binary") => Some(ShareCategory::Documents),
            Some("Specimen") => Some(ShareCategory::Results),
            _ => None,
        },
        ShareRole::Subject | ShareRole::Unshared => None,
    }
}

/// Which category an Observation's `category` codes put it in; `None` = unshared.
fn observation_category(resource: &Value) -> Option<ShareCategory> {
    let codes: Vec<&str> = resource
        .get("category")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("coding").and_then(Value::as_array))
        .flatten()
        .filter(|c| {
            c.get("system")
                .and_then(Value::as_str)
                .is_none_or(|s| s == OBSERVATION_CATEGORY)
        })
        .filter_map(|c| c.get("code").and_then(Value::as_str))
        .collect();
    if codes.contains(&"vital-signs") {
        return Some(ShareCategory::VitalSigns);
    }
    const RESULTS: &[&str] = &["laboratory", "imaging", "procedure", "exam", "therapy"];
    if codes.iter().any(|c| RESULTS.contains(c)) {
        return Some(ShareCategory::Results);
    }
    const PERSONAL: &[&str] = &["social-history", "survey", "activity"];
    if codes.iter().any(|c| PERSONAL.contains(c)) {
        return None;
    }
    Some(ShareCategory::Results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_round_trip_through_from_str_and_serde() {
        for c in ShareCategory::ALL {
            assert_eq!(c.name().parse::<ShareCategory>(), Ok(c));
            assert_eq!(serde_json::to_value(c).unwrap(), json!(c.name()));
        }
        assert_eq!(
            " Vital_Signs ".parse::<ShareCategory>(),
            Ok(ShareCategory::VitalSigns)
        );
    }

    #[test]
    fn unknown_and_empty_names_are_refused_naming_the_valid_ones() {
        let err = ShareCategory::parse_list("allergies,labs").unwrap_err();
        assert_eq!(
            err,
            ParseCategoryError::Unknown {
                given: "labs".into()
            }
        );
        let message = err.to_string();
        for c in ShareCategory::ALL {
            assert!(message.contains(c.name()), "{message}");
        }
        assert_eq!(
            ShareCategory::parse_list(""),
            Err(ParseCategoryError::Empty)
        );
        assert_eq!(
            ShareCategory::parse_list("allergies,,results"),
            Err(ParseCategoryError::Empty)
        );
        assert_eq!(
            ShareCategory::parse_list("results,allergies,results").unwrap(),
            BTreeSet::from([ShareCategory::Allergies, ShareCategory::Results])
        );
    }

    fn observation(codes: &[&str]) -> Value {
        let category: Vec<Value> = codes
            .iter()
            .map(|c| json!({"coding": [{"system": OBSERVATION_CATEGORY, "code": c}]}))
            .collect();
        json!({"resourceType": "Observation", "category": category})
    }

    #[test]
    fn observations_go_by_category_and_personal_ones_stay_home() {
        let role = |codes: &[&str]| share_role(&observation(codes));
        let results = ShareRole::Clinical(ShareCategory::Results);
        assert_eq!(
            role(&["vital-signs"]),
            ShareRole::Clinical(ShareCategory::VitalSigns)
        );
        assert_eq!(role(&["laboratory"]), results);
        assert_eq!(role(&["imaging"]), results);
        assert_eq!(role(&[]), results);
        assert_eq!(role(&["vital-sign"]), results);
        assert_eq!(role(&["social-history"]), ShareRole::Unshared);
        assert_eq!(role(&["survey"]), ShareRole::Unshared);
        assert_eq!(role(&["survey", "laboratory"]), results);
        // A code from another system does not count as an observation category.
        let other = json!({"resourceType": "Observation",
            "category": [{"coding": [{"system": "urn:x", "code": "vital-signs"}]}]});
        assert_eq!(share_role(&other), results);
    }

    #[test]
    fn supporting_resources_travel_with_their_category() {
        let of = |t: &str| json!({"resourceType": t});
        assert_eq!(share_role(&of("Patient")), ShareRole::Subject);
        assert_eq!(share_role(&of("Medication")), ShareRole::Supporting);
        assert_eq!(
            category_of(&of("Medication")),
            Some(ShareCategory::Medications)
        );
        assert_eq!(category_of(&of("Binary")), Some(ShareCategory::Documents));
        assert_eq!(category_of(&of("Practitioner")), None);
        assert_eq!(
            category_of(&of("MedicationDispense")),
            Some(ShareCategory::Medications)
        );
        assert_eq!(share_role(&of("Claim")), ShareRole::Unshared);
        assert_eq!(share_role(&of("CarePlan")), ShareRole::Unshared);
    }
}
