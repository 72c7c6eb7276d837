//! The vault: a patient's record as an append-only log of encrypted segments.
//!
//! A client seals batches of [`Entry`](crate::record::Entry) values into
//! [`SealedSegment`]s with a [`Sealer`]; the server stores and orders them without being
//! able to read them (a [`SealedSegment`] exposes only bytes and its plaintext header);
//! a member's client opens them in order with a [`VaultKeyring`] into [`VaultContents`].
//! Compaction and key rotation rewrite many segments into few. A segment that does not
//! open is set aside rather than failing the whole record, and a rewrite leaves it out.

mod attachment;
pub(crate) mod batch;
mod compact;
mod contents;
mod envelope;
mod error;
mod id;
mod keyring;
mod seal;
mod set_aside;

pub use attachment::{
    AttachmentBinding, AttachmentError, AttachmentRef, attachment_id, attachment_id_from_digest,
    legacy_blob_id, seal_attachment, verify_attachment,
};
pub use compact::{CompactError, Rotation, compact, rotate, rotate_opened};
pub use contents::{StoredResource, VaultContents, is_folio_entry};
pub use envelope::{ENVELOPE_VERSION, SealedSegment};
pub use error::{SealError, SegmentError};
pub use id::VaultId;
pub use keyring::VaultKeyring;
pub use seal::{DEFAULT_SEGMENT_BYTES, MAX_PLAINTEXT_BYTES, Sealer};
pub use set_aside::{SetAside, SetAsidePart, SetAsideReason, Uploader};
