//! A JSON extractor whose every rejection is a problem with a message a client can act on.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::problem::{ApiError, problem_response};

/// Like [`axum::Json`], but a malformed body gets problem JSON that says what was wrong.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(rejection_to_problem(rejection)),
        }
    }
}

fn rejection_to_problem(rejection: JsonRejection) -> Response {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
            "expected a request body with `Content-Type: application/json`".to_owned(),
        )
        .into_response(),
        JsonRejection::JsonSyntaxError(err) => {
            ApiError::BadRequest(format!("the body is not valid JSON: {}", err.body_text()))
                .into_response()
        }
        JsonRejection::JsonDataError(err) => {
            ApiError::Unprocessable(format!("the JSON does not match: {}", err.body_text()))
                .into_response()
        }
        JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            problem_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("the request body is too large".to_owned()),
            )
        }
        other => problem_response(other.status(), Some(other.body_text())),
    }
}
