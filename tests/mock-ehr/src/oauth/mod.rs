//! The SMART authorization server: discovery, an authorization endpoint that approves at
//! once (no login page), and a token endpoint. Each check is one a real EHR makes; a client
//! that passes here should not fail there for these reasons.

mod authorize;
mod token;

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub(crate) use authorize::authorize;
pub(crate) use token::token;

use crate::config::Fault;
use crate::state::Provider;

/// `GET /fhir/.well-known/smart-configuration`.
pub(crate) async fn smart_configuration(State(provider): State<Arc<Provider>>) -> Response {
    let v2 = provider.config.scope_style_v2;
    let mut capabilities = vec![
        "launch-standalone",
        "client-public",
        "context-standalone-patient",
        "permission-offline",
        "permission-patient",
    ];
    let mut scopes = vec![
        "launch/patient",
        "openid",
        "fhirUser",
        "offline_access",
        "online_access",
        "patient/*.read",
    ];
    if v2 {
        capabilities.push("permission-v2");
        scopes.push("patient/*.rs");
    }
    let mut document = json!({
        "issuer": provider.fhir_base,
        "authorization_endpoint": provider.authorization_endpoint(),
        "token_endpoint": provider.token_endpoint(),
        "capabilities": capabilities,
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": scopes,
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["none"],
    });
    if provider.fault() == Some(Fault::DiscoveryMissingEndpoints)
        && let Some(object) = document.as_object_mut()
    {
        object.remove("token_endpoint");
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.to_string(),
    )
        .into_response()
}
