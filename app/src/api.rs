//! Every call the app makes to the server, in one place.
//!
//! A browser session is the `folio_session` cookie, which JavaScript cannot read, plus a CSRF
//! token that the server hands out with the session and wants back in a header on every
//! state-changing request. The token lives here, next to the one function that sends
//! requests, and is refreshed by every answer that carries a session: callers cannot forget
//! it, and it never goes to storage.

use std::cell::RefCell;

use folio_shared::api::account::{
    AccountUnlock, AddPasskey, Assertion, AuthenticationOptions, CSRF_HEADER, DeviceSummary,
    FreshProof, LoginStart, Pairing, PasskeySummary, Recover, RecoverySetup, RegistrationOptions,
    RegistrationStart, RenamePasskey, SessionInfo, SignUp, SignedIn, SignedOutEverywhere,
    UnlockKey,
};
use folio_shared::api::account_keys::{AccountKeyRotation, AccountKeysRotated, AccountVaultKey};
use folio_shared::api::care::{
    AcceptInvitation, AcceptedInvitation, ActivityEntry, Caregiver, ConfirmCaregiver,
    CreateInvitation, Invitation, Membership,
};
use folio_shared::api::roster::{
    AccountSigningKey, RosterAppendRequest, RosterEntries, sign_compaction, sign_upload,
    write_headers,
};
use folio_shared::api::share::{CreateShare, CreatedShare, ShareLog, ShareSummary};
use folio_shared::api::{
    CompactionHead, CompactionResult, CreateVault, Health, Problem, SegmentOrigins,
    UploadedSegment, VaultKeyWrap, VaultSummary, segment_headers,
};
use folio_shared::keys::{KeyEpoch, SigningKey};
use folio_shared::roster::WriteKind;
use folio_shared::segment_stream;
use folio_shared::vault::{SealedSegment, VaultId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
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

impl ApiError {
    /// The HTTP status of a problem answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Problem(problem) => Some(problem.status),
            _ => None,
        }
    }
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

thread_local! {
    static CSRF_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    static ON_SESSION_LOST: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Registers what to do when the server no longer knows this browser's session (it expired,
/// or was ended elsewhere): the app must stop acting signed in, and drop the account key.
pub fn on_session_lost(hook: impl Fn() + 'static) {
    ON_SESSION_LOST.with(|slot| *slot.borrow_mut() = Some(Box::new(hook)));
}

fn remember_session(session: &SessionInfo) {
    CSRF_TOKEN.with(|token| *token.borrow_mut() = Some(session.csrf_token.clone()));
}

fn forget_session() {
    CSRF_TOKEN.with(|token| *token.borrow_mut() = None);
}

/// Sends one request and reads its JSON answer, or the problem the server answered instead.
///
/// A `204 No Content` reads as JSON `null`, which is what `()` deserializes from.
async fn request<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<T, ApiError> {
    let (bytes, _) = send(path, json_request_init(method, body)?).await?;
    let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
    serde_json::from_slice(bytes).map_err(|e| ApiError::Unexpected(e.to_string()))
}

/// Method and headers: the session cookie and, when the request changes something, the
/// CSRF token. The caller sets the body, of `content_type`.
fn request_init(
    method: &str,
    content_type: Option<&str>,
) -> Result<web_sys::RequestInit, ApiError> {
    request_init_with(method, content_type, &[])
}

/// [`request_init`] with headers of the call's own (`extra`).
fn request_init_with(
    method: &str,
    content_type: Option<&str>,
    extra: &[(&str, &str)],
) -> Result<web_sys::RequestInit, ApiError> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    // The session cookie must go with every call, and only to our own origin.
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(|_| ApiError::Unexpected("headers".into()))?;
    let set = |name: &str, value: &str| {
        headers
            .set(name, value)
            .map_err(|_| ApiError::Unexpected(format!("the {name} header")))
    };
    set("accept", "application/json, application/problem+json")?;
    if let Some(content_type) = content_type {
        set("content-type", content_type)?;
    }
    for (name, value) in extra {
        set(name, value)?;
    }
    if method != "GET"
        && let Some(token) = CSRF_TOKEN.with(|token| token.borrow().clone())
    {
        set(CSRF_HEADER, &token)?;
    }
    init.set_headers(&headers);
    Ok(init)
}

/// JSON in, JSON or problem JSON out.
fn json_request_init(
    method: &str,
    body: Option<&impl Serialize>,
) -> Result<web_sys::RequestInit, ApiError> {
    let Some(body) = body else {
        return request_init(method, None);
    };
    let json = serde_json::to_string(body).map_err(|e| ApiError::Unexpected(e.to_string()))?;
    let init = request_init(method, Some("application/json"))?;
    init.set_body(&JsValue::from_str(&json));
    Ok(init)
}

/// Sends raw bytes (or nothing) and reads the raw answer with its headers: the vault's
/// segments and attachments are ciphertext, not JSON.
async fn request_bytes(
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> Result<(Vec<u8>, web_sys::Headers), ApiError> {
    let init = request_init(method, body.map(|_| "application/octet-stream"))?;
    if let Some(body) = body {
        init.set_body(&js_sys::Uint8Array::from(body));
    }
    send(path, init).await
}

/// Fetches `path` and reads the whole answer: its body and headers when it succeeded, or
/// the problem the server answered instead.
async fn send(
    path: &str,
    init: web_sys::RequestInit,
) -> Result<(Vec<u8>, web_sys::Headers), ApiError> {
    let window = web_sys::window().ok_or(ApiError::Offline)?;
    let response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(|_| ApiError::Offline)?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| ApiError::Unexpected("not a response".into()))?;
    let buffer = JsFuture::from(
        response
            .array_buffer()
            .map_err(|_| ApiError::Unexpected("unreadable body".into()))?,
    )
    .await
    .map_err(|_| ApiError::Offline)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    if response.ok() {
        return Ok((bytes, response.headers()));
    }
    // Under /auth/, a 401 refuses a passkey or a recovery code, not the session.
    if response.status() == 401 && !path.starts_with("/api/v1/auth/") {
        session_lost();
    }
    match serde_json::from_slice::<Problem>(&bytes) {
        Ok(problem) => Err(ApiError::Problem(problem)),
        Err(_) => Err(ApiError::Unexpected(format!("HTTP {}", response.status()))),
    }
}

/// The server refused a call for want of a session. If the app believed it had one, it
/// has ended: tell the app once.
fn session_lost() {
    let had_session = CSRF_TOKEN.with(|token| token.borrow_mut().take().is_some());
    if had_session {
        ON_SESSION_LOST.with(|hook| {
            if let Some(hook) = hook.borrow().as_ref() {
                hook();
            }
        });
    }
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    request::<T>("GET", path, None::<&()>).await
}

async fn post<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, ApiError> {
    request("POST", path, Some(body)).await
}

fn signed_in(answer: Result<SignedIn, ApiError>) -> Result<SignedIn, ApiError> {
    if let Ok(signed_in) = &answer {
        remember_session(&signed_in.session);
    }
    answer
}

pub async fn health() -> Result<Health, ApiError> {
    get("/healthz").await
}

// Sessions.

/// The current session, or `None` when this browser is not signed in.
/// This browser's session, or `None` when signed out: asked with `optional=true`, so a
/// signed-out visitor's console shows no failed request.
pub async fn session() -> Result<Option<SessionInfo>, ApiError> {
    match get::<Option<SessionInfo>>("/api/v1/session?optional=true").await {
        Ok(Some(session)) => {
            remember_session(&session);
            Ok(Some(session))
        }
        Ok(None) => {
            forget_session();
            Ok(None)
        }
        Err(error) if error.status() == Some(401) => {
            forget_session();
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

pub async fn sign_up_start(start: &RegistrationStart) -> Result<RegistrationOptions, ApiError> {
    post("/api/v1/auth/register/start", start).await
}

pub async fn sign_up_finish(sign_up: &SignUp) -> Result<SignedIn, ApiError> {
    signed_in(post("/api/v1/auth/register/finish", sign_up).await)
}

pub async fn sign_in_start(start: &LoginStart) -> Result<AuthenticationOptions, ApiError> {
    post("/api/v1/auth/login/start", start).await
}

pub async fn sign_in_finish(assertion: &Assertion) -> Result<SignedIn, ApiError> {
    signed_in(post("/api/v1/auth/login/finish", assertion).await)
}

pub async fn recover(recover: &Recover) -> Result<SignedIn, ApiError> {
    signed_in(post("/api/v1/auth/recover", recover).await)
}

pub async fn sign_out() -> Result<(), ApiError> {
    let answer = request("POST", "/api/v1/auth/sign-out", None::<&()>).await;
    forget_session();
    answer
}

// The account.

pub async fn account_unlock() -> Result<AccountUnlock, ApiError> {
    get("/api/v1/account/unlock").await
}

pub async fn passkeys() -> Result<Vec<PasskeySummary>, ApiError> {
    get("/api/v1/account/passkeys").await
}

pub async fn add_passkey_start(start: &RegistrationStart) -> Result<RegistrationOptions, ApiError> {
    post("/api/v1/account/passkeys/register/start", start).await
}

pub async fn add_passkey_finish(add: &AddPasskey) -> Result<PasskeySummary, ApiError> {
    post("/api/v1/account/passkeys/register/finish", add).await
}

pub async fn rename_passkey(id: Uuid, rename: &RenamePasskey) -> Result<PasskeySummary, ApiError> {
    request(
        "PATCH",
        &format!("/api/v1/account/passkeys/{id}"),
        Some(rename),
    )
    .await
}

pub async fn remove_passkey(id: Uuid) -> Result<(), ApiError> {
    request(
        "DELETE",
        &format!("/api/v1/account/passkeys/{id}"),
        None::<&()>,
    )
    .await
}

pub async fn set_passkey_unlock(id: Uuid, key: &UnlockKey) -> Result<(), ApiError> {
    request(
        "PUT",
        &format!("/api/v1/account/passkeys/{id}/unlock"),
        Some(key),
    )
    .await
}

pub async fn set_recovery_code(setup: &RecoverySetup) -> Result<(), ApiError> {
    request("PUT", "/api/v1/account/recovery-code", Some(setup)).await
}

pub async fn start_pairing() -> Result<Pairing, ApiError> {
    request("POST", "/api/v1/account/pairings", None::<&()>).await
}

pub async fn devices() -> Result<Vec<DeviceSummary>, ApiError> {
    get("/api/v1/account/devices").await
}

pub async fn set_device_unlock(id: Uuid, key: &UnlockKey) -> Result<(), ApiError> {
    request(
        "PUT",
        &format!("/api/v1/account/devices/{id}/unlock"),
        Some(key),
    )
    .await
}

/// Every vault key wrapped to the account, to re-wrap when its keys are replaced.
pub async fn held_vault_keys() -> Result<Vec<AccountVaultKey>, ApiError> {
    get("/api/v1/account/vault-keys").await
}

/// Replaces the account's keys (revoking a device). Needs a fresh proof of this session.
pub async fn rotate_account_keys(
    rotation: &AccountKeyRotation,
) -> Result<AccountKeysRotated, ApiError> {
    post("/api/v1/account/key-rotations", rotation).await
}

/// Deletes the account. Needs a fresh proof of this session.
pub async fn delete_account() -> Result<(), ApiError> {
    let answer = request("DELETE", "/api/v1/account", None::<&()>).await;
    if answer.is_ok() {
        forget_session();
    }
    answer
}

/// Asks for a challenge the account's passkeys answer with user verification: the start of
/// confirming it's the user before an account-critical change.
pub async fn fresh_proof_start() -> Result<AuthenticationOptions, ApiError> {
    request("POST", "/api/v1/auth/fresh-proof/start", None::<&()>).await
}

/// The passkey's answer: this session may make account-critical changes for five minutes.
pub async fn fresh_proof_finish(assertion: &Assertion) -> Result<FreshProof, ApiError> {
    post("/api/v1/auth/fresh-proof/finish", assertion).await
}

/// Ends every session and revokes every device of the account, this one included.
pub async fn sign_out_everywhere() -> Result<SignedOutEverywhere, ApiError> {
    let answer = request("POST", "/api/v1/auth/sign-out-everywhere", None::<&()>).await;
    if answer.is_ok() {
        forget_session();
    }
    answer
}

// Vaults.

pub async fn vaults() -> Result<Vec<VaultSummary>, ApiError> {
    get("/api/v1/vaults").await
}

pub async fn create_vault(vault: &CreateVault) -> Result<VaultSummary, ApiError> {
    post("/api/v1/vaults", vault).await
}

pub async fn vault_keys(id: Uuid) -> Result<Vec<VaultKeyWrap>, ApiError> {
    get(&format!("/api/v1/vaults/{id}/keys")).await
}

/// Who the server says uploaded the segments `seqs` of `vault`, and when.
pub async fn segment_origins(vault: VaultId, seqs: &[i64]) -> Result<SegmentOrigins, ApiError> {
    let seqs: Vec<String> = seqs.iter().map(i64::to_string).collect();
    get(&format!(
        "/api/v1/vaults/{}/segment-origins?seqs={}",
        vault.0,
        seqs.join(",")
    ))
    .await
}

/// One page of a vault's segment log, whether more follow, and the log's generation.
pub struct SegmentPage {
    pub segments: Vec<(u64, SealedSegment)>,
    pub more: bool,
    pub generation: i64,
}

pub async fn segments_after(vault: VaultId, after: u64) -> Result<SegmentPage, ApiError> {
    let (body, headers) = request_bytes(
        "GET",
        &format!("/api/v1/vaults/{}/segments?after={after}", vault.0),
        None,
    )
    .await?;
    let more = headers.get(segment_headers::MORE).ok().flatten().as_deref() == Some("true");
    let generation = headers
        .get(segment_headers::GENERATION)
        .ok()
        .flatten()
        .and_then(|g| g.parse().ok())
        .unwrap_or_default();
    let frames = segment_stream::decode_frames(&body, usize::MAX)
        .map_err(|e| ApiError::Unexpected(e.to_string()))?;
    let segments = frames
        .into_iter()
        .map(|frame| SealedSegment::from_bytes(frame.bytes).map(|s| (frame.seq, s)))
        .collect::<Result<_, _>>()
        .map_err(|e| ApiError::Unexpected(e.to_string()))?;
    Ok(SegmentPage {
        segments,
        more,
        generation,
    })
}

/// Uploads a sealed segment with the writer's signature (`signer`, the account's key).
pub async fn upload_segment(
    vault: VaultId,
    upload_key: &str,
    segment: &SealedSegment,
    signer: &SigningKey,
) -> Result<UploadedSegment, ApiError> {
    let signature = sign_upload(
        signer,
        vault,
        segment.epoch(),
        WriteKind::Segment,
        segment.as_bytes(),
    );
    let init = request_init_with(
        "PUT",
        Some("application/octet-stream"),
        &[(write_headers::WRITE_SIGNATURE, &signature)],
    )?;
    init.set_body(&js_sys::Uint8Array::from(segment.as_bytes()));
    let (body, _) = send(
        &format!("/api/v1/vaults/{}/segments/{upload_key}", vault.0),
        init,
    )
    .await?;
    serde_json::from_slice(&body).map_err(|e| ApiError::Unexpected(e.to_string()))
}

/// The record's member list, genesis first; empty for a record written before signing.
pub async fn roster(vault: VaultId) -> Result<RosterEntries, ApiError> {
    get(&format!("/api/v1/vaults/{}/roster", vault.0)).await
}

/// Appends entries this browser signed to the record's member list.
pub async fn append_roster(vault: VaultId, append: &RosterAppendRequest) -> Result<(), ApiError> {
    post::<serde_json::Value>(&format!("/api/v1/vaults/{}/roster", vault.0), append)
        .await
        .map(drop)
}

/// Gives the server the public half of the account's signing key (and its wrap), once.
pub async fn put_signing_key(key: &AccountSigningKey) -> Result<(), ApiError> {
    request("PUT", "/api/v1/account/signing-key", Some(key)).await
}

pub async fn put_attachment(vault: VaultId, blob: Uuid, sealed: &[u8]) -> Result<(), ApiError> {
    request_bytes(
        "PUT",
        &format!("/api/v1/vaults/{}/attachments/{blob}", vault.0),
        Some(sealed),
    )
    .await
    .map(|_| ())
}

/// A sealed attachment blob, as stored: only the record's keys open it.
pub async fn attachment(vault: VaultId, blob: Uuid) -> Result<Vec<u8>, ApiError> {
    request_bytes(
        "GET",
        &format!("/api/v1/vaults/{}/attachments/{blob}", vault.0),
        None,
    )
    .await
    .map(|(bytes, _)| bytes)
}

// Share links.

pub async fn create_share(vault: VaultId, share: &CreateShare) -> Result<CreatedShare, ApiError> {
    post(&format!("/api/v1/vaults/{}/shares", vault.0), share).await
}

pub async fn shares(vault: VaultId) -> Result<Vec<ShareSummary>, ApiError> {
    get(&format!("/api/v1/vaults/{}/shares", vault.0)).await
}

pub async fn revoke_share(share: Uuid) -> Result<ShareSummary, ApiError> {
    request(
        "POST",
        &format!("/api/v1/shares/{share}/revoke"),
        None::<&()>,
    )
    .await
}

pub async fn share_log(share: Uuid) -> Result<ShareLog, ApiError> {
    get(&format!("/api/v1/shares/{share}/log")).await
}

// Caregivers.

pub async fn invite(vault: VaultId, invitation: &CreateInvitation) -> Result<Invitation, ApiError> {
    post(
        &format!("/api/v1/vaults/{}/caregivers", vault.0),
        invitation,
    )
    .await
}

pub async fn caregivers(vault: VaultId) -> Result<Vec<Caregiver>, ApiError> {
    get(&format!("/api/v1/vaults/{}/caregivers", vault.0)).await
}

pub async fn accept_invitation(secret: &str) -> Result<AcceptedInvitation, ApiError> {
    let secret = secret
        .rsplit('#')
        .next()
        .unwrap_or(secret)
        .trim()
        .to_owned();
    post("/api/v1/invitations/accept", &AcceptInvitation { secret }).await
}

pub async fn confirm_caregiver(
    vault: VaultId,
    caregiver: Uuid,
    confirmation: &ConfirmCaregiver,
) -> Result<Caregiver, ApiError> {
    post(
        &format!("/api/v1/vaults/{}/caregivers/{caregiver}/confirm", vault.0),
        confirmation,
    )
    .await
}

pub async fn remove_caregiver(vault: VaultId, caregiver: Uuid) -> Result<Caregiver, ApiError> {
    request(
        "DELETE",
        &format!("/api/v1/vaults/{}/caregivers/{caregiver}", vault.0),
        None::<&()>,
    )
    .await
}

/// The records this account helps with or stands by for, whatever their state.
pub async fn memberships() -> Result<Vec<Membership>, ApiError> {
    get("/api/v1/memberships").await
}

/// An emergency contact asks for the record; it opens after the owner's waiting period.
pub async fn request_access(membership: Uuid) -> Result<Membership, ApiError> {
    post(
        &format!("/api/v1/memberships/{membership}/request-access"),
        &(),
    )
    .await
}

/// What caregivers did in the record, newest first (the owner's view).
pub async fn activity(vault: VaultId) -> Result<Vec<ActivityEntry>, ApiError> {
    get(&format!("/api/v1/vaults/{}/activity", vault.0)).await
}

pub async fn refuse_access(vault: VaultId, caregiver: Uuid) -> Result<Caregiver, ApiError> {
    post(
        &format!("/api/v1/vaults/{}/caregivers/{caregiver}/refuse", vault.0),
        &(),
    )
    .await
}

/// Swaps a range of the log for re-sealed segments (a rotation, when the epoch is new):
/// a length-prefixed JSON head, then the segments as frames, each signed by `signer`.
pub async fn compact(
    vault: VaultId,
    head: &CompactionHead,
    segments: &[SealedSegment],
    signer: &SigningKey,
) -> Result<CompactionResult, ApiError> {
    let head = CompactionHead {
        write_signatures: sign_compaction(signer, vault, KeyEpoch(head.epoch), segments),
        ..head.clone()
    };
    let json = serde_json::to_vec(&head).map_err(|e| ApiError::Unexpected(e.to_string()))?;
    let mut body = (json.len() as u32).to_be_bytes().to_vec();
    body.extend_from_slice(&json);
    for (i, segment) in segments.iter().enumerate() {
        segment_stream::SegmentFrame {
            seq: i as u64,
            bytes: segment.as_bytes().to_vec(),
        }
        .encode_into(&mut body);
    }
    let init = request_init("POST", Some("application/vnd.folio.compaction"))?;
    init.set_body(&js_sys::Uint8Array::from(body.as_slice()));
    let (answer, _) = send(&format!("/api/v1/vaults/{}/compactions", vault.0), init).await?;
    serde_json::from_slice(&answer).map_err(|e| ApiError::Unexpected(e.to_string()))
}
