//! The HTTP surface: the JSON API under `/api/v1`, `/healthz`, and the built app at `/`.
//!
//! Cross-cutting rules live here so no handler can forget them: a body-size limit on every
//! route, problem JSON for every error, security headers on every response, and request
//! tracing that never records query strings or bodies (they can carry tokens).

pub mod assets;
pub mod auth;
pub mod health;
pub mod json;
pub mod problem;
pub mod security;
pub mod vaults;

use std::sync::Arc;

use axum::extract::{FromRef, Request};
use axum::http::{HeaderName, Response};
use axum::middleware::{self, Next};
use axum::{Json, Router};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::ServeConfig;
use crate::storage::Storage;
use crate::storage::blobs::BlobStore;
use assets::AppAssets;
use security::SecurityHeaders;

/// The largest JSON body any API route accepts unless it sets its own limit. Segment and
/// attachment uploads set larger, explicit limits of their own.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub storage: Storage,
    pub config: Arc<ServeConfig>,
    pub assets: AppAssets,
    pub blobs: BlobStore,
}

impl FromRef<AppState> for AppAssets {
    fn from_ref(state: &AppState) -> Self {
        state.assets.clone()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Folio API",
        description = "The API of Folio, a patient-held, end-to-end-encrypted health record. \
                       The server stores and routes ciphertext only.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    components(schemas(folio_shared::api::Problem)),
    modifiers(&DeviceTokenScheme),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "vaults", description = "Encrypted vaults: the segment log, attachments, compaction and rotation")
    )
)]
struct ApiDoc;

struct DeviceTokenScheme;

impl utoipa::Modify for DeviceTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document of everything [`router`] serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().split_for_parts().1
}

/// Every API route, each group under its own body limit. `RequestBodyLimitLayer` refuses a
/// declared `Content-Length` over the limit before reading a byte, and cuts off a chunked
/// body at it; `DefaultBodyLimit` raises the extractors' own cap to match.
fn api_routes() -> OpenApiRouter<AppState> {
    use axum::extract::DefaultBodyLimit;
    use tower_http::limit::RequestBodyLimitLayer;
    fn limited(routes: OpenApiRouter<AppState>, limit: usize) -> OpenApiRouter<AppState> {
        routes
            .layer(DefaultBodyLimit::max(limit))
            .layer(RequestBodyLimitLayer::new(limit))
    }
    let json = OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(vaults::create_vault, vaults::list_vaults))
        .routes(routes!(vaults::get_vault, vaults::delete_vault))
        .routes(routes!(vaults::vault_keys))
        .routes(routes!(vaults::list_segments));
    let attachments = OpenApiRouter::new().routes(routes!(
        vaults::put_attachment,
        vaults::get_attachment,
        vaults::delete_attachment
    ));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(limited(json, JSON_BODY_LIMIT))
        .merge(limited(
            OpenApiRouter::new().routes(routes!(vaults::upload_segment)),
            vaults::SEGMENT_LIMIT,
        ))
        .merge(limited(
            OpenApiRouter::new().routes(routes!(vaults::compact)),
            vaults::COMPACTION_LIMIT,
        ))
        .merge(limited(attachments, vaults::ATTACHMENT_LIMIT as usize))
}

pub fn router(state: AppState) -> Router {
    let (routes, openapi) = api_routes().split_for_parts();
    let openapi = Arc::new(openapi);
    let security = SecurityHeaders::new(
        &state
            .assets
            .index_html()
            .map(security::inline_script_hashes)
            .unwrap_or_default(),
        state.config.public_url.scheme() == "https",
    );
    let request_id = HeaderName::from_static("x-request-id");

    routes
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let openapi = openapi.clone();
                async move { Json(openapi.as_ref().clone()) }
            }),
        )
        .fallback(assets::serve_app)
        .layer(axum::extract::DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(middleware::from_fn(problem::errors_as_problems))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let security = security.clone();
            async move {
                let mut response: Response<_> = next.run(request).await;
                security.apply(response.headers_mut());
                response
            }
        }))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                // The path only: query strings may carry tickets or recipient names.
                tracing::info_span!("http", method = %request.method(), path = %request.uri().path(), id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
