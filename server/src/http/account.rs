//! The account: its summary, what unlocks it, its recovery code, and its deletion (the last
//! two need a fresh proof, `fresh_proof.rs`).

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use folio_shared::api::Problem;
use folio_shared::api::account::{
    AccountCriticalAction, AccountSummary, AccountUnlock, RecoverySetup,
};

use super::AppState;
use super::auth::{AnySession, Principal, SignedInWith, cleared_session_cookie};
use super::fresh_proof;
use super::json::ApiJson;
use super::problem::ApiError;
use super::sign_in::account_unlock;
use super::wire;
use crate::storage::passkeys::RemoveError;
use crate::storage::{accounts, recovery_codes};

/// The signed-in account: its recipient, how many passkeys, devices and records it has.
#[utoipa::path(get, path = "/api/v1/account", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The account", body = AccountSummary),
        (status = 404, description = "The account no longer exists (deleted meanwhile)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in, or the session or device token has ended", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_account(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<AccountSummary>, ApiError> {
    let db = state.storage.db();
    let account = accounts::get(db, principal.account_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("this account no longer exists".into()))?;
    let counts = accounts::counts(db, principal.account_id).await?;
    Ok(Json(AccountSummary {
        account_id: account.id,
        account_recipient: account.recipient.unwrap_or_default(),
        created_at: account.created_at,
        passkeys: counts.passkeys as usize,
        devices: counts.devices as usize,
        vaults: counts.vaults as usize,
        has_recovery_code: counts.has_recovery_code,
        signed_in_with: match principal.via {
            SignedInWith::Device(_) => "device",
            SignedInWith::Session(_) => "session",
        }
        .to_owned(),
    }))
}

/// The account identity, wrapped to each unlocker. A device gets its own wrap too; a
/// recovery session may read this, since unlocking with the recovery code is its purpose.
#[utoipa::path(get, path = "/api/v1/account/unlock", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The account identity wrapped to each unlocker", body = AccountUnlock),
        (status = 404, description = "The account no longer exists (deleted meanwhile)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in, or the session or device token has ended", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_unlock(
    State(state): State<AppState>,
    principal: Result<Principal, Response>,
    session: Result<AnySession, Response>,
) -> Result<Json<AccountUnlock>, Response> {
    let (account_id, device) = match (principal, session) {
        (Ok(p), _) => match p.via {
            SignedInWith::Device(d) => (p.account_id, Some(d)),
            SignedInWith::Session(_) => (p.account_id, None),
        },
        (Err(_), Ok(AnySession(s))) => (s.account_id, None),
        (Err(rejection), Err(_)) => return Err(rejection),
    };
    account_unlock(&state, account_id, device.as_ref())
        .await
        .map(Json)
        .map_err(IntoResponse::into_response)
}

/// Replaces the recovery code: the old one stops signing in and unlocking at once. Needs a
/// fresh proof; signing in with the recovery code a moment ago is one.
#[utoipa::path(put, path = "/api/v1/account/recovery-code", tag = "accounts",
    security(("device_token" = []), ("session" = [])), request_body = RecoverySetup,
    responses(
        (status = 204, description = "Replaced"),
        (status = 403, description = "No fresh proof", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This recovery code is already in use: make a new one", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Well-formed, but against the route's rules; the problem says which", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_recovery_code(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<RecoverySetup>,
) -> Result<StatusCode, ApiError> {
    fresh_proof::require(
        &state,
        &principal,
        AccountCriticalAction::ReplaceRecoveryCode,
    )
    .await?;
    let wrapped = wire::wrapped_key("wrapped_key", &request.wrapped_key)?;
    let verifier = wire::bytes32("verifier", &request.verifier)?;
    recovery_codes::replace(state.storage.db(), principal.account_id, &verifier, wrapped)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::Conflict("this recovery code is already in use: make a new one".into())
            }
            _ => e.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the recovery code, unless no passkey is left. Needs a fresh proof.
#[utoipa::path(delete, path = "/api/v1/account/recovery-code", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "No fresh proof", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is the last way in", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_recovery_code(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<StatusCode, ApiError> {
    fresh_proof::require(
        &state,
        &principal,
        AccountCriticalAction::RemoveRecoveryCode,
    )
    .await?;
    match recovery_codes::remove(state.storage.db(), principal.account_id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(RemoveError::NotFound) => Err(ApiError::NotFound(
            "this account has no recovery code".into(),
        )),
        Err(e @ RemoveError::LastWayIn) => Err(ApiError::Conflict(e.to_string())),
        Err(RemoveError::Db(e)) => Err(e.into()),
    }
}

/// Deletes the account and everything it owns. Like every account-critical change it needs
/// a fresh proof (`/api/v1/auth/fresh-proof/*`) of the caller.
#[utoipa::path(delete, path = "/api/v1/account", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    responses(
        (status = 204, description = "Deleted, with every vault, segment, key, share and log"),
        (status = 403, description = "No fresh proof", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_account(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    fresh_proof::require(&state, &principal, AccountCriticalAction::DeleteAccount).await?;
    accounts::delete(state.storage.db(), &state.blobs, principal.account_id).await?;
    state.storage.purge_deleted().await?;
    tracing::info!(account = %principal.account_id, "account deleted");
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cleared_session_cookie())],
    )
        .into_response())
}
