//! Signed writes: a member's signature over what they uploaded, so that a server that can
//! seal to the vault's public recipient still cannot add a segment the patient's clients
//! accept.
//!
//! Signed bytes (version 1, 68 bytes, big-endian):
//!
//! ```text
//! "folio write v1\0"   15 bytes, the context string (no roster entry starts this way)
//! vault                16 bytes (UUID)
//! epoch                 4 bytes (u32): the key epoch the ciphertext is sealed at
//! kind                  1 byte: segment 1, attachment 2, key wrap 3, compaction 4
//! ciphertext_sha256    32 bytes: SHA-256 of the whole stored object (a sealed segment
//!                      with its header, an attachment's age file, a wrapped key's bytes)
//! ```
//!
//! Who may sign what is [`Role::may`], as the server enforces it: segments and attachments
//! need [`Action::Write`] (owner, manager); key wraps [`Action::InviteViewer`] (owner, and a
//! manager confirming a viewer they invited; which key it is, is checked separately by
//! `Roster::accept_vault_key`); compactions, which include rotations, [`Action::Rewrite`]
//! (owner). A member may sign at an epoch if they held such a role, with that signing key,
//! at some point while that epoch was the record's current one: a removal, a demotion or a
//! replaced key takes effect from the next epoch, and the owner rotates after a removal.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::codec::Writer;
use super::entry::{Member, signature_serde};
use super::error::WriteError;
use super::state::Roster;
use crate::care::{Action, Role};
use crate::keys::{KeyEpoch, SigningKey, SigningPublicKey};
use crate::vault::{SealedSegment, SegmentError, VaultId};

/// The context string signed writes start with.
pub(crate) const WRITE_CONTEXT: &[u8; 15] = b"folio write v1\0";
/// Length of a statement's signed bytes.
pub const WRITE_STATEMENT_LEN: usize = 15 + 16 + 4 + 1 + 32;

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteKind {
    Segment,
    Attachment,
    KeyWrap,
    Compaction,
}

impl WriteKind {
    pub const ALL: [WriteKind; 4] = [
        WriteKind::Segment,
        WriteKind::Attachment,
        WriteKind::KeyWrap,
        WriteKind::Compaction,
    ];

    /// The action of the role matrix this kind of write is.
    pub fn action(self) -> Action {
        match self {
            WriteKind::Segment | WriteKind::Attachment => Action::Write,
            WriteKind::KeyWrap => Action::InviteViewer,
            WriteKind::Compaction => Action::Rewrite,
        }
    }

    /// Whether `role` may sign this kind of write.
    pub fn allowed_for(self, role: Role) -> bool {
        role.may(self.action())
    }

    fn byte(self) -> u8 {
        match self {
            WriteKind::Segment => 1,
            WriteKind::Attachment => 2,
            WriteKind::KeyWrap => 3,
            WriteKind::Compaction => 4,
        }
    }
}

/// What a member signs for one stored object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WriteStatement {
    pub vault: VaultId,
    pub epoch: KeyEpoch,
    pub kind: WriteKind,
    pub ciphertext_sha256: [u8; 32],
}

impl WriteStatement {
    /// The statement for `ciphertext`, hashing it.
    pub fn for_ciphertext(
        vault: VaultId,
        epoch: KeyEpoch,
        kind: WriteKind,
        ciphertext: &[u8],
    ) -> Self {
        Self {
            vault,
            epoch,
            kind,
            ciphertext_sha256: Sha256::digest(ciphertext).into(),
        }
    }

    /// The signed bytes (see the module's layout).
    pub fn to_bytes(&self) -> [u8; WRITE_STATEMENT_LEN] {
        let mut w = Writer::with_context(WRITE_CONTEXT);
        w.uuid(self.vault.0)
            .u32(self.epoch.0)
            .u8(self.kind.byte())
            .bytes(&self.ciphertext_sha256);
        w.into_bytes()
            .try_into()
            .expect("a write statement has a fixed length")
    }
}

/// A member's signature over a [`WriteStatement`], and which key made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteSignature {
    pub signer: SigningPublicKey,
    #[serde(with = "signature_serde")]
    pub signature: [u8; 64],
}

impl WriteSignature {
    /// Length of [`WriteSignature::to_bytes`].
    pub const LEN: usize = 96;

    /// signer (32) ‖ signature (64): how a signature travels in a header and is stored
    /// beside what it signs.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut bytes = [0u8; Self::LEN];
        bytes[..32].copy_from_slice(self.signer.as_bytes());
        bytes[32..].copy_from_slice(&self.signature);
        bytes
    }

    /// Reads [`WriteSignature::to_bytes`]'s form; `None` unless it is 96 bytes naming a
    /// valid key.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; Self::LEN] = bytes.try_into().ok()?;
        let signer: &[u8; 32] = bytes[..32].try_into().ok()?;
        Some(WriteSignature {
            signer: SigningPublicKey::from_bytes(signer).ok()?,
            signature: bytes[32..].try_into().ok()?,
        })
    }

    /// Whether this is the signer's signature over `statement`, without asking whether the
    /// signer could write (that is [`verify_write`]).
    pub fn holds_for(&self, statement: &WriteStatement) -> bool {
        self.signer.verifies(&statement.to_bytes(), &self.signature)
    }
}

/// Signs `statement` with a member's key.
pub fn sign_write(key: &SigningKey, statement: &WriteStatement) -> WriteSignature {
    WriteSignature {
        signer: key.public_key(),
        signature: key.sign(&statement.to_bytes()),
    }
}

/// Checks that `signature` is over `statement` by a member whom `roster` allowed to make
/// that kind of write at the statement's epoch; answers who it was.
pub fn verify_write<'r>(
    roster: &'r Roster,
    statement: &WriteStatement,
    signature: &WriteSignature,
) -> Result<&'r Member, WriteError> {
    if statement.vault != roster.vault() {
        return Err(WriteError::WrongRecord);
    }
    let member = roster.may_write(&signature.signer, statement.epoch, statement.kind)?;
    if !signature.holds_for(statement) {
        return Err(WriteError::BadSignature);
    }
    Ok(member)
}

/// Who wrote `segment`, if `signature` is a member's: a segment is signed as an upload or,
/// when a compaction or rotation wrote it, as a compaction. What a client checks for each
/// segment of a record that has a member list, before opening it.
pub fn vouch_for_segment<'r>(
    roster: &'r Roster,
    segment: &SealedSegment,
    signature: Option<&WriteSignature>,
) -> Result<&'r Member, SegmentError> {
    let signature = signature.ok_or(SegmentError::Unsigned)?;
    let statement = |kind| {
        WriteStatement::for_ciphertext(
            segment.vault_id(),
            segment.epoch(),
            kind,
            segment.as_bytes(),
        )
    };
    match verify_write(roster, &statement(WriteKind::Segment), signature) {
        // Not an upload's signature: a compaction's, or over other bytes altogether.
        Err(WriteError::BadSignature) => {
            let compaction = statement(WriteKind::Compaction);
            if signature.holds_for(&compaction) {
                verify_write(roster, &compaction, signature)
            } else {
                Err(WriteError::BadSignature)
            }
        }
        verdict => verdict,
    }
    .map_err(SegmentError::BadWriteSignature)
}
