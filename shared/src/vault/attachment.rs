//! Attachments: large files (a PDF, a photo of a letter) kept as age files of their own,
//! referenced from a DocumentReference, so a record's log stays small and fast to open.
//!
//! An attachment's id is the hash of its sealed bytes: a UUIDv8 made of the first 16 bytes
//! of SHA-256(ciphertext) (RFC 9562 §5.8). The DocumentReference that names it travels in an
//! authenticated segment, so a server (or a writer) that swaps the bytes under the id is
//! caught before anything is decrypted. Attachments saved before ids were bound to their
//! bytes are still opened, and said to be [`AttachmentBinding::Legacy`].

use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::keys::{self, AgeFailure, VaultRecipient};

use super::error::SegmentError;
use super::keyring::VaultKeyring;

/// Encrypts an attachment to the vault's current recipient.
pub fn seal_attachment(recipient: &VaultRecipient, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    keys::seal_age_file(&recipient.0, plaintext, &mut out);
    out
}

/// The id of a sealed attachment: its bytes' SHA-256, cut to a UUIDv8.
pub fn attachment_id(sealed: &[u8]) -> Uuid {
    attachment_id_from_digest(&Sha256::digest(sealed).into())
}

/// [`attachment_id`] from a SHA-256 computed elsewhere (the server hashes while streaming).
pub fn attachment_id_from_digest(sha256: &[u8; 32]) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&sha256[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Whether an attachment's id vouches for its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentBinding {
    /// The id is the hash of the bytes, and they match it.
    Bound,
    /// Saved before ids were bound to their bytes: nothing to check them against.
    Legacy,
}

/// How a DocumentReference names an attachment (`folio-attachment:<name>`): the blob to
/// fetch, and whether its id must match its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentRef {
    pub blob: Uuid,
    pub binding: AttachmentBinding,
}

impl AttachmentRef {
    /// Resolves the `<name>` of a `folio-attachment:<name>` URL. A name that is a UUIDv8 is
    /// the bound id itself. Any other name (before this change, the SHA-256 of the
    /// document's bytes in hex) names its blob by [`legacy_blob_id`].
    pub fn from_url_name(name: &str) -> AttachmentRef {
        // Only the hyphenated form: a name of 32 hex digits would parse as a UUID too.
        let id = (name.len() == 36)
            .then(|| Uuid::try_parse(name).ok())
            .flatten();
        match id {
            Some(id) if id.get_version_num() == 8 => AttachmentRef {
                blob: id,
                binding: AttachmentBinding::Bound,
            },
            Some(id) => AttachmentRef {
                blob: id,
                binding: AttachmentBinding::Legacy,
            },
            None => AttachmentRef {
                blob: legacy_blob_id(name),
                binding: AttachmentBinding::Legacy,
            },
        }
    }
}

/// The blob id an attachment named `folio-attachment:<name>` had before ids were bound to
/// bytes: the first 16 bytes of the SHA-256 of the name, as a UUID.
pub fn legacy_blob_id(name: &str) -> Uuid {
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// Why an attachment was not opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// The bytes are not the ones the id was made from: someone replaced them.
    #[error("the document was altered after it was saved")]
    Altered,
    #[error(transparent)]
    Unreadable(#[from] SegmentError),
}

/// Checks `sealed` against the id it was fetched under, before anything is decrypted.
pub fn verify_attachment(
    reference: &AttachmentRef,
    sealed: &[u8],
) -> Result<AttachmentBinding, AttachmentError> {
    match reference.binding {
        AttachmentBinding::Bound if attachment_id(sealed) != reference.blob => {
            Err(AttachmentError::Altered)
        }
        binding => Ok(binding),
    }
}

impl VaultKeyring {
    /// Decrypts an attachment sealed to any epoch's key this keyring holds. Prefer
    /// [`VaultKeyring::open_referenced_attachment`], which first checks the bytes are the ones
    /// the record names.
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

    /// Opens the attachment a DocumentReference names, refusing bytes its id does not vouch
    /// for: the plaintext and whether the id was bound to the bytes.
    pub fn open_referenced_attachment(
        &self,
        reference: &AttachmentRef,
        sealed: &[u8],
    ) -> Result<(Vec<u8>, AttachmentBinding), AttachmentError> {
        let binding = verify_attachment(reference, sealed)?;
        Ok((self.open_attachment(sealed)?, binding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyEpoch, VaultIdentity};
    use crate::vault::VaultId;

    fn keyring() -> VaultKeyring {
        VaultKeyring::new(
            VaultId(Uuid::new_v4()),
            VaultIdentity::generate(KeyEpoch(1)),
        )
    }

    #[test]
    fn an_id_is_a_version_8_uuid_of_the_sealed_bytes() {
        let id = attachment_id(b"age-encryption.org/v1\nsome bytes");
        assert_eq!(id.get_version_num(), 8);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(id, attachment_id(b"age-encryption.org/v1\nsome bytes"));
        assert_ne!(id, attachment_id(b"age-encryption.org/v1\nother bytes"));
    }

    #[test]
    fn bytes_swapped_under_a_bound_id_are_reported_altered() {
        let keys = keyring();
        let recipient = keys.current().recipient();
        let saved = seal_attachment(&recipient, b"the letter");
        let reference = AttachmentRef::from_url_name(&attachment_id(&saved).to_string());
        assert_eq!(reference.binding, AttachmentBinding::Bound);
        let (plain, binding) = keys.open_referenced_attachment(&reference, &saved).unwrap();
        assert_eq!(
            (plain.as_slice(), binding),
            (&b"the letter"[..], AttachmentBinding::Bound)
        );

        // Another document, sealed to the same key so it would decrypt: still refused.
        let swapped = seal_attachment(&recipient, b"a forged letter");
        assert_eq!(
            keys.open_referenced_attachment(&reference, &swapped),
            Err(AttachmentError::Altered)
        );
    }

    #[test]
    fn attachments_saved_before_binding_still_open_as_legacy() {
        let keys = keyring();
        let saved = seal_attachment(&keys.current().recipient(), b"old scan");
        let by_name = AttachmentRef::from_url_name(
            "9f86d081884c7d659a2feaa0c55ad015f5e6d7c8b9a0f1e2d3c4b5a697887766",
        );
        assert_eq!(
            by_name.blob,
            legacy_blob_id("9f86d081884c7d659a2feaa0c55ad015f5e6d7c8b9a0f1e2d3c4b5a697887766")
        );
        let v4 = AttachmentRef::from_url_name(&Uuid::new_v4().to_string());
        for reference in [by_name, v4] {
            assert_eq!(reference.binding, AttachmentBinding::Legacy);
            let (plain, binding) = keys.open_referenced_attachment(&reference, &saved).unwrap();
            assert_eq!(
                (plain.as_slice(), binding),
                (&b"old scan"[..], AttachmentBinding::Legacy)
            );
        }
    }
}
