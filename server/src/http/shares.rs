//! The patient's side of share links: make one from files their client encrypted, list
//! them with what they share and how they have been used, revoke one, read its access log.
//!
//! The client builds the `shlink:/` itself: the link key never reaches the server. What the
//! server gets is ciphertext, the link's rules, and a passcode (over TLS) that it hashes at
//! once and never logs.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use folio_shared::api::Problem;
pub use folio_shared::api::share::{
    CreateShare, CreatedShare, DEFAULT_MAX_ATTEMPTS, MAX_LIFETIME_DAYS, MIN_PASSCODE_CHARS,
    ShareFileUpload, ShareLog, ShareLogEntry, ShareStatus, ShareSummary,
};
use folio_shared::care::Action;
use folio_shared::shl::LinkId;
use uuid::Uuid;

use super::AppState;
use super::access::authorize;
use super::auth::Principal;
use super::json::ApiJson;
use super::problem::ApiError;
use crate::storage::entity::share;
use crate::storage::shares::{self, NewShare, NewShareFile};

/// The largest share upload: an International Patient Summary of a patient with a long
/// history, encrypted, fits with room to spare.
pub const SHARE_LIMIT: usize = 16 * 1024 * 1024;
const MAX_ATTEMPTS_LIMIT: u32 = 100;
const MAX_FILES: usize = 16;
const MAX_LABEL_CHARS: usize = 80;

pub fn summary(model: &share::Model, now: DateTime<Utc>) -> ShareSummary {
    ShareSummary {
        id: model.id,
        vault_id: model.vault_id,
        label: model.label.clone(),
        flags: model.flags.clone(),
        categories: serde_json::from_str(&model.categories).unwrap_or_default(),
        expires_at: model.expires_at,
        opens: model.opens.max(0) as u32,
        max_opens: model.max_opens.map(|m| m.max(0) as u32),
        attempts_left: model.attempts_left.map(|a| a.max(0) as u32),
        revoked: model.revoked_at.is_some(),
        status: shares::status(model, now),
        created_at: model.created_at,
    }
}

/// Whether `text` has the shape of a compact JWE with `alg: dir`: five base64url parts, an
/// empty key part, a JSON header. The server cannot check more, and should not try.
fn looks_like_jwe(text: &str) -> bool {
    use base64::Engine as _;
    let parts: Vec<&str> = text.split('.').collect();
    let base64url = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    parts.len() == 5
        && parts[1].is_empty()
        && parts.iter().all(|p| base64url(p))
        && base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[0])
            .ok()
            .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
            .is_some_and(|h| h.get("alg").and_then(|a| a.as_str()) == Some("dir"))
}

fn bad(message: &str) -> ApiError {
    ApiError::Unprocessable(message.to_owned())
}

/// Checks a request against the rules the server enforces, before anything is stored.
fn check(request: &CreateShare, now: DateTime<Utc>) -> Result<(), ApiError> {
    if request.files.is_empty() || request.files.len() > MAX_FILES {
        return Err(bad("a share holds between 1 and 16 files"));
    }
    for file in &request.files {
        if file.content_type.trim().is_empty() || file.content_type.len() > 200 {
            return Err(bad("every file needs a content type"));
        }
        if !looks_like_jwe(&file.jwe) {
            return Err(bad(
                "every file must be a compact JWE with `alg: dir` (encrypted on the client)",
            ));
        }
    }
    if request.label.chars().count() > MAX_LABEL_CHARS {
        return Err(bad("the label is longer than 80 characters"));
    }
    if request.expires_at <= now {
        return Err(bad("the expiry is in the past"));
    }
    if request.expires_at > now + Duration::days(MAX_LIFETIME_DAYS) {
        return Err(bad("a share can live at most a year"));
    }
    if let Some(passcode) = &request.passcode
        && passcode.chars().count() < MIN_PASSCODE_CHARS
    {
        return Err(bad("the passcode needs at least 6 characters"));
    }
    if request
        .max_attempts
        .is_some_and(|a| a == 0 || a > MAX_ATTEMPTS_LIMIT)
    {
        return Err(bad("max_attempts must be between 1 and 100"));
    }
    if request
        .max_opens
        .is_some_and(|m| m == 0 || m > i32::MAX as u32)
    {
        return Err(bad("max_opens must be at least 1"));
    }
    if request.direct_file && (request.passcode.is_some() || request.files.len() != 1) {
        return Err(bad(
            "a direct-file (U) link has exactly one file and no passcode",
        ));
    }
    Ok(())
}

/// The share `id`, if its vault is the caller's; a stranger gets 404.
async fn owned_share(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    action: Action,
    what: &str,
) -> Result<share::Model, ApiError> {
    let not_found = || ApiError::NotFound("no such share".into());
    let model = shares::get(state.storage.db(), id)
        .await?
        .ok_or_else(not_found)?;
    authorize(state, principal, model.vault_id, action, what)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => not_found(),
            other => other,
        })?;
    Ok(model)
}

/// The public URL of a link: `{public_url}/shl/{link_id}`.
pub fn link_url(state: &AppState, link_id: &LinkId) -> String {
    link_id.url(&format!(
        "{}/shl",
        state.config.public_url.as_str().trim_end_matches('/')
    ))
}

/// Share part of a vault: the client uploads files it encrypted under a fresh link key and
/// gets the link's URL to build the `shlink:/` with.
#[utoipa::path(post, path = "/api/v1/vaults/{vault}/shares", tag = "shares", request_body = CreateShare,
    security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path)),
    responses(
        (status = 201, description = "The share link, shown once", body = CreatedShare),
        (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Files, expiry, passcode or limits are not acceptable", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_share(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
    ApiJson(request): ApiJson<CreateShare>,
) -> Result<(StatusCode, Json<CreatedShare>), ApiError> {
    authorize(
        &state,
        &principal,
        vault_id,
        Action::Share,
        "made a share link",
    )
    .await?;
    check(&request, Utc::now())?;
    let passcode_hash = match request.passcode {
        Some(passcode) => Some(
            tokio::task::spawn_blocking(move || shares::hash_passcode(&passcode))
                .await
                .map_err(|e| ApiError::Internal(e.into()))?,
        ),
        None => None,
    };
    let mut flags = String::new();
    if passcode_hash.is_some() {
        flags.push('P');
    }
    if request.direct_file {
        flags.push('U');
    }
    let link_id = LinkId::generate();
    let max_attempts = passcode_hash
        .is_some()
        .then(|| request.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS) as i32);
    let model = shares::create(
        state.storage.db(),
        NewShare {
            vault_id,
            account_id: principal.account_id,
            link_id: link_id.clone(),
            label: request.label,
            flags,
            categories: request.categories,
            passcode_hash,
            max_attempts,
            max_opens: request.max_opens.map(|m| m as i32),
            expires_at: request.expires_at,
            files: request
                .files
                .into_iter()
                .map(|f| NewShareFile {
                    content_type: f.content_type,
                    jwe: f.jwe,
                })
                .collect(),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedShare {
            id: model.id,
            manifest_url: link_url(&state, &link_id),
            link_id: link_id.as_str().to_owned(),
            expires_at: model.expires_at,
        }),
    ))
}

/// A vault's shares, newest first, with what each shares and how it has been used.
#[utoipa::path(get, path = "/api/v1/vaults/{vault}/shares", tag = "shares", security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path)),
    responses((status = 200, description = "The record's share links", body = Vec<ShareSummary>), (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn list_shares(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
) -> Result<Json<Vec<ShareSummary>>, ApiError> {
    authorize(
        &state,
        &principal,
        vault_id,
        Action::SeeShares,
        "looked at the share links",
    )
    .await?;
    let now = Utc::now();
    let list = shares::list_for_vault(state.storage.db(), vault_id).await?;
    Ok(Json(list.iter().map(|s| summary(s, now)).collect()))
}

/// Revoke a share: from this moment every request for the link gets 404, and its files are
/// deleted. The share and its log stay in the list.
#[utoipa::path(post, path = "/api/v1/shares/{share}/revoke", tag = "shares", security(("device_token" = []), ("session" = [])),
    params(("share" = Uuid, Path)),
    responses((status = 200, description = "The share link", body = ShareSummary), (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_share(
    State(state): State<AppState>,
    principal: Principal,
    Path(share_id): Path<Uuid>,
) -> Result<Json<ShareSummary>, ApiError> {
    owned_share(
        &state,
        &principal,
        share_id,
        Action::Share,
        "revoked a share link",
    )
    .await?;
    shares::revoke(state.storage.db(), share_id).await?;
    let model = shares::get(state.storage.db(), share_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such share".into()))?;
    Ok(Json(summary(&model, Utc::now())))
}

/// Who asked for a share's link, when, and what they got; `chain_valid` says whether the
/// log is intact.
#[utoipa::path(get, path = "/api/v1/shares/{share}/log", tag = "shares", security(("device_token" = []), ("session" = [])),
    params(("share" = Uuid, Path)),
    responses((status = 200, description = "Who opened the link, and when", body = ShareLog), (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"), (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json")))]
pub async fn share_log(
    State(state): State<AppState>,
    principal: Principal,
    Path(share_id): Path<Uuid>,
) -> Result<Json<ShareLog>, ApiError> {
    let model = owned_share(
        &state,
        &principal,
        share_id,
        Action::SeeShares,
        "read a share link's log",
    )
    .await?;
    let entries = shares::access_log(state.storage.db(), share_id).await?;
    let chain_valid = shares::verify_chain(&model, &entries);
    Ok(Json(ShareLog {
        chain_valid,
        entries: entries
            .into_iter()
            .map(|e| ShareLogEntry {
                seq: e.seq,
                at: e.at,
                outcome: e.outcome,
                recipient: e.recipient,
            })
            .collect(),
    }))
}
