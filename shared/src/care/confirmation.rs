//! The owner's client confirming a caregiver: the only place a vault key is wrapped to
//! someone else, and only once the safety code the caregiver reads out matches.

use base64::Engine as _;

use crate::api::VaultKeyWrap;
use crate::api::care::ConfirmCaregiver;
use crate::keys::{AccountRecipient, SigningPublicKey};
use crate::vault::VaultKeyring;

use super::SafetyCode;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfirmError {
    #[error("the server gave no usable key for this caregiver")]
    NoRecipient,
    #[error(
        "the safety codes differ: the key the server gave for this caregiver is not the one on their screen, so nothing was shared; remove the caregiver and invite them again"
    )]
    CodeMismatch,
}

/// The code the owner's screen shows for a caregiver whose keys the server reported as
/// `caregiver_recipient` and `caregiver_signing_key`.
pub fn owner_safety_code(
    keyring: &VaultKeyring,
    owner: &AccountRecipient,
    caregiver_recipient: &str,
    caregiver_signing_key: Option<&SigningPublicKey>,
) -> Result<SafetyCode, ConfirmError> {
    let caregiver: AccountRecipient = caregiver_recipient
        .parse()
        .map_err(|_| ConfirmError::NoRecipient)?;
    Ok(SafetyCode::derive(
        keyring.vault_id(),
        owner,
        &caregiver,
        caregiver_signing_key,
    ))
}

/// Wraps every key of `keyring` to the caregiver, if the code on the caregiver's screen
/// (`their_code`, typed or read out) is the one derived here from the key the server gave.
pub fn wrap_for_caregiver(
    keyring: &VaultKeyring,
    owner: &AccountRecipient,
    caregiver_recipient: &str,
    caregiver_signing_key: Option<&SigningPublicKey>,
    their_code: &str,
) -> Result<ConfirmCaregiver, ConfirmError> {
    let code = owner_safety_code(keyring, owner, caregiver_recipient, caregiver_signing_key)?;
    if !code.matches(their_code) {
        return Err(ConfirmError::CodeMismatch);
    }
    let caregiver: AccountRecipient = caregiver_recipient
        .parse()
        .map_err(|_| ConfirmError::NoRecipient)?;
    let wrapped_keys = keyring
        .identities()
        .map(|identity| VaultKeyWrap {
            epoch: identity.epoch().0,
            wrapped_key: base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(identity.wrap_to(&caregiver).as_bytes()),
        })
        .collect();
    Ok(ConfirmCaregiver { wrapped_keys })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{AccountIdentity, KeyEpoch, VaultIdentity, WrappedKey};
    use crate::vault::VaultId;

    #[test]
    fn the_owner_wraps_only_when_the_codes_match() {
        let owner = AccountIdentity::generate();
        let caregiver = AccountIdentity::generate();
        let keyring = VaultKeyring::new(
            VaultId(uuid::Uuid::new_v4()),
            VaultIdentity::generate(KeyEpoch::FIRST),
        );
        let on_their_screen = SafetyCode::derive(
            keyring.vault_id(),
            &owner.recipient(),
            &caregiver.recipient(),
            None,
        )
        .to_string();

        // A malicious server reports its own key as the caregiver's.
        let server = AccountIdentity::generate();
        let swapped = wrap_for_caregiver(
            &keyring,
            &owner.recipient(),
            &server.recipient().to_string(),
            None,
            &on_their_screen,
        );
        assert_eq!(swapped.unwrap_err(), ConfirmError::CodeMismatch);

        let confirmed = wrap_for_caregiver(
            &keyring,
            &owner.recipient(),
            &caregiver.recipient().to_string(),
            None,
            &on_their_screen,
        )
        .unwrap();
        assert_eq!(confirmed.wrapped_keys.len(), 1);
        let wrapped = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&confirmed.wrapped_keys[0].wrapped_key)
            .unwrap();
        let opened = WrappedKey::from_bytes(wrapped)
            .unwrap_vault(&caregiver, KeyEpoch::FIRST)
            .unwrap();
        assert_eq!(opened.recipient(), keyring.current().recipient());
    }
}
