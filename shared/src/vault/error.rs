//! Why a segment could not be sealed or opened. Every refusal has its own variant, because
//! each calls for a different response: fetch another key, re-download, or raise the alarm.

use crate::keys::KeyEpoch;
use crate::record::EntryId;

use super::id::VaultId;

/// Why one segment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("not a Folio vault segment (bad magic bytes)")]
    BadMagic,
    #[error("segment envelope version {version} is not supported; update the app")]
    UnknownVersion { version: u8 },
    /// Fewer bytes than the header declares, or an age stream that stops early.
    #[error("the segment is truncated")]
    Truncated,
    #[error("the segment has {extra} bytes after its end")]
    TrailingBytes { extra: usize },
    /// The header names another vault, or the sealed plaintext does.
    #[error("the segment belongs to vault {found}, not to vault {expected}")]
    ForeignVault { expected: VaultId, found: VaultId },
    /// The keyring has no vault key for the segment's epoch.
    #[error("no vault key for epoch {epoch}: unwrap that epoch's key first")]
    NoKeyForEpoch { epoch: KeyEpoch },
    /// The keyring's key for the segment's epoch is not the key it was sealed to.
    #[error("the vault key of epoch {epoch} is not the key this segment was sealed to")]
    WrongKey { epoch: KeyEpoch },
    /// The header says one epoch, the authenticated plaintext another.
    #[error("the segment header says epoch {header}, but it was sealed for epoch {sealed}")]
    EpochMismatch { header: KeyEpoch, sealed: KeyEpoch },
    /// The ciphertext fails authentication: it was altered or corrupted.
    #[error("the segment has been altered or corrupted")]
    Tampered,
    /// The plaintext authenticated, but is not a batch this version can read.
    #[error("the segment's contents are malformed: {0}")]
    Malformed(String),
    /// The record has a member list, and this segment carries no member's signature.
    #[error("the segment is not signed, though the record's changes are")]
    Unsigned,
    /// The segment's signature does not hold, or is not of a member who could write it.
    #[error("the segment's signature is refused: {0}")]
    BadWriteSignature(crate::roster::WriteError),
}

/// Why a batch could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// One entry alone is larger than a segment's plaintext may be; large files belong in
    /// attachments, not in resources.
    #[error("entry {id} is {bytes} bytes, more than the {limit} a segment can hold")]
    EntryTooLarge {
        id: EntryId,
        bytes: usize,
        limit: usize,
    },
}
