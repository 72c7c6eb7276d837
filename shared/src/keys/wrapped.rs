//! [`WrappedKey`]: a private key encrypted to one recipient, the only form in which the
//! server ever holds a private key.
//!
//! A wrap is a binary age file. Its plaintext starts with a line naming what it holds and
//! the format version, so a wrapped vault key can never be unwrapped as an account key (or
//! the reverse), and a vault key's epoch sits inside the authenticated plaintext: the
//! server cannot pass off an old epoch's wrap as the current one.

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::age_file::{self, AgeFailure};
use super::error::KeyError;
use super::identity::{
    AccountIdentity, AccountRecipient, KeyEpoch, VaultIdentity, parse_secret_key, secret_key_string,
};
use super::unlock::{Unlocker, UnlockerRecipient};

const ACCOUNT_KEY_TAG: &str = "folio-account-key/v1";
const VAULT_KEY_TAG: &str = "folio-vault-key/v1";

/// A private key encrypted to one recipient (binary age format). Safe to store on the
/// server and to send over the wire: only the matching identity opens it.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey(Vec<u8>);

impl WrappedKey {
    /// Takes the bytes of a wrap as stored; they are checked when unwrapped.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Recovers the account identity with one of the account's unlockers.
    pub fn unwrap_account(&self, unlocker: &Unlocker) -> Result<AccountIdentity, KeyError> {
        let plaintext =
            age_file::open(std::iter::once(&unlocker.identity), &self.0).map_err(|failure| {
                match failure {
                    AgeFailure::NoMatchingKey => KeyError::NotUnlockedBy(unlocker.kind),
                    AgeFailure::Tampered => KeyError::Tampered,
                    AgeFailure::Truncated => KeyError::Truncated,
                }
            })?;
        let plaintext = Zeroizing::new(plaintext);
        let mut lines = lines(&plaintext)?;
        expect_tag(lines.next(), ACCOUNT_KEY_TAG)?;
        let secret = lines.next().ok_or(KeyError::Malformed("no secret key"))?;
        if lines.next().is_some() {
            return Err(KeyError::Malformed("unexpected lines after the secret key"));
        }
        Ok(AccountIdentity(parse_secret_key(secret)?))
    }

    /// Recovers the vault identity with a member's account identity, refusing a wrap of
    /// any epoch other than `expected`: the epoch a client asks for comes from its own
    /// state or a segment header, so a mismatch means a stale or substituted wrap.
    pub fn unwrap_vault(
        &self,
        account: &AccountIdentity,
        expected: KeyEpoch,
    ) -> Result<VaultIdentity, KeyError> {
        let plaintext = age_file::open(std::iter::once(&account.0), &self.0).map_err(
            |failure| match failure {
                AgeFailure::NoMatchingKey => KeyError::NotAMember,
                AgeFailure::Tampered => KeyError::Tampered,
                AgeFailure::Truncated => KeyError::Truncated,
            },
        )?;
        let plaintext = Zeroizing::new(plaintext);
        let mut lines = lines(&plaintext)?;
        expect_tag(lines.next(), VAULT_KEY_TAG)?;
        let epoch = lines
            .next()
            .and_then(|line| line.strip_prefix("epoch "))
            .and_then(|n| n.parse().ok())
            .map(KeyEpoch)
            .ok_or(KeyError::Malformed("no key epoch"))?;
        let secret = lines.next().ok_or(KeyError::Malformed("no secret key"))?;
        if lines.next().is_some() {
            return Err(KeyError::Malformed("unexpected lines after the secret key"));
        }
        if epoch != expected {
            return Err(KeyError::WrongEpoch {
                expected,
                found: epoch,
            });
        }
        Ok(VaultIdentity::from_parts(parse_secret_key(secret)?, epoch))
    }
}

impl std::fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WrappedKey({} bytes)", self.0.len())
    }
}

pub(super) fn wrap_account(account: &AccountIdentity, to: &UnlockerRecipient) -> WrappedKey {
    let secret = secret_key_string(&account.0);
    let plaintext = Zeroizing::new(format!("{ACCOUNT_KEY_TAG}\n{}\n", secret.expose_secret()));
    seal(&to.0, &plaintext)
}

pub(super) fn wrap_vault(vault: &VaultIdentity, to: &AccountRecipient) -> WrappedKey {
    let secret = secret_key_string(&vault.key);
    let plaintext = Zeroizing::new(format!(
        "{VAULT_KEY_TAG}\nepoch {}\n{}\n",
        vault.epoch().0,
        secret.expose_secret()
    ));
    seal(&to.0, &plaintext)
}

fn seal(recipient: &age::x25519::Recipient, plaintext: &str) -> WrappedKey {
    let mut out = Vec::with_capacity(256);
    age_file::seal(recipient, plaintext.as_bytes(), &mut out);
    WrappedKey(out)
}

fn lines(plaintext: &[u8]) -> Result<std::str::SplitTerminator<'_, char>, KeyError> {
    let text = std::str::from_utf8(plaintext).map_err(|_| KeyError::Malformed("not UTF-8"))?;
    if !text.ends_with('\n') {
        return Err(KeyError::Malformed("no final newline"));
    }
    Ok(text.split_terminator('\n'))
}

fn expect_tag(line: Option<&str>, expected: &'static str) -> Result<(), KeyError> {
    match line {
        Some(tag) if tag == expected => Ok(()),
        Some(ACCOUNT_KEY_TAG) => Err(KeyError::WrongKind {
            expected: kind_name(expected),
            found: kind_name(ACCOUNT_KEY_TAG),
        }),
        Some(VAULT_KEY_TAG) => Err(KeyError::WrongKind {
            expected: kind_name(expected),
            found: kind_name(VAULT_KEY_TAG),
        }),
        _ => Err(KeyError::Malformed("unknown key type or format version")),
    }
}

fn kind_name(tag: &str) -> &'static str {
    if tag == VAULT_KEY_TAG {
        "a vault key"
    } else {
        "an account key"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::UnlockerKind;

    /// One X25519 key playing both an account and an unlocker, as a confused or hostile
    /// client could arrange, to reach the checks behind decryption.
    fn one_key_two_roles() -> (AccountIdentity, Unlocker) {
        let key = age::x25519::Identity::generate();
        let unlocker = Unlocker {
            identity: key.clone(),
            kind: UnlockerKind::Device,
        };
        (AccountIdentity(key), unlocker)
    }

    #[test]
    fn a_wrapped_vault_key_is_not_taken_for_an_account_key() {
        let (account, unlocker) = one_key_two_roles();
        let wrapped = VaultIdentity::generate(KeyEpoch::FIRST).wrap_to(&account.recipient());
        assert_eq!(
            wrapped.unwrap_account(&unlocker).unwrap_err(),
            KeyError::WrongKind {
                expected: "an account key",
                found: "a vault key"
            }
        );
    }

    #[test]
    fn a_wrapped_account_key_is_not_taken_for_a_vault_key() {
        let (account, unlocker) = one_key_two_roles();
        let wrapped = AccountIdentity::generate().wrap_to(&unlocker.recipient());
        assert_eq!(
            wrapped.unwrap_vault(&account, KeyEpoch::FIRST).unwrap_err(),
            KeyError::WrongKind {
                expected: "a vault key",
                found: "an account key"
            }
        );
    }

    #[test]
    fn malformed_plaintexts_are_refused() {
        let (account, _) = one_key_two_roles();
        let secret = secret_key_string(&age::x25519::Identity::generate());
        let secret = secret.expose_secret();
        for plaintext in [
            "".to_owned(),
            "folio-vault-key/v9\nepoch 1\nx\n".to_owned(),
            format!("{VAULT_KEY_TAG}\nepoch one\n{secret}\n"),
            format!("{VAULT_KEY_TAG}\nepoch 1\n{secret}"),
            format!("{VAULT_KEY_TAG}\nepoch 1\n{secret}\nextra\n"),
            format!("{VAULT_KEY_TAG}\nepoch 1\n"),
        ] {
            let wrapped = seal(&account.recipient().0, &plaintext);
            let error = wrapped.unwrap_vault(&account, KeyEpoch(1)).unwrap_err();
            assert!(
                matches!(error, KeyError::Malformed(_)),
                "{plaintext:?}: {error:?}"
            );
        }
        let wrapped = seal(
            &account.recipient().0,
            &format!("{VAULT_KEY_TAG}\nepoch 1\nAGE-SECRET-KEY-1NOTAKEY\n"),
        );
        assert!(matches!(
            wrapped.unwrap_vault(&account, KeyEpoch(1)),
            Err(KeyError::InvalidSecretKey(_))
        ));
    }
}
