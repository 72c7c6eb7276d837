//! The provider's routes, and CORS for the ones a browser app calls with `fetch` (never the
//! authorization endpoint, which the browser navigates to).

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Method, header};
use axum::routing::{get, post};
use tower_http::cors::{Any, CorsLayer};

use crate::fhir::{self, capability, everything, paging, search};
use crate::oauth;
use crate::state::Provider;

/// Every route of one provider.
pub(crate) fn router(provider: Arc<Provider>) -> Router {
    let cors = provider.config.cors;
    let api = Router::new()
        .route(
            "/fhir/.well-known/smart-configuration",
            get(oauth::smart_configuration),
        )
        .route("/fhir/metadata", get(capability::metadata))
        .route("/fhir", get(paging::pages))
        .route("/fhir/{resource_type}", get(search::search))
        .route("/fhir/{resource_type}/{id}", get(fhir::read))
        .route(
            "/fhir/{resource_type}/{id}/{operation}",
            get(everything::operation),
        )
        .route("/oauth/token", post(oauth::token));
    // Off means no CORS headers at all, preflights included: like a portal that never
    // meant to be called from a browser app.
    let api = if cors { api.layer(cors_layer()) } else { api };
    Router::new()
        .route("/oauth/authorize", get(oauth::authorize))
        .merge(api)
        .with_state(provider)
}

fn cors_layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        // A browser app must read these to refresh, back off and follow attachments.
        .expose_headers([
            header::WWW_AUTHENTICATE,
            header::RETRY_AFTER,
            header::LOCATION,
            HeaderName::from_static("content-length"),
        ])
}
