//! [`record_patient`]: the one Patient a record is named after.
//!
//! Every page that names the patient (the start page, `/record`, the caregivers' list,
//! the share preview, the bundle a share carries and so the clinician viewer) asks this,
//! so none of them can name someone else.

use serde_json::Value;

use crate::record::EntryId;
use crate::vault::{StoredResource, VaultContents};

use super::details::PatientDetails;

/// The Patient that names a record, with what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordPatient<'a> {
    pub id: &'a EntryId,
    pub stored: &'a StoredResource,
    pub details: PatientDetails,
}

/// The record's patient: the patient's own entry (`Source::patient_reported`) first; then
/// one that gives a name or a birth date over one that gives neither; then the most
/// recently imported (the freshest demographics); then the first by entry id, so the
/// choice never depends on the order entries were replayed in.
pub fn record_patient(contents: &VaultContents) -> Option<RecordPatient<'_>> {
    contents
        .iter()
        .filter(|(_, stored)| {
            stored.resource.get("resourceType").and_then(Value::as_str) == Some("Patient")
        })
        .map(|(id, stored)| RecordPatient {
            id,
            stored,
            details: PatientDetails::of(&stored.resource),
        })
        .max_by(|a, b| rank(a).cmp(&rank(b)))
}

/// Higher is preferred; the entry id is reversed so the first id wins a tie.
fn rank<'a>(
    p: &RecordPatient<'a>,
) -> (
    bool,
    bool,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Utc>,
    std::cmp::Reverse<&'a EntryId>,
) {
    let described = p.details.name.is_some() || p.details.birth_date.is_some();
    (
        p.stored.source.patient_reported,
        described,
        p.stored.source.retrieved_at,
        p.stored.at,
        std::cmp::Reverse(p.id),
    )
}
