//! Why a key could not be unwrapped, parsed or derived.

use super::identity::KeyEpoch;
use super::unlock::UnlockerKind;

/// A failure to unwrap or parse key material. Each variant is a different thing for the
/// user to do: try another unlocker, re-download, or report a bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The unlocker is not one this account key was wrapped to.
    #[error("this {0} does not unlock this account key")]
    NotUnlockedBy(UnlockerKind),
    /// The account identity is not a member of this wrap of the vault key.
    #[error("this account's key does not open this vault key")]
    NotAMember,
    /// The wrapped key's ciphertext fails authentication: it was altered or corrupted.
    #[error("the wrapped key has been altered or corrupted")]
    Tampered,
    /// The wrapped key ends early.
    #[error("the wrapped key is truncated")]
    Truncated,
    /// The wrap decrypted, but holds a vault key of another epoch than the one asked for:
    /// a stale wrap was served in place of the current one.
    #[error("the wrapped vault key is for epoch {found}, not the expected epoch {expected}")]
    WrongEpoch { expected: KeyEpoch, found: KeyEpoch },
    /// The wrap decrypted, but holds another kind of key (a vault key where an account key
    /// was expected, or the reverse).
    #[error("the wrapped key holds {found}, not {expected}")]
    WrongKind {
        expected: &'static str,
        found: &'static str,
    },
    /// The wrap decrypted, but its plaintext is not a key this version understands.
    #[error("the wrapped key's contents are malformed: {0}")]
    Malformed(&'static str),
    /// A recipient string (`age1…`) did not parse.
    #[error("not an age X25519 recipient: {0}")]
    InvalidRecipient(&'static str),
    /// A secret key string (`AGE-SECRET-KEY-1…`) did not parse.
    #[error("not an age X25519 secret key: {0}")]
    InvalidSecretKey(&'static str),
}
