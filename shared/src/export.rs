//! The whole record out of Folio, made on the patient's device: a FHIR R4 `collection`
//! Bundle, or NDJSON (one resource per line, as bulk data exports write it).
//!
//! **Decision.** Each resource is exported as stored, its `id` set to the entry's id, and,
//! in the Bundle, with the fullUrl `<base>/<Type>/<id>`: references inside the record are
//! written `Type/id`, and FHIR resolves a relative reference in a Bundle against the base of
//! the entry's fullUrl, so every reference still resolves in the exported file. The base
//! names the vault (`https://folio.health/vault/<id>`): it is an identity, not an address.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::vault::{VaultContents, VaultId};

/// The base of every fullUrl in an export of `vault`.
pub fn export_base(vault: VaultId) -> String {
    format!("https://folio.health/vault/{}", vault.0)
}

/// Every resource of the record, ids set from the entry ids.
fn resources(contents: &VaultContents) -> impl Iterator<Item = (String, Value)> + '_ {
    contents.iter().map(|(id, stored)| {
        let mut resource = stored.resource.clone();
        if let (Some((_, local)), Value::Object(fields)) =
            (id.as_str().split_once('/'), &mut resource)
        {
            fields.insert("id".into(), Value::String(local.to_owned()));
        }
        (id.as_str().to_owned(), resource)
    })
}

/// The record as a FHIR `collection` Bundle.
pub fn to_bundle(contents: &VaultContents, vault: VaultId, now: DateTime<Utc>) -> Value {
    let base = export_base(vault);
    let entries: Vec<Value> = resources(contents)
        .map(|(id, resource)| json!({"fullUrl": format!("{base}/{id}"), "resource": resource}))
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "total": entries.len(),
        "entry": entries,
    })
}

/// [`to_bundle`] as the file the app and `folio export` write: pretty-printed JSON.
pub fn to_bundle_text(contents: &VaultContents, vault: VaultId, now: DateTime<Utc>) -> String {
    // A `Value` always serialises.
    serde_json::to_string_pretty(&to_bundle(contents, vault, now)).unwrap_or_default()
}

/// The record as NDJSON: one resource per line, in entry id order (so grouped by type).
pub fn to_ndjson(contents: &VaultContents) -> String {
    let mut out = String::new();
    for (_, resource) in resources(contents) {
        // A `Value` always serialises.
        out.push_str(&serde_json::to_string(&resource).unwrap_or_default());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{ImportOptions, import_file};
    use crate::record::Op;

    fn imported() -> VaultContents {
        let bundle = json!({
            "resourceType": "Bundle", "type": "collection",
            "entry": [
                {"fullUrl": "urn:uuid:11111111-1111-1111-1111-111111111111",
                 "resource": {"resourceType": "Patient", "name": [{"family": "Doe"}]}},
                {"fullUrl": "urn:uuid:22222222-2222-2222-2222-222222222222",
                 "resource": {"resourceType": "Condition", "code": {"text": "Asthma"},
                              "subject": {"reference": "urn:uuid:11111111-1111-1111-1111-111111111111"}}}
            ]
        });
        let now = Utc::now();
        let outcome = import_file(
            "b.json",
            bundle.to_string().as_bytes(),
            &ImportOptions::new(now),
        )
        .unwrap();
        let mut contents = VaultContents::default();
        for entry in outcome.entries {
            assert!(matches!(entry.op, Op::Put { .. }));
            contents.apply(entry);
        }
        contents
    }

    #[test]
    fn the_bundle_holds_every_resource_and_its_references_resolve_in_it() {
        let contents = imported();
        let vault = VaultId(uuid::Uuid::nil());
        let bundle = to_bundle(&contents, vault, Utc::now());
        let entries = bundle["entry"].as_array().unwrap();
        assert_eq!(entries.len(), contents.len());
        assert_eq!(bundle["total"], 2);
        let base = export_base(vault);
        let full_urls: Vec<&str> = entries
            .iter()
            .map(|e| e["fullUrl"].as_str().unwrap())
            .collect();
        for entry in entries {
            let resource = &entry["resource"];
            let expected = format!(
                "{base}/{}/{}",
                resource["resourceType"].as_str().unwrap(),
                resource["id"].as_str().unwrap()
            );
            assert_eq!(entry["fullUrl"], expected.as_str());
            if let Some(reference) = resource
                .pointer("/subject/reference")
                .and_then(Value::as_str)
            {
                let target = format!("{base}/{reference}");
                assert!(
                    full_urls.contains(&target.as_str()),
                    "{reference} resolves in the bundle"
                );
            }
        }
    }

    #[test]
    fn ndjson_is_one_parseable_resource_per_line() {
        let contents = imported();
        let text = to_ndjson(&contents);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), contents.len());
        assert!(
            lines
                .iter()
                .all(|r| r["id"].is_string() && r["resourceType"].is_string())
        );
        // And it imports again, each resource once.
        let again = import_file(
            "export.ndjson",
            text.as_bytes(),
            &ImportOptions::new(Utc::now()),
        )
        .unwrap();
        assert_eq!(again.entries.len(), contents.len());
    }
}
