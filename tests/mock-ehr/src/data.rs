//! A patient's record as a provider holds it: resources with server ids, `Type/id`
//! references and `meta.lastUpdated`, read from the Bundles test data comes in (Synthea
//! transaction Bundles with `urn:uuid:` references, collections, searchsets).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::document;

/// One patient's resources on a provider: the Patient itself, everything that refers to it,
/// the Organizations and Practitioners those refer to, and the Binaries of its documents.
#[derive(Debug, Clone)]
pub struct PatientData {
    /// The Patient resource's id, which tokens carry as `patient`.
    pub id: String,
    /// Every resource, each with `resourceType`, `id` and `meta.lastUpdated`.
    pub resources: Vec<Value>,
}

/// Why a Bundle file cannot become a patient's record.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("not a FHIR Bundle with entries (resourceType must be \"Bundle\" and entry a list)")]
    NotABundle,
    #[error("Bundle entry {index} has no resource with a resourceType")]
    EntryWithoutResource { index: usize },
    #[error("the Bundle holds {count} Patient resources; a provider's record needs exactly one")]
    PatientCount { count: usize },
}

impl PatientData {
    /// Reads a Synthea, transaction or collection Bundle file: resources get their ids,
    /// `urn:uuid:` references are rewritten to `Type/id`, and `meta.lastUpdated` is set; adds
    /// one DocumentReference pointing at a Binary (a small PDF the mock serves) so clients
    /// exercise attachments.
    pub fn from_bundle_file(path: &Path) -> Result<PatientData, BundleError> {
        let text = std::fs::read(path).map_err(|source| BundleError::Read {
            path: path.to_owned(),
            source,
        })?;
        let bundle: Value = serde_json::from_slice(&text).map_err(|source| BundleError::Json {
            path: path.to_owned(),
            source,
        })?;
        PatientData::from_bundle(bundle)
    }

    /// As `from_bundle_file`, for a Bundle already in memory (tests that build their own).
    pub fn from_bundle(bundle: Value) -> Result<PatientData, BundleError> {
        if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
            return Err(BundleError::NotABundle);
        }
        let Some(Value::Array(entries)) = bundle.get("entry") else {
            return Err(BundleError::NotABundle);
        };
        // Loaded resources date from a day ago, so anything `add_resource` adds later is
        // strictly newer than every one of them and than any sync done before it.
        let loaded_at = Utc::now() - chrono::Duration::days(1);

        let mut resources = Vec::with_capacity(entries.len() + 2);
        let mut references = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let mut resource = entry
                .get("resource")
                .filter(|r| r.get("resourceType").and_then(Value::as_str).is_some())
                .cloned()
                .ok_or(BundleError::EntryWithoutResource { index })?;
            let full_url = entry.get("fullUrl").and_then(Value::as_str);
            let id = match resource.get("id").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => full_url
                    .and_then(|u| u.strip_prefix("urn:uuid:"))
                    .map(str::to_owned)
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            };
            resource["id"] = Value::String(id.clone());
            if let Some(full_url) = full_url {
                references.insert(full_url.to_owned(), format!("{}/{id}", type_of(&resource)));
            }
            resources.push(resource);
        }

        let patients: Vec<&Value> = resources
            .iter()
            .filter(|r| type_of(r) == "Patient")
            .collect();
        let [patient] = patients.as_slice() else {
            return Err(BundleError::PatientCount {
                count: patients.len(),
            });
        };
        let id = id_of(patient).to_owned();
        let (document_reference, binary) = document::visit_summary(patient, &id, loaded_at);
        resources.push(document_reference);
        resources.push(binary);

        for resource in &mut resources {
            rewrite_references(resource, &references);
            set_last_updated(resource, loaded_at);
        }
        Ok(PatientData { id, resources })
    }
}

/// Whether `resource` belongs to the compartment of patient `patient_id`: the Patient itself
/// or a resource that refers to it (Organizations and Practitioners do not).
pub(crate) fn in_compartment(patient_id: &str, resource: &Value) -> bool {
    if type_of(resource) == "Patient" {
        return id_of(resource) == patient_id;
    }
    refers_to(resource, &format!("Patient/{patient_id}"))
}

/// The resource's `resourceType` (empty when absent, which loading never lets through).
pub(crate) fn type_of(resource: &Value) -> &str {
    resource
        .get("resourceType")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The resource's `id` (empty when absent).
pub(crate) fn id_of(resource: &Value) -> &str {
    resource.get("id").and_then(Value::as_str).unwrap_or("")
}

/// A FHIR instant as servers write it: UTC, milliseconds, `Z`.
pub(crate) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Sets `meta.lastUpdated` (and `meta.versionId`), keeping any other `meta` such as tags.
pub(crate) fn set_last_updated(resource: &mut Value, at: DateTime<Utc>) {
    if !resource.get("meta").is_some_and(Value::is_object) {
        resource["meta"] = serde_json::json!({});
    }
    resource["meta"]["lastUpdated"] = Value::String(instant(at));
    if resource["meta"].get("versionId").is_none() {
        resource["meta"]["versionId"] = Value::String("1".to_owned());
    }
}

/// `meta.lastUpdated` as a time, if the resource has a readable one.
pub(crate) fn last_updated(resource: &Value) -> Option<DateTime<Utc>> {
    let text = resource.pointer("/meta/lastUpdated")?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Rewrites every `reference` found in `map` (Bundle-local `fullUrl`s) to its `Type/id`.
/// References to resources outside the Bundle stay as they are, dangling, as they would on a
/// real server that imported the Bundle.
fn rewrite_references(value: &mut Value, map: &HashMap<String, String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if key == "reference"
                    && let Value::String(reference) = inner
                {
                    if let Some(target) = map.get(reference.as_str()) {
                        *reference = target.clone();
                    }
                } else {
                    rewrite_references(inner, map);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rewrite_references(item, map)),
        _ => {}
    }
}

/// Whether any `reference` in `value` is exactly `target`.
pub(crate) fn refers_to(value: &Value, target: &str) -> bool {
    match value {
        Value::Object(object) => object.iter().any(|(key, inner)| {
            if key == "reference" {
                inner.as_str() == Some(target)
            } else {
                refers_to(inner, target)
            }
        }),
        Value::Array(items) => items.iter().any(|item| refers_to(item, target)),
        _ => false,
    }
}

/// Replaces every `reference` equal to `from` with `to` (used to pass one patient's
/// resources off as another's).
pub(crate) fn replace_reference(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if key == "reference" && inner.as_str() == Some(from) {
                    *inner = Value::String(to.to_owned());
                } else {
                    replace_reference(inner, from, to);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_reference(item, from, to)),
        _ => {}
    }
}

/// Makes relative attachment URLs (`Binary/…`) absolute under `fhir_base`, which is only
/// known once the provider has its port.
pub(crate) fn absolutize_binary_urls(value: &mut Value, fhir_base: &str) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                match inner {
                    Value::String(url) if key == "url" && url.starts_with("Binary/") => {
                        *url = format!("{fhir_base}/{url}");
                    }
                    _ => absolutize_binary_urls(inner, fhir_base),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| absolutize_binary_urls(item, fhir_base)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle() -> Value {
        json!({
            "resourceType": "Bundle", "type": "transaction",
            "entry": [
                {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1",
                    "name": [{"given": ["Ada"], "family": "Lovelace"}]}},
                {"fullUrl": "urn:uuid:o1", "resource": {"resourceType": "Observation",
                    "subject": {"reference": "urn:uuid:p1"}}},
                {"fullUrl": "urn:uuid:org", "resource": {"resourceType": "Organization", "id": "org"}}
            ]
        })
    }

    #[test]
    fn references_become_type_and_id_and_every_resource_has_id_and_last_updated() {
        let data = PatientData::from_bundle(bundle()).expect("a valid bundle");
        assert_eq!(data.id, "p1");
        let observation = &data.resources[1];
        assert_eq!(observation["id"], "o1", "the urn:uuid gives the missing id");
        assert_eq!(observation["subject"]["reference"], "Patient/p1");
        assert!(in_compartment(&data.id, observation));
        assert!(
            !in_compartment(&data.id, &data.resources[2]),
            "an Organization is not"
        );
        for resource in &data.resources {
            assert!(last_updated(resource).is_some(), "{resource}");
            assert!(!id_of(resource).is_empty());
        }
        let types: Vec<&str> = data.resources.iter().map(type_of).collect();
        assert!(types.contains(&"DocumentReference") && types.contains(&"Binary"));
    }

    #[test]
    fn a_bundle_without_exactly_one_patient_is_refused() {
        let mut two = bundle();
        let patient = two["entry"][0].clone();
        two["entry"].as_array_mut().expect("entries").push(patient);
        assert!(matches!(
            PatientData::from_bundle(two),
            Err(BundleError::PatientCount { count: 2 })
        ));
        assert!(matches!(
            PatientData::from_bundle(json!({"resourceType": "Patient"})),
            Err(BundleError::NotABundle)
        ));
    }
}
