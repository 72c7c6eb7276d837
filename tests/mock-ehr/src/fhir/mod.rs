//! The FHIR R4 API a patient's token reaches: reads, Binaries, and (in `search`) searches,
//! pages and `$everything`. Every data request needs a live bearer token whose patient is
//! the one asked about and whose scope covers the type.

pub(crate) mod capability;
pub(crate) mod everything;
pub(crate) mod paging;
pub(crate) mod search;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::data::{id_of, type_of};
use crate::state::{Provider, TokenGrant};

/// The media type of every FHIR JSON answer.
const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// A FHIR JSON answer.
pub(crate) fn fhir_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, FHIR_JSON)],
        body.to_string(),
    )
        .into_response()
}

/// An OperationOutcome with one error issue; `code` is a FHIR issue type (`forbidden`,
/// `not-found`, `invalid`, …).
pub(crate) fn outcome(status: StatusCode, code: &str, diagnostics: &str) -> Response {
    fhir_json(status, &outcome_body("error", code, diagnostics))
}

pub(crate) fn outcome_body(severity: &str, code: &str, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}]
    })
}

/// Why a FHIR request is refused; answered as an OperationOutcome at the edge, so every
/// refusal has the same shape whichever check made it.
#[derive(Debug)]
pub(crate) struct Refusal {
    status: StatusCode,
    /// The FHIR issue type.
    code: &'static str,
    diagnostics: String,
    /// Headers the refusal needs (`WWW-Authenticate`, `Retry-After`).
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Refusal {
    pub fn new(status: StatusCode, code: &'static str, diagnostics: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            diagnostics: diagnostics.into(),
            headers: Vec::new(),
        }
    }

    /// 400: a parameter the server does not know or cannot read.
    pub fn invalid(diagnostics: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::BAD_REQUEST, "invalid", diagnostics)
    }

    /// 403: the token may not see this.
    pub fn forbidden(diagnostics: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::FORBIDDEN, "forbidden", diagnostics)
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Refusal {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = outcome(self.status, self.code, &self.diagnostics);
        response.headers_mut().extend(self.headers);
        response
    }
}

/// Which kind of access a SMART scope must grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// `{Type}/{id}`: v1 `.read`, v2 `r`.
    Read,
    /// Searches: v1 `.read`, v2 `s`.
    Search,
}

/// Whether the granted `scope` lets the token do `access` on `resource_type`.
pub(crate) fn scope_allows(scope: &str, resource_type: &str, access: Access) -> bool {
    let letter = match access {
        Access::Read => 'r',
        Access::Search => 's',
    };
    scope.split(' ').any(|s| {
        let Some((resource, permission)) =
            s.strip_prefix("patient/").and_then(|s| s.split_once('.'))
        else {
            return false;
        };
        (resource == "*" || resource == resource_type)
            && (matches!(permission, "read" | "*") || permission.contains(letter))
    })
}

/// The token's grant, or the 401 to answer (RFC 6750 §3: `WWW-Authenticate: Bearer`, with
/// `error="invalid_token"` when a token was given but is unknown or expired).
pub(crate) fn authenticate(
    provider: &Provider,
    headers: &HeaderMap,
) -> Result<TokenGrant, Refusal> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let mut inner = provider.lock();
    let failure = match presented {
        None => None,
        Some(token) => match inner.access_tokens.get(token) {
            Some(grant) if grant.expires > Instant::now() => return Ok(grant.clone()),
            Some(_) => Some("the access token has expired"),
            None => Some("the access token is unknown or revoked"),
        },
    };
    inner.stats.unauthorized += 1;
    drop(inner);
    let realm = &provider.fhir_base;
    let (challenge, diagnostics) = match failure {
        None => (
            format!("Bearer realm=\"{realm}\""),
            "a bearer access token is required",
        ),
        Some(why) => (
            format!(
                "Bearer realm=\"{realm}\", error=\"invalid_token\", error_description=\"{why}\""
            ),
            why,
        ),
    };
    let refusal = Refusal::new(StatusCode::UNAUTHORIZED, "login", diagnostics);
    Err(match HeaderValue::from_str(&challenge) {
        Ok(value) => refusal.with_header(header::WWW_AUTHENTICATE, value),
        Err(_) => refusal,
    })
}

/// The 403 for a type the provider withholds from patients (`forbidden_types`) or the
/// token's scope does not cover.
pub(crate) fn withheld(
    provider: &Provider,
    token: &TokenGrant,
    resource_type: &str,
    access: Access,
) -> Result<(), Refusal> {
    if provider
        .config
        .forbidden_types
        .iter()
        .any(|t| t == resource_type)
    {
        return Err(Refusal::forbidden(format!(
            "{resource_type} is not available to patient applications"
        )));
    }
    if !scope_allows(&token.scope, resource_type, access) {
        return Err(Refusal::forbidden(format!(
            "the granted scope does not cover {resource_type} ({access:?})"
        )));
    }
    Ok(())
}

/// Where a resource was found.
enum Lookup {
    Own(Arc<Value>),
    /// Another patient's: the token may not see it.
    Others,
    Missing,
}

fn lookup(provider: &Provider, patient: &str, resource_type: &str, id: &str) -> Lookup {
    let inner = provider.lock();
    let matches = |r: &&Arc<Value>| type_of(r) == resource_type && id_of(r) == id;
    for record in &inner.records {
        if let Some(found) = record.resources.iter().find(matches) {
            return if record.patient_id == patient {
                Lookup::Own(Arc::clone(found))
            } else {
                Lookup::Others
            };
        }
    }
    Lookup::Missing
}

/// `GET /fhir/{type}/{id}`: one of the patient's resources, including the Organizations and
/// Practitioners their resources refer to.
pub(crate) async fn read(
    State(provider): State<Arc<Provider>>,
    Path((resource_type, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    provider.wait_while_paused().await;
    read_resource(&provider, &resource_type, &id, &headers)
        .unwrap_or_else(IntoResponse::into_response)
}

fn read_resource(
    provider: &Provider,
    resource_type: &str,
    id: &str,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    let token = authenticate(provider, headers)?;
    withheld(provider, &token, resource_type, Access::Read)?;
    let found = match lookup(provider, &token.patient, resource_type, id) {
        Lookup::Own(found) => found,
        Lookup::Others => {
            return Err(Refusal::forbidden(format!(
                "{resource_type}/{id} belongs to another patient"
            )));
        }
        Lookup::Missing => {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("{resource_type}/{id} is not known"),
            ));
        }
    };
    if resource_type == "Binary" {
        return binary(provider, &found, headers);
    }
    provider.lock().stats.reads += 1;
    Ok(fhir_json(StatusCode::OK, &found))
}

/// A Binary as a FHIR resource when the client asks for FHIR JSON, else its raw bytes with
/// their own Content-Type, as real servers answer attachment URLs.
fn binary(provider: &Provider, resource: &Value, headers: &HeaderMap) -> Result<Response, Refusal> {
    let wants_fhir = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/fhir+json") || v.contains("application/json+fhir"));
    let response = if wants_fhir {
        fhir_json(StatusCode::OK, resource)
    } else {
        let content_type = resource["contentType"]
            .as_str()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let Ok(bytes) = STANDARD.decode(resource["data"].as_str().unwrap_or_default()) else {
            return Err(Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "exception",
                "the Binary's data is not base64",
            ));
        };
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            bytes,
        )
            .into_response()
    };
    provider.lock().stats.binary_fetches += 1;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_cover_types_by_name_or_wildcard_and_by_permission() {
        assert!(scope_allows(
            "launch/patient patient/*.read",
            "Observation",
            Access::Search
        ));
        assert!(scope_allows(
            "patient/Observation.rs",
            "Observation",
            Access::Read
        ));
        assert!(!scope_allows(
            "patient/Observation.rs",
            "Condition",
            Access::Read
        ));
        assert!(!scope_allows("patient/*.r", "Condition", Access::Search));
        assert!(!scope_allows(
            "launch/patient openid",
            "Patient",
            Access::Read
        ));
    }
}
