//! Rate limits on the authentication endpoints, counted per client address and endpoint in
//! the database (see [`crate::storage::rate_limits`]).

use std::net::{IpAddr, SocketAddr};

use axum::Extension;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration;

use super::AppState;
use super::problem::ApiError;
use crate::storage::rate_limits::{self, Decision};

/// The address a request came from: the peer, or behind a trusted proxy the address it
/// appended last to `X-Forwarded-For` (earlier entries are whatever the client sent).
pub(super) fn client_address(state: &AppState, request: &Request) -> Option<IpAddr> {
    if state.config.trust_forwarded_for {
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// Middleware: counts the attempt, and answers 429 with `Retry-After` when the client is
/// over the limit for this endpoint.
pub async fn limit_attempts(
    Extension(state): Extension<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let client = client_address(&state, &request)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    let bucket = format!("{}|{client}", request.uri().path());
    let decision = rate_limits::hit(
        state.storage.db(),
        &bucket,
        state.config.auth_attempts_per_minute,
        Duration::minutes(1),
    )
    .await;
    match decision {
        Ok(Decision::Allowed) => next.run(request).await,
        Ok(Decision::Limited { retry_after_secs }) => {
            tracing::warn!(path = %request.uri().path(), "authentication attempts rate-limited");
            ApiError::TooManyRequests { retry_after_secs }.into_response()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
