//! Binary fields of the JSON API: base64url without padding, checked once here.

use base64::Engine as _;

use super::problem::ApiError;

/// The largest wrapped key accepted: an age file holding one X25519 identity to one
/// recipient is about 250 bytes; anything near this is not a wrapped key.
const WRAPPED_KEY_LIMIT: usize = 4096;

pub fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A wrapped key field: base64url of an age file of sane size.
pub fn wrapped_key(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    let bytes = crate::storage::vaults::base64_decode(text)
        .filter(|b| !b.is_empty() && b.len() <= WRAPPED_KEY_LIMIT)
        .filter(|b| b.starts_with(b"age-encryption.org/v1"))
        .ok_or_else(|| {
            ApiError::Unprocessable(format!("`{field}` must be an age file in base64url"))
        })?;
    Ok(bytes)
}

/// A 32-byte secret-derived value (the recovery verifier).
pub fn bytes32(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    crate::storage::vaults::base64_decode(text)
        .filter(|b| b.len() == 32)
        .ok_or_else(|| ApiError::Unprocessable(format!("`{field}` must be 32 bytes in base64url")))
}

/// A user-given name (of a passkey or a device): trimmed, not empty, not absurdly long.
pub fn name(field: &str, text: &str) -> Result<String, ApiError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 100 || trimmed.chars().any(char::is_control)
    {
        return Err(ApiError::Unprocessable(format!(
            "`{field}` must be 1 to 100 printable characters"
        )));
    }
    Ok(trimmed.to_owned())
}
