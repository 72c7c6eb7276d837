//! Unlockers: the three ways a member's client recovers the account identity.
//!
//! Each unlocker is an age X25519 identity that the account key is wrapped to:
//! - a passkey's WebAuthn PRF output, stretched by HKDF into a deterministic identity, so
//!   that signing in with the passkey also unlocks;
//! - a device key, a random identity kept in a keychain or a CLI's key file;
//! - a [`RecoveryCode`], also stretched by HKDF.
//!
//! Deriving rather than storing the passkey and recovery identities means the client needs
//! nothing but the authenticator or the printed code to get back in.

use std::fmt;
use std::str::FromStr;

use age::secrecy::SecretString;
use age::x25519;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::error::KeyError;
use super::identity::{parse_secret_key, secret_key_string};
use super::recovery_code::RecoveryCode;

/// What the app passes as the PRF extension's `eval.first` input when it asks a passkey to
/// unlock. Fixed for the life of the format: a different input yields a different
/// identity, which would no longer open the account key wrapped to the old one.
pub const PASSKEY_PRF_INPUT: &[u8] = b"Folio account unlock v1";

/// HKDF `info` strings: one per unlocker kind and format version, so the same input bytes
/// can never yield the same identity for two purposes.
const PASSKEY_PRF_INFO: &[u8] = b"folio/unlocker/passkey-prf/v1 x25519";
const RECOVERY_CODE_INFO: &[u8] = b"folio/unlocker/recovery-code/v1 x25519";

/// The kind of an unlocker, for telling the user which one failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnlockerKind {
    Passkey,
    Device,
    RecoveryCode,
}

impl fmt::Display for UnlockerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnlockerKind::Passkey => "passkey",
            UnlockerKind::Device => "device key",
            UnlockerKind::RecoveryCode => "recovery code",
        })
    }
}

/// The public half of an unlocker: what the account key is wrapped to.
#[derive(Clone, PartialEq, Eq)]
pub struct UnlockerRecipient(pub(crate) x25519::Recipient);

impl fmt::Display for UnlockerRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for UnlockerRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnlockerRecipient({})", self.0)
    }
}

impl FromStr for UnlockerRecipient {
    type Err = KeyError;

    /// Reads an `age1…` recipient, such as a device's key sent with its pairing.
    fn from_str(s: &str) -> Result<Self, KeyError> {
        s.trim()
            .parse::<x25519::Recipient>()
            .map(Self)
            .map_err(KeyError::InvalidRecipient)
    }
}

/// An identity able to unwrap an account key: see [`super::WrappedKey::unwrap_account`].
#[derive(Clone)]
pub struct Unlocker {
    pub(crate) identity: x25519::Identity,
    pub(crate) kind: UnlockerKind,
}

impl Unlocker {
    /// The unlocker of a passkey, from the 32-byte PRF result the authenticator returned for
    /// [`PASSKEY_PRF_INPUT`].
    ///
    /// The PRF result is already a uniformly random secret (an HMAC output under a key that
    /// never leaves the authenticator), so HKDF only separates domains and versions.
    pub fn from_passkey_prf(prf_output: &[u8; 32]) -> Self {
        Self {
            identity: derive_identity(prf_output, PASSKEY_PRF_INFO),
            kind: UnlockerKind::Passkey,
        }
    }

    /// The unlocker of a recovery code.
    ///
    /// No slow KDF (Argon2, scrypt): the code carries 140 uniformly random bits, so a
    /// guesser faces 2^140 candidates however cheap each one is. Slow KDFs earn their cost
    /// only on low-entropy secrets such as human-chosen passwords; here they would only make
    /// recovery slow on a phone, in WASM.
    pub fn from_recovery_code(code: &RecoveryCode) -> Self {
        Self {
            identity: derive_identity(code.entropy(), RECOVERY_CODE_INFO),
            kind: UnlockerKind::RecoveryCode,
        }
    }

    /// The unlocker of a device that keeps its own key.
    pub fn from_device_key(key: &DeviceKey) -> Self {
        Self {
            identity: key.0.clone(),
            kind: UnlockerKind::Device,
        }
    }

    pub fn kind(&self) -> UnlockerKind {
        self.kind
    }

    /// What the account key is wrapped to for this unlocker.
    pub fn recipient(&self) -> UnlockerRecipient {
        UnlockerRecipient(self.identity.to_public())
    }
}

impl fmt::Debug for Unlocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Unlocker({}, {})", self.kind, self.identity.to_public())
    }
}

/// A random identity that one device keeps (phone keychain, CLI key file) to unlock the
/// account without a passkey or the recovery code.
#[derive(Clone)]
pub struct DeviceKey(x25519::Identity);

impl DeviceKey {
    pub fn generate() -> Self {
        Self(x25519::Identity::generate())
    }

    /// The `AGE-SECRET-KEY-1…` string the device stores; parse it back with [`FromStr`].
    pub fn to_secret_string(&self) -> SecretString {
        secret_key_string(&self.0)
    }
}

impl FromStr for DeviceKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        parse_secret_key(s.trim()).map(Self)
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceKey({})", self.0.to_public())
    }
}

/// HKDF-SHA256 from a high-entropy secret to an X25519 identity.
///
/// age has no constructor from raw scalar bytes, only from the Bech32 `AGE-SECRET-KEY-1…`
/// string, so the scalar goes through that encoding (every 32-byte string is a valid
/// X25519 secret: the scalar is clamped when used). Intermediates are zeroized.
fn derive_identity(secret: &[u8], info: &[u8]) -> x25519::Identity {
    let mut scalar = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, secret)
        .expand(info, scalar.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let hrp = bech32::Hrp::parse("AGE-SECRET-KEY-").expect("a valid Bech32 HRP");
    let encoded = Zeroizing::new(
        bech32::encode_upper::<bech32::Bech32>(hrp, scalar.as_ref())
            .expect("a 32-byte payload is within Bech32's length limit"),
    );
    parse_secret_key(&encoded).expect("a Bech32 32-byte secret key is a valid identity")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prf_derivation_is_deterministic_and_domain_separated() {
        let prf = [7u8; 32];
        let a = Unlocker::from_passkey_prf(&prf).recipient();
        let b = Unlocker::from_passkey_prf(&prf).recipient();
        assert_eq!(a, b);
        assert_ne!(a, Unlocker::from_passkey_prf(&[8u8; 32]).recipient());
        // Same input bytes under the recovery-code info string give another identity.
        let other = derive_identity(&prf, RECOVERY_CODE_INFO).to_public();
        assert_ne!(a.0, other);
    }

    #[test]
    fn prf_derivation_matches_an_independent_implementation() {
        // Computed with Python's `cryptography` (HKDF-SHA256, X25519) and a reference
        // Bech32 encoder. Also pins the derivation: changing the info string or the
        // encoding would lock every existing passkey out.
        let recipient = Unlocker::from_passkey_prf(&[0u8; 32])
            .recipient()
            .to_string();
        assert_eq!(recipient, PRF_ZERO_RECIPIENT);
    }

    const PRF_ZERO_RECIPIENT: &str =
        "age1cttj8u5mxt86m4m7trk7qhgmkcnfdn5ne7nqwqk53p6lq4xgm4hsffwdgq";
}
