//! "Discussed with my clinician": the patient's mark on an alert, kept in the record itself
//! (sealed like every entry, so it follows the patient to every device and no server learns
//! of it) as a FHIR `Basic` resource tagged patient-reported. A marked alert still shows, as
//! discussed on that day, but no longer asks for action on the start page.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::RecordResource;
use super::rules::Alert;
use crate::patient_reported::PATIENT_REPORTED_TAG;
use crate::record::{Entry, EntryId, Op, Source};

/// The code system of Folio's own marks, and the code of this one.
pub const DISCUSSED_SYSTEM: &str = "https://folio.health/fhir/CodeSystem/medication-alert";
pub const DISCUSSED_CODE: &str = "discussed";

/// The entry that marks `alert` discussed, as of `now`. Its id follows from the alert's key,
/// so marking it again replaces the mark rather than adding one.
pub fn discussed_entry(alert: &Alert, now: DateTime<Utc>) -> Entry {
    let key = alert.key();
    let digest = Sha256::digest(key.as_bytes());
    let local_id = format!("folio-discussed-{}", hex(&digest[..8]));
    let resource = json!({
        "resourceType": "Basic",
        "id": local_id,
        "meta": { "tag": [{
            "system": PATIENT_REPORTED_TAG.0,
            "code": PATIENT_REPORTED_TAG.1,
            "display": "Patient-reported",
        }]},
        "code": { "coding": [{
            "system": DISCUSSED_SYSTEM,
            "code": DISCUSSED_CODE,
            "display": "Medication alert discussed with a clinician",
        }], "text": format!("Discussed with my clinician: {}", alert.title) },
        "identifier": [{ "system": DISCUSSED_SYSTEM, "value": key }],
        "created": now.format("%Y-%m-%d").to_string(),
    });
    Entry {
        id: EntryId(format!("Basic/{local_id}")),
        op: Op::Put {
            resource,
            source: Source::patient_reported(now),
        },
        at: now,
    }
}

/// The marks in a record: each alert key with the day it was marked.
pub fn marks(resources: &[RecordResource<'_>]) -> HashMap<String, String> {
    resources
        .iter()
        .filter_map(|record| {
            let resource = record.resource;
            let is_mark = resource["resourceType"] == "Basic"
                && resource
                    .pointer("/code/coding")
                    .and_then(Value::as_array)
                    .is_some_and(|codings| {
                        codings
                            .iter()
                            .any(|c| c["system"] == DISCUSSED_SYSTEM && c["code"] == DISCUSSED_CODE)
                    });
            if !is_mark {
                return None;
            }
            let key = resource
                .get("identifier")
                .and_then(Value::as_array)?
                .iter()
                .find(|i| i["system"] == DISCUSSED_SYSTEM)?
                .get("value")?
                .as_str()?;
            let day = resource
                .get("created")
                .and_then(Value::as_str)
                .unwrap_or("");
            Some((key.to_owned(), day.to_owned()))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
