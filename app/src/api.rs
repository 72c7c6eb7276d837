//! Every call the app makes to the server, in one place.

use folio_shared::api::{Health, Problem};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Why a call to the server failed, in words a patient can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server could not be reached at all.
    Offline,
    /// The server answered with a problem.
    Problem(Problem),
    /// The server answered with something that is not what the app expects.
    Unexpected(String),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Offline => f.write_str(
                "Folio's server cannot be reached. Check your connection and try again.",
            ),
            ApiError::Problem(p) => f.write_str(p.detail.as_deref().unwrap_or(&p.title)),
            ApiError::Unexpected(what) => {
                write!(f, "The server gave an unexpected answer ({what}).")
            }
        }
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let window = web_sys::window().ok_or(ApiError::Offline)?;
    let response = JsFuture::from(window.fetch_with_str(path))
        .await
        .map_err(|_| ApiError::Offline)?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| ApiError::Unexpected("not a response".into()))?;
    let text = JsFuture::from(
        response
            .text()
            .map_err(|_| ApiError::Unexpected("unreadable body".into()))?,
    )
    .await
    .map_err(|_| ApiError::Offline)?
    .as_string()
    .unwrap_or_default();
    if response.ok() {
        serde_json::from_str(&text).map_err(|e| ApiError::Unexpected(e.to_string()))
    } else {
        match serde_json::from_str::<Problem>(&text) {
            Ok(problem) => Err(ApiError::Problem(problem)),
            Err(_) => Err(ApiError::Unexpected(format!("HTTP {}", response.status()))),
        }
    }
}

pub async fn health() -> Result<Health, ApiError> {
    get_json("/healthz").await
}
