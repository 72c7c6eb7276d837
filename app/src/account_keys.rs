//! Revoking a device from the settings page, which gives the account new keys
//! (`folio_shared::account_keys`): whoever holds the revoked device kept the old account
//! identity, so nothing made afterwards may be wrapped to it. The new identity is wrapped to
//! the passkey that confirms it's you (its PRF output from that very answer) and to a new
//! recovery code; then each record this account owns gets a new key.

use folio_shared::account_keys::{HeldVaultKey, KeptUnlockers, replace_account_keys};
use folio_shared::keys::{KeyEpoch, RecoveryCode, Unlocker};
use folio_shared::vault::VaultId;
use uuid::Uuid;

use crate::api;
use crate::caring;
use crate::ceremonies::{self, CONFIRM_PROMPT, Failure};
use crate::member_list;
use crate::record::OpenRecord;
use crate::session::Session;
use crate::unlocking;

/// What the patient is shown after a revocation.
pub struct NewKeys {
    /// Shown once: the old code no longer works.
    pub recovery_code: RecoveryCode,
    /// The passkey that confirmed could not give a PRF output, so only the recovery code
    /// unlocks the account on the next sign-in.
    pub passkey_kept: bool,
    /// Records of this account that still need a new key (their names), if rotating one
    /// failed: the caregivers page offers it again.
    pub records_due: Vec<String>,
}

/// Revokes `device` and replaces the account's keys; `announce` shows the passkey prompt.
pub async fn revoke_device(
    session: Session,
    device: Uuid,
    announce: impl Fn(&'static str),
) -> Result<NewKeys, Failure> {
    let old = session.account_identity().ok_or(Failure::NotUnlocked)?;
    let account_id = session
        .info_untracked()
        .ok_or(Failure::NotUnlocked)?
        .account_id;
    announce(CONFIRM_PROMPT);
    let (passkey_id, prf) = ceremonies::confirm_keeping_prf().await?;

    let held = api::held_vault_keys()
        .await?
        .into_iter()
        .map(|key| {
            let wrapped = unlocking::decode_wrapped(&key.wrapped_key).map_err(|_| {
                Failure::Keys("Folio's server sent a record key that is not readable.".into())
            })?;
            Ok(HeldVaultKey {
                vault: VaultId(key.vault_id),
                epoch: KeyEpoch(key.epoch),
                wrapped,
            })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    let records = api::vaults().await?;
    let mut lists = Vec::new();
    for record in &records {
        if let Some(list) = member_list::checked(VaultId(record.id))
            .await
            .map_err(Failure::Keys)?
        {
            lists.push(list);
        }
    }
    let passkey_unlocker = prf.map(|prf| Unlocker::from_passkey_prf(&prf));
    let replaced = replace_account_keys(
        account_id,
        &old,
        &held,
        &lists,
        KeptUnlockers {
            passkey: passkey_unlocker
                .as_ref()
                .map(|unlocker| (passkey_id, unlocker)),
            device: None,
        },
        Some(device),
        crate::dates::now(),
    )
    .map_err(|e| Failure::Keys(e.to_string()))?;
    let rotated = api::rotate_account_keys(&replaced.request).await?;
    session.unlocked(replaced.identity.clone());

    // The revoked device could open the current key of every record this account owns.
    let mut records_due = Vec::new();
    let summaries = api::vaults().await.unwrap_or(records);
    for id in rotated.rotation_due {
        let Some(summary) = summaries.iter().find(|s| s.id == id).cloned() else {
            continue;
        };
        match OpenRecord::open(session, summary).await {
            Ok(record) => {
                if caring::rotate_key(&record, &replaced.identity, account_id)
                    .await
                    .is_err()
                {
                    records_due.push(record.label());
                }
            }
            Err(_) => records_due.push(format!("record {}", &id.to_string()[..8])),
        }
    }
    Ok(NewKeys {
        recovery_code: replaced.recovery_code,
        passkey_kept: passkey_unlocker.is_some(),
        records_due,
    })
}
