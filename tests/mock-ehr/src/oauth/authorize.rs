//! `GET /oauth/authorize`: the standalone patient launch's authorization request, approved
//! at once for the configured patient once every check passes.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use crate::config::Fault;
use crate::params::Params;
use crate::state::{CodeGrant, Provider, random_token};

/// `GET /oauth/authorize`: checks the request and redirects back with a code.
///
/// Until the client and redirect URI are known good, errors are a page and never a
/// redirect: redirecting to an unregistered URI would hand codes or errors to whoever
/// registered it (RFC 6749 §4.1.2.1).
pub(crate) async fn authorize(
    State(provider): State<Arc<Provider>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::from_query(query.as_deref());
    let config = &provider.config;
    let client_id = match params.required("client_id") {
        Ok(id) if id == config.client_id => id,
        Ok(id) => return error_page(&provider, &format!("unknown client_id {id:?}")),
        Err(message) => return error_page(&provider, &message),
    };
    let redirect_uri = match params.required("redirect_uri") {
        Ok(uri) if config.redirect_uris.iter().any(|r| r == uri) => uri,
        Ok(uri) => {
            return error_page(
                &provider,
                &format!("redirect_uri {uri:?} is not registered for client {client_id:?}"),
            );
        }
        Err(message) => return error_page(&provider, &message),
    };
    let Ok(mut back) = Url::parse(redirect_uri) else {
        return error_page(&provider, "the registered redirect_uri is not a URL");
    };
    let state = params
        .single("state")
        .ok()
        .flatten()
        .filter(|s| !s.is_empty());

    let request = match check_authorization_request(&provider, &params) {
        Ok(request) => request,
        Err((error, description)) => {
            let mut pairs = back.query_pairs_mut();
            pairs
                .append_pair("error", error)
                .append_pair("error_description", &description);
            if let Some(state) = state {
                pairs.append_pair("state", state);
            }
            drop(pairs);
            return redirect(&back);
        }
    };

    let code = random_token();
    {
        let mut inner = provider.lock();
        let grant = inner.new_grant();
        inner.codes.insert(
            code.clone(),
            CodeGrant {
                redirect_uri: redirect_uri.to_owned(),
                challenge: request.challenge,
                scope: request.scope,
                issued: Instant::now(),
                used: false,
                grant,
            },
        );
    }
    let state = if provider.fault() == Some(Fault::WrongStateOnRedirect) {
        random_token()
    } else {
        request.state
    };
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &state);
    redirect(&back)
}

/// What an accepted authorization request asked for.
struct AuthorizationRequest {
    state: String,
    challenge: String,
    /// The scopes granted: those asked for that this server knows.
    scope: String,
}

/// The checks made once the redirect URI is trusted; an error is `(error, description)`
/// for the redirect.
fn check_authorization_request(
    provider: &Provider,
    params: &Params,
) -> Result<AuthorizationRequest, (&'static str, String)> {
    let invalid = |message: String| ("invalid_request", message);
    match params.required("response_type").map_err(invalid)? {
        "code" => {}
        other => {
            return Err((
                "unsupported_response_type",
                format!("response_type {other:?} is not supported; use code"),
            ));
        }
    }
    let state = params.required("state").map_err(invalid)?.to_owned();
    match params.single("code_challenge_method").map_err(invalid)? {
        Some("S256") => {}
        Some(other) => {
            return Err(invalid(format!(
                "code_challenge_method {other:?} is refused; only S256 is accepted"
            )));
        }
        None => {
            return Err(invalid(
                "PKCE is required: code_challenge_method=S256".into(),
            ));
        }
    }
    let challenge = params.required("code_challenge").map_err(invalid)?;
    // A S256 challenge is a base64url SHA-256: exactly 43 characters.
    if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(challenge).is_err() {
        return Err(invalid(
            "code_challenge is not a base64url SHA-256 (43 characters)".into(),
        ));
    }
    let aud = params.required("aud").map_err(invalid)?;
    if aud.trim_end_matches('/') != provider.fhir_base {
        return Err(invalid(format!(
            "aud {aud:?} is not this server's FHIR base {:?}",
            provider.fhir_base
        )));
    }
    let requested = params.required("scope").map_err(invalid)?;
    if !requested.split(' ').any(|s| s == "launch/patient") {
        return Err((
            "invalid_scope",
            "a standalone patient launch needs the scope launch/patient".into(),
        ));
    }
    let scope = requested
        .split(' ')
        .filter(|s| known_scope(s, provider.config.scope_style_v2))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(AuthorizationRequest {
        state,
        challenge: challenge.to_owned(),
        scope,
    })
}

/// Whether this server grants `scope`; unknown scopes are dropped from the grant, as real
/// servers do, so the token response's `scope` tells the client what it really got.
fn known_scope(scope: &str, v2: bool) -> bool {
    if matches!(
        scope,
        "launch/patient" | "openid" | "fhirUser" | "offline_access" | "online_access"
    ) {
        return true;
    }
    let Some((resource, permission)) = scope
        .strip_prefix("patient/")
        .and_then(|s| s.split_once('.'))
    else {
        return false;
    };
    let resource_ok = resource == "*" || resource.chars().all(|c| c.is_ascii_alphabetic());
    let v1 = matches!(permission, "read" | "*");
    let v2_permission = !permission.is_empty()
        && permission.chars().all(|c| "cruds".contains(c))
        && permission.chars().is_sorted_by_key(|c| "cruds".find(c));
    resource_ok && (v1 || (v2 && v2_permission))
}

/// The page a browser shows when the provider will not redirect back.
fn error_page(provider: &Provider, message: &str) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let page = format!(
        "<!doctype html><html><head><title>{name}: sign-in error</title></head>\
         <body><h1>{name}</h1><p>This sign-in request cannot be completed: {message}</p>\
         </body></html>",
        name = escape(&provider.config.name),
        message = escape(message),
    );
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

fn redirect(to: &Url) -> Response {
    match HeaderValue::from_str(to.as_str()) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::known_scope;

    #[test]
    fn v2_scopes_are_granted_only_by_a_v2_server() {
        assert!(known_scope("patient/*.read", false));
        assert!(known_scope("patient/Observation.read", false));
        assert!(!known_scope("patient/*.rs", false));
        assert!(known_scope("patient/*.rs", true));
        assert!(
            !known_scope("patient/*.sr", true),
            "v2 letters come in cruds order"
        );
        assert!(!known_scope("user/*.read", true));
        assert!(!known_scope("system/*.read", true));
    }
}
