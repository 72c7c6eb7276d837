//! From decrypted files to what the viewer shows and offers for download. Nothing here is
//! written anywhere: the decrypted record lives in this page's memory only.

use chrono::{DateTime, Utc};
use folio_import_worker::{ImportJob, IssuerKeySource};
use folio_shared::clinical_view::{ClinicalView, ClinicalViewBuilder};
use folio_shared::import::DocumentDetails;
use folio_shared::medication_safety::{Alert, RecordResource, check};
use folio_shared::record::Op;
use folio_shared::shl::manifest::{FHIR_JSON, SMART_HEALTH_CARD, content_types_match};
use serde_json::{Value, json};

use super::fetch::File;
use crate::import_worker::ImportWorker;

/// The opened link.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub view: ClinicalView,
    /// The decrypted FHIR, pretty-printed: the one FHIR file as sent, or a collection
    /// Bundle of everything when there were several files or health cards.
    pub fhir_json: String,
    /// Health cards whose signature was not verified.
    pub unverified_cards: usize,
    /// Files the viewer could not read, in words.
    pub skipped: Vec<String>,
    /// Interactions and duplicates among the shared medications, checked here.
    pub medication_alerts: Vec<Alert>,
}

/// Health cards are read by the import worker, started for the first card: a link of FHIR
/// files alone never loads the importers.
pub async fn open_files(files: &[File], now: DateTime<Utc>) -> Opened {
    let mut worker = None::<Result<ImportWorker, String>>;
    let mut builder = ClinicalViewBuilder::new(now.date_naive()).units(crate::units::preference());
    let mut fhir: Vec<Value> = Vec::new();
    let mut unverified_cards = 0;
    let mut skipped = Vec::new();
    let mut from_cards = false;
    for (n, file) in files.iter().enumerate() {
        let number = n + 1;
        if content_types_match(&file.content_type, FHIR_JSON) {
            match serde_json::from_slice::<Value>(&file.plaintext) {
                Ok(json) => {
                    builder.add_json(&json, None);
                    fhir.push(json);
                }
                Err(e) => skipped.push(format!("File {number} is not valid FHIR JSON ({e}).")),
            }
        } else if content_types_match(&file.content_type, SMART_HEALTH_CARD) {
            from_cards = true;
            let job = ImportJob {
                name: format!("shared-{number}.smart-health-card"),
                imported_at: now,
                provider: None,
                document: DocumentDetails::default(),
                // The viewer is given no issuer keys: each card shows as not verified.
                issuer_keys: IssuerKeySource::Unverified,
            };
            let imported = match worker.get_or_insert_with(ImportWorker::start) {
                Ok(worker) => worker
                    .import(&job, &file.plaintext, &|_| {})
                    .await
                    .map(|(file, _)| file)
                    .map_err(|failure| {
                        format!("{}: {}", failure.item.location, failure.item.message)
                    }),
                Err(why) => Err(why.clone()),
            };
            match imported {
                Ok(outcome) => {
                    let mut verified = true;
                    for entry in outcome.entries {
                        if let Op::Put { resource, source } = entry.op {
                            verified &= source.verified_issuer.is_some();
                            let credit = source.verified_issuer.clone().or(source.provider.clone());
                            builder.add_resource(resource.clone(), credit.as_deref());
                            fhir.push(resource);
                        }
                    }
                    if !verified {
                        unverified_cards += 1;
                    }
                }
                Err(e) => skipped.push(format!(
                    "File {number}, a health card, could not be read ({e})."
                )),
            }
        } else {
            skipped.push(format!(
                "File {number} is of a kind this viewer does not show ({}).",
                if file.content_type.is_empty() {
                    "unknown"
                } else {
                    &file.content_type
                }
            ));
        }
    }
    let medication_alerts = medication_alerts(&fhir, now);
    let download = if fhir.len() == 1 && !from_cards {
        fhir.remove(0)
    } else {
        let mut entries = Vec::new();
        for json in fhir {
            if json.get("resourceType").and_then(Value::as_str) == Some("Bundle") && !from_cards {
                entries.extend(
                    json.get("entry")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                );
            } else {
                entries.push(json!({ "resource": json }));
            }
        }
        json!({ "resourceType": "Bundle", "type": "collection", "entry": entries })
    };
    Opened {
        view: builder.build(),
        fhir_json: serde_json::to_string_pretty(&download).unwrap_or_default(),
        unverified_cards,
        skipped,
        medication_alerts,
    }
}

/// The shared medications checked together, as the patient's own pages check them.
fn medication_alerts(fhir: &[Value], now: DateTime<Utc>) -> Vec<Alert> {
    let resources: Vec<&Value> = fhir
        .iter()
        .flat_map(
            |json| match json.get("resourceType").and_then(Value::as_str) {
                Some("Bundle") => json
                    .get("entry")
                    .and_then(Value::as_array)
                    .map(|entries| entries.iter().filter_map(|e| e.get("resource")).collect())
                    .unwrap_or_default(),
                _ => vec![json],
            },
        )
        .collect();
    let ids: Vec<String> = resources
        .iter()
        .enumerate()
        .map(|(n, resource)| {
            let kind = resource
                .get("resourceType")
                .and_then(Value::as_str)
                .unwrap_or("Resource");
            match resource.get("id").and_then(Value::as_str) {
                Some(id) => format!("{kind}/{id}"),
                None => format!("{kind}/#{n}"),
            }
        })
        .collect();
    let records: Vec<RecordResource<'_>> = resources
        .iter()
        .zip(&ids)
        .map(|(resource, id)| RecordResource {
            id,
            resource,
            provider: None,
        })
        .collect();
    check(&records, now.date_naive())
        .map(|safety| safety.alerts)
        .unwrap_or_default()
}
