//! Who uploaded which segments of a vault's log: what a client shows next to a part of the
//! record it could not open. Read-only metadata; a member asks only about the few segments
//! it set aside, so the normal open costs nothing more.

use axum::Json;
use axum::extract::{Path, Query, State};
use folio_shared::api::{Problem, SegmentOrigins};
use folio_shared::care::Action;
use serde::Deserialize;
use uuid::Uuid;

use super::AppState;
use super::auth::Principal;
use super::problem::ApiError;
use crate::storage::vaults;

/// At most this many seqs in one question.
const MAX_SEQS: usize = folio_shared::api::MAX_ORIGINS_PER_CALL;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OriginsQuery {
    /// Comma-separated seqs of the segments to describe, e.g. `3,7`.
    seqs: String,
}

/// Who uploaded each of the given segments (by account id) and when, as the server
/// recorded it. Seqs no longer in the log are left out.
#[utoipa::path(get, path = "/api/v1/vaults/{vault}/segment-origins", tag = "vaults", security(("device_token" = []), ("session" = [])),
    params(("vault" = Uuid, Path), OriginsQuery),
    responses(
        (status = 200, description = "Who uploaded each segment, when, and its signature", body = SegmentOrigins),
        (status = 400, description = "`seqs` is not a comma-separated list of whole numbers, or lists too many", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed for this account's role in the record", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such resource for this account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn segment_origins(
    State(state): State<AppState>,
    principal: Principal,
    Path(vault_id): Path<Uuid>,
    Query(query): Query<OriginsQuery>,
) -> Result<Json<SegmentOrigins>, ApiError> {
    let seqs = parse_seqs(&query.seqs)?;
    let db = state.storage.db();
    vaults::get_for(
        db,
        principal.account_id,
        vault_id,
        Action::Read,
        state.config.clock.now(),
    )
    .await?;
    let segments = vaults::origins(db, vault_id, &seqs).await?;
    Ok(Json(SegmentOrigins { segments }))
}

fn parse_seqs(text: &str) -> Result<Vec<i64>, ApiError> {
    let seqs = text
        .split(',')
        .map(|seq| seq.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::BadRequest("`seqs` must be comma-separated whole numbers".into()))?;
    if seqs.len() > MAX_SEQS {
        return Err(ApiError::BadRequest(format!(
            "ask about at most {MAX_SEQS} segments at a time"
        )));
    }
    Ok(seqs)
}
