//! FHIR R4 JSON: a single resource or a Bundle of any type.
//!
//! **Bundles are containers, not records.** Their resources are imported one by one and
//! the Bundle itself is not stored; nested Bundles (the `batch-response` of a search, a
//! document inside a collection) are flattened the same way. Entries without a resource
//! (a transaction's `DELETE` or `GET`, a response without a body) are reported and skipped:
//! importing adds data and never replays a sender's operations on the vault. Paging links
//! of a searchset are reported too: fetching the next page is the caller's job.

use super::EntrySink;
use super::error::{ImportError, ImportErrorKind};
use super::identity::{FoundResource, assign_ids_and_push, resource_type_of, sha256_hex};
use serde_json::Value;

/// Import a JSON file that holds a resource or a Bundle.
pub(crate) fn import_json(sink: &mut EntrySink<'_>, text: &str) -> Result<(), ImportError> {
    let value = parse_json(sink, text, None)?;
    let mut found = Vec::new();
    collect(sink, value, "", &mut found)?;
    let source = sink.source();
    assign_ids_and_push(sink, found, &sha256_hex(text.as_bytes()), &source)
}

/// Parse JSON, turning serde's error into one with a line and a clear kind.
pub(crate) fn parse_json(
    sink: &EntrySink<'_>,
    text: &str,
    line: Option<usize>,
) -> Result<Value, ImportError> {
    serde_json::from_str(text).map_err(|e| {
        let location = sink.location().with_line(line.unwrap_or(e.line()));
        let kind = if e.is_eof() {
            ImportErrorKind::Truncated(e.to_string())
        } else {
            ImportErrorKind::InvalidJson(e.to_string())
        };
        ImportError::new(location, kind)
    })
}

/// Walk a resource or Bundle, collecting the resources to import.
pub(crate) fn collect(
    sink: &mut EntrySink<'_>,
    value: Value,
    pointer: &str,
    found: &mut Vec<FoundResource>,
) -> Result<(), ImportError> {
    collect_at(sink, value, pointer, None, found, None)
}

/// `line` is set for NDJSON, whose locations are lines rather than pointers.
pub(crate) fn collect_at(
    sink: &mut EntrySink<'_>,
    value: Value,
    pointer: &str,
    full_url: Option<String>,
    found: &mut Vec<FoundResource>,
    line: Option<usize>,
) -> Result<(), ImportError> {
    let mut location = sink.location().with_pointer(pointer);
    if let Some(line) = line {
        location = location.with_line(line);
    }
    if pointer.is_empty()
        && let Some(reason) = not_fhir_reason(&value)
    {
        return Err(ImportError::new(location, ImportErrorKind::NotFhir(reason)));
    }
    let resource_type =
        resource_type_of(&value).map_err(|kind| ImportError::new(location.clone(), kind))?;
    if resource_type != "Bundle" {
        found.push(FoundResource {
            location,
            full_url,
            resource: value,
        });
        return Ok(());
    }
    let Value::Object(mut bundle) = value else {
        unreachable!("checked by resource_type_of")
    };
    if let Some(links) = bundle.get("link").and_then(Value::as_array) {
        for link in links {
            if link.get("relation").and_then(Value::as_str) == Some("next") {
                let url = link.get("url").and_then(Value::as_str).unwrap_or_default();
                sink.warn(
                    location.clone(),
                    format!(
                        "this is one page of a search; the next page ({url}) is not in the file"
                    ),
                );
            }
        }
    }
    let entries = match bundle.remove("entry") {
        None => return Ok(()),
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            let at = location.clone().with_pointer(format!("{pointer}/entry"));
            return Err(ImportError::new(
                at,
                ImportErrorKind::InvalidResource("`Bundle.entry` must be an array".into()),
            ));
        }
    };
    for (i, entry) in entries.into_iter().enumerate() {
        let entry_pointer = format!("{pointer}/entry/{i}");
        let Value::Object(mut entry) = entry else {
            let at = sink.location().with_pointer(entry_pointer);
            return Err(ImportError::new(
                at,
                ImportErrorKind::InvalidResource("a Bundle entry must be an object".into()),
            ));
        };
        let full_url = entry
            .get("fullUrl")
            .and_then(Value::as_str)
            .map(str::to_string);
        match entry.remove("resource") {
            Some(resource) => collect_at(
                sink,
                resource,
                &format!("{entry_pointer}/resource"),
                full_url,
                found,
                line,
            )?,
            None => {
                let mut at = sink.location().with_pointer(entry_pointer);
                if let Some(line) = line {
                    at = at.with_line(line);
                }
                sink.warn(at, describe_empty_entry(&entry));
            }
        }
    }
    Ok(())
}

/// Why a top-level JSON value is not FHIR, naming the JSON formats people confuse with it.
fn not_fhir_reason(value: &Value) -> Option<String> {
    let obj = match value {
        Value::Object(obj) => obj,
        Value::Array(_) => return Some("a JSON array, not a resource or Bundle".into()),
        _ => return Some("a bare JSON value, not a resource or Bundle".into()),
    };
    if obj.contains_key("resourceType") {
        return None;
    }
    if obj.contains_key("keys") {
        return Some("a JSON Web Key Set (health-card issuer keys), not health data".into());
    }
    if obj.contains_key("rids") && obj.contains_key("kid") {
        return Some("a health-card revocation list, not health data".into());
    }
    // An object that is not FHIR but also not a known other format: let the caller see
    // the precise FHIR rule it breaks.
    if obj.keys().all(|k| k != "id" && k != "meta" && k != "entry") {
        return Some("no `resourceType` at the top level".into());
    }
    None
}

fn describe_empty_entry(entry: &serde_json::Map<String, Value>) -> String {
    if let Some(request) = entry.get("request") {
        let method = request.get("method").and_then(Value::as_str).unwrap_or("?");
        let url = request.get("url").and_then(Value::as_str).unwrap_or("?");
        format!(
            "entry without a resource (request {method} {url}) not imported: importing adds data and never replays a sender's operations"
        )
    } else if let Some(status) = entry.get("response").and_then(|r| r.get("status")) {
        format!("response entry without a resource (status {status}) not imported")
    } else {
        "entry without a resource not imported".into()
    }
}
