//! Getting the account identity out of the server's wraps, and wrapping it for new
//! unlockers and new vaults.
//!
//! The server hands out only wrapped keys (base64url age files); everything here runs in
//! the browser, so the identity and the secrets that open it never leave this page.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use folio_shared::api::account::{AccountUnlock, UnlockKey};
use folio_shared::api::{CreateVault, VaultKeyWrap, VaultSummary};
use folio_shared::keys::{
    AccountIdentity, KeyEpoch, KeyError, RecoveryCode, Unlocker, UnlockerRecipient, VaultIdentity,
    WrappedKey,
};
use uuid::Uuid;

use crate::passkey::PrfOutput;

/// Why signing in with a passkey did not also unlock the account. The unlock page tells the
/// user which, because each has a different remedy.
#[derive(Debug, Clone, PartialEq)]
pub enum Locked {
    /// The authenticator returned no PRF output: it cannot unlock anything, here or later.
    NoPrf,
    /// The passkey has PRF, but the account key was never wrapped to it (it was added where
    /// the PRF output was not available). Unlocking once with the recovery code fixes that.
    NotSetUp { passkey_id: Uuid, prf: PrfOutput },
    /// The wrap is there but did not open.
    Failed(String),
    /// The patient pressed "Lock".
    ByUser,
    /// Nobody used the page for a while ([`crate::components::idle_lock::IDLE_LOCK`]).
    Idle,
}

impl std::fmt::Display for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Locked::NoPrf => f.write_str(
                "This passkey can't unlock your records on this device: your authenticator \
                 doesn't support the PRF extension. Use your recovery code or a linked device.",
            ),
            Locked::NotSetUp { .. } => f.write_str(
                "This passkey signed you in, but it was never set up to unlock your records. \
                 Use your recovery code once: from then on this passkey unlocks them too.",
            ),
            Locked::Failed(why) => write!(
                f,
                "This passkey could not unlock your records ({why}). Use your recovery code \
                 or a linked device."
            ),
            Locked::ByUser => f.write_str(
                "You locked your records: what was decrypted is gone from this page's memory. \
                 Unlock them with your passkey or your recovery code.",
            ),
            Locked::Idle => write!(
                f,
                "Your records locked themselves after {} minutes without use, and what was \
                 decrypted is gone from this page's memory. Unlock them to go on.",
                crate::components::idle_lock::IDLE_LOCK.as_secs() / 60
            ),
        }
    }
}

/// Binary fields travel as base64url without padding.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

pub fn decode_wrapped(wrapped: &str) -> Result<WrappedKey, KeyError> {
    decode(wrapped)
        .map(WrappedKey::from_bytes)
        .ok_or(KeyError::Malformed("not base64url"))
}

/// The account identity wrapped to a passkey's PRF unlocker, to upload.
pub fn wrap_for_passkey(account: &AccountIdentity, prf: &PrfOutput) -> UnlockKey {
    let recipient = Unlocker::from_passkey_prf(prf).recipient();
    UnlockKey {
        wrapped_key: encode(account.wrap_to(&recipient).as_bytes()),
    }
}

/// The account identity wrapped to a linked device's own key (its `age1…` recipient).
pub fn wrap_for_device(account: &AccountIdentity, recipient: &str) -> Result<UnlockKey, KeyError> {
    let recipient: UnlockerRecipient = recipient.parse()?;
    Ok(UnlockKey {
        wrapped_key: encode(account.wrap_to(&recipient).as_bytes()),
    })
}

/// Opens the account identity with the PRF output of the passkey that just signed in.
pub fn unlock_with_passkey(
    unlock: &AccountUnlock,
    passkey_id: Option<Uuid>,
    prf: Option<PrfOutput>,
) -> Result<AccountIdentity, Locked> {
    let prf = prf.ok_or(Locked::NoPrf)?;
    let passkey_id = passkey_id
        .ok_or_else(|| Locked::Failed("the server did not say which passkey signed in".into()))?;
    let Some(wrap) = unlock.passkeys.iter().find(|p| p.passkey_id == passkey_id) else {
        return Err(Locked::NotSetUp { passkey_id, prf });
    };
    decode_wrapped(&wrap.wrapped_key)
        .and_then(|wrapped| wrapped.unwrap_account(&Unlocker::from_passkey_prf(&prf)))
        .map_err(|error| Locked::Failed(error.to_string()))
}

/// Opens the account identity with a PRF output from a passkey the server did not name (an
/// unlock without the server): whichever passkey's wrap it opens.
pub fn unlock_with_any_passkey(
    unlock: &AccountUnlock,
    prf: Option<PrfOutput>,
) -> Result<AccountIdentity, Locked> {
    let unlocker = Unlocker::from_passkey_prf(&prf.ok_or(Locked::NoPrf)?);
    unlock
        .passkeys
        .iter()
        .find_map(|wrap| {
            decode_wrapped(&wrap.wrapped_key)
                .and_then(|wrapped| wrapped.unwrap_account(&unlocker))
                .ok()
        })
        .ok_or_else(|| {
            Locked::Failed(
                "it is not one this device's copy of your records knows; passkeys added since \
                 the last visit online unlock it once the server is back"
                    .into(),
            )
        })
}

/// Opens the account identity with the recovery code.
pub fn unlock_with_recovery_code(
    unlock: &AccountUnlock,
    code: &RecoveryCode,
) -> Result<AccountIdentity, String> {
    let wrapped = unlock
        .recovery
        .as_deref()
        .ok_or("This account has no recovery code any more. Unlock with a passkey instead.")?;
    decode_wrapped(wrapped)
        .and_then(|wrapped| wrapped.unwrap_account(&Unlocker::from_recovery_code(code)))
        .map_err(|error| match error {
            KeyError::NotUnlockedBy(_) => "This is not the current recovery code of this \
                                           account. Check for an older printout."
                .to_owned(),
            other => format!("The recovery code could not unlock your records: {other}."),
        })
}

/// A new vault owned by `account`: a fresh vault identity at the first epoch, wrapped to
/// the account, under a random id.
pub fn new_vault(account: &AccountIdentity) -> CreateVault {
    let vault = VaultIdentity::generate(KeyEpoch::FIRST);
    CreateVault {
        id: Uuid::new_v4(),
        recipient: vault.recipient().to_string(),
        epoch: vault.epoch().0,
        wrapped_key: encode(vault.wrap_to(&account.recipient()).as_bytes()),
        dependant: false,
    }
}

/// Opens a vault's current key, which proves the account can read it.
pub fn unlock_vault(
    account: &AccountIdentity,
    vault: &VaultSummary,
    wraps: &[VaultKeyWrap],
) -> Result<VaultIdentity, KeyError> {
    let current = KeyEpoch(vault.epoch);
    let wrap = wraps
        .iter()
        .find(|wrap| wrap.epoch == vault.epoch)
        .ok_or(KeyError::NotAMember)?;
    decode_wrapped(&wrap.wrapped_key)?.unwrap_vault(account, current)
}
