//! Binding a DocumentReference to its sealed attachment.
//!
//! The importer names a document's bytes `folio-attachment:<sha256 hex of the plaintext>`.
//! Once the attachment is sealed, that URL is rewritten to `folio-attachment:<id>`, where
//! the id is the hash of the sealed bytes ([`crate::vault::attachment_id`]): the reader then
//! checks what it fetched against the record, which travels in authenticated segments.
//! Importing the same file again compares entries as imported, before their URLs were
//! bound, so a document the record holds is not sealed twice.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use super::document::ATTACHMENT_URL_SCHEME;

/// Each imported attachment's name and the id of its sealed bytes.
pub(crate) struct BoundNames(HashMap<String, Uuid>);

impl BoundNames {
    pub(crate) fn new(pairs: impl IntoIterator<Item = (String, Uuid)>) -> Self {
        BoundNames(pairs.into_iter().collect())
    }

    /// Rewrites the attachment URLs of `resource` that name an imported attachment; true
    /// when any was.
    pub(crate) fn bind(&self, resource: &mut Value) -> bool {
        let mut changed = false;
        for url in attachment_urls(resource) {
            let Some(name) = url
                .as_str()
                .and_then(|u| u.strip_prefix(ATTACHMENT_URL_SCHEME))
            else {
                continue;
            };
            if let Some(id) = self.0.get(name) {
                *url = Value::String(format!("{ATTACHMENT_URL_SCHEME}{id}"));
                changed = true;
            }
        }
        changed
    }
}

/// The `content[].attachment.url` values of a DocumentReference.
fn attachment_urls(resource: &mut Value) -> impl Iterator<Item = &mut Value> {
    resource
        .get_mut("content")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(|content| content.get_mut("attachment")?.get_mut("url"))
}

/// Whether `stored` is `imported` as it was saved: equal, or equal once each URL the
/// importer wrote is read as the bound id the record holds in its place.
pub(crate) fn same_as_saved(stored: &Value, imported: &Value) -> bool {
    if stored == imported {
        return true;
    }
    let mut stored_urls = stored.clone();
    let bound: Vec<Value> = attachment_urls(&mut stored_urls)
        .map(|u| u.clone())
        .collect();
    if bound.is_empty() {
        return false;
    }
    let mut unbound = imported.clone();
    let mut urls = attachment_urls(&mut unbound).collect::<Vec<_>>();
    if urls.len() != bound.len() {
        return false;
    }
    for (url, saved) in urls.iter_mut().zip(bound) {
        let is_bound = saved
            .as_str()
            .and_then(|u| u.strip_prefix(ATTACHMENT_URL_SCHEME))
            .is_some_and(|name| name.len() == 36 && Uuid::try_parse(name).is_ok());
        if is_bound
            && url
                .as_str()
                .is_some_and(|u| u.starts_with(ATTACHMENT_URL_SCHEME))
        {
            **url = saved;
        }
    }
    *stored == unbound
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(url: &str) -> Value {
        json!({"resourceType": "DocumentReference", "id": "d1",
               "content": [{"attachment": {"contentType": "application/pdf", "url": url}}]})
    }

    #[test]
    fn binding_rewrites_the_imported_name_to_the_sealed_id() {
        let id = Uuid::new_v4();
        let names = BoundNames::new([("abc".to_owned(), id)]);
        let mut doc = document("folio-attachment:abc");
        assert!(names.bind(&mut doc));
        assert_eq!(doc, document(&format!("folio-attachment:{id}")));
        let mut other = document("folio-attachment:xyz");
        assert!(!names.bind(&mut other));
    }

    #[test]
    fn a_saved_document_matches_it_as_imported_again() {
        let saved = document(&format!("folio-attachment:{}", Uuid::new_v4()));
        assert!(same_as_saved(&saved, &document("folio-attachment:abc")));
        assert!(!same_as_saved(
            &document("folio-attachment:abc"),
            &document("folio-attachment:abd")
        ));
        let mut changed = document("folio-attachment:abc");
        changed["id"] = json!("d2");
        assert!(!same_as_saved(&saved, &changed));
    }
}
