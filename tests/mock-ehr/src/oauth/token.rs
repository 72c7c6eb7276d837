//! `POST /oauth/token`: the authorization-code grant (PKCE S256, single-use codes) and the
//! refresh-token grant (rotating), for the one public client.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::config::Fault;
use crate::params::Params;
use crate::state::{Inner, Provider, TokenGrant, alive, random_token};

/// `POST /oauth/token`: the authorization-code and refresh-token grants for the public
/// client.
pub(crate) async fn token(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if !form {
        return token_error(
            "invalid_request",
            "the token request must be application/x-www-form-urlencoded",
        );
    }
    let params = Params::parse(&body);
    let result = match params.required("grant_type") {
        Ok("authorization_code") => exchange_code(&provider, &params),
        Ok("refresh_token") => refresh(&provider, &params),
        Ok(other) => Err((
            "unsupported_grant_type",
            format!("grant_type {other:?} is not supported"),
        )),
        Err(message) => Err(("invalid_request", message)),
    };
    match result {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            body.to_string(),
        )
            .into_response(),
        Err((error, description)) => token_error(error, &description),
    }
}

type TokenResult = Result<Value, (&'static str, String)>;

fn check_client(provider: &Provider, params: &Params) -> Result<(), (&'static str, String)> {
    match params.required("client_id") {
        Ok(id) if id == provider.config.client_id => Ok(()),
        Ok(id) => Err(("invalid_client", format!("unknown client_id {id:?}"))),
        Err(message) => Err(("invalid_request", message)),
    }
}

fn exchange_code(provider: &Provider, params: &Params) -> TokenResult {
    check_client(provider, params)?;
    let code = params
        .required("code")
        .map_err(|m| ("invalid_request", m))?;
    let redirect_uri = params
        .required("redirect_uri")
        .map_err(|m| ("invalid_request", m))?;
    let verifier = params
        .required("code_verifier")
        .map_err(|m| ("invalid_request", m))?;

    let mut inner = provider.lock();
    let Some(grant) = inner.codes.get_mut(code) else {
        return Err(("invalid_grant", "unknown authorization code".into()));
    };
    if grant.used {
        // A replayed code means it leaked: RFC 6749 §4.1.2 says the server SHOULD revoke
        // what was issued from it.
        let grant = grant.grant;
        inner.revoke(grant);
        return Err((
            "invalid_grant",
            "the authorization code was already used; tokens issued from it are revoked".into(),
        ));
    }
    grant.used = true;
    if !alive(grant.issued, provider.config.code_lifetime) {
        return Err(("invalid_grant", "the authorization code has expired".into()));
    }
    if grant.redirect_uri != redirect_uri {
        return Err((
            "invalid_grant",
            "redirect_uri differs from the one in the authorization request".into(),
        ));
    }
    // RFC 7636 §4.1: 43 to 128 unreserved characters.
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !well_formed {
        return Err((
            "invalid_request",
            "code_verifier must be 43 to 128 unreserved characters".into(),
        ));
    }
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return Err((
            "invalid_grant",
            "code_verifier does not match the code_challenge".into(),
        ));
    }
    let (scope, grant) = (grant.scope.clone(), grant.grant);
    inner.stats.token_grants += 1;
    let patient = provider.patient_id().to_owned();
    Ok(issue(provider, &mut inner, patient, scope, grant))
}

fn refresh(provider: &Provider, params: &Params) -> TokenResult {
    check_client(provider, params)?;
    let refresh_token = params
        .required("refresh_token")
        .map_err(|m| ("invalid_request", m))?;
    let narrower = params.single("scope").map_err(|m| ("invalid_request", m))?;
    let mut inner = provider.lock();
    // Rotation: the presented refresh token is spent whatever happens next.
    let Some(old) = inner.refresh_tokens.remove(refresh_token) else {
        return Err((
            "invalid_grant",
            "unknown, revoked or already used refresh token".into(),
        ));
    };
    let scope = match narrower {
        Some(asked) => {
            let granted: Vec<&str> = old.scope.split(' ').collect();
            if let Some(extra) = asked.split(' ').find(|s| !granted.contains(s)) {
                return Err((
                    "invalid_scope",
                    format!("scope {extra:?} was not granted originally"),
                ));
            }
            asked.to_owned()
        }
        None => old.scope,
    };
    inner.stats.refreshes += 1;
    Ok(issue(provider, &mut inner, old.patient, scope, old.grant))
}

/// Stores and describes a new access token, and a refresh token when the scope asks for
/// one (`offline_access` or `online_access`; without either, real servers issue none).
fn issue(
    provider: &Provider,
    inner: &mut Inner,
    patient: String,
    scope: String,
    grant: u64,
) -> Value {
    let lifetime = provider.config.access_token_lifetime;
    let access_token = random_token();
    inner.stats.issued_tokens.push(access_token.clone());
    let token = TokenGrant {
        patient: patient.clone(),
        scope: scope.clone(),
        grant,
        expires: Instant::now() + lifetime,
    };
    inner
        .access_tokens
        .insert(access_token.clone(), token.clone());
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs().max(1),
        "scope": scope,
        "need_patient_banner": true,
    });
    if scope
        .split(' ')
        .any(|s| s == "offline_access" || s == "online_access")
    {
        let refresh_token = random_token();
        inner.stats.issued_tokens.push(refresh_token.clone());
        inner.refresh_tokens.insert(refresh_token.clone(), token);
        body["refresh_token"] = Value::String(refresh_token);
    }
    if inner.fault != Some(Fault::TokenWithoutPatient) {
        body["patient"] = Value::String(patient);
    }
    body
}

/// An RFC 6749 §5.2 error: 400 with `error` and `error_description`.
fn token_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        json!({"error": error, "error_description": description}).to_string(),
    )
        .into_response()
}
