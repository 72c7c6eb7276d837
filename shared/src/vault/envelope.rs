//! [`SealedSegment`]: the bytes of one segment as stored and served, and the plaintext
//! header that lets the server route them without reading them.
//!
//! Layout, all integers big-endian:
//!
//! | bytes | field |
//! | --- | --- |
//! | 8 | magic `FOLIOSEG` |
//! | 1 | envelope version ([`ENVELOPE_VERSION`]) |
//! | 16 | vault id (UUID) |
//! | 4 | key epoch |
//! | 8 | recipient fingerprint: SHA-256 of the vault recipient string, truncated |
//! | 4 | length of the age file that follows |
//! | n | age file (binary), sealed to the vault recipient of that epoch |
//!
//! The header is not authenticated: the sealed plaintext repeats the version, vault id and
//! epoch, and opening checks them after decryption. The declared length lets anyone, the
//! server included, refuse a truncated upload, and lets a client tell truncation from
//! tampering, which age alone cannot do for a file cut inside its last chunk. The recipient
//! fingerprint tells "this is not your key" from "this was altered" (age's X25519 stanzas
//! are anonymous); it reveals nothing the server does not already hold, since the server
//! stores the vault's public recipient.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::keys::{KeyEpoch, VaultRecipient};

use super::error::SegmentError;
use super::id::VaultId;

/// The envelope version this build writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;

const MAGIC: &[u8; 8] = b"FOLIOSEG";
const HEADER_LEN: usize = 8 + 1 + 16 + 4 + 8 + 4;

/// A short, public name for the recipient a segment was sealed to.
pub(crate) type RecipientFingerprint = [u8; 8];

pub(crate) fn fingerprint(recipient: &VaultRecipient) -> RecipientFingerprint {
    let digest = Sha256::new()
        .chain_update(b"folio segment recipient v1\n")
        .chain_update(recipient.to_string().as_bytes())
        .finalize();
    digest[..8]
        .try_into()
        .expect("SHA-256 is longer than 8 bytes")
}

/// One sealed segment: ciphertext plus the header fields anyone may read.
///
/// This is the type the server holds. It has no way to reach the plaintext: opening needs
/// a [`VaultKeyring`](super::VaultKeyring), which only a member's client can build.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSegment {
    bytes: Vec<u8>,
    vault: VaultId,
    epoch: KeyEpoch,
    recipient: RecipientFingerprint,
}

impl SealedSegment {
    /// Checks the framing of received bytes: magic, version and length. It cannot check
    /// the ciphertext; opening does.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, SegmentError> {
        let magic_len = bytes.len().min(MAGIC.len());
        if bytes[..magic_len] != MAGIC[..magic_len] {
            return Err(SegmentError::BadMagic);
        }
        let Some(&version) = bytes.get(MAGIC.len()) else {
            return Err(SegmentError::Truncated);
        };
        if version != ENVELOPE_VERSION {
            return Err(SegmentError::UnknownVersion { version });
        }
        let Some(header) = bytes.get(..HEADER_LEN) else {
            return Err(SegmentError::Truncated);
        };
        let (vault, rest) = header[MAGIC.len() + 1..].split_at(16);
        let (epoch, rest) = rest.split_at(4);
        let (recipient, length) = rest.split_at(8);
        let vault = VaultId(Uuid::from_bytes(vault.try_into().expect("16 bytes")));
        let epoch = KeyEpoch(u32::from_be_bytes(epoch.try_into().expect("4 bytes")));
        let recipient = recipient.try_into().expect("8 bytes");
        let length = u32::from_be_bytes(length.try_into().expect("4 bytes")) as usize;
        let actual = bytes.len() - HEADER_LEN;
        if actual < length {
            return Err(SegmentError::Truncated);
        }
        if actual > length {
            return Err(SegmentError::TrailingBytes {
                extra: actual - length,
            });
        }
        Ok(Self {
            bytes,
            vault,
            epoch,
            recipient,
        })
    }

    /// Frames an age file sealed by this crate.
    pub(crate) fn frame(
        vault: VaultId,
        epoch: KeyEpoch,
        recipient: RecipientFingerprint,
        seal_age_file: impl FnOnce(&mut Vec<u8>),
    ) -> Self {
        let mut bytes = Vec::with_capacity(HEADER_LEN);
        bytes.extend_from_slice(MAGIC);
        bytes.push(ENVELOPE_VERSION);
        bytes.extend_from_slice(vault.0.as_bytes());
        bytes.extend_from_slice(&epoch.0.to_be_bytes());
        bytes.extend_from_slice(&recipient);
        bytes.extend_from_slice(&[0; 4]);
        seal_age_file(&mut bytes);
        let length = u32::try_from(bytes.len() - HEADER_LEN)
            .expect("segment plaintext is bounded far below 4 GiB");
        bytes[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&length.to_be_bytes());
        Self {
            bytes,
            vault,
            epoch,
            recipient,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The stored size in bytes, header included.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a segment has at least its header. Present because `len` is.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The vault the header names (checked against the sealed plaintext on opening).
    pub fn vault_id(&self) -> VaultId {
        self.vault
    }

    /// The key epoch the header names: which vault key opens it.
    pub fn epoch(&self) -> KeyEpoch {
        self.epoch
    }

    pub fn version(&self) -> u8 {
        ENVELOPE_VERSION
    }

    pub(crate) fn recipient_fingerprint(&self) -> RecipientFingerprint {
        self.recipient
    }

    pub(crate) fn age_file(&self) -> &[u8] {
        &self.bytes[HEADER_LEN..]
    }
}

impl std::fmt::Debug for SealedSegment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedSegment")
            .field("vault", &self.vault)
            .field("epoch", &self.epoch)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl TryFrom<Vec<u8>> for SealedSegment {
    type Error = SegmentError;

    fn try_from(bytes: Vec<u8>) -> Result<Self, SegmentError> {
        Self::from_bytes(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_stable() {
        let vault = VaultId(Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef));
        let segment = SealedSegment::frame(vault, KeyEpoch(7), [9; 8], |out| {
            out.extend_from_slice(b"age")
        });
        let mut expected = b"FOLIOSEG\x01".to_vec();
        expected.extend_from_slice(vault.0.as_bytes());
        expected.extend_from_slice(&[0, 0, 0, 7]);
        expected.extend_from_slice(&[9; 8]);
        expected.extend_from_slice(&[0, 0, 0, 3]);
        expected.extend_from_slice(b"age");
        assert_eq!(segment.as_bytes(), expected);
        let parsed = SealedSegment::from_bytes(expected).unwrap();
        assert_eq!((parsed.vault_id(), parsed.epoch()), (vault, KeyEpoch(7)));
        assert_eq!(parsed.age_file(), b"age");
    }
}
