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
use super::json_writer::{HeldBack, write_resource, write_str};
use super::report::Location;
use crate::fhir::reference::{ReferenceTarget, parse_reference};
use crate::fhir::{is_r4_resource_type, looks_like_resource_type};
use crate::record::Source;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::cell::OnceCell;
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

/// Lower-case hex of some bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    hex
}

/// One resource found in a file, before ids are assigned.
pub(crate) struct FoundResource {
    pub location: Location,
    pub full_url: Option<String>,
    pub resource: Value,
}

/// What identifies a file (or card) for fullUrls that mean nothing outside it: the hash of
/// its bytes, computed only if such a fullUrl turns up (most files have none, and hashing
/// a large Bundle costs as much as a good part of importing it).
pub(crate) struct FileScope<'a> {
    bytes: &'a [u8],
    digest: OnceCell<String>,
}

impl<'a> FileScope<'a> {
    pub(crate) fn of(bytes: &'a [u8]) -> Self {
        FileScope {
            bytes,
            digest: OnceCell::new(),
        }
    }

    fn digest(&self) -> &str {
        self.digest.get_or_init(|| sha256_hex(self.bytes))
    }
}

/// Give every found resource its stable id, rewrite references between them, and add
/// them to the sink, all with the same `source`.
pub(crate) fn assign_ids_and_push(
    sink: &mut EntrySink<'_>,
    found: Vec<FoundResource>,
    scope: &FileScope<'_>,
    source: &Source,
) -> Result<(), ImportError> {
    let mut ids = Identities::new(sink, scope);
    for item in &found {
        let resource_type = resource_type_of(&item.resource)
            .map_err(|kind| ImportError::new(item.location.clone(), kind))?;
        ids.plan(
            sink,
            &item.location,
            item.full_url.as_deref(),
            resource_type,
        );
    }
    for item in found {
        ids.assign(sink, item, source)?;
    }
    ids.finish(sink);
    Ok(())
}

/// The ids of one file's resources, in two passes: [`Identities::plan`] learns every
/// fullUrl's new reference (a reference may point forward, to an entry not read yet), then
/// [`Identities::assign`] rewrites each resource and hands it to the sink. The streaming
/// Bundle importer plans from a skim of the file and assigns as it parses each resource,
/// so the two must see the resources in the same order.
pub(crate) struct Identities<'s> {
    namespace: String,
    scope: &'s FileScope<'s>,
    by_full_url: HashMap<String, String>,
    unresolved: Tally,
    conditional: Tally,
    seen: HashSet<String>,
}

impl<'s> Identities<'s> {
    pub(crate) fn new(sink: &EntrySink<'_>, scope: &'s FileScope<'s>) -> Self {
        Identities {
            namespace: sink.opts.provider.clone().unwrap_or_default(),
            scope,
            by_full_url: HashMap::new(),
            unresolved: Tally::default(),
            conditional: Tally::default(),
            seen: HashSet::new(),
        }
    }

    /// First pass, for each resource in file order: warn about a type FHIR R4 does not
    /// have, and remember what its fullUrl now points to.
    pub(crate) fn plan(
        &mut self,
        sink: &mut EntrySink<'_>,
        location: &Location,
        full_url: Option<&str>,
        resource_type: &str,
    ) {
        if !is_r4_resource_type(resource_type) {
            sink.warn(
                location.clone(),
                format!("`{resource_type}` is not a FHIR R4 resource type; kept as-is"),
            );
        }
        if let Some(url) = full_url {
            let identity = full_url_identity(url, self.scope).identity;
            let new_ref = format!("{resource_type}/{}", derived_id(&self.namespace, &identity));
            self.by_full_url.insert(url.to_string(), new_ref);
        }
    }

    /// Second pass, for each resource in the same order: give it its id, rewrite its
    /// references, and add it to the sink with `source`.
    pub(crate) fn assign(
        &mut self,
        sink: &mut EntrySink<'_>,
        mut item: FoundResource,
        source: &Source,
    ) -> Result<(), ImportError> {
        let resource_type = resource_type_of(&item.resource)
            .map_err(|kind| ImportError::new(item.location.clone(), kind))?
            .to_string();
        let Identity {
            identity,
            base,
            original,
        } = identity_of(&item, &resource_type, self.scope);
        let new_id = derived_id(&self.namespace, &identity);
        let mut rewriter = Rewriter {
            namespace: &self.namespace,
            base: base.as_deref(),
            by_full_url: &self.by_full_url,
            location: &item.location,
            unresolved: &mut self.unresolved,
            conditional: &mut self.conditional,
        };
        rewriter.walk(&mut item.resource);
        set_id(&mut item.resource, &new_id, original);
        self.warn_if_seen(sink, &item.location, &resource_type, &new_id);
        sink.push(item.resource, source.clone())
    }

    /// Warns when this file gave another resource the same new id already.
    fn warn_if_seen(
        &mut self,
        sink: &mut EntrySink<'_>,
        location: &Location,
        resource_type: &str,
        new_id: &str,
    ) {
        let new_ref = format!("{resource_type}/{new_id}");
        if !self.seen.insert(new_ref.clone()) {
            sink.warn(
                location.clone(),
                format!("{new_ref} appears more than once in this file; the last one is kept"),
            );
        }
    }

    /// Second pass, for a resource written from its text rather than parsed (one whose
    /// fullUrl or string `id` gives its new id, not its content): writes all of it to `out`
    /// but what [`Identities::finish_written`] adds, rewriting its references.
    pub(crate) fn write(
        &mut self,
        out: &mut Vec<u8>,
        location: &Location,
        full_url: Option<&str>,
        resource: &str,
    ) -> Result<Written, serde_json::Error> {
        let identity = full_url.map(|url| full_url_identity(url, self.scope));
        let mut rewriter = Rewriter {
            namespace: &self.namespace,
            base: identity.as_ref().and_then(|i| i.base.as_deref()),
            by_full_url: &self.by_full_url,
            location,
            unresolved: &mut self.unresolved,
            conditional: &mut self.conditional,
        };
        let held = write_resource(out, resource, &mut rewriter)?;
        Ok(Written { identity, held })
    }

    /// Closes a resource of `resource_type` that [`Identities::write`] wrote to the sink's
    /// JSON from `start` on, with its new id and its `meta`, and hands it to the sink with
    /// `source`: the entry [`Identities::assign`] would have made of its tree.
    pub(crate) fn finish_written(
        &mut self,
        sink: &mut EntrySink<'_>,
        location: &Location,
        resource_type: &str,
        written: Written,
        start: usize,
        source: &Source,
    ) -> Result<(), ImportError> {
        let Written { identity, held } = written;
        let Identity {
            identity, original, ..
        } = identity.unwrap_or_else(|| {
            let id = held
                .id
                .as_deref()
                .expect("written only with a fullUrl or a string id");
            id_identity(resource_type, id)
        });
        let new_id = derived_id(&self.namespace, &identity);
        let mut meta = held.meta.unwrap_or_else(|| Value::Object(Map::new()));
        add_original_id(&mut meta, original);
        let out = sink.json().expect("written to the sink's JSON").buffer();
        // The writer left the object open after its last key's comma, or after `{`.
        out.extend_from_slice(b"\"id\":");
        write_str(out, &new_id);
        out.extend_from_slice(b",\"meta\":");
        serde_json::to_writer(&mut *out, &meta).expect("writing to a Vec does not fail");
        out.push(b'}');
        self.warn_if_seen(sink, location, resource_type, &new_id);
        sink.push_written(resource_type, &new_id, source.clone(), start)
    }

    /// After the last resource: report the references that could not be resolved.
    pub(crate) fn finish(self, sink: &mut EntrySink<'_>) {
        self.unresolved.report(
            sink,
            "references to resources not in this file were kept as written",
        );
        self.conditional.report(
            sink,
            "conditional references (`Type?search`) can only be resolved by the sending server; kept as written",
        );
    }
}

/// `resourceType` of a resource, or why it has none.
pub(crate) fn resource_type_of(resource: &Value) -> Result<&str, ImportErrorKind> {
    let Some(obj) = resource.as_object() else {
        return Err(not_an_object());
    };
    resource_type_in(obj.get("resourceType"))
}

/// Why a value in a resource's place is not a resource: it is not an object.
pub(crate) fn not_an_object() -> ImportErrorKind {
    ImportErrorKind::InvalidResource("a resource must be a JSON object".into())
}

/// The type an object's `resourceType` value names, or why it names none.
pub(crate) fn resource_type_in(value: Option<&Value>) -> Result<&str, ImportErrorKind> {
    match value {
        None => Err(ImportErrorKind::MissingResourceType),
        Some(Value::String(t)) if looks_like_resource_type(t) => Ok(t),
        Some(other) => Err(ImportErrorKind::InvalidResource(format!(
            "`resourceType` must be a resource type name, found {other}"
        ))),
    }
}

/// A resource [`Identities::write`] wrote, for [`Identities::finish_written`].
pub(crate) struct Written {
    /// From its fullUrl, if it has one.
    identity: Option<Identity>,
    held: HeldBack,
}

/// Where a resource's new id comes from (see the table at the top of this module).
struct Identity {
    identity: String,
    /// The server base that relative references inside the resource are relative to.
    base: Option<String>,
    /// The id or fullUrl to record in the [`ORIGINAL_ID_EXTENSION`], if any.
    original: String,
}

fn identity_of(item: &FoundResource, resource_type: &str, scope: &FileScope<'_>) -> Identity {
    if let Some(url) = &item.full_url {
        return full_url_identity(url, scope);
    }
    match item.resource.get("id").and_then(Value::as_str) {
        Some(id) => id_identity(resource_type, id),
        None => {
            let content = serde_json::to_vec(&item.resource).unwrap_or_default();
            Identity {
                identity: format!("content:{}", sha256_hex(&content)),
                base: None,
                original: String::new(),
            }
        }
    }
}

/// The identity of a resource without a fullUrl: its `Type/id`, server-relative.
fn id_identity(resource_type: &str, id: &str) -> Identity {
    let identity = format!("{resource_type}/{id}");
    Identity {
        original: identity.clone(),
        identity,
        base: None,
    }
}

fn full_url_identity(url: &str, scope: &FileScope<'_>) -> Identity {
    let (identity, base) = match parse_reference(url) {
        ReferenceTarget::Urn(urn) => (urn.to_string(), None),
        ReferenceTarget::Absolute {
            base,
            resource_type,
            id,
        } => (
            format!("{base}/{resource_type}/{id}"),
            Some(base.to_string()),
        ),
        ReferenceTarget::Relative { resource_type, id } => (format!("{resource_type}/{id}"), None),
        _ => (format!("{}#{url}", scope.digest()), None),
    };
    Identity {
        identity,
        base,
        original: url.to_string(),
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
    add_original_id(meta, original);
}

/// Records `original` in a resource's `meta` (if it is an object whose `extension`, if
/// any, is an array), in place of any original id it recorded already.
fn add_original_id(meta: &mut Value, original: String) {
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
    /// The example is the first resource's smallest such reference: the tree path and the
    /// writer meet a resource's references in different orders.
    fn add(&mut self, location: &Location, reference: &str) {
        self.count += 1;
        match &mut self.first {
            None => self.first = Some((location.clone(), reference.to_string())),
            Some((first_at, first)) if first_at == location && reference < first.as_str() => {
                *first = reference.to_string();
            }
            Some(_) => {}
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

/// Rewrites the references of one resource to the new ids (see the top of this module),
/// and tallies those it cannot.
pub(crate) struct Rewriter<'a> {
    namespace: &'a str,
    base: Option<&'a str>,
    by_full_url: &'a HashMap<String, String>,
    location: &'a Location,
    unresolved: &'a mut Tally,
    conditional: &'a mut Tally,
}

impl Rewriter<'_> {
    pub(crate) fn walk(&mut self, value: &mut Value) {
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

    /// The new form of `reference`, or `None` to keep it as written.
    pub(crate) fn rewrite(&mut self, reference: &str) -> Option<String> {
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
