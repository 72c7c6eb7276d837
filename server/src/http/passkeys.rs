//! Passkeys in settings: list, add, rename, remove, and attach a PRF unlock.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use folio_shared::api::Problem;
use folio_shared::api::account::{
    AccountCriticalAction, AddPasskey, PasskeySummary, RegistrationOptions, RegistrationStart,
    RenamePasskey, SessionScope, UnlockKey,
};
use uuid::Uuid;
use webauthn_rs::prelude::CredentialID;

use super::AppState;
use super::auth::{AnySession, Principal};
use super::fresh_proof;
use super::json::ApiJson;
use super::problem::ApiError;
use super::relying_party::ceremony_failed;
use super::sign_in::{RegistrationState, already_registered, start_registration};
use super::wire;
use crate::storage::ceremonies::{self, CeremonyKind};
use crate::storage::entity::passkey;
use crate::storage::passkeys::{self, NewPasskey, RemoveError};
use crate::storage::sessions;

fn summary(row: passkey::Model) -> PasskeySummary {
    PasskeySummary {
        id: row.id,
        name: row.name,
        credential_id: wire::encode(&row.credential_id),
        created_at: row.created_at,
        last_used_at: row.last_used_at,
        prf_enabled: row.prf_enabled,
        unlocks: row.wrapped_key.is_some(),
    }
}

fn no_such_passkey() -> ApiError {
    ApiError::NotFound("this account has no such passkey".into())
}

/// The account's passkeys, with whether each can unlock the account (PRF).
#[utoipa::path(get, path = "/api/v1/account/passkeys", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    responses((status = 200, description = "The account's passkeys", body = Vec<PasskeySummary>)))]
pub async fn list_passkeys(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<PasskeySummary>>, ApiError> {
    let rows = passkeys::list(state.storage.db(), principal.account_id).await?;
    Ok(Json(rows.into_iter().map(summary).collect()))
}

/// Starts adding a passkey, with a fresh proof. A recovery session may do this (its sign-in
/// is its proof, for five minutes): it is how a user who lost every passkey gets back in.
#[utoipa::path(post, path = "/api/v1/account/passkeys/register/start", tag = "accounts",
    security(("session" = [])), request_body = RegistrationStart,
    responses(
        (status = 200, description = "The WebAuthn creation options and the ceremony to finish", body = RegistrationOptions),
        (status = 403, description = "No fresh proof", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_start(
    State(state): State<AppState>,
    AnySession(session): AnySession,
    ApiJson(request): ApiJson<RegistrationStart>,
) -> Result<Json<RegistrationOptions>, ApiError> {
    fresh_proof::require(&state, &session, AccountCriticalAction::AddPasskey).await?;
    let name = wire::name("display_name", &request.display_name)?;
    let existing: Vec<CredentialID> = passkeys::list(state.storage.db(), session.account_id)
        .await?
        .into_iter()
        .map(|p| CredentialID::from(p.credential_id))
        .collect();
    let options = start_registration(
        &state,
        session.account_id,
        &name,
        request.discoverable,
        existing,
        CeremonyKind::AddPasskey,
    )
    .await?;
    Ok(Json(options))
}

/// Finishes adding a passkey. A recovery session that does this becomes a full session.
#[utoipa::path(post, path = "/api/v1/account/passkeys/register/finish", tag = "accounts",
    security(("session" = [])), request_body = AddPasskey,
    responses(
        (status = 201, description = "The passkey", body = PasskeySummary),
        (status = 400, description = "Unknown, used or expired ceremony", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The passkey's answer failed verification", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already registered", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_finish(
    State(state): State<AppState>,
    AnySession(session): AnySession,
    ApiJson(request): ApiJson<AddPasskey>,
) -> Result<(StatusCode, Json<PasskeySummary>), ApiError> {
    // Checked again here: the proof must still hold when the passkey is stored.
    fresh_proof::require(&state, &session, AccountCriticalAction::AddPasskey).await?;
    let name = wire::name("name", &request.name)?;
    let wrapped_key = request
        .wrapped_key
        .as_deref()
        .map(|w| wire::wrapped_key("wrapped_key", w))
        .transpose()?;
    let (_, ceremony): (_, RegistrationState) = ceremonies::take(
        state.storage.db(),
        CeremonyKind::AddPasskey,
        request.ceremony_id,
    )
    .await?;
    if ceremony.account_id != session.account_id {
        return Err(ApiError::BadRequest(
            "this ceremony was started by another account".into(),
        ));
    }
    let credential = state
        .webauthn
        .finish_passkey_registration(&request.credential, &ceremony.registration)
        .map_err(ceremony_failed)?;
    let prf_enabled = request.prf_enabled || wrapped_key.is_some();
    let row = passkeys::insert(
        state.storage.db(),
        NewPasskey {
            account_id: session.account_id,
            credential: &credential,
            name: &name,
            prf_enabled,
            wrapped_key,
        },
    )
    .await
    .map_err(already_registered)?;
    if session.scope == SessionScope::Recovery {
        sessions::upgrade_to_full(state.storage.db(), &state.session_policy(), session.id).await?;
        tracing::info!(account = %session.account_id, "recovered with a new passkey");
    }
    Ok((StatusCode::CREATED, Json(summary(row))))
}

/// Renames a passkey, as the account's settings list it.
#[utoipa::path(patch, path = "/api/v1/account/passkeys/{passkey}", tag = "accounts",
    security(("device_token" = []), ("session" = [])), request_body = RenamePasskey,
    params(("passkey" = Uuid, Path)),
    responses(
        (status = 200, description = "The passkey", body = PasskeySummary),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn rename_passkey(
    State(state): State<AppState>,
    principal: Principal,
    Path(passkey_id): Path<Uuid>,
    ApiJson(request): ApiJson<RenamePasskey>,
) -> Result<Json<PasskeySummary>, ApiError> {
    let name = wire::name("name", &request.name)?;
    if !passkeys::rename(state.storage.db(), principal.account_id, passkey_id, &name).await? {
        return Err(no_such_passkey());
    }
    let row = passkeys::get_for(state.storage.db(), principal.account_id, passkey_id)
        .await?
        .ok_or_else(no_such_passkey)?;
    Ok(Json(summary(row)))
}

/// Stores the account identity wrapped to this passkey's PRF unlocker, so that signing in
/// with it also unlocks.
#[utoipa::path(put, path = "/api/v1/account/passkeys/{passkey}/unlock", tag = "accounts",
    security(("device_token" = []), ("session" = [])), request_body = UnlockKey,
    params(("passkey" = Uuid, Path)),
    responses(
        (status = 204, description = "Stored"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Well-formed, but against the route's rules; the problem says which", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_passkey_unlock(
    State(state): State<AppState>,
    principal: Principal,
    Path(passkey_id): Path<Uuid>,
    ApiJson(request): ApiJson<UnlockKey>,
) -> Result<StatusCode, ApiError> {
    let wrapped = wire::wrapped_key("wrapped_key", &request.wrapped_key)?;
    if !passkeys::set_wrapped_key(
        state.storage.db(),
        principal.account_id,
        passkey_id,
        wrapped,
    )
    .await?
    {
        return Err(no_such_passkey());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a passkey, unless it is the last way in, and ends the sessions it signed in.
/// Needs a fresh proof.
#[utoipa::path(delete, path = "/api/v1/account/passkeys/{passkey}", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    params(("passkey" = Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "No fresh proof", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is the last way in", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove_passkey(
    State(state): State<AppState>,
    principal: Principal,
    Path(passkey_id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    fresh_proof::require(&state, &principal, AccountCriticalAction::RemovePasskey).await?;
    match passkeys::remove(state.storage.db(), principal.account_id, passkey_id).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(RemoveError::NotFound) => Err(no_such_passkey()),
        Err(e @ RemoveError::LastWayIn) => Err(ApiError::Conflict(e.to_string())),
        Err(RemoveError::Db(e)) => Err(e.into()),
    }
}
