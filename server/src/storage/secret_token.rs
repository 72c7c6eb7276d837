//! Secrets the server hands out once and then knows only by hash: device tokens, session
//! tokens and pairing codes.
//!
//! Looking a secret up by its SHA-256 needs no constant-time comparison: an attacker who
//! could time the index lookup learns about a hash, not about any secret.

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// `prefix` followed by 32 random bytes in base64url: 256 bits, unguessable.
pub fn generate(prefix: &str) -> String {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    )
}

/// What the database keeps of a secret.
pub fn hash(secret: &[u8]) -> Vec<u8> {
    Sha256::digest(secret).to_vec()
}
