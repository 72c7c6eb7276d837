//! `GET /api/v1/connect/client`: the client id to sign in at a provider with, from the
//! server's `--smart-clients` file. The tokens themselves never come here: the sign-in runs
//! between the patient's browser (or CLI) and the provider.

use axum::Json;
use axum::extract::{Query, State};
use folio_shared::api::connect::ProviderClient;
use serde::Deserialize;

use super::AppState;
use super::auth::Principal;
use super::problem::ApiError;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ProviderQuery {
    /// The provider's FHIR base URL.
    pub fhir_base: String,
}

/// The client id Folio is registered under at the provider whose FHIR base is given.
#[utoipa::path(get, path = "/api/v1/connect/client", tag = "connect",
    params(ProviderQuery),
    security(("device_token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The client id to sign in at this provider with", body = ProviderClient),
        (status = 404, description = "No client id is configured for this provider",
         body = folio_shared::api::Problem, content_type = "application/problem+json"),
    ))]
pub async fn provider_client(
    State(state): State<AppState>,
    _principal: Principal,
    Query(query): Query<ProviderQuery>,
) -> Result<Json<ProviderClient>, ApiError> {
    let client_id = state
        .smart_clients
        .client_for(&query.fhir_base)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no client id is configured for {}: whoever runs this Folio server can add one \
             (folio serve --smart-clients FILE)",
                query.fhir_base
            ))
        })?;
    Ok(Json(ProviderClient {
        fhir_base: query.fhir_base,
        client_id: client_id.to_owned(),
    }))
}
