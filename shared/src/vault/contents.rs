//! [`VaultContents`]: the record as it stands after replaying the log.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::record::{Entry, EntryId, Op, Source};

use super::batch::{DecodedEntry, EntryView};
use super::envelope::SealedSegment;
use super::error::{SealError, SegmentError};
use super::keyring::VaultKeyring;
use super::seal::Sealer;
use super::set_aside::SetAside;

/// One resource of the record, with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResource {
    /// FHIR R4 JSON, as imported.
    pub resource: Value,
    /// Where it came from. Shared: one import puts thousands of resources from one source.
    pub source: Arc<Source>,
    /// When the entry that put it was made.
    pub at: DateTime<Utc>,
}

/// The current state of a vault: each entry id's latest put, deletes applied, and the
/// segments that were set aside because they did not open.
///
/// Folio's own entries (ids of a type starting `Folio`, such as a provider connection with
/// its tokens: see [`is_folio_entry`]) are kept apart from the resources: they are sealed
/// and replayed like every entry, but no view, share or export meets them, because
/// [`VaultContents::iter`] lists only the record's FHIR resources.
///
/// Replaying is idempotent: applying an entry (or a whole segment) a second time leaves
/// the contents as they were, so a client may re-apply segments after a sync retry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VaultContents {
    resources: BTreeMap<EntryId, StoredResource>,
    folio_entries: BTreeMap<EntryId, StoredResource>,
    pub(super) set_aside: Vec<SetAside>,
}

/// Whether `id` names one of Folio's own entries rather than a FHIR resource: no FHIR
/// resource type starts with `Folio`.
pub fn is_folio_entry(id: &EntryId) -> bool {
    id.resource_type().starts_with("Folio")
}

impl VaultContents {
    pub fn get(&self, id: &EntryId) -> Option<&StoredResource> {
        self.map(id).get(id)
    }

    /// Folio's own entries of type `kind` (e.g. `FolioConnection`), in id order.
    pub fn folio_entries<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a EntryId, &'a StoredResource)> + 'a {
        self.folio_entries
            .iter()
            .filter(move |(id, _)| id.resource_type() == kind)
    }

    pub fn len(&self) -> usize {
        self.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The segments left out because they did not open, in log order. Sealing the
    /// contents (compaction, rotation) leaves them out of the new log: that is how they
    /// are dropped.
    pub fn set_aside(&self) -> &[SetAside] {
        &self.set_aside
    }

    /// The resources in entry id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&EntryId, &StoredResource)> {
        self.resources.iter()
    }

    /// The patient's name as the record gives it (its first Patient resource with a name):
    /// what the app calls a record that is not the caller's own.
    pub fn patient_name(&self) -> Option<String> {
        self.resources
            .values()
            .filter(|stored| stored.resource["resourceType"] == "Patient")
            .find_map(|stored| crate::share::narrative::human_name(&stored.resource))
    }

    /// Applies one entry: a put adds or replaces, a delete removes.
    pub fn apply(&mut self, entry: Entry) {
        match entry.op {
            Op::Put { resource, source } => {
                self.put(entry.id, resource, Arc::new(source), entry.at);
            }
            Op::Delete => {
                self.map_mut(&entry.id).remove(&entry.id);
            }
        }
    }

    /// Applies the next segment of the log. A segment that fails to open changes nothing
    /// (and is not recorded as set aside: that is [`VaultKeyring::open`]'s job).
    pub fn apply_segment(
        &mut self,
        keyring: &VaultKeyring,
        segment: &SealedSegment,
    ) -> Result<(), SegmentError> {
        for entry in keyring.decode(segment)? {
            self.apply_decoded(entry);
        }
        Ok(())
    }

    /// Seals the contents as they stand: one put per resource and per Folio entry, no
    /// deletes, in entry id order. The result replaces the whole log it was read from
    /// (compaction), or moves it to a new key (rotation).
    pub fn seal(&self, sealer: &Sealer) -> Result<Vec<SealedSegment>, SealError> {
        let all = self.resources.iter().chain(&self.folio_entries);
        sealer.seal_views(all.map(|(id, stored)| EntryView::Put {
            id,
            at: stored.at,
            resource: &stored.resource,
            source: &stored.source,
        }))
    }

    pub(super) fn apply_decoded(&mut self, entry: DecodedEntry) {
        match entry.put {
            Some((resource, source)) => self.put(entry.id, resource, source, entry.at),
            None => {
                self.map_mut(&entry.id).remove(&entry.id);
            }
        }
    }

    fn map(&self, id: &EntryId) -> &BTreeMap<EntryId, StoredResource> {
        if is_folio_entry(id) {
            &self.folio_entries
        } else {
            &self.resources
        }
    }

    fn map_mut(&mut self, id: &EntryId) -> &mut BTreeMap<EntryId, StoredResource> {
        if is_folio_entry(id) {
            &mut self.folio_entries
        } else {
            &mut self.resources
        }
    }

    fn put(&mut self, id: EntryId, resource: Value, source: Arc<Source>, at: DateTime<Utc>) {
        self.map_mut(&id).insert(
            id,
            StoredResource {
                resource,
                source,
                at,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(contents: &mut VaultContents, id: &str, resource: Value) {
        contents.apply(Entry {
            id: EntryId(id.into()),
            op: Op::Put {
                resource,
                source: Source::default(),
            },
            at: Utc::now(),
        });
    }

    #[test]
    fn the_patient_name_comes_from_the_first_named_patient() {
        let mut contents = VaultContents::default();
        assert_eq!(contents.patient_name(), None);
        put(
            &mut contents,
            "Condition/1",
            json!({"resourceType": "Condition"}),
        );
        put(
            &mut contents,
            "Patient/0",
            json!({"resourceType": "Patient"}),
        );
        assert_eq!(contents.patient_name(), None, "a patient without a name");
        put(
            &mut contents,
            "Patient/1",
            json!({"resourceType": "Patient", "name": [{"given": ["Ada", "May"], "family": "Lovelace"}]}),
        );
        assert_eq!(contents.patient_name().as_deref(), Some("Ada May Lovelace"));
    }
}
