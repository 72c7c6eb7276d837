//! The question every vault and share route asks first: may this caller take this action in
//! this record? A caregiver's allowed action also goes into the owner's activity log under
//! the name the owner gave them, so the owner sees everything done in their record.

use folio_shared::care::Action;
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::problem::ApiError;
use crate::storage::entity::vault;
use crate::storage::vault_events;
use crate::storage::vaults;

/// The vault, if the caller may take `action` in it; `what` is the activity log's words
/// for it ("added records").
pub async fn authorize(
    state: &AppState,
    principal: &Principal,
    vault_id: Uuid,
    action: Action,
    what: &str,
) -> Result<vault::Model, ApiError> {
    let db = state.storage.db();
    let now = state.config.clock.now();
    let access = vaults::access_for(db, principal.account_id, vault_id, action, now).await?;
    if let Some(caregiver) = &access.caregiver {
        vault_events::record(
            db,
            vault_id,
            Some(principal.account_id),
            &caregiver.name,
            what,
            access.role.as_str(),
        )
        .await?;
    }
    Ok(access.vault)
}
