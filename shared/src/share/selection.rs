//! [`ShareSelection`]: the categories and dates a patient picks, and [`share_bundle`],
//! which cuts exactly that out of the record as a FHIR `collection` Bundle.
//!
//! What a selection shares, from the deduplicated record (see
//! `patient_record`: one resource per clinical fact, one Patient):
//! - every clinical resource whose category is selected (no categories = all of them)
//!   and whose [clinical date](mod@super::clinical_date) lies within the range;
//! - the Patient, always;
//! - the supporting resources those reference (see `bundle`).
//!
//! **Undated resources are kept** whatever the range: a range can only say that a dated
//! fact lies outside it, and an allergy or a problem recorded without a date is still
//! part of the record the patient chose to show (dropping it would hide, say, a
//! penicillin allergy from a "last year" share). The preview counts them separately so
//! the patient sees they go along. An inverted range (`from` after `to`), the only range
//! that could exclude everything, is refused as an error.

use super::ShareError;
use super::bundle::{BundleAssembly, instant};
use super::category::{ShareCategory, ShareRole, share_role};
use super::clinical_date::clinical_date;
use super::patient_record::PatientRecord;
use crate::vault::VaultContents;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// What the patient chooses to share.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareSelection {
    /// The categories to share; empty means all of them.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub categories: BTreeSet<ShareCategory>,
    /// First day to include (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Last day to include (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
}

impl ShareSelection {
    /// Every category, all dates.
    pub fn everything() -> Self {
        ShareSelection::default()
    }

    /// These categories, all dates.
    pub fn of(categories: impl IntoIterator<Item = ShareCategory>) -> Self {
        ShareSelection {
            categories: categories.into_iter().collect(),
            ..ShareSelection::default()
        }
    }

    /// The same categories, limited to `from..=to` (either end open).
    pub fn between(mut self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Self {
        self.from = from;
        self.to = to;
        self
    }

    pub fn includes(&self, category: ShareCategory) -> bool {
        self.categories.is_empty() || self.categories.contains(&category)
    }

    /// Whether a clinical resource of a selected category is shared: its date is within
    /// the range, or it has none.
    pub fn admits(&self, resource: &Value) -> bool {
        clinical_date(resource).is_none_or(|d| d.within(self.from, self.to))
    }

    /// Refuse a range that could only share undated resources.
    pub fn check(&self) -> Result<(), ShareError> {
        match (self.from, self.to) {
            (Some(from), Some(to)) if from > to => Err(ShareError::InvertedRange { from, to }),
            _ => Ok(()),
        }
    }
}

/// The `collection` Bundle a clinician receives for `selection`: the Patient first, then
/// the selected resources by category and date, then what they reference.
pub fn share_bundle(
    contents: &VaultContents,
    selection: &ShareSelection,
    generated_at: DateTime<Utc>,
) -> Result<Value, ShareError> {
    selection.check()?;
    let record = PatientRecord::new(contents);
    let patient = record.patient().ok_or(ShareError::NoPatient)?;
    let mut chosen: Vec<(ShareCategory, Option<NaiveDate>, &str)> = record
        .iter()
        .filter_map(|(key, stored)| match share_role(&stored.resource) {
            ShareRole::Clinical(category)
                if selection.includes(category) && selection.admits(&stored.resource) =>
            {
                Some((
                    category,
                    clinical_date(&stored.resource).map(|d| d.first),
                    key,
                ))
            }
            _ => None,
        })
        .collect();
    chosen.sort();

    let mut assembly = BundleAssembly::new(&record);
    assembly.add(patient);
    for (_, _, key) in chosen {
        assembly.add(key);
    }
    assembly.add_supporting();
    Ok(json!({
        "resourceType": "Bundle",
        "identifier": {
            "system": "urn:ietf:rfc:3986",
            "value": assembly.identifier("collection", generated_at),
        },
        "type": "collection",
        "timestamp": instant(generated_at),
        "entry": assembly.entries(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inverted_range_is_refused_and_open_ends_are_not() {
        let d = |m| NaiveDate::from_ymd_opt(2024, m, 1).unwrap();
        let s = ShareSelection::everything().between(Some(d(5)), Some(d(4)));
        assert_eq!(
            s.check(),
            Err(ShareError::InvertedRange {
                from: d(5),
                to: d(4)
            })
        );
        assert!(
            ShareSelection::everything()
                .between(Some(d(5)), None)
                .check()
                .is_ok()
        );
        assert!(
            ShareSelection::everything()
                .between(Some(d(5)), Some(d(5)))
                .check()
                .is_ok()
        );
    }

    #[test]
    fn no_categories_means_all_and_the_json_form_is_small() {
        let all = ShareSelection::everything();
        assert!(ShareCategory::ALL.iter().all(|c| all.includes(*c)));
        let some = ShareSelection::of([ShareCategory::Allergies]);
        assert!(!some.includes(ShareCategory::Results));
        assert_eq!(
            serde_json::to_value(&some).unwrap(),
            json!({"categories": ["allergies"]})
        );
        let back: ShareSelection =
            serde_json::from_value(json!({"categories": ["allergies"], "from": "2024-01-01"}))
                .unwrap();
        assert_eq!(back.from, NaiveDate::from_ymd_opt(2024, 1, 1));
    }
}
