//! [`Delivery`]: what one imported file adds to a record, sealed and ready to upload.
//!
//! The app and the CLI both import on the client and upload the result; this is the part
//! they share, so a file imported from the browser and the same file imported from the
//! command line upload the same entries under the same keys.
//!
//! - Entries the record already holds exactly as imported (same id, same resource, same
//!   source file) are dropped, so importing a file again uploads nothing.
//! - Attachments are sealed to the vault and named by the hash of their sealed bytes (the
//!   entries' `folio-attachment:` URLs are rewritten to it), and must be uploaded before
//!   the segments: a segment must never name a blob the server does not hold.
//! - Upload keys are derived from the file's bytes, the vault and its key epoch, and the
//!   entries added, so a retried upload is answered by the server as the one it stored.

use std::ops::Range;

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::record::{Entry, EntryId, Op, Source};
use crate::vault::batch::EntryView;
use crate::vault::{
    AttachmentRef, SealError, SealedSegment, Sealer, VaultContents, VaultKeyring, attachment_id,
    seal_attachment,
};

use super::bound_urls::{BoundNames, same_as_saved};
use super::document::ATTACHMENT_URL_SCHEME;
use super::identity::hex;
use super::{Attachment, EntryTarget};

/// One file's sealed upload.
#[derive(Debug)]
pub struct Delivery {
    /// How many entries the record did not hold yet: those sealed into `segments`.
    pub new_count: usize,
    /// Those entries, in the order they were sealed, when they were kept
    /// ([`Delivery::prepare`] keeps them, a [`DeliveryBuilder`] when asked to), to bring a
    /// local copy of the record up to date after the upload.
    pub new_entries: Vec<Entry>,
    /// Entries of the file that the record already held exactly as imported.
    pub already_present: usize,
    /// Sealed attachment blobs, by blob id. Upload these first.
    pub attachments: Vec<(Uuid, Vec<u8>)>,
    /// Sealed segments with their upload keys, in order.
    pub segments: Vec<(String, SealedSegment)>,
}

impl Delivery {
    /// Seals what a file's imported `entries` and `attachments` (from `file_bytes`) add to
    /// `contents`, to the newest key of `keyring`, keeping the new entries. Nothing is
    /// sealed when the record holds every entry already. The entries are moved, not copied:
    /// a large Bundle's tree costs as much to clone as to parse.
    pub fn prepare(
        entries: Vec<Entry>,
        attachments: &[Attachment],
        file_bytes: &[u8],
        contents: &VaultContents,
        keyring: &VaultKeyring,
    ) -> Result<Delivery, SealError> {
        let mut builder = DeliveryBuilder::keeping_entries();
        for entry in entries {
            builder.accept(entry);
        }
        builder.finish(attachments, &FileDigest::of(file_bytes), contents, keyring)
    }
}

/// Gathers a file's entries for a [`Delivery`] as an importer makes them
/// ([`import_into`](super::import_into)).
///
/// [`DeliveryBuilder::serializing`] writes each resource out as compact JSON the moment it
/// arrives and drops its tree, so a large Bundle is never held whole: its resources are
/// parsed, rewritten and serialized one at a time, in memory that stays warm.
/// [`DeliveryBuilder::keeping_entries`] keeps the entries, for a caller that applies them
/// to its copy of the record after the upload.
pub struct DeliveryBuilder {
    held: Held,
}

enum Held {
    Entries(Vec<Entry>),
    Serialized(JsonEntries),
}

impl DeliveryBuilder {
    /// Keeps every entry as it comes; the new ones end up in [`Delivery::new_entries`].
    pub fn keeping_entries() -> Self {
        DeliveryBuilder {
            held: Held::Entries(Vec::new()),
        }
    }

    /// Serializes each entry's resource as it comes and keeps only that;
    /// [`Delivery::new_entries`] stays empty.
    pub fn serializing() -> Self {
        DeliveryBuilder {
            held: Held::Serialized(JsonEntries::default()),
        }
    }

    /// The Patient resources among the entries, with their ids: who the file is about,
    /// for [`crate::patient_identity::PatientCheck`] before anything is sealed. Serialized
    /// ones are parsed back (a file holds one Patient or a few).
    pub fn patients(&self) -> Vec<(EntryId, Value)> {
        let is_patient = |id: &EntryId| id.resource_type() == "Patient";
        match &self.held {
            Held::Entries(entries) => entries
                .iter()
                .filter_map(|entry| match &entry.op {
                    Op::Put { resource, .. } if is_patient(&entry.id) => {
                        Some((entry.id.clone(), resource.clone()))
                    }
                    _ => None,
                })
                .collect(),
            Held::Serialized(serialized) => serialized
                .views()
                .filter_map(|view| match view {
                    EntryView::PutJson { id, resource, .. } if is_patient(id) => {
                        let resource = serde_json::from_slice(resource)
                            .expect("the importer wrote or serialized valid JSON");
                        Some((id.clone(), resource))
                    }
                    _ => None,
                })
                .collect(),
        }
    }

    /// Seals what the entries and `attachments` (from the file of digest `file`) add to
    /// `contents`, to the newest key of `keyring`. Entries the record holds already exactly
    /// as imported (same id, same resource, same source file) are dropped, so importing a
    /// file again seals nothing.
    pub fn finish(
        self,
        attachments: &[Attachment],
        file: &FileDigest,
        contents: &VaultContents,
        keyring: &VaultKeyring,
    ) -> Result<Delivery, SealError> {
        let sealer = Sealer::for_identity(keyring.vault_id(), keyring.current());
        let recipient = keyring.current().recipient();
        // Attachments are sealed before the entries, which name each by its sealed bytes' id.
        let seal_attachments = || {
            let sealed: Vec<(Uuid, Vec<u8>)> = attachments
                .iter()
                .map(|a| {
                    let sealed = seal_attachment(&recipient, &a.bytes);
                    (attachment_id(&sealed), sealed)
                })
                .collect();
            let names = BoundNames::new(
                attachments
                    .iter()
                    .zip(&sealed)
                    .map(|(a, (id, _))| (a.id.clone(), *id)),
            );
            (sealed, names)
        };
        let (new_entries, new_ids, already_present, sealed, attachments) = match self.held {
            Held::Entries(entries) => {
                let total = entries.len();
                let mut new: Vec<Entry> = entries
                    .into_iter()
                    .filter(|entry| !already_holds(contents, entry))
                    .collect();
                let ids: Vec<EntryId> = new.iter().map(|e| e.id.clone()).collect();
                let already_present = total - new.len();
                if new.is_empty() {
                    (new, ids, already_present, Vec::new(), Vec::new())
                } else {
                    let (attachments, names) = seal_attachments();
                    for entry in &mut new {
                        if let Op::Put { resource, .. } = &mut entry.op {
                            names.bind(resource);
                        }
                    }
                    let sealed = sealer.seal(&new)?;
                    (new, ids, already_present, sealed, attachments)
                }
            }
            Held::Serialized(serialized) => {
                let new: Vec<EntryView<'_>> = serialized
                    .views()
                    .filter(|view| !already_holds_json(contents, view))
                    .collect();
                let ids: Vec<EntryId> = new.iter().map(|view| view.id().clone()).collect();
                let already_present = serialized.len() - new.len();
                if new.is_empty() {
                    (Vec::new(), ids, already_present, Vec::new(), Vec::new())
                } else {
                    let (attachments, names) = seal_attachments();
                    let rebound: Vec<Option<Vec<u8>>> =
                        new.iter().map(|view| rebind_json(view, &names)).collect();
                    let views =
                        new.into_iter()
                            .zip(&rebound)
                            .map(|(view, json)| match (view, json) {
                                (EntryView::PutJson { id, at, source, .. }, Some(json)) => {
                                    EntryView::PutJson {
                                        id,
                                        at,
                                        resource: json.as_slice(),
                                        source,
                                    }
                                }
                                (view, _) => view,
                            });
                    let sealed = sealer.seal_views(views)?;
                    (Vec::new(), ids, already_present, sealed, attachments)
                }
            }
        };
        if new_ids.is_empty() {
            return Ok(Delivery {
                new_count: 0,
                new_entries,
                already_present,
                attachments: Vec::new(),
                segments: Vec::new(),
            });
        }
        let plan = upload_plan(file, keyring, &new_ids);
        let count = sealed.len();
        let segments = sealed
            .into_iter()
            .enumerate()
            .map(|(i, segment)| (format!("imp-{plan}-{i}-{count}"), segment))
            .collect();
        Ok(Delivery {
            new_count: new_ids.len(),
            new_entries,
            already_present,
            attachments,
            segments,
        })
    }
}

impl EntryTarget for DeliveryBuilder {
    fn accept(&mut self, entry: Entry) {
        match &mut self.held {
            Held::Entries(entries) => entries.push(entry),
            Held::Serialized(serialized) => serialized.push(entry),
        }
    }

    fn json(&mut self) -> Option<&mut JsonEntries> {
        match &mut self.held {
            Held::Entries(_) => None,
            Held::Serialized(serialized) => Some(serialized),
        }
    }
}

impl EntryTarget for JsonEntries {
    fn accept(&mut self, entry: Entry) {
        self.push(entry);
    }

    fn json(&mut self) -> Option<&mut JsonEntries> {
        Some(self)
    }
}

/// Entries whose resources are kept as JSON in one buffer, in arrival order: serialized as
/// they arrive, or written there by the importer (see [`EntryTarget::json`]).
#[derive(Default)]
pub struct JsonEntries {
    json: Vec<u8>,
    entries: Vec<JsonEntry>,
    /// The distinct sources, in order of first use: one import shares one.
    sources: Vec<Source>,
}

struct JsonEntry {
    id: EntryId,
    at: chrono::DateTime<chrono::Utc>,
    /// The resource's JSON in `json` and its source's index, for a put; `None` for a delete.
    put: Option<(Range<usize>, usize)>,
}

impl JsonEntries {
    fn push(&mut self, entry: Entry) {
        match entry.op {
            Op::Put { resource, source } => {
                let start = self.write_start();
                serde_json::to_writer(&mut self.json, &resource)
                    .expect("a Value serializes to a Vec");
                self.push_written(entry.id, entry.at, source, start);
            }
            Op::Delete => self.entries.push(JsonEntry {
                id: entry.id,
                at: entry.at,
                put: None,
            }),
        }
    }

    /// Where the next resource's JSON goes: written at the end, from
    /// [`JsonEntries::write_start`] on, then handed over with [`JsonEntries::push_written`].
    pub(crate) fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.json
    }

    pub(crate) fn write_start(&self) -> usize {
        self.json.len()
    }

    /// The entry whose resource was written to [`JsonEntries::buffer`] from `start` on.
    pub(crate) fn push_written(
        &mut self,
        id: EntryId,
        at: chrono::DateTime<chrono::Utc>,
        source: Source,
        start: usize,
    ) {
        let source = self.source_index(source);
        self.entries.push(JsonEntry {
            id,
            at,
            put: Some((start..self.json.len(), source)),
        });
    }

    /// Forgets what was written from `start` on without being handed over.
    pub(crate) fn discard_from(&mut self, start: usize) {
        self.json.truncate(start);
    }

    fn source_index(&mut self, source: Source) -> usize {
        match self.sources.iter().rposition(|s| *s == source) {
            Some(index) => index,
            None => {
                self.sources.push(source);
                self.sources.len() - 1
            }
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entries, their resources parsed back.
    #[cfg(test)]
    pub(crate) fn to_entries(&self) -> Vec<Entry> {
        self.views()
            .map(|view| match view {
                EntryView::PutJson {
                    id,
                    at,
                    resource,
                    source,
                } => Entry {
                    id: id.clone(),
                    at,
                    op: Op::Put {
                        resource: serde_json::from_slice(resource).expect("written JSON parses"),
                        source: source.clone(),
                    },
                },
                EntryView::Delete { id, at } => Entry {
                    id: id.clone(),
                    at,
                    op: Op::Delete,
                },
                EntryView::Put { .. } => unreachable!("JsonEntries holds resources as JSON"),
            })
            .collect()
    }

    fn views(&self) -> impl Iterator<Item = EntryView<'_>> {
        self.entries.iter().map(|entry| match &entry.put {
            Some((range, source)) => EntryView::PutJson {
                id: &entry.id,
                at: entry.at,
                resource: &self.json[range.clone()],
                source: &self.sources[*source],
            },
            None => EntryView::Delete {
                id: &entry.id,
                at: entry.at,
            },
        })
    }
}

/// True when `contents` holds this entry's resource from the same file.
fn already_holds(contents: &VaultContents, entry: &Entry) -> bool {
    let Op::Put { resource, source } = &entry.op else {
        return false;
    };
    contents.get(&entry.id).is_some_and(|stored| {
        stored.source.file == source.file && same_as_saved(&stored.resource, resource)
    })
}

/// [`already_holds`] for a serialized entry. The resource is parsed back only when the
/// record holds an entry of that id from that file, which is rare but for a file imported
/// again; a [`Value`] survives the round trip through its JSON unchanged.
fn already_holds_json(contents: &VaultContents, view: &EntryView<'_>) -> bool {
    let EntryView::PutJson {
        id,
        resource,
        source,
        ..
    } = view
    else {
        return false;
    };
    contents.get(id).is_some_and(|stored| {
        stored.source.file == source.file
            && serde_json::from_slice::<Value>(resource)
                .is_ok_and(|r| same_as_saved(&stored.resource, &r))
    })
}

/// The SHA-256 of an imported file's bytes, from which its upload keys derive. A caller
/// may compute it while the file is being imported, on another core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigest([u8; 32]);

impl FileDigest {
    pub fn of(file_bytes: &[u8]) -> Self {
        FileDigest(Sha256::digest(file_bytes).into())
    }
}

/// A name for this upload that a retry reproduces: the file's bytes, the vault and its key
/// epoch, and the entries it adds.
fn upload_plan(file: &FileDigest, keyring: &VaultKeyring, new: &[EntryId]) -> String {
    let mut hash = Sha256::new();
    hash.update(file.0);
    hash.update(keyring.vault_id().0.as_bytes());
    hash.update(keyring.current().epoch().0.to_be_bytes());
    for id in new {
        hash.update((id.0.len() as u64).to_be_bytes());
        hash.update(id.0.as_bytes());
    }
    hex(&hash.finalize()[..20])
}

/// The JSON of a serialized resource with its attachment URLs bound, when it names any.
/// Only a resource that mentions the scheme is parsed: a Bundle's thousands of entries are
/// left as written.
fn rebind_json(view: &EntryView<'_>, names: &BoundNames) -> Option<Vec<u8>> {
    let EntryView::PutJson { resource, .. } = view else {
        return None;
    };
    let scheme = ATTACHMENT_URL_SCHEME.as_bytes();
    if !resource.windows(scheme.len()).any(|w| w == scheme) {
        return None;
    }
    let mut value: Value = serde_json::from_slice(resource).ok()?;
    names
        .bind(&mut value)
        .then(|| serde_json::to_vec(&value).expect("a Value serializes"))
}

/// The blob id of an attachment a DocumentReference names `folio-attachment:<name>` and
/// whether its id must match its bytes: see [`AttachmentRef::from_url_name`].
pub fn attachment_blob_id(name: &str) -> Uuid {
    AttachmentRef::from_url_name(name).blob
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{ImportOptions, ImportOutcome, import_file};
    use crate::keys::{KeyEpoch, VaultIdentity};
    use crate::vault::VaultId;
    use chrono::{TimeZone as _, Utc};

    const BUNDLE: &str = r#"{"resourceType":"Bundle","type":"collection","entry":[
        {"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Doe"}]}},
        {"resource":{"resourceType":"AllergyIntolerance","id":"a1","code":{"text":"Peanut"}}}]}"#;

    fn keyring() -> VaultKeyring {
        VaultKeyring::new(
            VaultId(Uuid::new_v4()),
            VaultIdentity::generate(KeyEpoch::FIRST),
        )
    }

    fn outcome() -> ImportOutcome {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        import_file("a.json", BUNDLE.as_bytes(), &ImportOptions::new(at)).unwrap()
    }

    #[test]
    fn a_file_the_record_holds_already_delivers_nothing() {
        let keyring = keyring();
        let outcome = outcome();
        let mut contents = VaultContents::default();
        let prepare = |contents: &VaultContents| {
            Delivery::prepare(
                outcome.entries.clone(),
                &outcome.attachments,
                BUNDLE.as_bytes(),
                contents,
                &keyring,
            )
            .unwrap()
        };
        let first = prepare(&contents);
        assert_eq!(first.new_entries.len(), 2);
        assert_eq!(first.segments.len(), 1);
        for entry in first.new_entries {
            contents.apply(entry);
        }
        let again = prepare(&contents);
        assert_eq!((again.new_entries.len(), again.already_present), (0, 2));
        assert!(again.segments.is_empty() && again.attachments.is_empty());
    }

    #[test]
    fn upload_keys_repeat_for_the_same_file_and_differ_for_another() {
        let keyring = keyring();
        let outcome = outcome();
        let empty = VaultContents::default();
        let key = |bytes: &[u8]| {
            Delivery::prepare(outcome.entries.clone(), &[], bytes, &empty, &keyring)
                .unwrap()
                .segments[0]
                .0
                .clone()
        };
        assert_eq!(key(BUNDLE.as_bytes()), key(BUNDLE.as_bytes()));
        assert_ne!(key(BUNDLE.as_bytes()), key(b"another file"));
        assert!(key(BUNDLE.as_bytes()).ends_with("-0-1"));
    }

    #[test]
    fn serializing_entries_seals_what_keeping_them_seals() {
        let keyring = keyring();
        let outcome = outcome();
        let finish = |builder: DeliveryBuilder, contents: &VaultContents| {
            let mut builder = builder;
            for entry in outcome.entries.clone() {
                builder.accept(entry);
            }
            builder
                .finish(&[], &FileDigest::of(BUNDLE.as_bytes()), contents, &keyring)
                .unwrap()
        };
        let empty = VaultContents::default();
        let kept = finish(DeliveryBuilder::keeping_entries(), &empty);
        let serialized = finish(DeliveryBuilder::serializing(), &empty);
        assert_eq!((serialized.new_count, serialized.already_present), (2, 0));
        assert!(serialized.new_entries.is_empty());
        assert_eq!(kept.new_entries.len(), 2);
        // Same upload keys, and the same record once opened.
        let keys = |d: &Delivery| {
            d.segments
                .iter()
                .map(|(k, _)| k.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&kept), keys(&serialized));
        let open = |d: &Delivery| keyring.open(d.segments.iter().map(|(_, s)| s));
        let mut expected = VaultContents::default();
        for entry in outcome.entries.clone() {
            expected.apply(entry);
        }
        assert_eq!(open(&serialized), expected);
        assert_eq!(open(&kept), expected);
        // Imported again into the record that holds it: nothing to seal.
        let again = finish(DeliveryBuilder::serializing(), &expected);
        assert_eq!((again.new_count, again.already_present), (0, 2));
        assert!(again.segments.is_empty());
    }

    #[test]
    fn legacy_attachment_names_keep_their_blob_ids() {
        assert_eq!(attachment_blob_id("abc"), attachment_blob_id("abc"));
        assert_ne!(attachment_blob_id("abc"), attachment_blob_id("abd"));
        let bound = Uuid::new_v4();
        assert_eq!(attachment_blob_id(&bound.to_string()), bound);
    }

    #[test]
    fn a_document_names_its_attachment_by_the_sealed_bytes_and_is_not_sealed_twice() {
        use crate::vault::{AttachmentBinding, AttachmentRef};
        let keyring = keyring();
        let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let outcome = import_file("scan.pdf", pdf, &ImportOptions::new(at)).unwrap();
        let digest = FileDigest::of(pdf);
        for builder in [
            DeliveryBuilder::keeping_entries,
            DeliveryBuilder::serializing,
        ] {
            let finish = |contents: &VaultContents| {
                let mut builder = builder();
                for entry in outcome.entries.clone() {
                    builder.accept(entry);
                }
                builder
                    .finish(&outcome.attachments, &digest, contents, &keyring)
                    .unwrap()
            };
            let first = finish(&VaultContents::default());
            let [(blob, sealed)] = first.attachments.as_slice() else {
                panic!("one attachment: {:?}", first.attachments.len());
            };
            assert_eq!(*blob, attachment_id(sealed));
            let contents = keyring.open(first.segments.iter().map(|(_, s)| s));
            let document = contents
                .iter()
                .map(|(_, stored)| stored)
                .find(|stored| stored.resource["resourceType"] == "DocumentReference")
                .expect("the document's entry");
            let url = document.resource["content"][0]["attachment"]["url"]
                .as_str()
                .unwrap();
            let reference = AttachmentRef::from_url_name(
                url.strip_prefix(super::ATTACHMENT_URL_SCHEME).unwrap(),
            );
            assert_eq!(
                reference,
                AttachmentRef {
                    blob: *blob,
                    binding: AttachmentBinding::Bound
                }
            );
            let again = finish(&contents);
            assert_eq!(again.new_count, 0);
            assert!(again.segments.is_empty() && again.attachments.is_empty());
        }
    }
}
