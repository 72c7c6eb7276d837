//! [`Delivery`]: what one imported file adds to a record, sealed and ready to upload.
//!
//! The app and the CLI both import on the client and upload the result; this is the part
//! they share, so a file imported from the browser and the same file imported from the
//! command line upload the same entries under the same keys.
//!
//! - Entries the record already holds exactly as imported (same id, same resource, same
//!   source file) are dropped, so importing a file again uploads nothing.
//! - Attachments are sealed to the vault and named by their id, and must be uploaded before
//!   the segments: a segment must never name a blob the server does not hold.
//! - Upload keys are derived from the file's bytes, the vault and its key epoch, and the
//!   entries added, so a retried upload is answered by the server as the one it stored.

use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::record::{Entry, Op};
use crate::vault::{SealError, SealedSegment, VaultContents, VaultKeyring, seal_attachment};

use super::Attachment;

/// One file's sealed upload.
#[derive(Debug)]
pub struct Delivery {
    /// The entries the record did not hold yet, in the order they were sealed.
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
    /// `contents`, to the newest key of `keyring`. Nothing is sealed when the record holds
    /// every entry already. The entries are moved, not copied: a large Bundle's tree costs
    /// as much to clone as to parse.
    pub fn prepare(
        entries: Vec<Entry>,
        attachments: &[Attachment],
        file_bytes: &[u8],
        contents: &VaultContents,
        keyring: &VaultKeyring,
    ) -> Result<Delivery, SealError> {
        let total = entries.len();
        let new_entries: Vec<Entry> = entries
            .into_iter()
            .filter(|entry| !already_holds(contents, entry))
            .collect();
        let already_present = total - new_entries.len();
        if new_entries.is_empty() {
            return Ok(Delivery {
                new_entries,
                already_present,
                attachments: Vec::new(),
                segments: Vec::new(),
            });
        }
        let identity = keyring.current();
        let recipient = identity.recipient();
        let attachments = attachments
            .iter()
            .map(|a| {
                (
                    attachment_blob_id(&a.id),
                    seal_attachment(&recipient, &a.bytes),
                )
            })
            .collect();
        let sealed =
            crate::vault::Sealer::for_identity(keyring.vault_id(), identity).seal(&new_entries)?;
        let plan = upload_plan(file_bytes, keyring, &new_entries);
        let count = sealed.len();
        let segments = sealed
            .into_iter()
            .enumerate()
            .map(|(i, segment)| (format!("imp-{plan}-{i}-{count}"), segment))
            .collect();
        Ok(Delivery {
            new_entries,
            already_present,
            attachments,
            segments,
        })
    }
}

/// True when `contents` holds this entry's resource from the same file.
fn already_holds(contents: &VaultContents, entry: &Entry) -> bool {
    let Op::Put { resource, source } = &entry.op else {
        return false;
    };
    contents
        .get(&entry.id)
        .is_some_and(|stored| stored.source.file == source.file && stored.resource == *resource)
}

/// A name for this upload that a retry reproduces: the file's bytes, the vault and its key
/// epoch, and the entries it adds.
fn upload_plan(file_bytes: &[u8], keyring: &VaultKeyring, new: &[Entry]) -> String {
    let mut hash = Sha256::new();
    hash.update(Sha256::digest(file_bytes));
    hash.update(keyring.vault_id().0.as_bytes());
    hash.update(keyring.current().epoch().0.to_be_bytes());
    for entry in new {
        hash.update((entry.id.0.len() as u64).to_be_bytes());
        hash.update(entry.id.0.as_bytes());
    }
    hash.finalize()[..20]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The blob id of the attachment a DocumentReference names `folio-attachment:<id>`: the
/// first 16 bytes of the SHA-256 of that id, as a UUID. Readers find the blob from the URL.
pub fn attachment_blob_id(id: &str) -> Uuid {
    let digest = Sha256::digest(id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
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
    fn attachment_blob_ids_are_stable_uuids() {
        assert_eq!(attachment_blob_id("abc"), attachment_blob_id("abc"));
        assert_ne!(attachment_blob_id("abc"), attachment_blob_id("abd"));
    }
}
