//! Compaction and key rotation: rewriting a vault's log into few segments, run by a
//! member's client (the server cannot, holding no key).
//!
//! Both replay the log and seal what remains, dropping deletes and replaced puts. Dropping
//! deletes is safe only because the rewrite covers the log from its first segment: no
//! earlier put survives for a dropped delete to have removed. Segments uploaded after the
//! ones read must be kept after the rewritten ones.

use crate::keys::VaultIdentity;

use super::envelope::SealedSegment;
use super::error::{OpenError, SealError};
use super::keyring::VaultKeyring;
use super::seal::Sealer;

/// Why a compaction or rotation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// Rewrites the whole log `segments` (from its first segment, in order) into as few
/// segments as `sealer`'s bound allows. The result opens to the same contents.
pub fn compact<'a>(
    keyring: &VaultKeyring,
    segments: impl IntoIterator<Item = &'a SealedSegment>,
    sealer: &Sealer,
) -> Result<Vec<SealedSegment>, CompactError> {
    Ok(keyring.open(segments)?.seal(sealer)?)
}

/// A vault moved to a new key: the identity to wrap to each remaining member, and the log
/// re-sealed to it, to swap in for the old log atomically.
#[derive(Debug)]
pub struct Rotation {
    pub identity: VaultIdentity,
    pub segments: Vec<SealedSegment>,
}

/// Rotates the vault to a fresh key at the epoch after the keyring's newest, re-sealing
/// the whole log `segments` to it (compacted). Run after a member is removed, so that the
/// keys they held open nothing written from now on.
pub fn rotate<'a>(
    keyring: &VaultKeyring,
    segments: impl IntoIterator<Item = &'a SealedSegment>,
) -> Result<Rotation, CompactError> {
    let identity = keyring.current().rotate();
    let sealer = Sealer::for_identity(keyring.vault_id(), &identity);
    let segments = compact(keyring, segments, &sealer)?;
    Ok(Rotation { identity, segments })
}
