//! Attachments: large files (a PDF, a photo of a letter) kept as age files of their own,
//! referenced from a DocumentReference, so a record's log stays small and fast to open.

use crate::keys::{self, AgeFailure, VaultRecipient};

use super::error::SegmentError;
use super::keyring::VaultKeyring;

/// Encrypts an attachment to the vault's current recipient.
pub fn seal_attachment(recipient: &VaultRecipient, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    keys::seal_age_file(&recipient.0, plaintext, &mut out);
    out
}

impl VaultKeyring {
    /// Decrypts an attachment sealed to any epoch's key this keyring holds.
    pub fn open_attachment(&self, file: &[u8]) -> Result<Vec<u8>, SegmentError> {
        keys::open_age_file(self.identities.values().map(|identity| &identity.key), file).map_err(
            |failure| match failure {
                AgeFailure::NoMatchingKey => SegmentError::WrongKey {
                    epoch: self.current().epoch(),
                },
                AgeFailure::Tampered => SegmentError::Tampered,
                AgeFailure::Truncated => SegmentError::Truncated,
            },
        )
    }
}
