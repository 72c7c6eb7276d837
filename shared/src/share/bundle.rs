//! Turning chosen resources of the record into Bundle entries that stand on their own.
//!
//! **Identity in the bundle.** Each entry's `fullUrl` is a `urn:uuid:` derived from the
//! resource's vault key (SHA-256, laid out as an RFC 9562 version 8 UUID), and every
//! reference to a resource in the bundle is rewritten to that URN. FHIR resolves a URN
//! reference by matching fullUrls exactly, which every viewer does; `Type/id` references
//! would need a RESTful base the share does not have. The URN reveals nothing the
//! resource's own `id` does not.
//!
//! **What goes along.** The caller adds the resources it chose; [`BundleAssembly::add_supporting`]
//! then adds the supporting resources (see [`super::category`]) that they reference,
//! and the ones those reference, so "prescribed by" and "performed at" stay readable.
//! Clinical resources are never pulled in by reference: sharing problems does not share
//! the encounters they were diagnosed in.
//!
//! **References that leave the share** (to an encounter not chosen, a claim, a resource
//! the source did not send) lose their `reference` and keep their `display`, or get one
//! saying the target is not included. A clinician's viewer then shows a name rather than
//! a broken link, and the bundle has no dangling reference.

use super::category::{ShareRole, share_role};
use super::patient_record::{PatientRecord, resource_type};
use crate::fhir::reference::{ReferenceTarget, parse_reference};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The entries of a bundle being built, in order, with their fullUrls.
pub(crate) struct BundleAssembly<'r, 'a> {
    record: &'r PatientRecord<'a>,
    order: Vec<String>,
    urls: HashMap<String, String>,
}

impl<'r, 'a> BundleAssembly<'r, 'a> {
    pub(crate) fn new(record: &'r PatientRecord<'a>) -> Self {
        BundleAssembly {
            record,
            order: Vec::new(),
            urls: HashMap::new(),
        }
    }

    /// Add the record's resource `key` (once). Returns whether it was new.
    pub(crate) fn add(&mut self, key: &str) -> bool {
        if self.urls.contains_key(key) || self.record.get(key).is_none() {
            return false;
        }
        self.urls.insert(key.to_string(), urn_for(key));
        self.order.push(key.to_string());
        true
    }

    /// Add every supporting resource the entries reference, transitively.
    pub(crate) fn add_supporting(&mut self) {
        let mut next = 0;
        while next < self.order.len() {
            let key = self.order[next].clone();
            next += 1;
            let Some(stored) = self.record.get(&key) else {
                continue;
            };
            let mut targets = Vec::new();
            for_each_reference(&stored.resource, &mut |reference| {
                if let Some(target) = self.record.resolve(reference) {
                    targets.push(target.to_string());
                }
            });
            if resource_type(&stored.resource) == "DocumentReference" {
                for url in attachment_urls(&stored.resource) {
                    if let Some(binary) = self.record.binary_for(stored, url) {
                        targets.push(binary.to_string());
                    }
                }
            }
            for target in targets {
                let supporting = self
                    .record
                    .get(&target)
                    .is_some_and(|s| share_role(&s.resource) == ShareRole::Supporting);
                if supporting {
                    self.add(&target);
                }
            }
        }
    }

    pub(crate) fn full_url(&self, key: &str) -> Option<&str> {
        self.urls.get(key).map(String::as_str)
    }

    /// One Bundle entry per key, in order, with references rewritten.
    pub(crate) fn entries(&self) -> Vec<Value> {
        self.order
            .iter()
            .filter_map(|key| {
                let stored = self.record.get(key)?;
                let mut resource = stored.resource.clone();
                self.rewrite(&mut resource);
                if resource_type(&resource) == "DocumentReference" {
                    self.rewrite_attachments(stored, &mut resource);
                }
                Some(json!({ "fullUrl": self.urls.get(key)?, "resource": resource }))
            })
            .collect()
    }

    /// A URN that names this bundle: it changes with the time it was made and with every
    /// entry that is added or changed, and is the same when nothing did.
    pub(crate) fn identifier(&self, kind: &str, generated_at: DateTime<Utc>) -> String {
        let mut h = Sha256::new();
        h.update(b"folio-share-bundle-v1\0");
        h.update(kind.as_bytes());
        h.update(b"\0");
        h.update(generated_at.to_rfc3339().as_bytes());
        for key in &self.order {
            h.update(b"\0");
            h.update(key.as_bytes());
            if let Some(stored) = self.record.get(key) {
                h.update(stored.at.to_rfc3339().as_bytes());
            }
        }
        urn_from_digest(&h.finalize())
    }

    fn rewrite(&self, value: &mut Value) {
        match value {
            Value::Object(obj) => {
                let outcome = match obj.get("reference") {
                    Some(Value::String(r)) if !r.starts_with('#') => Some(self.target_of(r)),
                    _ => None,
                };
                match outcome {
                    Some(Ok(url)) => {
                        obj.insert("reference".into(), Value::String(url));
                    }
                    Some(Err(absent)) => {
                        obj.remove("reference");
                        obj.entry("display").or_insert(Value::String(absent));
                    }
                    None => {}
                }
                for (key, child) in obj.iter_mut() {
                    if key != "reference" {
                        self.rewrite(child);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.rewrite(v)),
            _ => {}
        }
    }

    /// The fullUrl a reference becomes, or the display it is left with when its target
    /// is not in the bundle.
    fn target_of(&self, reference: &str) -> Result<String, String> {
        if let Some(url) = self
            .record
            .resolve(reference)
            .and_then(|k| self.urls.get(k))
        {
            return Ok(url.clone());
        }
        Err(match parse_reference(reference) {
            ReferenceTarget::Relative { resource_type, .. }
            | ReferenceTarget::Absolute { resource_type, .. } => {
                format!("{resource_type} not included in this share")
            }
            _ => "Not included in this share".to_string(),
        })
    }

    fn rewrite_attachments(&self, stored: &crate::vault::StoredResource, resource: &mut Value) {
        let Some(contents) = resource.get_mut("content").and_then(Value::as_array_mut) else {
            return;
        };
        for content in contents {
            let Some(url) = content.pointer_mut("/attachment/url") else {
                continue;
            };
            let target = url
                .as_str()
                .and_then(|u| self.record.binary_for(stored, u))
                .and_then(|k| self.urls.get(k));
            if let Some(full_url) = target {
                *url = Value::String(full_url.clone());
            }
        }
    }
}

/// Call `f` with every `reference` string in `value` except contained (`#id`) ones.
pub(crate) fn for_each_reference<'v>(value: &'v Value, f: &mut impl FnMut(&'v str)) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::String(r)) = obj.get("reference")
                && !r.starts_with('#')
            {
                f(r);
            }
            obj.values().for_each(|v| for_each_reference(v, f));
        }
        Value::Array(items) => items.iter().for_each(|v| for_each_reference(v, f)),
        _ => {}
    }
}

fn attachment_urls(resource: &Value) -> impl Iterator<Item = &str> {
    resource
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.pointer("/attachment/url").and_then(Value::as_str))
}

/// The fullUrl of the resource with vault key `key` in any share.
pub(crate) fn urn_for(key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"folio-share-entry-v1\0");
    h.update(key.as_bytes());
    urn_from_digest(&h.finalize())
}

fn urn_from_digest(digest: &[u8]) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let uuid = uuid::Builder::from_custom_bytes(bytes).into_uuid();
    format!("urn:uuid:{uuid}")
}

/// A FHIR `instant` for a Bundle timestamp or Composition date.
pub(crate) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
