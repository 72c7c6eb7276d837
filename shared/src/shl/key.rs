//! [`LinkKey`]: the AES-256 key a SMART Health Link carries to its receiver.
//!
//! The key travels only inside the link (in the URI fragment when a viewer prefix is used),
//! so the server that hosts the files never sees it. Every file and every update under one
//! link is encrypted with this one key, each time with a fresh IV.

use std::fmt;

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

/// Length of a link key in bytes: 256 bits, so 43 base64url characters.
pub const LINK_KEY_BYTES: usize = 32;

/// base64url as links are written in the wild: with or without `=` padding, and with
/// non-zero trailing bits (lenient encoders in JavaScript produce them). Used for the
/// payload and its key; JWE segments use the strict engine instead, so that two different
/// strings never decode to the same bytes.
pub(super) const LENIENT_BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The symmetric key of one share link. Zeroized on drop; `Debug` never prints it.
pub struct LinkKey([u8; LINK_KEY_BYTES]);

/// Why a `key` string is not a link key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkKeyError {
    #[error("the key is not base64url")]
    NotBase64Url,
    #[error("the key is {found} bytes long; a link key is exactly {LINK_KEY_BYTES}")]
    WrongLength { found: usize },
}

impl LinkKey {
    /// A fresh key from the operating system's (or browser's) random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; LINK_KEY_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: [u8; LINK_KEY_BYTES]) -> Self {
        Self(bytes)
    }

    /// Reads the payload's `key`: base64url, padding optional, exactly 32 bytes.
    pub fn from_base64url(text: &str) -> Result<Self, LinkKeyError> {
        let decoded = Zeroizing::new(
            LENIENT_BASE64URL
                .decode(text.trim())
                .map_err(|_| LinkKeyError::NotBase64Url)?,
        );
        let bytes: [u8; LINK_KEY_BYTES] =
            decoded
                .as_slice()
                .try_into()
                .map_err(|_| LinkKeyError::WrongLength {
                    found: decoded.len(),
                })?;
        Ok(Self(bytes))
    }

    /// The payload's `key`: 43 characters of base64url without padding.
    pub fn to_base64url(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.0))
    }

    pub fn as_bytes(&self) -> &[u8; LINK_KEY_BYTES] {
        &self.0
    }
}

impl Clone for LinkKey {
    fn clone(&self) -> Self {
        Self(self.0)
    }
}

/// Compares without an early exit, so equality checks leak no timing about the key.
impl PartialEq for LinkKey {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
    }
}

impl Eq for LinkKey {}

impl Drop for LinkKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkKey(<redacted>)")
    }
}
