//! [`Sealer`]: turns a batch of entries into segments no larger than a size bound, one
//! age operation per segment.

use crate::keys::{self, KeyEpoch, VaultIdentity, VaultRecipient};
use crate::record::{Entry, Op};

use super::batch::{self, BatchWriter, EntryView};
use super::envelope::{self, SealedSegment};
use super::error::SealError;
use super::id::VaultId;

/// The default bound on a segment's compressed plaintext: small enough to upload and
/// retry cheaply on a phone, large enough that a 30,000-resource record is a few dozen
/// segments (and so a few dozen X25519 operations) to open.
pub const DEFAULT_SEGMENT_BYTES: usize = 1 << 20;

/// The most uncompressed plaintext one segment may hold. Openers refuse anything larger
/// before allocating, since anyone with the public vault recipient can seal a segment.
pub const MAX_PLAINTEXT_BYTES: usize = 64 << 20;

/// JSON FHIR compresses about 4× or better with LZ4; the first segment of a batch starts
/// from this guess and later ones from the ratio measured so far.
const FIRST_GUESS_RATIO: usize = 4;

/// Seals entries for one vault at one key epoch. Needs only the public recipient, so
/// importers and provider pushes can add to a vault they cannot read.
#[derive(Debug, Clone)]
pub struct Sealer {
    vault: VaultId,
    epoch: KeyEpoch,
    recipient: VaultRecipient,
    max_segment_bytes: usize,
}

impl Sealer {
    /// A sealer for `vault`, to the recipient of its key at `epoch`.
    pub fn new(vault: VaultId, epoch: KeyEpoch, recipient: VaultRecipient) -> Self {
        Self {
            vault,
            epoch,
            recipient,
            max_segment_bytes: DEFAULT_SEGMENT_BYTES,
        }
    }

    /// A sealer to the recipient of `identity`, at its epoch.
    pub fn for_identity(vault: VaultId, identity: &VaultIdentity) -> Self {
        Self::new(vault, identity.epoch(), identity.recipient())
    }

    /// Bounds each segment's compressed plaintext to `bytes` (at least 1). A single entry
    /// that compresses larger than the bound still gets a segment of its own.
    pub fn with_segment_limit(mut self, bytes: usize) -> Self {
        self.max_segment_bytes = bytes.max(1);
        self
    }

    pub fn vault_id(&self) -> VaultId {
        self.vault
    }

    pub fn epoch(&self) -> KeyEpoch {
        self.epoch
    }

    /// Seals `entries`, in order, into as many segments as the size bound requires. An
    /// empty batch seals into no segments.
    pub fn seal(&self, entries: &[Entry]) -> Result<Vec<SealedSegment>, SealError> {
        self.seal_views(entries.iter().map(|entry| match &entry.op {
            Op::Put { resource, source } => EntryView::Put {
                id: &entry.id,
                at: entry.at,
                resource,
                source,
            },
            Op::Delete => EntryView::Delete {
                id: &entry.id,
                at: entry.at,
            },
        }))
    }

    pub(crate) fn seal_views<'a>(
        &self,
        entries: impl IntoIterator<Item = EntryView<'a>>,
    ) -> Result<Vec<SealedSegment>, SealError> {
        let entries: Vec<EntryView<'a>> = entries.into_iter().collect();
        let fingerprint = envelope::fingerprint(&self.recipient);
        let mut segments = Vec::new();
        let mut budget = self.budget(FIRST_GUESS_RATIO as f64);
        let mut start = 0;
        while start < entries.len() {
            let (body, end) = fill(&entries[start..], budget)?;
            let end = start + end;
            let compressed = batch::compress(&body);
            if compressed.len() > self.max_segment_bytes && end - start > 1 {
                // The guess overshot: aim lower, in proportion to the overshoot.
                let shrunk =
                    body.len() as f64 * self.max_segment_bytes as f64 / compressed.len() as f64;
                budget = ((shrunk * 0.9) as usize).min(budget / 2).max(1);
                continue;
            }
            let ratio = body.len() as f64 / compressed.len().max(1) as f64;
            let plaintext = batch::plaintext(self.vault, self.epoch, body.len(), &compressed);
            segments.push(SealedSegment::frame(
                self.vault,
                self.epoch,
                fingerprint,
                |out| keys::seal_age_file(&self.recipient.0, &plaintext, out),
            ));
            budget = self.budget(ratio);
            start = end;
        }
        Ok(segments)
    }

    /// How much uncompressed JSON to gather for a segment, given a compression ratio.
    /// Aims a little under the bound, since ratios vary from one batch to the next.
    fn budget(&self, ratio: f64) -> usize {
        let target = self.max_segment_bytes as f64 * ratio * 0.95;
        (target as usize).clamp(1, MAX_PLAINTEXT_BYTES)
    }
}

/// Writes entries from the front of `entries` until the body reaches `budget` bytes (at
/// least one entry), returning the body and how many entries it holds.
fn fill(entries: &[EntryView<'_>], budget: usize) -> Result<(Vec<u8>, usize), SealError> {
    let mut writer = BatchWriter::new();
    for entry in entries {
        if writer.entries() > 0 && writer.len() >= budget {
            break;
        }
        let checkpoint = writer.checkpoint();
        writer.push(*entry);
        if writer.len() > MAX_PLAINTEXT_BYTES {
            if writer.entries() == 1 {
                return Err(SealError::EntryTooLarge {
                    id: entry.id().clone(),
                    bytes: writer.len(),
                    limit: MAX_PLAINTEXT_BYTES,
                });
            }
            writer.rollback(checkpoint);
            break;
        }
    }
    let count = writer.entries();
    Ok((writer.into_body(), count))
}
