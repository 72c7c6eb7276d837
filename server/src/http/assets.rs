//! Serving the built app (Trunk's `dist`): hashed assets cached forever, app routes falling
//! back to `index.html`, and unknown files answered 404.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;
use tower_http::services::ServeFile;

use super::problem::{ApiError, problem_response};

/// The app's files on disk and its `index.html`, read once at start.
#[derive(Debug, Clone)]
pub struct AppAssets {
    dir: PathBuf,
    index_html: Option<Arc<str>>,
}

impl AppAssets {
    pub fn load(dir: &Path) -> Self {
        let index_html = std::fs::read_to_string(dir.join("index.html"))
            .ok()
            .map(Arc::from);
        AppAssets {
            dir: dir.to_path_buf(),
            index_html,
        }
    }

    pub fn index_html(&self) -> Option<&str> {
        self.index_html.as_deref()
    }

    fn index_response(&self) -> Response {
        match &self.index_html {
            Some(html) => {
                let mut response = Response::new(Body::from(html.to_string()));
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                // The page names the hashed assets, so it must be revalidated every time.
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            }
            None => ApiError::AppNotBuilt.into_response(),
        }
    }
}

/// The fallback for every path no API route matched.
pub async fn serve_app(State(assets): State<AppAssets>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path == "/api" || path.starts_with("/api/") {
        return problem_response(
            StatusCode::NOT_FOUND,
            Some(format!("no API endpoint at {path}")),
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return problem_response(
            StatusCode::METHOD_NOT_ALLOWED,
            Some("the app's pages can only be read".to_owned()),
        );
    }
    let Some(relative) = safe_relative_path(&path) else {
        return problem_response(StatusCode::NOT_FOUND, Some("no such file".to_owned()));
    };
    if relative.as_os_str().is_empty() || relative == Path::new("index.html") {
        return assets.index_response();
    }
    let file = assets.dir.join(&relative);
    if file.is_file() {
        // A file with a gzipped copy beside it (`name.gz`, such as the provider directory
        // `cargo xtask provider-directory` writes) goes out compressed to a browser that
        // accepts gzip; the server compresses nothing itself.
        let serve = ServeFile::new(&file).precompressed_gzip();
        let mut response = match serve.oneshot(request).await {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        };
        if response.status().is_success() {
            let cache = if is_content_hashed(&relative) {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        }
        return response;
    }
    // A path without an extension is a page of the single-page app (`/view`, `/records/…`).
    if relative.extension().is_none() {
        return assets.index_response();
    }
    problem_response(StatusCode::NOT_FOUND, Some(format!("no file at {path}")))
}

/// The request path as a path inside the app folder, or `None` if it tries to leave it.
fn safe_relative_path(path: &str) -> Option<PathBuf> {
    let mut relative = PathBuf::new();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(relative)
}

/// Trunk names built assets `name-<hash>.ext` (a u64 in hex), and `cargo xtask build` puts
/// the app's split WASM in a folder `app-<16 hex>/`; those never change content.
fn is_content_hashed(path: &Path) -> bool {
    let in_hashed_folder = path
        .components()
        .next()
        .and_then(|first| first.as_os_str().to_str())
        .and_then(|first| first.strip_prefix("app-"))
        .is_some_and(|hash| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()));
    if in_hashed_folder && path.components().count() > 1 {
        return true;
    }
    let Some(stem) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let stem = stem.split('.').next().unwrap_or(stem);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    match stem.rsplit_once('-') {
        // A u64 in hex without leading zeros: usually 16 digits, now and then fewer.
        Some((_, hash)) => {
            (12..=16).contains(&hash.len()) && hash.chars().all(|c| c.is_ascii_hexdigit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_trunk_hashed_names() {
        assert!(is_content_hashed(Path::new(
            "folio-app-1a2b3c4d5e6f7a8b.js"
        )));
        assert!(is_content_hashed(Path::new(
            "folio-app-1a2b3c4d5e6f7a8b_bg.wasm"
        )));
        assert!(is_content_hashed(Path::new("style-0123456789abcdef.css")));
        assert!(is_content_hashed(Path::new("folio-app-2641c9468953a4c.js")));
        assert!(!is_content_hashed(Path::new("sw.js")));
        assert!(!is_content_hashed(Path::new("manifest.webmanifest")));
        assert!(!is_content_hashed(Path::new("icon-192.png")));
        assert!(is_content_hashed(Path::new(
            "app-0123456789abcdef/split_share.wasm"
        )));
        assert!(is_content_hashed(Path::new(
            "app-0123456789abcdef/snippets/folio-app-1/src/passkey.js"
        )));
        assert!(!is_content_hashed(Path::new("app-settings/split.wasm")));
    }

    #[test]
    fn refuses_paths_that_leave_the_app_folder() {
        assert_eq!(safe_relative_path("/../etc/passwd"), None);
        assert_eq!(
            safe_relative_path("/icons/a.png"),
            Some(PathBuf::from("icons/a.png"))
        );
        assert_eq!(safe_relative_path("/"), Some(PathBuf::new()));
    }
}
