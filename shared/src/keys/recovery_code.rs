//! [`RecoveryCode`]: the printable secret shown once at sign-up that unlocks the account
//! when every passkey and device is lost.
//!
//! Format: 7 groups of 5 Crockford base32 characters, `XXXXX-XXXXX-…`. Each group is 4
//! random characters and 1 check character, so 28 × 5 = 140 bits of entropy. The check
//! character is a weighted sum over GF(32), seeded with the group's position; it catches
//! every single-character substitution and every swap of two adjacent different characters
//! within a group, and a group typed in the wrong place, and it names the group to fix.
//! Parsing accepts lower case, spaces, missing dashes and Crockford's confusables
//! (`O` for `0`, `I` and `L` for `1`).

use std::fmt;
use std::str::FromStr;

use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

const GROUPS: usize = 7;
const DATA_PER_GROUP: usize = 4;
const GROUP_LEN: usize = DATA_PER_GROUP + 1;
const SYMBOLS: usize = GROUPS * DATA_PER_GROUP;
const CODE_LEN: usize = GROUPS * GROUP_LEN;

/// Crockford's base32 alphabet: no I, L, O (they read as 1, 1, 0) and no U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A high-entropy account recovery secret. `Display` prints the canonical form to show
/// the user; `FromStr` reads what they type back.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode {
    /// One base32 symbol (0..32) per byte, check characters excluded.
    symbols: [u8; SYMBOLS],
}

/// Why a typed recovery code was refused. Group numbers count from 1, as the user reads
/// the printed code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryCodeError {
    #[error(
        "a recovery code has {CODE_LEN} characters in {GROUPS} groups of {GROUP_LEN}; \
         this has {found}"
    )]
    WrongLength { found: usize },
    #[error("group {group} has {found} characters instead of {GROUP_LEN}")]
    GroupLength { group: usize, found: usize },
    #[error("group {group}: '{character}' is not a character of recovery codes")]
    InvalidCharacter { group: usize, character: char },
    #[error("group {group} has a typo: compare it with the printed code")]
    BadGroup { group: usize },
}

impl RecoveryCode {
    /// A fresh code from the operating system's (or browser's) random source.
    pub fn generate() -> Self {
        let mut symbols = [0u8; SYMBOLS];
        OsRng.fill_bytes(&mut symbols);
        // 256 is a multiple of 32, so masking keeps every symbol uniform.
        for symbol in &mut symbols {
            *symbol &= 0x1f;
        }
        Self { symbols }
    }

    /// What signs in with this code: a hash-like value, derived under its own HKDF label,
    /// that the server keeps (hashed again) to find the account. It reveals neither the
    /// code nor the unlocker derived from it, so the server still cannot unwrap anything.
    pub fn sign_in_verifier(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        hkdf::Hkdf::<sha2::Sha256>::new(None, self.entropy())
            .expand(b"folio/recovery-code/sign-in/v1", &mut out)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }

    /// The secret bytes the unlocker is derived from.
    pub(crate) fn entropy(&self) -> &[u8] {
        &self.symbols
    }
}

impl Drop for RecoveryCode {
    fn drop(&mut self) {
        self.symbols.zeroize();
    }
}

impl fmt::Display for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (group, data) in self.symbols.chunks_exact(DATA_PER_GROUP).enumerate() {
            if group > 0 {
                f.write_str("-")?;
            }
            let mut text = [0u8; GROUP_LEN];
            for (out, &symbol) in text.iter_mut().zip(data) {
                *out = ALPHABET[usize::from(symbol)];
            }
            text[DATA_PER_GROUP] = ALPHABET[usize::from(check_symbol(group, data))];
            f.write_str(std::str::from_utf8(&text).expect("the alphabet is ASCII"))?;
            text.zeroize();
        }
        Ok(())
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(…)")
    }
}

impl FromStr for RecoveryCode {
    type Err = RecoveryCodeError;

    fn from_str(typed: &str) -> Result<Self, RecoveryCodeError> {
        let groups = split_groups(typed)?;
        let mut symbols = [0u8; SYMBOLS];
        for (index, group) in groups.chunks_exact(GROUP_LEN).enumerate() {
            let (data, check) = group.split_at(DATA_PER_GROUP);
            if check_symbol(index, data) != check[0] {
                symbols.zeroize();
                return Err(RecoveryCodeError::BadGroup { group: index + 1 });
            }
            symbols[index * DATA_PER_GROUP..][..DATA_PER_GROUP].copy_from_slice(data);
        }
        Ok(Self { symbols })
    }
}

/// Decodes the typed text into `CODE_LEN` symbols, group by group.
///
/// With exactly seven groups typed (split at dashes or spaces) each group's length is
/// checked on its own, so a dropped character is blamed on its group rather than on the
/// whole code; otherwise the separators are ignored and the characters are regrouped.
fn split_groups(typed: &str) -> Result<Zeroizing<Vec<u8>>, RecoveryCodeError> {
    let tokens: Vec<&str> = typed
        .split(|c: char| c == '-' || c.is_whitespace())
        .filter(|token| !token.is_empty())
        .collect();
    if tokens.len() == GROUPS {
        for (index, token) in tokens.iter().enumerate() {
            let found = token.chars().count();
            if found != GROUP_LEN {
                return Err(RecoveryCodeError::GroupLength {
                    group: index + 1,
                    found,
                });
            }
        }
    }
    let mut symbols = Zeroizing::new(Vec::with_capacity(CODE_LEN));
    for character in tokens.iter().flat_map(|token| token.chars()) {
        let group = symbols.len() / GROUP_LEN + 1;
        let symbol = decode(character).ok_or(RecoveryCodeError::InvalidCharacter {
            group: group.min(GROUPS),
            character,
        })?;
        symbols.push(symbol);
    }
    if symbols.len() != CODE_LEN {
        return Err(RecoveryCodeError::WrongLength {
            found: symbols.len(),
        });
    }
    Ok(symbols)
}

fn decode(character: char) -> Option<u8> {
    let upper = match character.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    let byte = u8::try_from(upper).ok()?;
    ALPHABET
        .iter()
        .position(|&a| a == byte)
        .map(|index| index as u8)
}

/// The check symbol of one group: `(group + 1) + Σ αⁱ⁺¹·dᵢ` over GF(32).
///
/// Over a field every nonzero weight is invertible, so changing any one symbol changes the
/// sum; the weights differ by a factor (1 + α) ≠ 0 between neighbours, so swapping two
/// adjacent different symbols changes it too. The group's position in the sum makes a
/// group typed into the wrong slot fail its check.
fn check_symbol(group: usize, data: &[u8]) -> u8 {
    let mut sum = (group as u8 + 1) & 0x1f;
    let mut weight = ALPHA;
    for &symbol in data {
        sum ^= gf32_mul(weight, symbol);
        weight = gf32_mul(weight, ALPHA);
    }
    sum
}

/// The generator of GF(32) = GF(2)[x] / (x⁵ + x² + 1).
const ALPHA: u8 = 0b00010;
const MODULUS: u8 = 0b100101;

fn gf32_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0b100000 != 0 {
            a ^= MODULUS;
        }
    }
    product
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_generates_every_nonzero_element() {
        let mut seen = [false; 32];
        let mut element = 1;
        for _ in 0..31 {
            seen[usize::from(element)] = true;
            element = gf32_mul(element, ALPHA);
        }
        assert_eq!(element, 1, "α has order 31");
        assert!(seen[1..].iter().all(|&s| s));
    }

    #[test]
    fn multiplication_has_no_zero_divisors() {
        for a in 1..32 {
            for b in 1..32 {
                assert_ne!(gf32_mul(a, b), 0, "{a} × {b}");
            }
        }
    }
}
