//! [`SafetyCode`]: what the owner and the caregiver compare before the owner's client wraps
//! the record's key to the caregiver.
//!
//! The server hands each side the other's public key, so a malicious server could hand the
//! owner a key of its own and read everything wrapped to it. The code is derived from the
//! record's id and *both* public keys as each side sees them; if the server substituted
//! either key, the two screens show different codes and the owner refuses.
//!
//! The caregiver's signing key, which the owner's client then adds to the record's member
//! list, is bound the same way: a caregiver's client always puts its own in, so a server
//! that swaps or drops it changes the owner's code.
//!
//! Because the server chooses the keys it substitutes, it could search for two keys whose
//! codes collide (a birthday search over both sides), so the code is long (30 digits,
//! about 100 bits) and each derivation costs a few thousand hashes, as Signal's safety
//! numbers do.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::keys::{AccountRecipient, SigningPublicKey};
use crate::vault::VaultId;

/// Hash iterations per derivation: slows a collision search, not a phone.
const ITERATIONS: usize = 4096;
const GROUPS: usize = 6;
const GROUP_DIGITS: u64 = 100_000;

/// Thirty digits in six groups of five, the same on both screens when no key was swapped.
#[derive(Clone, PartialEq, Eq)]
pub struct SafetyCode([u32; GROUPS]);

impl SafetyCode {
    /// The code for `caregiver` helping with `vault`, owned by `owner`, with the signing
    /// key the caregiver's writes will carry (none only for an account that has not
    /// registered one). The order matters: each key is bound to its part.
    pub fn derive(
        vault: VaultId,
        owner: &AccountRecipient,
        caregiver: &AccountRecipient,
        caregiver_signing_key: Option<&SigningPublicKey>,
    ) -> Self {
        let owner = owner.to_string();
        let caregiver = caregiver.to_string();
        let mut first = Sha256::new()
            .chain_update(b"folio-safety-code-v1\0")
            .chain_update(vault.0.as_bytes())
            .chain_update(owner.as_bytes())
            .chain_update(b"\0")
            .chain_update(caregiver.as_bytes());
        if let Some(key) = caregiver_signing_key {
            first = first
                .chain_update(b"\0signing key\0")
                .chain_update(key.as_bytes());
        }
        let mut digest: [u8; 32] = first.finalize().into();
        for _ in 0..ITERATIONS {
            digest = Sha256::new()
                .chain_update(digest)
                .chain_update(owner.as_bytes())
                .chain_update(caregiver.as_bytes())
                .finalize()
                .into();
        }
        let mut groups = [0u32; GROUPS];
        for (group, chunk) in groups.iter_mut().zip(digest.chunks_exact(5)) {
            let value = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            *group = (value % GROUP_DIGITS) as u32;
        }
        SafetyCode(groups)
    }

    /// Whether a code typed or pasted from the other screen is this one; spaces, dashes
    /// and other separators are ignored.
    pub fn matches(&self, typed: &str) -> bool {
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        digits == self.to_string().replace(' ', "")
    }
}

impl fmt::Display for SafetyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{group:05}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for SafetyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafetyCode({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::AccountIdentity;
    use uuid::Uuid;

    fn recipient() -> AccountRecipient {
        AccountIdentity::generate().recipient()
    }

    #[test]
    fn both_sides_derive_the_same_code_from_the_same_keys() {
        let (vault, owner, caregiver) = (VaultId(Uuid::new_v4()), recipient(), recipient());
        let on_owner_screen = SafetyCode::derive(vault, &owner, &caregiver, None);
        let on_caregiver_screen =
            SafetyCode::derive(vault, &owner.clone(), &caregiver.clone(), None);
        assert_eq!(on_owner_screen, on_caregiver_screen);
        let shown = on_owner_screen.to_string();
        assert_eq!(shown.len(), 35, "{shown}");
        assert!(on_caregiver_screen.matches(&shown));
        assert!(on_caregiver_screen.matches(&shown.replace(' ', "-")));
    }

    #[test]
    fn a_swapped_key_or_another_record_changes_the_code() {
        let (vault, owner, caregiver) = (VaultId(Uuid::new_v4()), recipient(), recipient());
        let code = SafetyCode::derive(vault, &owner, &caregiver, None);
        let server_key = recipient();
        assert_ne!(code, SafetyCode::derive(vault, &owner, &server_key, None));
        assert_ne!(
            code,
            SafetyCode::derive(vault, &server_key, &caregiver, None)
        );
        assert_ne!(code, SafetyCode::derive(vault, &caregiver, &owner, None));
        assert_ne!(
            code,
            SafetyCode::derive(VaultId(Uuid::new_v4()), &owner, &caregiver, None)
        );
        assert!(!code.matches(&SafetyCode::derive(vault, &owner, &server_key, None).to_string()));
        assert!(!code.matches(""));
    }

    #[test]
    fn a_swapped_or_dropped_signing_key_changes_the_code() {
        use crate::keys::SigningKey;
        let (vault, owner, caregiver) = (VaultId(Uuid::new_v4()), recipient(), recipient());
        let theirs = SigningKey::generate().public_key();
        let code = SafetyCode::derive(vault, &owner, &caregiver, Some(&theirs));
        assert_eq!(
            code,
            SafetyCode::derive(vault, &owner, &caregiver, Some(&theirs))
        );
        let servers = SigningKey::generate().public_key();
        assert_ne!(
            code,
            SafetyCode::derive(vault, &owner, &caregiver, Some(&servers))
        );
        assert_ne!(code, SafetyCode::derive(vault, &owner, &caregiver, None));
    }
}
