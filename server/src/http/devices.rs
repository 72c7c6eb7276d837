//! Devices: pairing a phone app or the CLI to the account, listing and revoking them.
//!
//! Pairing is two-sided. A signed-in session makes a short-lived code; the device redeems
//! it with its own public key and gets a bearer token. The account identity then reaches
//! the device wrapped to that key, by a signed-in client that holds it unlocked (the
//! server cannot make the wrap: it never holds the identity).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use folio_shared::api::Problem;
use folio_shared::api::account::{
    AccountCriticalAction, DeviceSummary, PairedDevice, Pairing, RedeemPairing, UnlockKey,
};
use folio_shared::keys::UnlockerRecipient;
use uuid::Uuid;

use super::AppState;
use super::auth::{Principal, SignedInWith};
use super::fresh_proof;
use super::json::ApiJson;
use super::problem::ApiError;
use super::wire;
use crate::storage::devices;
use crate::storage::pairings::{self, PairingError};

/// Makes a pairing code, with a QR code of it for phones.
#[utoipa::path(post, path = "/api/v1/account/pairings", tag = "devices",
    security(("session" = [])),
    responses(
        (status = 201, description = "The pairing code for the new device", body = Pairing),
        (status = 403, description = "Only a browser session can pair devices", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_pairing(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<(StatusCode, Json<Pairing>), ApiError> {
    if matches!(principal.via, SignedInWith::Device(_)) {
        return Err(ApiError::Forbidden(
            "pair new devices from a signed-in browser session".into(),
        ));
    }
    let pairing = pairings::create(state.storage.db(), principal.account_id).await?;
    let qr_svg = qrcode::QrCode::new(pairing.code.as_bytes())
        .map_err(|e| ApiError::Internal(e.into()))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok((
        StatusCode::CREATED,
        Json(Pairing {
            id: pairing.id,
            code: pairing.code,
            expires_at: pairing.expires_at,
            qr_svg,
        }),
    ))
}

/// A new device redeems a pairing code with its public key and gets its token.
#[utoipa::path(post, path = "/api/v1/pairings/redeem", tag = "devices",
    request_body = RedeemPairing,
    responses(
        (status = 201, description = "The new device and its bearer token", body = PairedDevice),
        (status = 400, description = "Unknown, used or expired code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Well-formed, but against the route's rules; the problem says which", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn redeem_pairing(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RedeemPairing>,
) -> Result<(StatusCode, Json<PairedDevice>), ApiError> {
    let name = wire::name("device_name", &request.device_name)?;
    if request
        .device_recipient
        .parse::<UnlockerRecipient>()
        .is_err()
    {
        return Err(ApiError::Unprocessable(
            "`device_recipient` must be an age X25519 recipient (age1…)".into(),
        ));
    }
    let (account_id, device_id, token) = pairings::redeem(
        state.storage.db(),
        &request.code,
        &name,
        &request.device_recipient,
    )
    .await
    .map_err(|e| match e {
        PairingError::Db(e) => e.into(),
        e => ApiError::BadRequest(e.to_string()),
    })?;
    tracing::info!(account = %account_id, device = %device_id, "device paired");
    Ok((
        StatusCode::CREATED,
        Json(PairedDevice {
            account_id,
            device_id,
            token: token.0,
        }),
    ))
}

/// The account's devices (phone apps, the CLI) that are still signed in, oldest first.
#[utoipa::path(get, path = "/api/v1/account/devices", tag = "devices",
    security(("device_token" = []), ("session" = [])),
    responses((status = 200, description = "The account's devices", body = Vec<DeviceSummary>)))]
pub async fn list_devices(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<DeviceSummary>>, ApiError> {
    let current = principal.device_id();
    let rows = devices::list(state.storage.db(), principal.account_id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|d| DeviceSummary {
                id: d.id,
                name: d.name,
                recipient: d.recipient,
                created_at: d.created_at,
                last_used_at: d.last_used_at,
                has_key: d.wrapped_key.is_some(),
                current: current == Some(d.id),
            })
            .collect(),
    ))
}

/// Stores the account identity wrapped to a device's key.
#[utoipa::path(put, path = "/api/v1/account/devices/{device}/unlock", tag = "devices",
    security(("device_token" = []), ("session" = [])), request_body = UnlockKey,
    params(("device" = Uuid, Path)),
    responses(
        (status = 204, description = "Stored"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_device_unlock(
    State(state): State<AppState>,
    principal: Principal,
    Path(device_id): Path<Uuid>,
    ApiJson(request): ApiJson<UnlockKey>,
) -> Result<StatusCode, ApiError> {
    let wrapped = wire::wrapped_key("wrapped_key", &request.wrapped_key)?;
    if !devices::set_wrapped_key(state.storage.db(), principal.account_id, device_id, wrapped)
        .await?
    {
        return Err(ApiError::NotFound("this account has no such device".into()));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a device: its token stops working at once. Needs a fresh proof.
#[utoipa::path(delete, path = "/api/v1/account/devices/{device}", tag = "devices",
    security(("device_token" = []), ("session" = [])),
    params(("device" = Uuid, Path)),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "No fresh proof", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_device(
    State(state): State<AppState>,
    principal: Principal,
    Path(device_id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    fresh_proof::require(&state, &principal, AccountCriticalAction::RevokeDevice).await?;
    if !devices::revoke(state.storage.db(), principal.account_id, device_id).await? {
        return Err(ApiError::NotFound("this account has no such device".into()));
    }
    Ok(StatusCode::NO_CONTENT)
}
