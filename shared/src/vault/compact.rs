//! Compaction and key rotation: rewriting a vault's log into few segments, run by a
//! member's client (the server cannot, holding no key).
//!
//! Both replay the log and seal what remains, dropping deletes and replaced puts. Dropping
//! deletes is safe only because the rewrite covers the log from its first segment: no
//! earlier put survives for a dropped delete to have removed. Segments uploaded after the
//! ones read must be kept after the rewritten ones. Segments that did not open (set aside)
//! are not re-sealed: a rewrite is how they are dropped, and it never fails on them.

use crate::keys::VaultIdentity;

use super::contents::VaultContents;
use super::envelope::SealedSegment;
use super::error::SealError;
use super::keyring::VaultKeyring;
use super::seal::Sealer;
use super::set_aside::SetAside;

/// Why a compaction or rotation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// Rewrites the whole log `segments` (from its first segment, in order) into as few
/// segments as `sealer`'s bound allows. The result opens to the same resources, without
/// the segments that were set aside.
pub fn compact<'a>(
    keyring: &VaultKeyring,
    segments: impl IntoIterator<Item = &'a SealedSegment>,
    sealer: &Sealer,
) -> Result<Vec<SealedSegment>, CompactError> {
    Ok(keyring.open(segments).seal(sealer)?)
}

/// A vault moved to a new key: the identity to wrap to each remaining member, the log
/// re-sealed to it, to swap in for the old log atomically, and the segments of the old log
/// that were set aside and so are not in the new one.
#[derive(Debug)]
pub struct Rotation {
    pub identity: VaultIdentity,
    pub segments: Vec<SealedSegment>,
    pub dropped: Vec<SetAside>,
}

/// Rotates the vault to a fresh key at the epoch after the keyring's newest, re-sealing
/// the whole log `segments` to it (compacted). Run after a member is removed, so that the
/// keys they held open nothing written from now on.
pub fn rotate<'a>(
    keyring: &VaultKeyring,
    segments: impl IntoIterator<Item = &'a SealedSegment>,
) -> Result<Rotation, CompactError> {
    rotate_opened(keyring, keyring.open(segments))
}

/// [`rotate`] for a log the caller has opened already: under a member list, opened vouched
/// (`VaultKeyring::open_vouched`), so that what no member signed is dropped, not re-sealed
/// under the owner's signature.
pub fn rotate_opened(
    keyring: &VaultKeyring,
    mut contents: VaultContents,
) -> Result<Rotation, CompactError> {
    let identity = keyring.current().rotate();
    let sealer = Sealer::for_identity(keyring.vault_id(), &identity);
    let segments = contents.seal(&sealer)?;
    Ok(Rotation {
        identity,
        segments,
        dropped: std::mem::take(&mut contents.set_aside),
    })
}
