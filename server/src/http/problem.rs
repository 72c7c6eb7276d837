//! Every error the API returns, as RFC 9457 problem JSON, in one place.
//!
//! Handlers return [`ApiError`]; only this module decides the status and the words a user
//! sees. Internal errors are logged with their cause and answered without it, so nothing
//! about the database or the code leaks to a client.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use folio_shared::api::Problem;
use folio_shared::api::account::{
    AccountCriticalAction, FRESH_PROOF_ACTION_MEMBER, FRESH_PROOF_REQUIRED,
};

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body is larger than this endpoint accepts ({limit} bytes)")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// An account-critical change without a fresh proof of its caller (403, with a problem
    /// `type` clients recognise).
    #[error(
        "confirm it's you first: this change needs a passkey confirmation (user verification \
         required) made in the last 5 minutes by this session or device. Start it with \
         POST /api/v1/auth/fresh-proof/start, answer with a passkey of this account and send \
         the answer to POST /api/v1/auth/fresh-proof/finish (or send the recovery code's \
         verifier to POST /api/v1/auth/fresh-proof/recovery-code), then repeat this request"
    )]
    FreshProofRequired(AccountCriticalAction),
    #[error("{0}")]
    NotFound(String),
    #[error("too many attempts: try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{0}")]
    InsufficientStorage(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("the app has not been built: run `cargo xtask run`")]
    AppNotBuilt,
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] sea_orm::DbErr),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::FreshProofRequired(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::InsufficientStorage(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::AppNotBuilt | ApiError::DatabaseUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::Internal(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            ApiError::DatabaseUnavailable(cause) => {
                tracing::error!(error = %cause, "database unavailable")
            }
            _ => {}
        }
        let mut response = match &self {
            ApiError::FreshProofRequired(action) => {
                let mut extensions = serde_json::Map::new();
                extensions.insert(
                    FRESH_PROOF_ACTION_MEMBER.to_owned(),
                    serde_json::to_value(action).expect("an action serializes"),
                );
                problem_json(Problem {
                    kind: FRESH_PROOF_REQUIRED.to_owned(),
                    title: "Confirm it's you".to_owned(),
                    status: status.as_u16(),
                    detail: Some(self.to_string()),
                    extensions,
                })
            }
            _ => problem_response(status, Some(self.to_string())),
        };
        if let ApiError::TooManyRequests { retry_after_secs } = &self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A problem response for `status`, titled with the status's reason phrase.
pub fn problem_response(status: StatusCode, detail: Option<String>) -> Response {
    problem_json(Problem {
        kind: "about:blank".to_owned(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        extensions: Default::default(),
    })
}

fn problem_json(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).expect("a problem always serializes");
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

/// Turns error responses made outside our handlers (axum's 405, tower-http's 413, a panic
/// caught as 500) into problem JSON, so a client can rely on one error format.
pub async fn errors_as_problems(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if is_json {
        return response;
    }
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => Some("the request body is too large".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => Some("this method is not allowed here".to_owned()),
        StatusCode::NOT_FOUND => Some("no such resource".to_owned()),
        _ => None,
    };
    let (parts, _) = response.into_parts();
    let mut problem = problem_response(status, detail);
    // Keep headers such as `Allow` and `Retry-After` that tell the client what to do next.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    problem
}
