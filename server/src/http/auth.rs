//! Who is calling: a device's bearer token (`Authorization: Bearer fd_…`).
//!
//! Browser sessions (cookies) join this extractor with the passkey work; every vault route
//! already takes a [`Principal`], so they need no change then.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::problem::ApiError;
pub use crate::storage::devices::Principal;

impl FromRequestParts<AppState> for Principal {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(ApiError::Unauthorized(
                "sign in first: this request needs a device token or a session".into(),
            )
            .into_response());
        };
        match crate::storage::devices::authenticate(state.storage.db(), token).await {
            Ok(Some(principal)) => Ok(principal),
            Ok(None) => Err(ApiError::Unauthorized(
                "the device token is unknown or revoked".into(),
            )
            .into_response()),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}
