//! Stable entry ids and reference rewriting.
//!
//! **Decision.** Every imported resource gets a new id, `Type/<32 hex>`, the first 128 bits
//! of SHA-256 over the *namespace* (the provider the user named, or empty) and the
//! resource's *identity* in its source:
//!
//! | the resource has                     | identity                                   |
//! |--------------------------------------|--------------------------------------------|
//! | fullUrl `https://base/Type/id`       | that URL (without `_history`)              |
//! | fullUrl `urn:uuid:…` / `urn:oid:…`   | the URN (globally unique by definition)    |
//! | other fullUrl (`resource:0` in cards)| hash of the file (or card) + the fullUrl   |
//! | no fullUrl, an `id`                  | `Type/id` (server-relative, as in NDJSON)  |
//! | neither                              | hash of the resource's content             |
//!
//! References are rewritten to the new `Type/<hex>` form by the same function, so they
//! resolve inside the vault: `urn:uuid:`/`resource:N` through the file's fullUrls,
//! `Type/id` against the entry's base URL (FHIR's rule for Bundles) or as server-relative,
//! absolute RESTful URLs directly. Because the derivation is deterministic, a reference
//! resolves even when its target arrives in another file of the same export (bulk NDJSON
//! splits resources by type). Contained (`#id`) references are untouched; conditional
//! references (`Type?identifier=…`) and URNs absent from the file are kept as written and
//! reported. The original identity stays on the resource in a `meta.extension`
//! ([`ORIGINAL_ID_EXTENSION`]) so nothing about the source is lost.
//!
//! Re-importing the same file under the same provider yields the same ids, so it adds
//! nothing new to the vault.

use super::EntrySink;
use super::error::{ImportError, ImportErrorKind};
use super::report::Location;
use crate::fhir::reference::{ReferenceTarget, parse_reference};
use crate::fhir::{is_r4_resource_type, looks_like_resource_type};
use crate::record::Source;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Extension on `meta` recording the resource's id or fullUrl in its source.
pub const ORIGINAL_ID_EXTENSION: &str = "https://folio.health/fhir/StructureDefinition/original-id";

/// The new id of a resource with `identity` under `namespace`.
pub fn derived_id(namespace: &str, identity: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"folio-import-v1\0");
    h.update(namespace.as_bytes());
    h.update(b"\0");
    h.update(identity.as_bytes());
    hex(&h.finalize()[..16])
}

/// Hex SHA-256 of some bytes: the scope of file-local identities, attachment ids.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One resource found in a file, before ids are assigned.
pub(crate) struct FoundResource {
    pub location: Location,
    pub full_url: Option<String>,
    pub resource: Value,
}

/// Give every found resource its stable id, rewrite references between them, and add
/// them to the sink, all with the same `source`. `file_scope` identifies the file (or
/// card) for fullUrls that mean nothing outside it.
pub(crate) fn assign_ids_and_push(
    sink: &mut EntrySink<'_>,
    found: Vec<FoundResource>,
    file_scope: &str,
    source: &Source,
) -> Result<(), ImportError> {
    let namespace = sink.opts.provider.clone().unwrap_or_default();
    let mut by_full_url: HashMap<String, String> = HashMap::new();
    let mut planned = Vec::with_capacity(found.len());
    for item in found {
        let resource_type = resource_type_of(&item.resource)
            .map_err(|kind| ImportError::new(item.location.clone(), kind))?
            .to_string();
        if !is_r4_resource_type(&resource_type) {
            sink.warn(
                item.location.clone(),
                format!("`{resource_type}` is not a FHIR R4 resource type; kept as-is"),
            );
        }
        let (identity, base, original) = identity_of(&item, &resource_type, file_scope);
        let new_ref = format!("{resource_type}/{}", derived_id(&namespace, &identity));
        if let Some(url) = &item.full_url {
            by_full_url.insert(url.clone(), new_ref.clone());
        }
        planned.push((item, resource_type, new_ref, base, original));
    }

    let mut unresolved = Tally::default();
    let mut conditional = Tally::default();
    let mut seen = HashSet::new();
    for (mut item, resource_type, new_ref, base, original) in planned {
        let mut rewriter = Rewriter {
            namespace: &namespace,
            base: base.as_deref(),
            by_full_url: &by_full_url,
            location: &item.location,
            unresolved: &mut unresolved,
            conditional: &mut conditional,
        };
        rewriter.walk(&mut item.resource);
        let new_id = &new_ref[resource_type.len() + 1..];
        set_id(&mut item.resource, new_id, original);
        if !seen.insert(new_ref.clone()) {
            sink.warn(
                item.location.clone(),
                format!("{new_ref} appears more than once in this file; the last one is kept"),
            );
        }
        sink.push(item.resource, source.clone())?;
    }
    unresolved.report(
        sink,
        "references to resources not in this file were kept as written",
    );
    conditional.report(
        sink,
        "conditional references (`Type?search`) can only be resolved by the sending server; kept as written",
    );
    Ok(())
}

/// `resourceType` of a resource, or why it has none.
pub(crate) fn resource_type_of(resource: &Value) -> Result<&str, ImportErrorKind> {
    let Some(obj) = resource.as_object() else {
        return Err(ImportErrorKind::InvalidResource(
            "a resource must be a JSON object".into(),
        ));
    };
    match obj.get("resourceType") {
        None => Err(ImportErrorKind::MissingResourceType),
        Some(Value::String(t)) if looks_like_resource_type(t) => Ok(t),
        Some(other) => Err(ImportErrorKind::InvalidResource(format!(
            "`resourceType` must be a resource type name, found {other}"
        ))),
    }
}

/// (identity, base URL for relative references, original id to record).
fn identity_of(
    item: &FoundResource,
    resource_type: &str,
    file_scope: &str,
) -> (String, Option<String>, String) {
    let id = item.resource.get("id").and_then(Value::as_str);
    if let Some(url) = &item.full_url {
        return match parse_reference(url) {
            ReferenceTarget::Urn(urn) => (urn.to_string(), None, url.clone()),
            ReferenceTarget::Absolute {
                base,
                resource_type: ty,
                id,
            } => (
                format!("{base}/{ty}/{id}"),
                Some(base.to_string()),
                url.clone(),
            ),
            ReferenceTarget::Relative {
                resource_type: ty,
                id,
            } => (format!("{ty}/{id}"), None, url.clone()),
            _ => (format!("{file_scope}#{url}"), None, url.clone()),
        };
    }
    match id {
        Some(id) => (
            format!("{resource_type}/{id}"),
            None,
            format!("{resource_type}/{id}"),
        ),
        None => {
            let content = serde_json::to_vec(&item.resource).unwrap_or_default();
            (
                format!("content:{}", sha256_hex(&content)),
                None,
                String::new(),
            )
        }
    }
}

fn set_id(resource: &mut Value, new_id: &str, original: String) {
    let Some(obj) = resource.as_object_mut() else {
        return;
    };
    obj.insert("id".into(), Value::String(new_id.to_string()));
    if original.is_empty() {
        return;
    }
    let meta = obj
        .entry("meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(meta) = meta.as_object_mut() {
        let ext = meta
            .entry("extension")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = ext.as_array_mut() {
            list.retain(|e| e.get("url").and_then(Value::as_str) != Some(ORIGINAL_ID_EXTENSION));
            list.push(json!({"url": ORIGINAL_ID_EXTENSION, "valueString": original}));
        }
    }
}

/// How many references of one kind, and where the first was.
#[derive(Default)]
struct Tally {
    count: usize,
    first: Option<(Location, String)>,
}

impl Tally {
    fn add(&mut self, location: &Location, reference: &str) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((location.clone(), reference.to_string()));
        }
    }

    fn report(self, sink: &mut EntrySink<'_>, what: &str) {
        if let Some((location, example)) = self.first {
            sink.warn(
                location,
                format!("{} {what} (first: `{example}`)", self.count),
            );
        }
    }
}

struct Rewriter<'a> {
    namespace: &'a str,
    base: Option<&'a str>,
    by_full_url: &'a HashMap<String, String>,
    location: &'a Location,
    unresolved: &'a mut Tally,
    conditional: &'a mut Tally,
}

impl Rewriter<'_> {
    fn walk(&mut self, value: &mut Value) {
        match value {
            Value::Object(obj) => {
                if let Some(Value::String(reference)) = obj.get_mut("reference")
                    && let Some(new) = self.rewrite(reference)
                {
                    *reference = new;
                }
                for (key, child) in obj.iter_mut() {
                    if key != "reference" {
                        self.walk(child);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.walk(v)),
            _ => {}
        }
    }

    fn rewrite(&mut self, reference: &str) -> Option<String> {
        if let Some(new) = self.by_full_url.get(reference) {
            return Some(new.clone());
        }
        match parse_reference(reference) {
            ReferenceTarget::Contained(_) => None,
            ReferenceTarget::Relative { resource_type, id } => {
                // FHIR: inside an entry with an absolute fullUrl, a relative reference is
                // relative to that entry's server base.
                let identity = match self.base {
                    Some(base) => format!("{base}/{resource_type}/{id}"),
                    None => format!("{resource_type}/{id}"),
                };
                if let Some(new) = self.by_full_url.get(&identity) {
                    return Some(new.clone());
                }
                Some(format!(
                    "{resource_type}/{}",
                    derived_id(self.namespace, &identity)
                ))
            }
            ReferenceTarget::Absolute {
                base,
                resource_type,
                id,
            } => {
                let identity = format!("{base}/{resource_type}/{id}");
                Some(format!(
                    "{resource_type}/{}",
                    derived_id(self.namespace, &identity)
                ))
            }
            ReferenceTarget::Conditional(c) => {
                self.conditional.add(self.location, c);
                None
            }
            ReferenceTarget::Urn(other) | ReferenceTarget::Other(other) => {
                self.unresolved.add(self.location, other);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_namespaced() {
        let a = derived_id("", "Patient/1");
        assert_eq!(a, derived_id("", "Patient/1"));
        assert_eq!(a.len(), 32);
        assert_ne!(a, derived_id("Clinic A", "Patient/1"));
        assert_ne!(a, derived_id("", "Patient/2"));
    }
}
