//! The SMART Health Links data plane: what any viewer, anywhere, calls with a link.
//!
//! - `POST /shl/{link_id}`: the manifest (recipient required, passcode when the link has one);
//! - `GET /shl/{link_id}?recipient=…`: the single file of a `U` link;
//! - `GET /shl/{link_id}/files/{position}?ticket=…`: a manifest's `location`, for 60 s.
//!
//! No authentication: the link id (256 random bits) is the capability. Every link that is
//! not live, or does not exist, gets the same 404, so nothing can be learned by probing; for
//! a known link the refusal is written to its access log. CORS is open (`*`) on these routes
//! only, including on errors, so browser viewers on other sites can read a 401 or a 404.
//! Neither the link id, nor a passcode, nor a ticket is ever logged.

// The refusals here are finished responses (a 401 body, a 404, a 429), passed up once per
// request: boxing them would buy nothing.
#![allow(clippy::result_large_err)]

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use folio_shared::api::Problem;
use folio_shared::shl::{
    LinkId, Manifest, ManifestFile, ManifestRequest, ManifestStatus, PasscodeRejected,
};
use sha2::{Digest, Sha256};
use tower_http::cors::{Any, CorsLayer};

use super::AppState;
use super::problem::ApiError;
use crate::storage::entity::share;
use crate::storage::rate_limits::{self, Decision};
use crate::storage::shares::{self, AccessOutcome};

/// The longest JWE embedded in a manifest when the receiver sets no `embeddedLengthMax`:
/// small files save the viewer a second request, larger ones come as a `location`.
pub const DEFAULT_EMBEDDED_MAX: usize = 16 * 1024;
/// How long a `location` URL works. The standard allows up to an hour; a viewer fetches at
/// once, and asks for the manifest again when it is late.
pub const TICKET_LIFETIME_SECS: i64 = 60;
/// Requests one client may make to one link per minute before getting 429.
pub const REQUESTS_PER_MINUTE: u32 = 60;
const MAX_RECIPIENT_CHARS: usize = 200;
const MANIFEST_BODY_LIMIT: usize = 64 * 1024;
const JOSE: &str = "application/jose";

/// CORS for the data plane: any origin, the methods and header the protocol uses.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER])
}

/// A request path fit for a log line: the link id in `/shl/…` is a capability and is
/// replaced by `{link_id}`.
pub fn loggable_path(path: &str) -> Cow<'_, str> {
    match path.strip_prefix("/shl/") {
        Some(rest) => {
            let after_id = rest.find('/').map_or("", |i| &rest[i..]);
            Cow::Owned(format!("/shl/{{link_id}}{after_id}"))
        }
        None => Cow::Borrowed(path),
    }
}

/// The one answer for every link that is not live or does not exist.
fn not_live() -> Response {
    ApiError::NotFound("this link is not active: it may have expired or been revoked".into())
        .into_response()
}

fn client_address(state: &AppState, request: &Request) -> String {
    super::rate_limit::client_address(state, request)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// Counts the request against this client's budget for this link. The bucket names the
/// link by a hash prefix, never by its id.
async fn within_rate(state: &AppState, link_id: &LinkId, client: String) -> Result<(), Response> {
    let link = Sha256::digest(link_id.as_str().as_bytes());
    let bucket = format!(
        "shl|{}|{}",
        link[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        client
    );
    match rate_limits::hit(
        state.storage.db(),
        &bucket,
        REQUESTS_PER_MINUTE,
        Duration::minutes(1),
    )
    .await
    {
        Ok(Decision::Allowed) => Ok(()),
        Ok(Decision::Limited { retry_after_secs }) => {
            tracing::warn!("share-link requests rate-limited");
            Err(ApiError::TooManyRequests { retry_after_secs }.into_response())
        }
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// The recipient as the log will show it, or a 400.
fn recipient(value: Option<&str>) -> Result<String, Response> {
    let name = value.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::BadRequest(
            "`recipient` is required: say who is opening the link".into(),
        )
        .into_response());
    }
    if name.chars().count() > MAX_RECIPIENT_CHARS {
        return Err(
            ApiError::BadRequest("`recipient` is longer than 200 characters".into())
                .into_response(),
        );
    }
    Ok(name.to_owned())
}

fn query_param(request: &Request, name: &str) -> Option<String> {
    url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

async fn log(
    state: &AppState,
    share: &share::Model,
    recipient: &str,
    outcome: AccessOutcome,
) -> Result<(), Response> {
    shares::record_access(state.storage.db(), share.id, recipient, outcome)
        .await
        .map_err(|e| ApiError::from(e).into_response())
}

/// Logs the refusal of a link that is not live and answers 404; `None` when it is live.
async fn refuse_unless_live(
    state: &AppState,
    share: &share::Model,
    recipient: &str,
) -> Option<Response> {
    let outcome = shares::refusal(shares::status(share, Utc::now()))?;
    Some(match log(state, share, recipient, outcome).await {
        Ok(()) => not_live(),
        Err(response) => response,
    })
}

/// Counts one open, or logs why there was none left and answers 404.
async fn open_or_refuse(
    state: &AppState,
    share: &share::Model,
    recipient: &str,
) -> Result<(), Response> {
    if shares::count_open(state.storage.db(), share.id)
        .await
        .map_err(|e| ApiError::from(e).into_response())?
    {
        return Ok(());
    }
    // Revoked or used up since the share was read: log which.
    let now = shares::get(state.storage.db(), share.id)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let outcome = now
        .as_ref()
        .and_then(|s| shares::refusal(shares::status(s, Utc::now())))
        .unwrap_or(AccessOutcome::Exhausted);
    log(state, share, recipient, outcome).await?;
    Err(not_live())
}

fn passcode_rejected(remaining: i32) -> Response {
    let body = PasscodeRejected {
        remaining_attempts: remaining.max(0) as u32,
    };
    let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Checks the passcode of a link that has one. An attempt is taken from the budget first,
/// atomically, and given back only when the passcode is right: however many guesses arrive
/// at once, no more than the budget are ever checked, and none after it is spent.
async fn check_passcode(
    state: &AppState,
    share: &share::Model,
    recipient: &str,
    passcode: Option<String>,
) -> Result<(), Response> {
    let Some(phc) = share.passcode_hash.clone() else {
        return Ok(());
    };
    let db = state.storage.db();
    let Some(candidate) = passcode.filter(|p| !p.is_empty()) else {
        // Asking without a passcode costs nothing: it tells the viewer one is needed.
        log(state, share, recipient, AccessOutcome::WrongPasscode).await?;
        return Err(passcode_rejected(share.attempts_left.unwrap_or(0)));
    };
    let Some(left) = shares::reserve_attempt(db, share.id)
        .await
        .map_err(|e| ApiError::from(e).into_response())?
    else {
        log(state, share, recipient, AccessOutcome::Locked).await?;
        return Err(not_live());
    };
    let matches = tokio::task::spawn_blocking(move || shares::passcode_matches(&phc, &candidate))
        .await
        .map_err(|e| ApiError::Internal(e.into()).into_response())?;
    if matches {
        shares::refund_attempt(db, share.id)
            .await
            .map_err(|e| ApiError::from(e).into_response())?;
        Ok(())
    } else {
        log(state, share, recipient, AccessOutcome::WrongPasscode).await?;
        Err(passcode_rejected(left))
    }
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn jose(jwe: String) -> Response {
    let mut response = Response::new(Body::from(jwe));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JOSE));
    no_store(response)
}

/// The manifest of a link: its files, embedded or at a short-lived location.
#[utoipa::path(post, path = "/shl/{link_id}", tag = "shl", request_body = ManifestRequest,
    params(("link_id" = String, Path, description = "The link's 43-character id")),
    responses(
        (status = 200, description = "The link's manifest: where to fetch each file", body = Manifest),
        (status = 400, description = "No recipient", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong or missing passcode", body = PasscodeRejected),
        (status = 404, description = "Unknown, expired, revoked, used up or locked", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn manifest(
    State(state): State<AppState>,
    Path(link): Path<String>,
    request: Request,
) -> Response {
    match serve_manifest(&state, &link, request).await {
        Ok(response) | Err(response) => no_store(response),
    }
}

async fn serve_manifest(
    state: &AppState,
    link: &str,
    request: Request,
) -> Result<Response, Response> {
    let link_id = LinkId::parse(link).ok_or_else(not_live)?;
    let client = client_address(state, &request);
    within_rate(state, &link_id, client).await?;
    let body = axum::body::to_bytes(request.into_body(), MANIFEST_BODY_LIMIT)
        .await
        .map_err(|_| {
            ApiError::PayloadTooLarge {
                limit: MANIFEST_BODY_LIMIT,
            }
            .into_response()
        })?;
    let json: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
        ApiError::BadRequest("the body must be a JSON manifest request".into()).into_response()
    })?;
    let recipient = recipient(json.get("recipient").and_then(|r| r.as_str()))?;
    let asked: ManifestRequest = serde_json::from_value(json).map_err(|_| {
        ApiError::BadRequest(
            "the manifest request has `recipient`, `passcode` (text) and `embeddedLengthMax` (a number)"
                .into(),
        )
        .into_response()
    })?;
    let db = state.storage.db();
    let share = shares::find_by_link(db, &link_id)
        .await
        .map_err(|e| ApiError::from(e).into_response())?
        .ok_or_else(not_live)?;
    if let Some(refused) = refuse_unless_live(state, &share, &recipient).await {
        return Err(refused);
    }
    check_passcode(state, &share, &recipient, asked.passcode).await?;
    open_or_refuse(state, &share, &recipient).await?;
    let stored = shares::files(db, share.id)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let embed_max = asked.embedded_length_max.map_or(DEFAULT_EMBEDDED_MAX, |m| {
        usize::try_from(m).unwrap_or(usize::MAX)
    });
    let base = super::shares::link_url(state, &link_id);
    let mut files = Vec::with_capacity(stored.len());
    for file in stored {
        let (embedded, location) = if file.jwe.len() <= embed_max {
            (Some(file.jwe), None)
        } else {
            let ticket = shares::issue_ticket(
                db,
                share.id,
                file.position,
                Duration::seconds(TICKET_LIFETIME_SECS),
            )
            .await
            .map_err(|e| ApiError::from(e).into_response())?;
            (
                None,
                Some(format!("{base}/files/{}?ticket={ticket}", file.position)),
            )
        };
        files.push(ManifestFile {
            content_type: file.content_type,
            embedded,
            location,
            last_updated: None,
            status: None,
            fhir_version: None,
        });
    }
    log(state, &share, &recipient, AccessOutcome::Opened).await?;
    Ok(axum::Json(Manifest {
        status: Some(ManifestStatus::Finalized),
        files,
        list: None,
    })
    .into_response())
}

/// The single file of a `U` link, as `application/jose`.
#[utoipa::path(get, path = "/shl/{link_id}", tag = "shl",
    params(
        ("link_id" = String, Path, description = "The link's 43-character id"),
        ("recipient" = String, Query, description = "Who is opening the link, for the patient's log"),
    ),
    responses(
        (status = 200, description = "The compact JWE", content_type = "application/jose", body = String),
        (status = 400, description = "No recipient", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown, not a U link, expired, revoked or used up", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn direct_file(
    State(state): State<AppState>,
    Path(link): Path<String>,
    request: Request,
) -> Response {
    match serve_direct_file(&state, &link, request).await {
        Ok(response) | Err(response) => no_store(response),
    }
}

async fn serve_direct_file(
    state: &AppState,
    link: &str,
    request: Request,
) -> Result<Response, Response> {
    let link_id = LinkId::parse(link).ok_or_else(not_live)?;
    let client = client_address(state, &request);
    within_rate(state, &link_id, client).await?;
    let recipient = recipient(query_param(&request, "recipient").as_deref())?;
    let db = state.storage.db();
    let share = shares::find_by_link(db, &link_id)
        .await
        .map_err(|e| ApiError::from(e).into_response())?
        .filter(|s| s.flags.contains('U'))
        .ok_or_else(not_live)?;
    if let Some(refused) = refuse_unless_live(state, &share, &recipient).await {
        return Err(refused);
    }
    open_or_refuse(state, &share, &recipient).await?;
    let file = shares::file(db, share.id, 0)
        .await
        .map_err(|e| ApiError::from(e).into_response())?
        .ok_or_else(not_live)?;
    log(state, &share, &recipient, AccessOutcome::Opened).await?;
    Ok(jose(file.jwe))
}

/// One file of a manifest, at the `location` the manifest gave: the ticket is for that
/// file only and works for 60 seconds.
#[utoipa::path(get, path = "/shl/{link_id}/files/{position}", tag = "shl",
    params(
        ("link_id" = String, Path, description = "The link's 43-character id"),
        ("position" = i32, Path, description = "The file's place in the manifest"),
        ("ticket" = String, Query, description = "The ticket from the manifest's location"),
    ),
    responses(
        (status = 200, description = "The compact JWE", content_type = "application/jose", body = String),
        (status = 404, description = "Unknown, expired ticket, expired or revoked link", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn located_file(
    State(state): State<AppState>,
    Path((link, position)): Path<(String, i32)>,
    request: Request,
) -> Response {
    match serve_located_file(&state, &link, position, request).await {
        Ok(response) | Err(response) => no_store(response),
    }
}

async fn serve_located_file(
    state: &AppState,
    link: &str,
    position: i32,
    request: Request,
) -> Result<Response, Response> {
    let link_id = LinkId::parse(link).ok_or_else(not_live)?;
    let client = client_address(state, &request);
    within_rate(state, &link_id, client).await?;
    let ticket = query_param(&request, "ticket").ok_or_else(not_live)?;
    let db = state.storage.db();
    let share = shares::find_by_link(db, &link_id)
        .await
        .map_err(|e| ApiError::from(e).into_response())?
        .ok_or_else(not_live)?;
    // The open was counted (and logged) with the manifest, so a link whose last open that
    // was still serves its files; only revocation and expiry stop them.
    if share.revoked_at.is_some() || share.expires_at <= Utc::now() {
        return Err(not_live());
    }
    let valid = shares::ticket_valid(db, share.id, position, &ticket)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    if !valid {
        return Err(not_live());
    }
    let file = shares::file(db, share.id, position)
        .await
        .map_err(|e| ApiError::from(e).into_response())?
        .ok_or_else(not_live)?;
    Ok(jose(file.jwe))
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn log_lines_never_hold_a_link_id() {
        let id = "I91rhba3VsuGXGchcnr6VHlQFKxfE28kuZ0ssbEuxno";
        assert_eq!(loggable_path(&format!("/shl/{id}")), "/shl/{link_id}");
        assert_eq!(
            loggable_path(&format!("/shl/{id}/files/0")),
            "/shl/{link_id}/files/0"
        );
        assert_eq!(loggable_path("/api/v1/vaults"), "/api/v1/vaults");
    }
}
