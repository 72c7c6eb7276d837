//! The account: its summary, what unlocks it, its recovery code, and its deletion.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use folio_shared::api::Problem;
use folio_shared::api::account::{
    AccountSummary, AccountUnlock, Assertion, AuthenticationOptions, RecoverySetup,
};
use webauthn_rs::prelude::PasskeyAuthentication;

use super::AppState;
use super::auth::{AnySession, Principal, SignedInWith, cleared_session_cookie};
use super::json::ApiJson;
use super::problem::ApiError;
use super::sign_in::{account_unlock, finish_for_account, start_for_account};
use super::wire;
use crate::storage::ceremonies::{self, CeremonyKind};
use crate::storage::passkeys::RemoveError;
use crate::storage::{accounts, recovery_codes};

#[utoipa::path(get, path = "/api/v1/account", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    responses(
        (status = 200, body = AccountSummary),
        (status = 401, body = Problem, content_type = "application/problem+json"),
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
        (status = 200, body = AccountUnlock),
        (status = 401, body = Problem, content_type = "application/problem+json"),
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

/// Replaces the recovery code: the old one stops signing in and unlocking at once.
#[utoipa::path(put, path = "/api/v1/account/recovery-code", tag = "accounts",
    security(("session" = [])), request_body = RecoverySetup,
    responses(
        (status = 204, description = "Replaced"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_recovery_code(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<RecoverySetup>,
) -> Result<StatusCode, ApiError> {
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

/// Removes the recovery code, unless no passkey is left.
#[utoipa::path(delete, path = "/api/v1/account/recovery-code", tag = "accounts",
    security(("session" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is the last way in", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_recovery_code(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<StatusCode, ApiError> {
    match recovery_codes::remove(state.storage.db(), principal.account_id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(RemoveError::NotFound) => Err(ApiError::NotFound(
            "this account has no recovery code".into(),
        )),
        Err(e @ RemoveError::LastWayIn) => Err(ApiError::Conflict(e.to_string())),
        Err(RemoveError::Db(e)) => Err(e.into()),
    }
}

/// Starts deleting the account: the user confirms with one of its passkeys.
#[utoipa::path(post, path = "/api/v1/account/deletion/start", tag = "accounts",
    security(("session" = [])),
    responses((status = 200, body = AuthenticationOptions)))]
pub async fn deletion_start(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<AuthenticationOptions>, ApiError> {
    let (options, auth) = start_for_account(&state, principal.account_id).await?;
    let ceremony_id = ceremonies::begin(
        state.storage.db(),
        CeremonyKind::DeleteAccount,
        Some(principal.account_id),
        &auth,
    )
    .await?;
    Ok(Json(AuthenticationOptions {
        ceremony_id,
        options,
    }))
}

/// Deletes the account and everything it owns, once a passkey of the account confirmed it.
#[utoipa::path(post, path = "/api/v1/account/deletion/finish", tag = "accounts",
    security(("session" = [])), request_body = Assertion,
    responses(
        (status = 204, description = "Deleted, with every vault, segment, key, share and log"),
        (status = 400, description = "Unknown, used or expired ceremony", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The passkey's answer failed verification", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn deletion_finish(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<Assertion>,
) -> Result<Response, ApiError> {
    let (account_id, auth): (_, PasskeyAuthentication) = ceremonies::take(
        state.storage.db(),
        CeremonyKind::DeleteAccount,
        request.ceremony_id,
    )
    .await?;
    if account_id != Some(principal.account_id) {
        return Err(ApiError::BadRequest(
            "this confirmation was started by another account".into(),
        ));
    }
    let passkey = finish_for_account(&state, &request.credential, &auth).await?;
    if passkey.row.account_id != principal.account_id {
        return Err(ApiError::Unauthorized(
            "confirm with a passkey of this account".into(),
        ));
    }
    accounts::delete(state.storage.db(), &state.blobs, principal.account_id).await?;
    state.storage.purge_deleted().await?;
    tracing::info!(account = %principal.account_id, "account deleted");
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cleared_session_cookie())],
    )
        .into_response())
}
