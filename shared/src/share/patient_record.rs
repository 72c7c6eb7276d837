//! The record as the patient sees it, which is what a share is cut from.
//!
//! **Duplicates.** The vault keeps every entry, and the patient's views merge duplicates
//! across providers ([`crate::import::merge`]): one item per clinical fact. A share shows
//! the clinician the same thing: the primary entry of each merged item, never its
//! duplicates, so a clinician does not read one allergy twice and wonder whether it is two.
//! References to a merged-away duplicate (a lab report's results) are redirected to the
//! primary, so they still resolve.
//!
//! **One patient.** A vault is one person's record, but every import brings its own copy
//! of the Patient (a C-CDA's recordTarget, a FHIR server's Patient). A share carries one,
//! as an IPS must: the record's patient ([`record_patient`]: the one the patient entered,
//! else the most recently imported, the freshest demographics), so the clinician reads the
//! name every page of the app shows. Every reference to any Patient of the vault points to
//! it.

use super::category::{ShareRole, share_role};
use crate::fhir::reference::{ReferenceTarget, parse_reference};
use crate::import::identity::ORIGINAL_ID_EXTENSION;
use crate::import::merge::{RecordItem, merged_view};
use crate::patient_identity::record_patient;
use crate::vault::{StoredResource, VaultContents};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The deduplicated record: resources by their `Type/id` key, in key order.
pub(crate) struct PatientRecord<'a> {
    resources: BTreeMap<String, &'a StoredResource>,
    /// A merged-away duplicate, or another Patient → the key that stands for it.
    aliases: HashMap<String, String>,
    patient: Option<String>,
    /// A Binary's identity in its source (provider, original id) → its key.
    binaries: HashMap<(Option<String>, String), String>,
}

/// `Type/id` of a resource: the form references take in the vault.
fn key_of(entry_id: &str, resource: &Value) -> String {
    match (
        resource.get("resourceType").and_then(Value::as_str),
        resource.get("id").and_then(Value::as_str),
    ) {
        (Some(t), Some(id)) => format!("{t}/{id}"),
        _ => entry_id.to_string(),
    }
}

pub(crate) fn resource_type(resource: &Value) -> &str {
    resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

impl<'a> PatientRecord<'a> {
    pub(crate) fn new(contents: &'a VaultContents) -> Self {
        let items: Vec<RecordItem<'a>> = contents
            .iter()
            .map(|(id, stored)| RecordItem::of(id, stored))
            .collect();
        let mut resources = BTreeMap::new();
        let mut aliases = HashMap::new();
        for item in merged_view(&items) {
            let Some(primary) = contents.get(&item.primary) else {
                continue;
            };
            let primary_key = key_of(item.primary.as_str(), &primary.resource);
            for other in item.entries.iter().skip(1) {
                if let Some(stored) = contents.get(other) {
                    aliases.insert(
                        key_of(other.as_str(), &stored.resource),
                        primary_key.clone(),
                    );
                }
            }
            resources.insert(primary_key, primary);
        }

        // The record's patient (see `patient_identity`), or the entry that stands for it
        // when it was merged with a duplicate.
        let patient = record_patient(contents).map(|chosen| {
            let key = key_of(chosen.id.as_str(), &chosen.stored.resource);
            aliases.get(&key).cloned().unwrap_or(key)
        });
        if let Some(chosen) = &patient {
            let others: Vec<String> = resources
                .iter()
                .filter(|(k, s)| *k != chosen && share_role(&s.resource) == ShareRole::Subject)
                .map(|(k, _)| k.clone())
                .collect();
            for other in others {
                resources.remove(&other);
                aliases.insert(other, chosen.clone());
            }
        }

        let mut binaries = HashMap::new();
        for (key, stored) in &resources {
            if resource_type(&stored.resource) == "Binary"
                && let Some(original) = original_id(&stored.resource)
            {
                binaries.insert(
                    (stored.source.provider.clone(), original.to_string()),
                    key.clone(),
                );
            }
        }
        PatientRecord {
            resources,
            aliases,
            patient,
            binaries,
        }
    }

    /// The key of the one Patient a share carries.
    pub(crate) fn patient(&self) -> Option<&str> {
        self.patient.as_deref()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a StoredResource> {
        self.resources.get(key).copied()
    }

    /// Every resource the patient sees, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &'a StoredResource)> {
        self.resources.iter().map(|(k, s)| (k.as_str(), *s))
    }

    /// The key a reference written in a vault resource points to, after redirecting
    /// duplicates and other Patients; `None` when it points outside the record.
    pub(crate) fn resolve(&self, reference: &str) -> Option<&str> {
        let ReferenceTarget::Relative { resource_type, id } = parse_reference(reference) else {
            return None;
        };
        let key = format!("{resource_type}/{id}");
        let key = self.aliases.get(&key).unwrap_or(&key);
        self.resources.get_key_value(key).map(|(k, _)| k.as_str())
    }

    /// The Binary a DocumentReference's `attachment.url` names, if the vault has it.
    ///
    /// Importers rewrite references but not attachment URLs, so the URL is still the
    /// source's: match it against each Binary's original id from the same provider (a
    /// Binary came with its DocumentReference), then as a vault reference.
    pub(crate) fn binary_for(&self, document: &StoredResource, url: &str) -> Option<&str> {
        let provider = document.source.provider.clone();
        let by_original = |id: &str| {
            self.binaries
                .get(&(provider.clone(), id.to_string()))
                .map(String::as_str)
        };
        if let Some(key) = by_original(url) {
            return Some(key);
        }
        if let ReferenceTarget::Relative {
            resource_type: "Binary",
            id,
        } = parse_reference(url)
        {
            if let Some(key) = by_original(&format!("Binary/{id}")) {
                return Some(key);
            }
            return self.resolve(url).filter(|k| {
                self.get(k)
                    .is_some_and(|s| resource_type(&s.resource) == "Binary")
            });
        }
        None
    }
}

/// The id or fullUrl the resource had in its source, as the importer recorded it.
fn original_id(resource: &Value) -> Option<&str> {
    resource
        .pointer("/meta/extension")
        .and_then(Value::as_array)?
        .iter()
        .find(|e| e.get("url").and_then(Value::as_str) == Some(ORIGINAL_ID_EXTENSION))?
        .get("valueString")
        .and_then(Value::as_str)
}
