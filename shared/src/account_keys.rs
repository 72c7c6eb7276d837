//! Replacing an account's keys, as revoking a device needs: a revoked device (or whoever
//! took it) kept the account identity, and with it every vault key wrapped to the account
//! and the signing key derived from it.
//!
//! The revoking client makes a new identity and wraps it only to unlockers whose secret it
//! holds at this moment (the passkey that just confirmed it's you, its own device key, and a
//! new recovery code): the server holds the public half of every other unlocker and could
//! have swapped it. Every vault key the account holds is re-wrapped to the new recipient,
//! and each record's member list gets a `MemberKeys` entry signed with the old key, so that
//! writes signed with the new key count as the member's from then on. Both clients build the
//! request here; `POST /api/v1/account/key-rotations` stores it in one transaction.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::api::account::RecoverySetup;
use crate::api::account_keys::{
    AccountKeyRotation, AccountVaultKey, MemberKeysUpdate, RotatedPasskeyUnlock,
};
use crate::api::roster::AccountSigningKey;
use crate::keys::{
    AccountIdentity, KeyEpoch, KeyError, RecoveryCode, SigningKey, Unlocker, WrappedKey,
};
use crate::roster::{Roster, RosterAppend, RosterChange, RosterError};
use crate::vault::VaultId;

/// A vault key the account holds, as the server returned it.
#[derive(Debug, Clone)]
pub struct HeldVaultKey {
    pub vault: VaultId,
    pub epoch: KeyEpoch,
    pub wrapped: WrappedKey,
}

/// The unlockers the caller proves it holds right now, which keep their way in.
#[derive(Debug, Default)]
pub struct KeptUnlockers<'a> {
    /// The passkey that confirmed it's you, with the unlocker of its PRF output.
    pub passkey: Option<(Uuid, &'a Unlocker)>,
    /// The calling device's own key.
    pub device: Option<&'a Unlocker>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountKeysError {
    #[error(
        "the key of record {vault} (epoch {epoch}) does not open with your account, so it \
         cannot be moved to your new keys: {source}"
    )]
    VaultKey {
        vault: VaultId,
        epoch: KeyEpoch,
        #[source]
        source: KeyError,
    },
    #[error("your keys could not be replaced in the member list of record {vault}: {source}")]
    MemberList {
        vault: VaultId,
        #[source]
        source: RosterError,
    },
}

/// The new keys, kept by the client, and the request that hands their public halves and
/// wraps to the server.
pub struct ReplacedAccountKeys {
    pub identity: AccountIdentity,
    pub signing_key: SigningKey,
    /// Shown to the user once: the old code stops working.
    pub recovery_code: RecoveryCode,
    pub request: AccountKeyRotation,
    /// The member lists with the new entry, for the client to pin once the server took them.
    pub member_lists: Vec<Roster>,
}

/// Builds the replacement of `old`, the identity of `account`. `held` is every vault key
/// the server holds for the account; `lists` the verified member lists of the records the
/// account belongs to (lists that do not name the account are left alone).
pub fn replace_account_keys(
    account: Uuid,
    old: &AccountIdentity,
    held: &[HeldVaultKey],
    lists: &[Roster],
    keep: KeptUnlockers<'_>,
    revoke_device: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<ReplacedAccountKeys, AccountKeysError> {
    let identity = AccountIdentity::generate();
    let recipient = identity.recipient();
    let signing_key = SigningKey::of_account(&identity);
    let recovery_code = RecoveryCode::generate();

    let mut vault_keys = Vec::with_capacity(held.len());
    for key in held {
        let vault_key = key.wrapped.unwrap_vault(old, key.epoch).map_err(|source| {
            AccountKeysError::VaultKey {
                vault: key.vault,
                epoch: key.epoch,
                source,
            }
        })?;
        vault_keys.push(AccountVaultKey {
            vault_id: key.vault.0,
            epoch: key.epoch.0,
            wrapped_key: b64(vault_key.wrap_to(&recipient).as_bytes()),
        });
    }

    let old_signing_key = SigningKey::of_account(old);
    let mut updates = Vec::new();
    let mut member_lists = Vec::new();
    for list in lists.iter().filter(|list| list.member(account).is_some()) {
        let vault = list.vault();
        let after = list.head().seq;
        let mut append = RosterAppend::after(list.clone(), &old_signing_key);
        let change = RosterChange::MemberKeys {
            account,
            signing_key: signing_key.public_key(),
            recipient: recipient.clone(),
        };
        let entry = append
            .push(change, now)
            .map_err(|source| AccountKeysError::MemberList { vault, source })?
            .clone();
        updates.push(MemberKeysUpdate {
            vault_id: vault.0,
            after,
            entry,
        });
        member_lists.push(append.finish().0);
    }

    let request = AccountKeyRotation {
        revoke_device,
        previous_recipient: old.recipient().to_string(),
        account_recipient: recipient.to_string(),
        signing_key: AccountSigningKey::of(&signing_key, &identity),
        recovery: RecoverySetup::of(&identity, &recovery_code),
        passkey: keep
            .passkey
            .map(|(passkey_id, unlocker)| RotatedPasskeyUnlock {
                passkey_id,
                wrapped_key: b64(identity.wrap_to(&unlocker.recipient()).as_bytes()),
            }),
        device_wrapped_key: keep
            .device
            .map(|unlocker| b64(identity.wrap_to(&unlocker.recipient()).as_bytes())),
        vault_keys,
        member_lists: updates,
    };
    Ok(ReplacedAccountKeys {
        identity,
        signing_key,
        recovery_code,
        request,
        member_lists,
    })
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
