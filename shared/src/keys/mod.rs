//! Who can read a vault: the age X25519 key hierarchy of the trust model.
//!
//! Segments are sealed to a vault's public recipient; the vault identity is wrapped to each
//! member's account recipient (with its key epoch); each account identity is wrapped to the
//! member's unlockers (passkey PRF, device key, recovery code). The server stores only
//! recipients and [`WrappedKey`]s, so every private key exists in clear only on a client.

mod age_file;
mod error;
mod identity;
mod recovery_code;
mod signing;
mod unlock;
mod wrapped;

pub(crate) use age_file::{AgeFailure, open as open_age_file, seal as seal_age_file};
pub use error::KeyError;
pub use identity::{AccountIdentity, AccountRecipient, KeyEpoch, VaultIdentity, VaultRecipient};
pub use recovery_code::{RecoveryCode, RecoveryCodeError};
pub use signing::{InvalidSigningKey, SigningKey, SigningPublicKey};
pub use unlock::{DeviceKey, PASSKEY_PRF_INPUT, Unlocker, UnlockerKind, UnlockerRecipient};
pub use wrapped::WrappedKey;
