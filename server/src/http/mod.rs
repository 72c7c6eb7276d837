//! The HTTP surface: the JSON API under `/api/v1`, `/healthz`, and the built app at `/`.
//!
//! Cross-cutting rules live here so no handler can forget them: a body-size limit on every
//! route, problem JSON for every error, security headers on every response, and request
//! tracing that never records query strings or bodies (they can carry tokens).

pub mod access;
pub mod account;
pub mod account_keys;
pub mod assets;
pub mod auth;
pub mod care;
pub mod connect;
pub mod devices;
pub mod fresh_proof;
pub mod health;
pub mod json;
pub mod passkeys;
pub mod problem;
pub mod rate_limit;
pub mod relying_party;
pub mod roster;
pub mod security;
pub mod segment_origins;
pub mod shares;
pub mod shl;
pub mod sign_in;
pub mod vaults;
pub mod wire;

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
    /// Client ids at providers (`--smart-clients`).
    pub smart_clients: Arc<crate::smart_clients::SmartClients>,
    pub config: Arc<ServeConfig>,
    pub assets: AppAssets,
    pub blobs: BlobStore,
    pub webauthn: Arc<webauthn_rs::Webauthn>,
}

impl AppState {
    pub fn session_policy(&self) -> crate::storage::sessions::SessionPolicy {
        crate::storage::sessions::SessionPolicy {
            lifetime: chrono::Duration::minutes(self.config.session_lifetime_minutes.into()),
            idle_timeout: chrono::Duration::minutes(self.config.session_idle_minutes.into()),
        }
    }
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
        (name = "accounts", description = "Passkey sign-up and sign-in, sessions, recovery, account settings and deletion"),
        (name = "devices", description = "Pairing, listing and revoking the devices (phone apps, the CLI) of an account"),
        (name = "connect", description = "Connecting a record to providers' patient portals (SMART on FHIR): the client id to sign in with; the tokens never reach the server"),
        (name = "vaults", description = "Encrypted vaults: the segment log, attachments, compaction and rotation"),
        (name = "caregivers", description = "Caregivers: invitations, acceptance, confirmation with keys the owner's client wrapped, removal, the activity log"),
        (name = "shares", description = "The patient's share links: create from client-encrypted files, list, revoke, read the access log"),
        (name = "shl", description = "SMART Health Links: the manifest, direct files and file locations any viewer fetches (no authentication, CORS open)")
    )
)]
struct ApiDoc;

struct DeviceTokenScheme;

/// The security scheme of the CSRF header a state-changing request with the session cookie
/// also carries (see `auth.rs`).
const CSRF_SCHEME: &str = "csrf";

impl utoipa::Modify for DeviceTokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("fd_…")
                    .description(Some(
                        "A device's token (`Authorization: Bearer fd_…`), from pairing \
                         (`POST /api/v1/pairings/redeem`) or `folio account create`",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                folio_shared::api::account::SESSION_COOKIE,
                "A browser session, set by signing in with a passkey; a state-changing \
                 request with it also needs the `csrf` header",
            ))),
        );
        components.add_security_scheme(
            CSRF_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                folio_shared::api::account::CSRF_HEADER,
                "The session's CSRF token (`csrf_token` in `GET /api/v1/session`), required \
                 with the session cookie on every request but GET",
            ))),
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
        // The limit is part of the contract: each operation that takes a body says it.
        let routes = for_each_operation(routes, |_, _, operation| {
            if operation.request_body.is_some() {
                add_problem(
                    operation,
                    "413",
                    &format!("The body is larger than this route's limit of {limit} bytes"),
                );
            }
        });
        routes
            .layer(DefaultBodyLimit::max(limit))
            .layer(RequestBodyLimitLayer::new(limit))
    }
    let json = OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(vaults::create_vault, vaults::list_vaults))
        .routes(routes!(vaults::get_vault, vaults::delete_vault))
        .routes(routes!(vaults::vault_keys))
        .routes(routes!(care::invite, care::list))
        .routes(routes!(care::confirm))
        .routes(routes!(care::revoke))
        .routes(routes!(care::accept))
        .routes(routes!(care::my_memberships))
        .routes(routes!(care::request_access))
        .routes(routes!(care::refuse_access))
        .routes(routes!(care::activity))
        .routes(routes!(vaults::list_segments))
        .routes(routes!(segment_origins::segment_origins))
        .routes(routes!(roster::get_roster, roster::append_roster))
        .routes(routes!(roster::put_signing_key))
        .routes(routes!(sign_in::get_session))
        .routes(routes!(sign_in::sign_out))
        .routes(routes!(sign_in::sign_out_everywhere))
        .routes(routes!(fresh_proof::start))
        .routes(routes!(fresh_proof::finish))
        .routes(routes!(account::get_account, account::delete_account))
        .routes(routes!(account::get_unlock))
        .routes(routes!(
            account::put_recovery_code,
            account::delete_recovery_code
        ))
        .routes(routes!(passkeys::list_passkeys))
        .routes(routes!(passkeys::add_start))
        .routes(routes!(passkeys::add_finish))
        .routes(routes!(passkeys::rename_passkey, passkeys::remove_passkey))
        .routes(routes!(passkeys::set_passkey_unlock))
        .routes(routes!(devices::create_pairing))
        .routes(routes!(devices::list_devices))
        .routes(routes!(devices::set_device_unlock))
        .routes(routes!(devices::revoke_device))
        .routes(routes!(account_keys::list_vault_keys))
        .routes(routes!(connect::provider_client));
    // Every endpoint that takes a credential or a code from an unauthenticated client.
    let authentication = OpenApiRouter::new()
        .routes(routes!(sign_in::register_start))
        .routes(routes!(sign_in::register_finish))
        .routes(routes!(sign_in::login_start))
        .routes(routes!(sign_in::login_finish))
        .routes(routes!(sign_in::recover))
        .routes(routes!(fresh_proof::with_recovery_code))
        .routes(routes!(devices::redeem_pairing))
        .layer(middleware::from_fn(rate_limit::limit_attempts));
    let authentication = for_each_operation(authentication, |_, _, operation| {
        add_problem(
            operation,
            "429",
            "Too many attempts from this address or for this account; retry after the \
             `Retry-After` seconds",
        );
    });
    let attachments = OpenApiRouter::new().routes(routes!(
        vaults::put_attachment,
        vaults::get_attachment,
        vaults::delete_attachment
    ));
    let all = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(limited(json, JSON_BODY_LIMIT))
        .merge(limited(authentication, JSON_BODY_LIMIT))
        .merge(limited(
            OpenApiRouter::new().routes(routes!(vaults::upload_segment)),
            vaults::SEGMENT_LIMIT,
        ))
        .merge(limited(
            OpenApiRouter::new().routes(routes!(vaults::compact)),
            vaults::COMPACTION_LIMIT,
        ))
        .merge(limited(attachments, vaults::ATTACHMENT_LIMIT as usize))
        .merge(limited(
            OpenApiRouter::new().routes(routes!(account_keys::rotate_keys)),
            account_keys::ROTATION_LIMIT,
        ))
        .merge(limited(
            OpenApiRouter::new().routes(routes!(shares::create_share, shares::list_shares)),
            shares::SHARE_LIMIT,
        ))
        .merge(limited(
            OpenApiRouter::new()
                .routes(routes!(shares::revoke_share))
                .routes(routes!(shares::share_log)),
            JSON_BODY_LIMIT,
        ))
        // The data plane any viewer calls: CORS outermost, so even a 413 or a 429 is readable.
        .merge(
            limited(
                OpenApiRouter::new()
                    .routes(routes!(shl::manifest, shl::direct_file))
                    .routes(routes!(shl::located_file)),
                JSON_BODY_LIMIT,
            )
            .layer(shl::cors()),
        );
    // What every route answers from its extractors, documented from the route's own security,
    // parameters and body, so no annotation can forget it.
    for_each_operation(all, |path, method, operation| {
        document_security(path, method, operation);
        document_malformed_requests(operation);
    })
}

/// Routes whose GET a recovery session may also make (every other route that takes a
/// session refuses one with 403 until a passkey is registered).
const RECOVERY_SESSION_MAY_READ: [&str; 1] = ["/api/v1/account/unlock"];

/// The security answers: 401 without a credential; with the session cookie, the CSRF header
/// on every request but GET (`auth.rs`), and the 403 for a missing header or a recovery
/// session.
fn document_security(path: &str, method: &str, operation: &mut utoipa::openapi::path::Operation) {
    let Some(requirements) = operation.security.as_mut().filter(|s| !s.is_empty()) else {
        return;
    };
    let changes_state = method != "get";
    let mut takes_session = false;
    let mut takes_device = false;
    for requirement in requirements.iter_mut() {
        let schemes: Vec<String> = serde_json::to_value(&*requirement)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default();
        takes_device |= schemes.iter().any(|s| s == "device_token");
        if schemes.iter().any(|s| s == "session") {
            takes_session = true;
            if changes_state && !schemes.iter().any(|s| s == CSRF_SCHEME) {
                *requirement = requirement.clone().add(CSRF_SCHEME, Vec::<String>::new());
            }
        }
    }
    add_problem(
        operation,
        "401",
        "Not signed in, or the session or device token has ended",
    );
    if takes_session {
        let recovery_refused = takes_device && !RECOVERY_SESSION_MAY_READ.contains(&path);
        let why = match (changes_state, recovery_refused) {
            (true, true) => {
                "the session cookie came without the session's CSRF token in \
                 `x-folio-csrf`, or the session is a recovery session (register a passkey first)"
            }
            (true, false) => {
                "the session cookie came without the session's CSRF token in `x-folio-csrf`"
            }
            (false, true) => "a recovery session may not do this: register a passkey first",
            (false, false) => return,
        };
        add_or_extend_problem(operation, "403", why);
    }
}

/// What the extractors refuse before a handler runs: a path or query parameter that does not
/// parse (400), and for a JSON body, invalid JSON (400), another media type (415) or JSON
/// that does not match the schema (422).
fn document_malformed_requests(operation: &mut utoipa::openapi::path::Operation) {
    let parsed_parameter = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| serde_json::to_value(p).ok())
        .any(|p| {
            p["in"] == "query"
                || (p["in"] == "path"
                    && (p["schema"]["format"] == "uuid" || p["schema"]["type"] == "integer"))
        });
    if parsed_parameter {
        add_or_extend_problem(
            operation,
            "400",
            "a path or query parameter does not parse (a UUID or a number)",
        );
    }
    let takes_json = operation
        .request_body
        .as_ref()
        .is_some_and(|body| {
            matches!(body, utoipa::openapi::RefOr::T(body) if body.content.contains_key("application/json"))
        });
    if takes_json {
        add_or_extend_problem(operation, "400", "the body is not valid JSON");
        add_problem(
            operation,
            "415",
            "The body is not sent as `Content-Type: application/json`",
        );
        add_problem(
            operation,
            "422",
            "The JSON does not match the request's schema, or a value in it is refused; the \
             problem's `detail` says which",
        );
    }
}

/// Applies `document` to each operation of `routes` in the OpenAPI document, with its path
/// and method (the routes themselves are unchanged).
fn for_each_operation(
    mut routes: OpenApiRouter<AppState>,
    document: impl Fn(&str, &str, &mut utoipa::openapi::path::Operation),
) -> OpenApiRouter<AppState> {
    for (path, item) in routes.get_openapi_mut().paths.paths.iter_mut() {
        let operations = [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                document(path, method, operation);
            }
        }
    }
    routes
}

/// Documents a `status` answer with a `Problem` body, unless the operation names one.
fn add_problem(operation: &mut utoipa::openapi::path::Operation, status: &str, description: &str) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
                .into()
        });
}

/// Documents one more reason for a `status` answer: a new `Problem` answer, or the reason
/// added to the description of the one the operation names.
fn add_or_extend_problem(
    operation: &mut utoipa::openapi::path::Operation,
    status: &str,
    reason: &str,
) {
    use utoipa::openapi::RefOr;
    match operation.responses.responses.get_mut(status) {
        Some(RefOr::T(response)) => {
            if !response.description.contains(reason) {
                response.description = format!("{}; or {reason}", response.description);
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let mut sentence = reason.to_owned();
            sentence[..1].make_ascii_uppercase();
            add_problem(operation, status, &sentence);
        }
    }
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
                // The path only, share-link ids masked: query strings may carry tickets or
                // recipient names, and a link id is a capability.
                tracing::info_span!("http", method = %request.method(), path = %shl::loggable_path(request.uri().path()), id)
            }),
        )
        // The rate limiter is a plain middleware (so `openapi()` can build the routes without
        // a database); it finds the state here.
        .layer(axum::Extension(state.clone()))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
