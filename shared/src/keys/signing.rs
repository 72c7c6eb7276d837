//! Ed25519 signing keys: how a member proves that a write or a change of members is theirs.
//!
//! Encryption alone cannot say who wrote something: segments are sealed to the vault's
//! *public* recipient, which the server holds, so the server can seal entries of its own.
//! Each member account therefore also has a [`SigningKey`]; the owner's client signs every
//! write and every change to the record's member list, and clients accept only what a
//! member allowed to make it signed (see `crate::roster`).
//!
//! A member's key is derived from their account identity ([`SigningKey::of_account`]), so
//! whoever unlocks the account also has its signing key, and the server has no copy of its
//! own to hand out: it could otherwise wrap a key it made to the account's (public)
//! recipient and have the patient sign with a key it knows. A key can still be wrapped
//! ([`SigningKey::wrap_to`]) for the server to keep beside the account's other wraps.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use ed25519_dalek::Signer as _;
use rand_core::{OsRng, RngCore as _};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::age_file::{self, AgeFailure};
use super::error::KeyError;
use super::identity::{AccountIdentity, AccountRecipient};
use super::wrapped::WrappedKey;

/// The Bech32 prefix of a [`SigningPublicKey`]'s text form: `folio-sig1…`, as age
/// recipients read `age1…`.
const PUBLIC_KEY_HRP: &str = "folio-sig";
/// First line of a wrapped signing key's plaintext; the wraps of vault and account keys
/// start with their own tags, so no wrap can be taken for another kind.
const SIGNING_KEY_TAG: &str = "folio-signing-key/v1";

/// HKDF salt of [`SigningKey::of_account`]: a key derived for another purpose from the
/// same identity is unrelated to this one.
const ACCOUNT_DERIVATION_SALT: &[u8] = b"folio account signing key v1";

/// Why a signing public key did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Folio signing key: {0}")]
pub struct InvalidSigningKey(&'static str);

/// A member's Ed25519 secret key. No `Debug` output shows it, and it is zeroized on drop
/// (`ed25519-dalek`'s `zeroize` feature).
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// A fresh random key, for sign-up (or after a device revocation replaces the account's
    /// keys).
    pub fn generate() -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(seed.as_mut());
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The account's own signing key: HKDF-SHA256 of the account identity's secret, so every
    /// client that unlocks the account signs with the same key, and none can be handed
    /// another one.
    pub fn of_account(account: &AccountIdentity) -> Self {
        use age::secrecy::ExposeSecret as _;
        let secret = super::identity::secret_key_string(&account.0);
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(
            Some(ACCOUNT_DERIVATION_SALT),
            secret.expose_secret().as_bytes(),
        );
        let mut seed = Zeroizing::new([0u8; 32]);
        hkdf.expand(b"ed25519 seed", seed.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The public half, which the record's member list names.
    pub fn public_key(&self) -> SigningPublicKey {
        SigningPublicKey(self.0.verifying_key())
    }

    /// Signs `message`. Crate-only: every signed message starts with its own context
    /// string (`folio write v1\0`, `folio roster v1\0`), and only this crate builds them, so
    /// no caller can get a signature over bytes that would read as another kind.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// Wraps this key to the account's own recipient, for the server to keep beside the
    /// account's other wraps.
    pub fn wrap_to(&self, account: &AccountRecipient) -> WrappedKey {
        let seed = Zeroizing::new(self.0.to_bytes());
        let encoded =
            Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&seed[..]));
        let plaintext = Zeroizing::new(format!("{SIGNING_KEY_TAG}\n{}\n", encoded.as_str()));
        let mut out = Vec::with_capacity(256);
        age_file::seal(&account.0, plaintext.as_bytes(), &mut out);
        WrappedKey::from_bytes(out)
    }

    /// Recovers a signing key wrapped by [`SigningKey::wrap_to`] with the account identity.
    pub fn unwrap(wrapped: &WrappedKey, account: &AccountIdentity) -> Result<Self, KeyError> {
        let plaintext =
            age_file::open(std::iter::once(&account.0), wrapped.as_bytes()).map_err(|failure| {
                match failure {
                    AgeFailure::NoMatchingKey => KeyError::NotAMember,
                    AgeFailure::Tampered => KeyError::Tampered,
                    AgeFailure::Truncated => KeyError::Truncated,
                }
            })?;
        let plaintext = Zeroizing::new(plaintext);
        let text = std::str::from_utf8(&plaintext).map_err(|_| KeyError::Malformed("not UTF-8"))?;
        let body = text
            .strip_suffix('\n')
            .ok_or(KeyError::Malformed("no final newline"))?;
        let (tag, secret) = body
            .split_once('\n')
            .ok_or(KeyError::Malformed("no secret key"))?;
        if tag != SIGNING_KEY_TAG {
            return Err(if tag.starts_with("folio-") {
                KeyError::WrongKind {
                    expected: "a signing key",
                    found: "another kind of key",
                }
            } else {
                KeyError::Malformed("unknown key type or format version")
            });
        }
        let seed = Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(secret)
                .map_err(|_| KeyError::Malformed("the signing key is not base64url"))?,
        );
        let seed: &[u8; 32] = seed
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::Malformed("a signing key is 32 bytes"))?;
        Ok(Self(ed25519_dalek::SigningKey::from_bytes(seed)))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public_key())
    }
}

/// A member's Ed25519 public key: 32 bytes, written `folio-sig1…` (Bech32, like age's
/// `age1…` recipients). Only keys that are valid curve points and not of small order are
/// accepted, so a key cannot be chosen to make a signature verify for any message.
#[derive(Clone, Copy)]
pub struct SigningPublicKey(ed25519_dalek::VerifyingKey);

impl SigningPublicKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, InvalidSigningKey> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map_err(|_| InvalidSigningKey("not a point on the curve"))?;
        if key.is_weak() {
            return Err(InvalidSigningKey("a weak key"));
        }
        Ok(Self(key))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Whether `signature` is this key's over `message`. Strict verification: a
    /// non-canonical signature is refused, so each message has one valid signature per
    /// key and hashes over signatures are stable.
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.0.verify_strict(message, &signature).is_ok()
    }
}

impl PartialEq for SigningPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for SigningPublicKey {}

impl std::hash::Hash for SigningPublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Display for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hrp = bech32::Hrp::parse(PUBLIC_KEY_HRP).expect("a valid Bech32 HRP");
        bech32::encode_lower_to_fmt::<bech32::Bech32, _>(f, hrp, self.as_bytes())
            .map_err(|_| fmt::Error)
    }
}

impl fmt::Debug for SigningPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningPublicKey({self})")
    }
}

impl FromStr for SigningPublicKey {
    type Err = InvalidSigningKey;

    fn from_str(s: &str) -> Result<Self, InvalidSigningKey> {
        let checked = bech32::primitives::decode::CheckedHrpstring::new::<bech32::Bech32>(s.trim())
            .map_err(|_| InvalidSigningKey("not Bech32"))?;
        if checked.hrp().as_str() != PUBLIC_KEY_HRP {
            return Err(InvalidSigningKey("it does not start with folio-sig1"));
        }
        let bytes: Vec<u8> = checked.byte_iter().collect();
        let bytes: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| InvalidSigningKey("not 32 bytes"))?;
        Self::from_bytes(bytes)
    }
}

impl Serialize for SigningPublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SigningPublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
