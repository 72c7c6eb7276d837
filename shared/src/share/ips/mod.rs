//! [`PatientSummary`]: the record as an International Patient Summary (HL7 IPS), the
//! document a clinician anywhere can read without knowing Folio.
//!
//! The Bundle follows `Bundle-uv-ips`: `type` document, an `identifier` and a
//! `timestamp`, every entry with a `urn:uuid:` fullUrl and no request or response, the
//! Composition first and exactly one Patient (see `patient_record` for which).
//! The Composition follows `Composition-uv-ips`: status final, type LOINC 60591-5, the
//! Patient as subject, a date, an author and a title, and one section per
//! [`SummarySection`] that has entries, each with its LOINC code, the references and a
//! generated XHTML table. The three required sections are always there; when the record
//! has nothing for one, it has an `emptyReason` (`unavailable`) and a narrative saying so,
//! as the IPS allows, rather than a made-up "no known allergies" entry: that the record
//! holds no allergy is not the same as the patient having none.
//!
//! **Author.** A Device naming Folio, in the bundle. The patient chose to share, but the
//! clinical statements are their providers', compiled by software; naming the patient as
//! author would make a clinician read every entry as patient-reported. No attester and
//! no custodian: nobody vouches for the compilation and no organisation keeps it.
//!
//! **Profiles.** `meta.profile` is not claimed: the resources are as the providers sent
//! them, and Folio cannot promise each meets its IPS profile. Receivers recognise the
//! document by the Composition's type.

mod section;
mod table;

pub use section::SummarySection;

use super::ShareError;
use super::bundle::{BundleAssembly, instant, urn_for};
use super::clinical_date::clinical_date;
use super::narrative::{narrative, paragraph, table as xhtml_table};
use super::patient_record::{PatientRecord, resource_type};
use crate::clinical_view::{order_allergies, order_problems};
use crate::fhir::code_systems::LOINC;
use crate::vault::VaultContents;
use chrono::{DateTime, NaiveDate, Utc};
use section::{is_current_medication, section_of, test_key};
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use table::{Lookup, headers, patient_line, row};

const LIST_EMPTY_REASON: &str = "http://terminology.hl7.org/CodeSystem/list-empty-reason";

/// An International Patient Summary document built from a vault.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientSummary {
    bundle: Value,
}

/// One section member: its date (newest first in the table) and its record key.
type Member<'k> = (Option<NaiveDate>, &'k str);

impl PatientSummary {
    /// Summarise the record as it stands, dated `generated_at`.
    pub fn build(
        contents: &VaultContents,
        generated_at: DateTime<Utc>,
    ) -> Result<PatientSummary, ShareError> {
        let record = PatientRecord::new(contents);
        let patient = record.patient().ok_or(ShareError::NoPatient)?;

        let mut members: BTreeMap<SummarySection, Vec<Member<'_>>> = BTreeMap::new();
        let mut latest: HashMap<(SummarySection, String), Member<'_>> = HashMap::new();
        let mut past_medications = 0usize;
        for (key, stored) in record.iter() {
            let resource = &stored.resource;
            let date = clinical_date(resource).map(|d| d.last);
            match section_of(resource) {
                Some(s) if s.latest_only() => {
                    let slot = latest.entry((s, test_key(resource))).or_insert((date, key));
                    // Newest wins; on a tie, the first by key, so the result is stable.
                    if (date, Reverse(key)) > (slot.0, Reverse(slot.1)) {
                        *slot = (date, key);
                    }
                }
                Some(s) => members.entry(s).or_default().push((date, key)),
                None if is_medication(resource) && !is_current_medication(resource) => {
                    past_medications += 1;
                }
                None => {}
            }
        }
        for ((s, _), member) in latest {
            members.entry(s).or_default().push(member);
        }
        for list in members.values_mut() {
            list.sort_by_key(|&(date, key)| (Reverse(date), key));
        }
        // Allergies and problems in the order every view lists them: allergies current
        // first, drugs first, by criticality; problems newest onset first (the stable sort
        // keeps the record key order on a full tie).
        if let Some(allergies) = members.get_mut(&SummarySection::Allergies) {
            order_allergies(allergies, |(_, key)| resource_at(&record, key));
        }
        for section in [SummarySection::Problems, SummarySection::PastIllness] {
            if let Some(problems) = members.get_mut(&section) {
                order_problems(problems, |(_, key)| resource_at(&record, key));
            }
        }

        let mut assembly = BundleAssembly::new(&record);
        assembly.add(patient);
        for list in members.values() {
            for (_, key) in list {
                assembly.add(key);
            }
        }
        assembly.add_supporting();
        let entries = assembly.entries();
        let lookup = Lookup::new(&entries);
        let patient_url = assembly.full_url(patient).unwrap_or_default().to_string();

        let sections: Vec<Value> = SummarySection::ALL
            .into_iter()
            .filter_map(|s| {
                let urls: Vec<&str> = members
                    .get(&s)
                    .into_iter()
                    .flatten()
                    .filter_map(|(_, key)| assembly.full_url(key))
                    .collect();
                let extra = match s {
                    SummarySection::Medications if past_medications > 0 => Some(format!(
                        "{past_medications} past medication record(s) are in the patient's record but not in this summary."
                    )),
                    SummarySection::Problems if members.contains_key(&SummarySection::PastIllness) => {
                        Some("Resolved and inactive problems are under History of Past Illness.".to_string())
                    }
                    _ => None,
                };
                build_section(s, &urls, &lookup, extra.as_deref())
            })
            .collect();

        let identifier = assembly.identifier("document", generated_at);
        let composition_url = urn_for(&format!("composition:{identifier}"));
        let author_url = urn_for("author-device:folio");
        let date = instant(generated_at);
        let patient_resource = lookup.resource(&patient_url).cloned().unwrap_or_default();
        let composition = json!({
            "resourceType": "Composition",
            "id": uuid_of(&composition_url),
            "text": narrative(&paragraph(&format!(
                "International Patient Summary of {}, compiled by Folio on {} from the patient's own health record. Each entry is as the patient's providers recorded it.",
                patient_line(&patient_resource),
                day_of(&date),
            ))),
            "status": "final",
            "type": { "coding": [{
                "system": LOINC, "code": "60591-5", "display": "Patient summary Document"
            }] },
            "subject": { "reference": patient_url },
            "date": date,
            "author": [{ "reference": author_url, "display": "Folio" }],
            "title": "International Patient Summary",
            "section": sections,
        });
        let author = json!({
            "resourceType": "Device",
            "id": uuid_of(&author_url),
            "deviceName": [{ "name": "Folio", "type": "user-friendly-name" }],
            "type": { "text": "Personal health record application" },
            "version": [{ "value": env!("CARGO_PKG_VERSION") }],
        });

        let mut all = Vec::with_capacity(entries.len() + 2);
        all.push(json!({ "fullUrl": composition_url, "resource": composition }));
        all.extend(entries);
        all.push(json!({ "fullUrl": author_url, "resource": author }));
        let bundle = json!({
            "resourceType": "Bundle",
            "identifier": { "system": "urn:ietf:rfc:3986", "value": identifier },
            "type": "document",
            "timestamp": date,
            "entry": all,
        });
        Ok(PatientSummary { bundle })
    }

    /// The document Bundle.
    pub fn bundle(&self) -> &Value {
        &self.bundle
    }

    pub fn into_bundle(self) -> Value {
        self.bundle
    }
}

fn build_section(
    section: SummarySection,
    urls: &[&str],
    lookup: &Lookup<'_>,
    extra: Option<&str>,
) -> Option<Value> {
    let mut value = json!({
        "title": section.title(),
        "code": { "coding": [{
            "system": LOINC, "code": section.loinc(), "display": section.loinc_display()
        }] },
    });
    if urls.is_empty() {
        if !section.required() {
            return None;
        }
        let mut text = paragraph(section.empty_text());
        if let Some(extra) = extra {
            text.push_str(&paragraph(extra));
        }
        value["text"] = narrative(&text);
        value["emptyReason"] = json!({
            "coding": [{ "system": LIST_EMPTY_REASON, "code": "unavailable", "display": "Unavailable" }],
            "text": "No information in the patient's record",
        });
        return Some(value);
    }
    let rows: Vec<Vec<String>> = urls
        .iter()
        .filter_map(|u| lookup.resource(u))
        .map(|r| row(section, r, lookup))
        .collect();
    let mut text = String::new();
    if let Some(note) = section.note() {
        text.push_str(&paragraph(note));
    }
    if let Some(extra) = extra {
        text.push_str(&paragraph(extra));
    }
    text.push_str(&xhtml_table(headers(section), &rows));
    value["text"] = narrative(&text);
    value["entry"] = urls.iter().map(|u| json!({ "reference": u })).collect();
    Some(value)
}

fn is_medication(resource: &Value) -> bool {
    matches!(
        resource_type(resource),
        "MedicationStatement"
            | "MedicationRequest"
            | "MedicationAdministration"
            | "MedicationDispense"
    )
}

/// The resource stored under `key`; every section member is in the record, so the null
/// is only there to keep the lookup total.
fn resource_at<'r>(record: &PatientRecord<'r>, key: &str) -> &'r Value {
    record
        .get(key)
        .map_or(&Value::Null, |stored| &stored.resource)
}

/// The UUID of a `urn:uuid:` URL: a valid FHIR id.
fn uuid_of(urn: &str) -> &str {
    urn.strip_prefix("urn:uuid:").unwrap_or(urn)
}

fn day_of(instant: &str) -> &str {
    instant.get(..10).unwrap_or(instant)
}
