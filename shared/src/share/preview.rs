//! [`SharePreview`]: what the app shows the patient before a link is made, "exactly
//! what the clinician will see".
//!
//! It is computed from the Bundle that will be encrypted and uploaded, never from the
//! selection: if the selection logic and the preview disagreed, the patient would
//! approve one thing and send another. Any Bundle works (a category share, an IPS, a
//! received one).

use super::category::{ShareCategory, ShareRole, share_role};
use super::clinical_date::clinical_date;
use super::patient_record::resource_type;
use crate::patient_identity::PatientDetails;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};

/// A summary of a share's Bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharePreview {
    /// The patient's name, as the first Patient in the bundle gives it.
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    /// Clinical resources per category; categories with none are absent.
    pub counts: BTreeMap<ShareCategory, usize>,
    /// Practitioners, organisations, medications… that go along to keep the rest readable.
    pub supporting: usize,
    /// Anything else in the bundle, apart from Patients and the IPS Composition.
    pub other: usize,
    /// First and last day of the clinical resources' dates.
    pub earliest: Option<NaiveDate>,
    pub latest: Option<NaiveDate>,
    /// Clinical resources without a date (kept by any date range).
    pub undated: usize,
    /// Attachment URLs of documents whose content is not in the bundle (a
    /// `folio-attachment:` blob, a provider's server): a clinician cannot open them
    /// unless they are shared as well.
    pub attachments_outside: Vec<String>,
}

impl SharePreview {
    /// Summarise `bundle`.
    pub fn of(bundle: &Value) -> SharePreview {
        let resources: Vec<&Value> = bundle
            .get("entry")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("resource"))
            .collect();
        let full_urls: HashSet<&str> = bundle
            .get("entry")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("fullUrl").and_then(Value::as_str))
            .collect();
        let mut preview = SharePreview::default();
        for resource in resources {
            match share_role(resource) {
                ShareRole::Subject => {
                    if preview.patient_name.is_none() && preview.birth_date.is_none() {
                        preview.patient_name = PatientDetails::of(resource).name;
                        preview.birth_date = resource
                            .get("birthDate")
                            .and_then(Value::as_str)
                            .map(str::to_string);
                    }
                }
                ShareRole::Clinical(category) => {
                    *preview.counts.entry(category).or_default() += 1;
                    match clinical_date(resource) {
                        Some(d) => {
                            preview.earliest =
                                Some(preview.earliest.map_or(d.first, |e| e.min(d.first)));
                            preview.latest = Some(preview.latest.map_or(d.last, |l| l.max(d.last)));
                        }
                        None => preview.undated += 1,
                    }
                    preview
                        .attachments_outside
                        .extend(outside_attachments(resource, &full_urls));
                }
                ShareRole::Supporting => preview.supporting += 1,
                ShareRole::Unshared if resource_type(resource) == "Composition" => {}
                ShareRole::Unshared => preview.other += 1,
            }
        }
        preview
    }

    /// Clinical resources in the share.
    pub fn clinical_total(&self) -> usize {
        self.counts.values().sum()
    }

    /// Whether the share holds no clinical resource at all (only the patient).
    pub fn is_empty(&self) -> bool {
        self.clinical_total() == 0 && self.other == 0
    }
}

fn outside_attachments(resource: &Value, full_urls: &HashSet<&str>) -> Vec<String> {
    resource
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("attachment"))
        .filter(|a| a.get("data").is_none())
        .filter_map(|a| a.get("url").and_then(Value::as_str))
        .filter(|u| !full_urls.contains(u))
        .map(str::to_string)
        .collect()
}
