//! [`VaultKeyring`]: the vault identities a member's client holds, one per key epoch, and
//! the only way to open a segment.

use std::collections::BTreeMap;

use crate::keys::{self, AgeFailure, KeyEpoch, VaultIdentity};
use crate::record::{Entry, EntryId, Op};

use super::batch::{self, DecodedEntry};
use super::contents::VaultContents;
use super::envelope::{self, SealedSegment};
use super::error::SegmentError;
use super::id::VaultId;
use super::set_aside::SetAside;

/// The keys of one vault across its epochs. Segments written before a rotation stay
/// readable with the old epoch's key until compaction re-seals them.
#[derive(Debug, Clone)]
pub struct VaultKeyring {
    vault: VaultId,
    pub(super) identities: BTreeMap<KeyEpoch, VaultIdentity>,
}

impl VaultKeyring {
    pub fn new(vault: VaultId, identity: VaultIdentity) -> Self {
        let mut keyring = Self {
            vault,
            identities: BTreeMap::new(),
        };
        keyring.insert(identity);
        keyring
    }

    /// Adds the key of another epoch, replacing any key held for the same epoch.
    pub fn insert(&mut self, identity: VaultIdentity) {
        self.identities.insert(identity.epoch(), identity);
    }

    pub fn vault_id(&self) -> VaultId {
        self.vault
    }

    /// The key of the newest epoch held: the one new segments should be sealed to.
    pub fn current(&self) -> &VaultIdentity {
        self.identities
            .values()
            .next_back()
            .expect("a keyring always holds at least one key")
    }

    /// Every key held, oldest epoch first: what a new member is given.
    pub fn identities(&self) -> impl Iterator<Item = &VaultIdentity> {
        self.identities.values()
    }

    /// Opens segments given in log order into the record they describe. A segment that
    /// does not open is set aside (see [`VaultContents::set_aside`]) and the others open
    /// as if it were not there: one bad write must not make the whole record unreadable.
    pub fn open<'a>(&self, segments: impl IntoIterator<Item = &'a SealedSegment>) -> VaultContents {
        self.open_vouched(segments, |_, _| Ok(()))
    }

    /// [`VaultKeyring::open`], setting aside unopened every segment `vouch` refuses (given
    /// its position and bytes): how a record with a member list leaves out what no member
    /// signed.
    pub fn open_vouched<'a>(
        &self,
        segments: impl IntoIterator<Item = &'a SealedSegment>,
        vouch: impl Fn(usize, &SealedSegment) -> Result<(), SegmentError>,
    ) -> VaultContents {
        let mut contents = VaultContents::default();
        for (position, segment) in segments.into_iter().enumerate() {
            let applied =
                vouch(position, segment).and_then(|()| contents.apply_segment(self, segment));
            if let Err(error) = applied {
                contents.set_aside.push(SetAside { position, error });
            }
        }
        contents
    }

    /// [`VaultKeyring::open`], keeping only the resources of the types `wanted` accepts:
    /// the others are decrypted and checked but never parsed, so a page that shows a few
    /// kinds of resource opens a large record in a fraction of the time. The result is that
    /// part of the record, exactly as a full open would hold it, set-aside segments included.
    pub fn open_where<'a>(
        &self,
        segments: impl IntoIterator<Item = &'a SealedSegment>,
        wanted: impl Fn(&str) -> bool,
    ) -> VaultContents {
        self.open_where_vouched(segments, wanted, |_, _| Ok(()))
    }

    /// [`VaultKeyring::open_where`] with [`VaultKeyring::open_vouched`]'s check.
    pub fn open_where_vouched<'a>(
        &self,
        segments: impl IntoIterator<Item = &'a SealedSegment>,
        wanted: impl Fn(&str) -> bool,
        vouch: impl Fn(usize, &SealedSegment) -> Result<(), SegmentError>,
    ) -> VaultContents {
        let wanted_entry = |id: &EntryId| wanted(id.resource_type());
        let mut contents = VaultContents::default();
        for (position, segment) in segments.into_iter().enumerate() {
            let decoded = vouch(position, segment)
                .and_then(|()| self.decrypt(segment))
                .and_then(|(plaintext, epoch)| {
                    batch::decode_where(&plaintext, self.vault, epoch, &wanted_entry)
                });
            match decoded {
                Ok(entries) => entries
                    .into_iter()
                    .for_each(|entry| contents.apply_decoded(entry)),
                Err(error) => contents.set_aside.push(SetAside { position, error }),
            }
        }
        contents
    }

    /// The entries of one segment, in the order they were sealed.
    pub fn entries(&self, segment: &SealedSegment) -> Result<Vec<Entry>, SegmentError> {
        Ok(self
            .decode(segment)?
            .into_iter()
            .map(|entry| Entry {
                id: entry.id,
                op: match entry.put {
                    Some((resource, source)) => Op::Put {
                        resource,
                        source: (*source).clone(),
                    },
                    None => Op::Delete,
                },
                at: entry.at,
            })
            .collect())
    }

    /// Checks, decrypts and decodes one segment. All checks that need no key come first,
    /// so that a misrouted segment is named as such rather than as a decryption failure.
    pub(crate) fn decode(
        &self,
        segment: &SealedSegment,
    ) -> Result<Vec<DecodedEntry>, SegmentError> {
        let (plaintext, epoch) = self.decrypt(segment)?;
        batch::decode(&plaintext, self.vault, epoch)
    }

    /// The plaintext of a segment of this vault, and the epoch it was sealed under.
    fn decrypt(&self, segment: &SealedSegment) -> Result<(Vec<u8>, KeyEpoch), SegmentError> {
        if segment.vault_id() != self.vault {
            return Err(SegmentError::ForeignVault {
                expected: self.vault,
                found: segment.vault_id(),
            });
        }
        let epoch = segment.epoch();
        let identity = self
            .identities
            .get(&epoch)
            .ok_or(SegmentError::NoKeyForEpoch { epoch })?;
        if envelope::fingerprint(&identity.recipient()) != segment.recipient_fingerprint() {
            return Err(SegmentError::WrongKey { epoch });
        }
        let plaintext = keys::open_age_file(std::iter::once(&identity.key), segment.age_file())
            .map_err(|failure| match failure {
                // The fingerprint says this key should match; if age finds no stanza for
                // it, the stanza or the fingerprint was altered.
                AgeFailure::NoMatchingKey | AgeFailure::Tampered => SegmentError::Tampered,
                AgeFailure::Truncated => SegmentError::Truncated,
            })?;
        Ok((plaintext, epoch))
    }
}
