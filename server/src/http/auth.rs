//! Who is calling: a device's bearer token (`Authorization: Bearer fd_…`) or a browser
//! session cookie.
//!
//! A session cookie is sent by the browser on its own, so a state-changing request made
//! with one must also carry the session's CSRF token in the `x-folio-csrf` header: a page
//! from another site cannot read it. (`SameSite=Strict` already stops most cross-site
//! requests; the token also covers same-site subdomains and old browsers.)

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use folio_shared::api::account::{CSRF_HEADER, SESSION_COOKIE, SessionScope};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use super::AppState;
use super::problem::ApiError;
use crate::storage::devices;
use crate::storage::entity::device;
use crate::storage::sessions::{self, Session};

/// Who is making a request: an account, through a device or a full browser session.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: Uuid,
    pub via: SignedInWith,
}

#[derive(Debug, Clone)]
pub enum SignedInWith {
    Device(device::Model),
    Session(Session),
}

impl Principal {
    pub fn device_id(&self) -> Option<Uuid> {
        match &self.via {
            SignedInWith::Device(d) => Some(d.id),
            SignedInWith::Session(_) => None,
        }
    }
}

/// A browser session of any scope, including a recovery session: for the few routes a user
/// who signed in with the recovery code may use.
#[derive(Debug, Clone)]
pub struct AnySession(pub Session);

/// The CSRF token of a session: derived from the session's secret, so it needs no storage
/// and changes with every session.
pub fn csrf_token(session_token: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"folio/csrf/v1\0")
        .chain_update(session_token.as_bytes())
        .finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// The `Set-Cookie` value that stores a session in the browser.
pub fn session_cookie(token: &str, max_age_secs: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Strict"
    ))
    .expect("a session token is a valid header value")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_session_cookie() -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
    ))
    .expect("a valid header value")
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The live session of a request's cookie, with its CSRF token checked when the method
/// changes state.
async fn session_of(parts: &Parts, state: &AppState) -> Result<Option<Session>, ApiError> {
    let Some(token) = session_token(&parts.headers) else {
        return Ok(None);
    };
    let Some(session) =
        sessions::authenticate(state.storage.db(), &state.session_policy(), token).await?
    else {
        return Err(ApiError::Unauthorized(
            "your session has ended: sign in again".into(),
        ));
    };
    if !is_safe(&parts.method) {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        let expected = csrf_token(token);
        if !bool::from(sent.ct_eq(expected.as_bytes())) {
            return Err(ApiError::Forbidden(format!(
                "this request needs the session's CSRF token in the `{CSRF_HEADER}` header"
            )));
        }
    }
    Ok(Some(session))
}

fn not_signed_in() -> ApiError {
    ApiError::Unauthorized("sign in first: this request needs a device token or a session".into())
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let principal = async {
            if let Some(token) = bearer_token(&parts.headers) {
                let device = devices::authenticate(state.storage.db(), token)
                    .await?
                    .ok_or_else(|| {
                        ApiError::Unauthorized("the device token is unknown or revoked".into())
                    })?;
                return Ok(Principal {
                    account_id: device.account_id,
                    via: SignedInWith::Device(device),
                });
            }
            let session = session_of(parts, state).await?.ok_or_else(not_signed_in)?;
            if session.scope == SessionScope::Recovery {
                return Err(ApiError::Forbidden(
                    "you signed in with the recovery code: register a new passkey first".into(),
                ));
            }
            Ok(Principal {
                account_id: session.account_id,
                via: SignedInWith::Session(session),
            })
        };
        principal.await.map_err(IntoResponse::into_response)
    }
}

impl FromRequestParts<AppState> for AnySession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match session_of(parts, state).await {
            Ok(Some(session)) => Ok(AnySession(session)),
            Ok(None) => Err(ApiError::Unauthorized(
                "sign in first: this request needs a browser session".into(),
            )
            .into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}
