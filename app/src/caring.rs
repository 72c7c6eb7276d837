//! The owner's side of caregivers in the browser: confirming one (the vault keys wrapped to
//! them only when the safety codes match) and rotating the record's key after removing one,
//! the same steps as `folio care confirm` and `folio care revoke`.

use folio_shared::api::care::Caregiver;
use folio_shared::care::{
    ConfirmError, add_caregiver, rotation_head, rotation_with_members, wrap_for_caregiver,
};
use folio_shared::keys::AccountIdentity;
use folio_shared::vault::rotate_opened;

use crate::api;
use crate::member_list;
use crate::record::{OpenRecord, read_log};

/// Confirms `caregiver` if `their_code` (what their screen shows) matches ours.
pub async fn confirm(
    record: &OpenRecord,
    owner: &AccountIdentity,
    caregiver: &Caregiver,
    their_code: &str,
) -> Result<Caregiver, String> {
    let recipient = caregiver
        .recipient
        .as_deref()
        .ok_or("The server sent no key for this caregiver.")?;
    let confirmation = wrap_for_caregiver(
        &record.keyring,
        &owner.recipient(),
        recipient,
        caregiver.signing_key.as_ref(),
        their_code,
    )
        .map_err(|e| match e {
            ConfirmError::CodeMismatch => {
                "The codes differ, so nothing was shared. Check the code with them again; if it still differs, remove them and invite them again.".to_owned()
            }
            other => other.to_string(),
        })?;
    // Under a member list they join it first: a member the server has not confirmed can do
    // nothing, while the other order would leave a confirmed caregiver whose writes every
    // client sets aside.
    if let Some(roster) = &record.roster {
        let joining = add_caregiver(roster, &record.signer, caregiver, crate::dates::now())
            .map_err(|e| format!("Nothing was shared: {e}."))?;
        api::append_roster(record.id(), &joining)
            .await
            .map_err(|e| format!("Nothing was shared: {e}."))?;
        member_list::checked(record.id()).await?;
    }
    api::confirm_caregiver(record.id(), caregiver.id, &confirmation)
        .await
        .map_err(|e| e.to_string())
}

/// Removes `caregiver`, then rotates the record to a new key wrapped to the owner and to
/// every caregiver who keeps access, so keys the removed one kept open nothing new.
/// Returns the new key epoch.
pub async fn remove_and_rotate(
    record: &OpenRecord,
    owner: &AccountIdentity,
    owner_id: uuid::Uuid,
    caregiver: &Caregiver,
) -> Result<u32, String> {
    api::remove_caregiver(record.id(), caregiver.id)
        .await
        .map_err(|e| e.to_string())?;
    rotate_key(record, owner, owner_id).await
}

/// Rotates the record to a new key wrapped to the owner and every caregiver who keeps
/// access: after a removal, or to finish one that a closed page left due.
pub async fn rotate_key(
    record: &OpenRecord,
    owner: &AccountIdentity,
    owner_id: uuid::Uuid,
) -> Result<u32, String> {
    let vault = record.id();
    // The list as it is now, not as the page opened it: another change may have come since.
    let roster = member_list::checked(vault).await?;
    let (log, generation, last_seq) = read_log(vault).await?;
    let opened = member_list::open_log(vault, &record.keyring, roster.as_ref(), &log).await?;
    let rotation = rotate_opened(&record.keyring, opened).map_err(|e| e.to_string())?;
    let caregivers = api::caregivers(vault).await.map_err(|e| e.to_string())?;
    let head = match roster {
        None => rotation_head(
            &rotation,
            generation,
            last_seq as i64,
            (owner_id, &owner.recipient()),
            &caregivers,
        )
        .map_err(|e| e.to_string())?,
        Some(roster) => rotation_with_members(
            &roster,
            &record.signer,
            &caregivers,
            &rotation,
            generation,
            last_seq as i64,
            crate::dates::now(),
        )
        .map_err(|e| e.to_string())?,
    };
    let done = api::compact(vault, &head, &rotation.segments, &record.signer)
        .await
        .map_err(|e| {
            format!("The record's key was not rotated ({e}); remove them again to finish.")
        })?;
    if head.roster.is_some() {
        member_list::checked(vault).await?;
    }
    Ok(done.epoch)
}
