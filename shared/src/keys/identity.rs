//! Account and vault identities, their public recipients, and the vault key epoch.
//!
//! Each concept gets its own type, so that wrapping the wrong key to the wrong recipient is
//! a compile error rather than a leak: a vault key can only be wrapped to an
//! [`AccountRecipient`], an account key only to an [`UnlockerRecipient`].
//!
//! [`UnlockerRecipient`]: super::UnlockerRecipient

use std::fmt;
use std::str::FromStr;

use age::x25519;
use serde::{Deserialize, Serialize};

use super::error::KeyError;
use super::unlock::UnlockerRecipient;
use super::wrapped::{self, WrappedKey};

/// The generation of a vault's key. Rotation (after removing a caregiver) moves the vault
/// to the next epoch; a member's wrap and every segment say which epoch they belong to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct KeyEpoch(pub u32);

impl KeyEpoch {
    /// The epoch a new vault starts at.
    pub const FIRST: KeyEpoch = KeyEpoch(1);

    /// The epoch after this one.
    ///
    /// # Panics
    /// After four billion rotations, which no vault will see.
    pub fn next(self) -> KeyEpoch {
        KeyEpoch(self.0.checked_add(1).expect("key epoch overflow"))
    }
}

impl fmt::Display for KeyEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Defines a public-recipient newtype that reads and writes as its `age1…` string, which is
/// how the server stores and serves it.
macro_rules! recipient_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(pub(crate) x25519::Recipient);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = KeyError;

            fn from_str(s: &str) -> Result<Self, KeyError> {
                s.trim().parse().map(Self).map_err(KeyError::InvalidRecipient)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

recipient_type!(
    /// The public half of an [`AccountIdentity`]: what a vault key is wrapped to when the
    /// account becomes a member (owner or caregiver) of a vault.
    AccountRecipient
);

recipient_type!(
    /// The public half of a [`VaultIdentity`]: anything that knows it can add segments to
    /// the vault (an importer, a provider push) without being able to read any.
    VaultRecipient
);

/// The private key of one account, generated on the client. It never leaves the client
/// unwrapped: see [`AccountIdentity::wrap_to`].
#[derive(Clone)]
pub struct AccountIdentity(pub(crate) x25519::Identity);

impl AccountIdentity {
    /// A fresh random account identity, for sign-up.
    pub fn generate() -> Self {
        Self(x25519::Identity::generate())
    }

    /// The public recipient the server stores for this account.
    pub fn recipient(&self) -> AccountRecipient {
        AccountRecipient(self.0.to_public())
    }

    /// Wraps this account key so that `unlocker` alone can recover it.
    pub fn wrap_to(&self, unlocker: &UnlockerRecipient) -> WrappedKey {
        wrapped::wrap_account(self, unlocker)
    }
}

impl fmt::Debug for AccountIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret never goes to a log; the public half identifies it well enough.
        write!(f, "AccountIdentity({})", self.0.to_public())
    }
}

/// The private key of one vault at one [`KeyEpoch`]. Segments are sealed to its
/// [`VaultRecipient`]; members receive it wrapped to their [`AccountRecipient`].
#[derive(Clone)]
pub struct VaultIdentity {
    pub(crate) key: x25519::Identity,
    epoch: KeyEpoch,
}

impl VaultIdentity {
    /// A fresh random vault identity at `epoch`.
    pub fn generate(epoch: KeyEpoch) -> Self {
        Self {
            key: x25519::Identity::generate(),
            epoch,
        }
    }

    pub(crate) fn from_parts(key: x25519::Identity, epoch: KeyEpoch) -> Self {
        Self { key, epoch }
    }

    /// A fresh identity for the next epoch, for rotation after a member leaves.
    pub fn rotate(&self) -> Self {
        Self::generate(self.epoch.next())
    }

    pub fn epoch(&self) -> KeyEpoch {
        self.epoch
    }

    /// The public recipient segments of this epoch are sealed to.
    pub fn recipient(&self) -> VaultRecipient {
        VaultRecipient(self.key.to_public())
    }

    /// Wraps this vault key, with its epoch, for one member's account.
    pub fn wrap_to(&self, member: &AccountRecipient) -> WrappedKey {
        wrapped::wrap_vault(self, member)
    }
}

impl fmt::Debug for VaultIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VaultIdentity(epoch {}, {})",
            self.epoch,
            self.key.to_public()
        )
    }
}

/// Parses an `AGE-SECRET-KEY-1…` string.
pub(crate) fn parse_secret_key(s: &str) -> Result<x25519::Identity, KeyError> {
    s.parse().map_err(KeyError::InvalidSecretKey)
}

/// Writes an identity's secret string; kept here so that only this module exposes secrets.
pub(crate) fn secret_key_string(identity: &x25519::Identity) -> age::secrecy::SecretString {
    identity.to_string()
}
