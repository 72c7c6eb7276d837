//! Signed writes over HTTP: an account registers its signing key, members read and extend
//! a record's member list (roster). The server stores what clients sign and refuses what no
//! client would accept; it cannot sign anything itself.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use folio_shared::api::Problem;
use folio_shared::api::roster::{
    AccountSigningKey, RosterAppendRequest, RosterEntries, RosterLength, decode_write_signature,
    write_headers,
};
use folio_shared::care::Action;
use folio_shared::roster::{Roster, WriteError, WriteSignature, WriteStatement, verify_write};
use uuid::Uuid;

use super::AppState;
use super::access::authorize;
use super::auth::Principal;
use super::json::ApiJson;
use super::problem::ApiError;
use super::wire;
use crate::storage::rosters::{self, RosterStoreError};
use crate::storage::{accounts, vaults};

impl From<RosterStoreError> for ApiError {
    fn from(err: RosterStoreError) -> Self {
        let message = err.to_string();
        match err {
            RosterStoreError::Moved { .. } => ApiError::Conflict(message),
            RosterStoreError::Invalid(_) => ApiError::Unprocessable(message),
            RosterStoreError::NotYourKey | RosterStoreError::NotTheOwner => {
                ApiError::Forbidden(message)
            }
            RosterStoreError::Count => ApiError::BadRequest(message),
            RosterStoreError::Corrupt(e) => ApiError::Internal(e.into()),
            RosterStoreError::Db(e) => ApiError::from(e),
        }
    }
}

/// Register this account's signing key. The first key is taken as sent; the same key again
/// is a no-op; another key is refused (replacing it is part of rotating the account's keys).
#[utoipa::path(put, path = "/api/v1/account/signing-key", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    request_body = AccountSigningKey,
    responses(
        (status = 204, description = "Registered, or registered already"),
        (status = 404, description = "The account no longer exists (deleted meanwhile)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account has another signing key", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Well-formed, but against the route's rules; the problem says which", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_signing_key(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(request): ApiJson<AccountSigningKey>,
) -> Result<StatusCode, ApiError> {
    let wrapped = wire::wrapped_key("wrapped_key", &request.wrapped_key)?;
    let db = state.storage.db();
    let account = accounts::get(db, principal.account_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("this account no longer exists".into()))?;
    match rosters::registered_key(&account) {
        Some(key) if key == request.public_key => Ok(StatusCode::NO_CONTENT),
        Some(_) => Err(ApiError::Conflict(
            "this account already has a signing key; it is replaced only when the account's \
             keys are rotated"
                .into(),
        )),
        None => {
            accounts::set_signing_key(db, account.id, &request.public_key, &wrapped).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    }
}

/// The record's member list, genesis first: empty for a record written before signing.
/// Clients verify it themselves and pin its head.
#[utoipa::path(get, path = "/api/v1/vaults/{vault}/roster", tag = "vaults",
    security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path)),
    responses(
        (status = 200, description = "The record's member list, genesis first", body = RosterEntries),
        (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_roster(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
) -> Result<Json<RosterEntries>, ApiError> {
    let db = state.storage.db();
    vaults::get_for(
        db,
        principal.account_id,
        vault_id,
        Action::Read,
        state.config.clock.now(),
    )
    .await?;
    Ok(Json(RosterEntries {
        entries: rosters::entries(db, vault_id).await?,
    }))
}

/// Add signed entries to the record's member list, after the first `after`. Each must be
/// signed with the caller's registered signing key and follow the list's rules.
#[utoipa::path(post, path = "/api/v1/vaults/{vault}/roster", tag = "vaults",
    security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path)),
    request_body = RosterAppendRequest,
    responses(
        (status = 200, description = "The number of entries the member list now has", body = RosterLength),
        (status = 400, description = "Fewer than 1 or more than the most entries one request may append", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not signed with the caller's key, or a genesis entry by someone other than the owner", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The list grew meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The entries break the list's rules", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn append_roster(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
    ApiJson(request): ApiJson<RosterAppendRequest>,
) -> Result<Json<RosterLength>, ApiError> {
    let vault = authorize(
        &state,
        &principal,
        vault_id,
        Action::Read,
        "changed who has access",
    )
    .await?;
    let db = state.storage.db();
    let account = accounts::get(db, principal.account_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("this account no longer exists".into()))?;
    let entries = rosters::append(
        db,
        &vault,
        &account,
        request.after,
        &request.entries,
        state.config.clock.now(),
    )
    .await?;
    Ok(Json(RosterLength { entries }))
}

/// The writer's signature sent with an upload, if any; a malformed one is refused.
pub(super) fn sent_signature(headers: &HeaderMap) -> Result<Option<WriteSignature>, ApiError> {
    let Some(value) = headers.get(write_headers::WRITE_SIGNATURE) else {
        return Ok(None);
    };
    let what = format!("`{}`", write_headers::WRITE_SIGNATURE);
    parse_signature(value.to_str().unwrap_or_default(), &what).map(Some)
}

/// A write signature in its header form ([`decode_write_signature`]), or a 400 saying
/// `what` was malformed.
pub(super) fn parse_signature(text: &str, what: &str) -> Result<WriteSignature, ApiError> {
    decode_write_signature(text).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{what} must be 96 bytes (signer, signature) in unpadded base64url"
        ))
    })
}

/// The signature to keep with a write. Once a record has a member list every write must
/// carry the signature of a member the list allows to make it; before, a signature is kept
/// if it is over these bytes, for the clients that will check it against the list later.
pub(super) fn checked_signature(
    roster: Option<&Roster>,
    statement: &WriteStatement,
    signature: Option<WriteSignature>,
) -> Result<Option<WriteSignature>, ApiError> {
    match (roster, signature) {
        (Some(roster), Some(signature)) => match verify_write(roster, statement, &signature) {
            Ok(_) => Ok(Some(signature)),
            Err(e @ (WriteError::UnknownSigner | WriteError::NotAllowed)) => {
                Err(ApiError::Forbidden(e.to_string()))
            }
            Err(e) => Err(ApiError::Unprocessable(e.to_string())),
        },
        (Some(_), None) => Err(ApiError::Unprocessable(format!(
            "this record's changes are signed by its members: send the writer's signature in \
             `{}`",
            write_headers::WRITE_SIGNATURE
        ))),
        (None, Some(signature)) if signature.holds_for(statement) => Ok(Some(signature)),
        (None, Some(_)) => Err(ApiError::Unprocessable(
            WriteError::BadSignature.to_string(),
        )),
        (None, None) => Ok(None),
    }
}

/// A signature as stored beside what it signs ([`WriteSignature::to_bytes`]).
pub(super) fn stored_signature(signature: &WriteSignature) -> Vec<u8> {
    signature.to_bytes().to_vec()
}
