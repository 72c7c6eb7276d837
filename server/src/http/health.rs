//! `GET /healthz`: is this server able to serve, and on which engine.

use axum::Json;
use axum::extract::State;
use folio_shared::api::Health;

use super::AppState;
use super::problem::ApiError;

/// Liveness and readiness in one: answers 200 only after a database round trip.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses(
        (status = 200, description = "The server and its database answer", body = Health),
        (status = 503, description = "The database does not answer", body = folio_shared::api::Problem,
         content_type = "application/problem+json"),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .storage
        .ping()
        .await
        .map_err(ApiError::DatabaseUnavailable)?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        database: state.storage.engine().name().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}
