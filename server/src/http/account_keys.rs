//! Replacing the account's keys, as revoking a device needs (`shared/src/account_keys.rs`
//! builds the request on the client): the vault keys the account holds, and the rotation
//! that stores a new identity's public half and wraps in one transaction.

use axum::Json;
use axum::extract::State;
use folio_shared::api::Problem;
use folio_shared::api::account::AccountCriticalAction;
use folio_shared::api::account_keys::{AccountKeyRotation, AccountKeysRotated, AccountVaultKey};
use folio_shared::keys::AccountRecipient;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::AppState;
use super::auth::{Principal, SignedInWith};
use super::fresh_proof;
use super::json::ApiJson;
use super::problem::ApiError;
use super::wire;
use crate::storage::account_keys::{self, AccountKeysError, Caller, NewAccountKeys};
use crate::storage::entity::vault_key;

/// The largest rotation request: a wrapped key is about 340 characters and a member-list
/// entry about 400, so 1 MiB carries well over a thousand records' keys.
pub const ROTATION_LIMIT: usize = 1024 * 1024;

/// Every vault key wrapped to this account, in every record and epoch: what a client
/// re-wraps when it replaces the account's keys.
#[utoipa::path(get, path = "/api/v1/account/vault-keys", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    responses((status = 200, description = "The account's wrapped vault keys", body = Vec<AccountVaultKey>)))]
pub async fn list_vault_keys(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<AccountVaultKey>>, ApiError> {
    let rows = vault_key::Entity::find()
        .filter(vault_key::Column::AccountId.eq(principal.account_id))
        .order_by_asc(vault_key::Column::VaultId)
        .order_by_asc(vault_key::Column::Epoch)
        .all(state.storage.db())
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| AccountVaultKey {
                vault_id: row.vault_id,
                epoch: row.epoch as u32,
                wrapped_key: wire::encode(&row.wrapped_key),
            })
            .collect(),
    ))
}

/// Replaces the account's keys: a new recipient and signing key, the identity wrapped to
/// the confirming passkey, the calling device and a new recovery code only, every vault key
/// re-wrapped, a new-keys entry in each member list; every other device and session is
/// signed out, and the records the account owns are due a key rotation. Needs a fresh proof.
#[utoipa::path(post, path = "/api/v1/account/key-rotations", tag = "accounts",
    security(("device_token" = []), ("session" = [])), request_body = AccountKeyRotation,
    responses(
        (status = 200, description = "Replaced", body = AccountKeysRotated),
        (status = 403, description = "No fresh proof, or a member-list entry not signed with this account's key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such device or passkey for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The keys or a member list changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Well-formed, but against the route's rules; the problem says which", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn rotate_keys(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<AccountKeyRotation>,
) -> Result<Json<AccountKeysRotated>, ApiError> {
    fresh_proof::require(&state, &principal, AccountCriticalAction::RevokeDevice).await?;
    let caller = match &principal.via {
        SignedInWith::Device(device) => Caller::Device(device.id),
        SignedInWith::Session(session) => Caller::Session(session.id),
    };
    let new = checked(&request, caller)?;
    let rotated = account_keys::replace(
        state.storage.db(),
        principal.account_id,
        caller,
        &new,
        state.config.clock.now(),
    )
    .await
    .map_err(|e| {
        let message = e.to_string();
        match e {
            AccountKeysError::RecipientMoved | AccountKeysError::KeysMoved { .. } => {
                ApiError::Conflict(message)
            }
            AccountKeysError::NoSuchDevice | AccountKeysError::NoSuchPasskey => {
                ApiError::NotFound(message)
            }
            AccountKeysError::RevokesItself
            | AccountKeysError::MemberListMissing(_)
            | AccountKeysError::NotTheNewKeys(_) => ApiError::Unprocessable(message),
            AccountKeysError::MemberList { source, .. } => match ApiError::from(source) {
                // Keep the record's id in the message.
                ApiError::Conflict(_) => ApiError::Conflict(message),
                ApiError::Forbidden(_) => ApiError::Forbidden(message),
                ApiError::Unprocessable(_) => ApiError::Unprocessable(message),
                other => other,
            },
            AccountKeysError::Db(e) => e.into(),
        }
    })?;
    tracing::info!(
        account = %principal.account_id,
        devices_signed_out = rotated.devices_signed_out,
        "account keys replaced"
    );
    Ok(Json(AccountKeysRotated {
        devices_signed_out: rotated.devices_signed_out,
        sessions_ended: rotated.sessions_ended,
        vault_keys: new.vault_keys.len(),
        member_lists: new.member_lists.len(),
        rotation_due: rotated.rotation_due,
    }))
}

/// The request's fields parsed and decoded, or a 422 naming the first bad one.
fn checked(request: &AccountKeyRotation, caller: Caller) -> Result<NewAccountKeys, ApiError> {
    let recipient: AccountRecipient = request.account_recipient.parse().map_err(|_| {
        ApiError::Unprocessable("`account_recipient` must be an age X25519 recipient".into())
    })?;
    if request.account_recipient == request.previous_recipient {
        return Err(ApiError::Unprocessable(
            "`account_recipient` must be a new recipient, not the one rotated from".into(),
        ));
    }
    let device_wrapped_key = match (caller, &request.device_wrapped_key) {
        (Caller::Device(_), Some(wrapped)) => {
            Some(wire::wrapped_key("device_wrapped_key", wrapped)?)
        }
        (Caller::Device(_), None) => {
            return Err(ApiError::Unprocessable(
                "a device replacing the account's keys must send `device_wrapped_key`, or it \
                 would lock itself out"
                    .into(),
            ));
        }
        (Caller::Session(_), Some(_)) => {
            return Err(ApiError::Unprocessable(
                "`device_wrapped_key` is for a device; a browser session sends `passkey`".into(),
            ));
        }
        (Caller::Session(_), None) => None,
    };
    let passkey = match &request.passkey {
        Some(unlock) => Some((
            unlock.passkey_id,
            wire::wrapped_key("passkey.wrapped_key", &unlock.wrapped_key)?,
        )),
        None => None,
    };
    let vault_keys = request
        .vault_keys
        .iter()
        .map(|key| {
            let epoch = i32::try_from(key.epoch)
                .map_err(|_| ApiError::Unprocessable("`epoch` is out of range".into()))?;
            let wrapped = wire::wrapped_key("vault_keys[].wrapped_key", &key.wrapped_key)?;
            Ok((key.vault_id, epoch, wrapped))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(NewAccountKeys {
        previous_recipient: request.previous_recipient.clone(),
        recipient,
        signing_key: request.signing_key.public_key,
        wrapped_signing_key: wire::wrapped_key(
            "signing_key.wrapped_key",
            &request.signing_key.wrapped_key,
        )?,
        recovery_verifier: wire::bytes32("recovery.verifier", &request.recovery.verifier)?,
        recovery_wrapped_key: wire::wrapped_key(
            "recovery.wrapped_key",
            &request.recovery.wrapped_key,
        )?,
        passkey,
        device_wrapped_key,
        revoke_device: request.revoke_device,
        vault_keys,
        member_lists: request
            .member_lists
            .iter()
            .map(|update| (update.vault_id, update.after, update.entry.clone()))
            .collect(),
    })
}
