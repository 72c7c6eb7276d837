//! Sign-up, sign-in, recovery and sign-out: the passkey ceremonies that start a session.
//!
//! Every ceremony is two requests, `start` (the server issues a challenge and keeps its
//! state in the database) and `finish` (the authenticator's answer is verified against that
//! state, which is then gone). The client makes every key; the server stores the public
//! half and the wrapped private halves.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use folio_shared::api::Problem;
use folio_shared::api::account::{
    AccountUnlock, Assertion, AuthenticationOptions, LoginStart, PasskeyUnlock, Recover,
    RegistrationOptions, RegistrationStart, SessionInfo, SessionScope, SignUp, SignedIn,
    SignedOutEverywhere,
};
use folio_shared::api::roster::AccountSigningKey;
use folio_shared::keys::AccountRecipient;
use sea_orm::TransactionTrait as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, WebauthnError,
};

use super::AppState;
use super::auth::{AnySession, Principal, cleared_session_cookie, csrf_token, session_cookie};
use super::json::ApiJson;
use super::problem::ApiError;
use super::relying_party::{ceremony_failed, require_discoverable};
use super::wire;
use crate::storage::ceremonies::{self, CeremonyError, CeremonyKind};
use crate::storage::entity::device;
use crate::storage::fresh_proofs::{self, FreshProofMethod, Holder};
use crate::storage::passkeys::{self, NewPasskey, StoredPasskey};
use crate::storage::sessions::{self, Session};
use crate::storage::{accounts, devices, recovery_codes, rosters};

#[derive(Serialize, Deserialize)]
pub(super) struct RegistrationState {
    pub account_id: Uuid,
    pub registration: PasskeyRegistration,
}

#[derive(Serialize, Deserialize)]
enum SignInState {
    /// The browser lets the user pick any passkey for this site.
    Discoverable(DiscoverableAuthentication),
    /// The options listed one account's credentials.
    ForAccount(PasskeyAuthentication),
}

impl From<CeremonyError> for ApiError {
    fn from(e: CeremonyError) -> Self {
        match e {
            CeremonyError::Db(e) => e.into(),
            e @ (CeremonyError::Unknown | CeremonyError::Expired) => {
                ApiError::BadRequest(e.to_string())
            }
        }
    }
}

/// Starts making a new account: the server picks the account id, which becomes the
/// passkey's user handle.
#[utoipa::path(post, path = "/api/v1/auth/register/start", tag = "accounts",
    request_body = RegistrationStart,
    responses(
        (status = 200, description = "The WebAuthn creation options and the ceremony to finish", body = RegistrationOptions),
        (status = 422, description = "Well-formed, but against the route's rules; the problem says which", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register_start(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RegistrationStart>,
) -> Result<Json<RegistrationOptions>, ApiError> {
    let name = wire::name("display_name", &request.display_name)?;
    let account_id = Uuid::new_v4();
    let options = start_registration(
        &state,
        account_id,
        &name,
        request.discoverable,
        vec![],
        CeremonyKind::SignUp,
    )
    .await?;
    Ok(Json(options))
}

/// The options and ceremony of a passkey registration for `account_id`.
pub(super) async fn start_registration(
    state: &AppState,
    account_id: Uuid,
    display_name: &str,
    discoverable: bool,
    existing: Vec<webauthn_rs::prelude::CredentialID>,
    kind: CeremonyKind,
) -> Result<RegistrationOptions, ApiError> {
    let exclude = (!existing.is_empty()).then_some(existing);
    let (mut options, registration) = state
        .webauthn
        .start_passkey_registration(account_id, display_name, display_name, exclude)
        .map_err(|e| ApiError::Internal(e.into()))?;
    if discoverable {
        require_discoverable(&mut options);
    }
    let ceremony_id = ceremonies::begin(
        state.storage.db(),
        kind,
        Some(account_id),
        &RegistrationState {
            account_id,
            registration,
        },
    )
    .await?;
    Ok(RegistrationOptions {
        ceremony_id,
        options,
    })
}

/// Finishes sign-up: the passkey, the account's public key, the recovery code's traces and a
/// session, all in one transaction, so a failure leaves no half-made account.
#[utoipa::path(post, path = "/api/v1/auth/register/finish", tag = "accounts",
    request_body = SignUp,
    responses(
        (status = 201, body = SignedIn, description = "Signed up; the session is in the `folio_session` cookie"),
        (status = 404, description = "The account no longer exists (deleted meanwhile)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "Unknown, used or expired ceremony", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The passkey's answer failed verification", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Well-formed, but against the route's rules; the problem says which", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register_finish(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SignUp>,
) -> Result<Response, ApiError> {
    if request
        .account_recipient
        .parse::<AccountRecipient>()
        .is_err()
    {
        return Err(ApiError::Unprocessable(
            "`account_recipient` must be an age X25519 recipient (age1…)".into(),
        ));
    }
    let passkey_name = wire::name("passkey_name", &request.passkey_name)?;
    let recovery_wrap = wire::wrapped_key("recovery.wrapped_key", &request.recovery.wrapped_key)?;
    let verifier = wire::bytes32("recovery.verifier", &request.recovery.verifier)?;
    let passkey_wrap = request
        .passkey_wrapped_key
        .as_deref()
        .map(|w| wire::wrapped_key("passkey_wrapped_key", w))
        .transpose()?;

    let (_, ceremony): (_, RegistrationState) = ceremonies::take(
        state.storage.db(),
        CeremonyKind::SignUp,
        request.ceremony_id,
    )
    .await?;
    let credential = state
        .webauthn
        .finish_passkey_registration(&request.credential, &ceremony.registration)
        .map_err(ceremony_failed)?;

    let account_id = ceremony.account_id;
    let txn = state.storage.db().begin().await?;
    accounts::create(&txn, account_id, &request.account_recipient).await?;
    let passkey = passkeys::insert(
        &txn,
        NewPasskey {
            account_id,
            credential: &credential,
            name: &passkey_name,
            prf_enabled: request.prf_enabled || passkey_wrap.is_some(),
            wrapped_key: passkey_wrap,
        },
    )
    .await
    .map_err(already_registered)?;
    recovery_codes::set(&txn, account_id, &verifier, recovery_wrap).await?;
    let (session, token) = sessions::create(
        &txn,
        &state.session_policy(),
        account_id,
        SessionScope::Full,
        Some(passkey.id),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(account = %account_id, "account created");
    signed_in(
        &state,
        StatusCode::CREATED,
        session,
        &token,
        Some(passkey.id),
    )
    .await
}

/// Starts a sign-in. Without an account id the browser offers every passkey it has for this
/// site (or autofills one); with one, the options list that account's credentials.
#[utoipa::path(post, path = "/api/v1/auth/login/start", tag = "accounts",
    request_body = LoginStart,
    responses(
        (status = 200, description = "The WebAuthn request options and the ceremony to finish", body = AuthenticationOptions),
        (status = 401, description = "The account has no passkey", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login_start(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<LoginStart>,
) -> Result<Json<AuthenticationOptions>, ApiError> {
    let (options, ceremony) = match request.account_id {
        None => {
            let (options, auth) = state
                .webauthn
                .start_discoverable_authentication()
                .map_err(|e| ApiError::Internal(e.into()))?;
            (options, SignInState::Discoverable(auth))
        }
        Some(account_id) => {
            let (options, auth) = start_for_account(&state, account_id).await?;
            (options, SignInState::ForAccount(auth))
        }
    };
    let ceremony_id = ceremonies::begin(
        state.storage.db(),
        CeremonyKind::SignIn,
        request.account_id,
        &ceremony,
    )
    .await?;
    Ok(Json(AuthenticationOptions {
        ceremony_id,
        options,
    }))
}

/// An authentication listing `account_id`'s credentials.
pub(super) async fn start_for_account(
    state: &AppState,
    account_id: Uuid,
) -> Result<
    (
        webauthn_rs::prelude::RequestChallengeResponse,
        PasskeyAuthentication,
    ),
    ApiError,
> {
    let credentials = passkeys::list(state.storage.db(), account_id)
        .await?
        .into_iter()
        .map(|row| StoredPasskey::try_from(row).map(|p| p.credential))
        .collect::<Result<Vec<_>, _>>()?;
    if credentials.is_empty() {
        return Err(ApiError::Unauthorized(
            "this account has no passkey: sign in with the recovery code".into(),
        ));
    }
    state
        .webauthn
        .start_passkey_authentication(&credentials)
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Finishes a sign-in and starts a session.
#[utoipa::path(post, path = "/api/v1/auth/login/finish", tag = "accounts",
    request_body = Assertion,
    responses(
        (status = 200, body = SignedIn, description = "Signed in; the session is in the `folio_session` cookie"),
        (status = 404, description = "The account no longer exists (deleted meanwhile)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "Unknown, used or expired ceremony", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown credential, wrong origin, cloned authenticator…", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login_finish(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<Assertion>,
) -> Result<Response, ApiError> {
    let (_, ceremony): (_, SignInState) = ceremonies::take(
        state.storage.db(),
        CeremonyKind::SignIn,
        request.ceremony_id,
    )
    .await?;
    let passkey = match ceremony {
        SignInState::Discoverable(auth) => {
            finish_discoverable(&state, &request.credential, auth).await?
        }
        SignInState::ForAccount(auth) => {
            finish_for_account(&state, &request.credential, &auth).await?
        }
    };
    let (session, token) = sessions::create(
        state.storage.db(),
        &state.session_policy(),
        passkey.row.account_id,
        SessionScope::Full,
        Some(passkey.row.id),
    )
    .await?;
    signed_in(
        &state,
        StatusCode::OK,
        session,
        &token,
        Some(passkey.row.id),
    )
    .await
}

/// A credential id is unique: the same authenticator answering twice is a conflict.
pub(super) fn already_registered(e: sea_orm::DbErr) -> ApiError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict("this passkey is already registered".into())
        }
        _ => e.into(),
    }
}

fn unknown_credential() -> ApiError {
    ApiError::Unauthorized(
        "this passkey is not registered with Folio, or was removed from its account".into(),
    )
}

async fn finish_discoverable(
    state: &AppState,
    credential: &PublicKeyCredential,
    auth: DiscoverableAuthentication,
) -> Result<StoredPasskey, ApiError> {
    let (user_id, credential_id) = state
        .webauthn
        .identify_discoverable_authentication(credential)
        .map_err(ceremony_failed)?;
    let mut passkey = passkeys::find_by_credential_id(state.storage.db(), credential_id)
        .await?
        .filter(|p| p.row.account_id == user_id)
        .ok_or_else(unknown_credential)?;
    let result = state
        .webauthn
        .finish_discoverable_authentication_v2(credential, auth, &passkey.credential)
        .map_err(ceremony_failed)?;
    require_user_verified(&result)?;
    passkey.credential.update_credential(&result);
    passkeys::record_use(state.storage.db(), passkey.row.id, &passkey.credential).await?;
    Ok(passkey)
}

/// webauthn-rs refuses an answer without user verification when the options required it, as
/// Folio's always do; this says so again where the answer is used, so a change of options
/// cannot quietly accept a mere touch.
fn require_user_verified(result: &AuthenticationResult) -> Result<(), ApiError> {
    if result.user_verified() {
        Ok(())
    } else {
        Err(ceremony_failed(WebauthnError::UserNotVerified))
    }
}

/// Finishes an authentication whose options listed one account's credentials: sign-in from
/// the CLI, and the fresh proofs of account-critical changes.
pub(super) async fn finish_for_account(
    state: &AppState,
    credential: &PublicKeyCredential,
    auth: &PasskeyAuthentication,
) -> Result<StoredPasskey, ApiError> {
    let mut passkey =
        passkeys::find_by_credential_id(state.storage.db(), credential.get_credential_id())
            .await?
            .ok_or_else(unknown_credential)?;
    let result = state
        .webauthn
        .finish_passkey_authentication(credential, auth)
        .map_err(ceremony_failed)?;
    require_user_verified(&result)?;
    passkey.credential.update_credential(&result);
    passkeys::record_use(state.storage.db(), passkey.row.id, &passkey.credential).await?;
    Ok(passkey)
}

/// Signs in with the recovery code's verifier, for a user who lost every passkey. The
/// session may only register a new passkey.
#[utoipa::path(post, path = "/api/v1/auth/recover", tag = "accounts",
    request_body = Recover,
    responses(
        (status = 200, body = SignedIn, description = "A recovery session; register a passkey next"),
        (status = 404, description = "The account no longer exists (deleted meanwhile)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not a recovery code of any account", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn recover(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<Recover>,
) -> Result<Response, ApiError> {
    let verifier = wire::bytes32("verifier", &request.verifier)?;
    let code = recovery_codes::find_by_verifier(state.storage.db(), &verifier)
        .await?
        .ok_or_else(|| {
            ApiError::Unauthorized(
                "this recovery code does not match any account (or was replaced by a newer one)"
                    .into(),
            )
        })?;
    // Signing in with the recovery code is also the fresh proof that registering a new
    // passkey and replacing the code need, for five minutes, and for nothing else.
    let txn = state.storage.db().begin().await?;
    let (session, token) = sessions::create(
        &txn,
        &state.session_policy(),
        code.account_id,
        SessionScope::Recovery,
        None,
    )
    .await?;
    fresh_proofs::record(
        &txn,
        code.account_id,
        Holder::Session(session.id),
        FreshProofMethod::RecoverySignIn,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(account = %code.account_id, "signed in with the recovery code");
    signed_in(&state, StatusCode::OK, session, &token, None).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SessionQuery {
    /// `true` answers 204 No Content instead of 401 when the request has no live session:
    /// for a page that only asks whether it is signed in, so that a signed-out visitor's
    /// browser logs no failed request.
    #[serde(default)]
    optional: bool,
}

/// The session of the request's cookie.
#[utoipa::path(get, path = "/api/v1/session", tag = "accounts",
    security(("session" = [])), params(SessionQuery),
    responses(
        (status = 200, description = "The session", body = SessionInfo),
        (status = 204, description = "Not signed in, asked with `optional=true`"),
        (status = 401, description = "Not signed in, or the session or device token has ended", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_session(
    State(state): State<AppState>,
    session: Result<AnySession, Response>,
    Query(query): Query<SessionQuery>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    match session {
        Ok(AnySession(session)) => {
            let token = super::auth::session_token(&headers).unwrap_or_default();
            Ok(Json(session_info(&state, &session, token)).into_response())
        }
        // Only "not signed in" is optional: a failure to check stays an error.
        Err(refused) if query.optional && refused.status() == StatusCode::UNAUTHORIZED => {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(refused) => Err(refused),
    }
}

/// Ends the session of the request's cookie and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "accounts",
    security(("session" = [])),
    responses((status = 204, description = "Signed out; the cookie is cleared")))]
pub async fn sign_out(
    State(state): State<AppState>,
    AnySession(session): AnySession,
) -> Result<Response, ApiError> {
    sessions::delete(state.storage.db(), session.id).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cleared_session_cookie())],
    )
        .into_response())
}

/// Signs the account out everywhere: every session ends and every device token is revoked,
/// the caller's own included, as "deauthorize all sessions" does in a password manager. It
/// needs no fresh proof: it only takes access away, a thief holding a token loses theirs
/// too, and an owner who fears one was stolen may not have a passkey at hand.
#[utoipa::path(post, path = "/api/v1/auth/sign-out-everywhere", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    responses(
        (status = 200, body = SignedOutEverywhere, description = "Signed out everywhere, here too"),
        (status = 401, description = "Not signed in, or the session or device token has ended", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    let txn = state.storage.db().begin().await?;
    let sessions_ended = sessions::end_all(&txn, principal.account_id).await?;
    let devices_signed_out = devices::revoke_all(&txn, principal.account_id).await?;
    txn.commit().await?;
    tracing::info!(account = %principal.account_id, sessions_ended, devices_signed_out, "signed out everywhere");
    Ok((
        StatusCode::OK,
        [(header::SET_COOKIE, cleared_session_cookie())],
        Json(SignedOutEverywhere {
            sessions_ended,
            devices_signed_out,
        }),
    )
        .into_response())
}

pub(super) fn session_info(state: &AppState, session: &Session, token: &str) -> SessionInfo {
    SessionInfo {
        account_id: session.account_id,
        scope: session.scope,
        csrf_token: csrf_token(token),
        expires_at: session.expires_at,
        idle_timeout_secs: (state.session_policy().idle_timeout.num_seconds().max(0)) as u64,
    }
}

/// The answer to every successful sign-in: the cookie, the session and what unlocks.
async fn signed_in(
    state: &AppState,
    status: StatusCode,
    session: Session,
    token: &str,
    passkey_id: Option<Uuid>,
) -> Result<Response, ApiError> {
    let unlock = account_unlock(state, session.account_id, None).await?;
    let max_age = (session.expires_at - chrono::Utc::now())
        .num_seconds()
        .max(0);
    let body = SignedIn {
        session: session_info(state, &session, token),
        passkey_id,
        unlock,
    };
    Ok((
        status,
        [(header::SET_COOKIE, session_cookie(token, max_age))],
        Json(body),
    )
        .into_response())
}

/// The account identity wrapped to each unlocker `caller` may hold.
pub(super) async fn account_unlock(
    state: &AppState,
    account_id: Uuid,
    device: Option<&device::Model>,
) -> Result<AccountUnlock, ApiError> {
    let db = state.storage.db();
    let account = accounts::get(db, account_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("this account no longer exists".into()))?;
    let passkeys = passkeys::list(db, account_id)
        .await?
        .into_iter()
        .filter_map(|p| {
            p.wrapped_key.as_ref().map(|w| PasskeyUnlock {
                passkey_id: p.id,
                credential_id: wire::encode(&p.credential_id),
                wrapped_key: wire::encode(w),
            })
        })
        .collect();
    let recovery = recovery_codes::get(db, account_id)
        .await?
        .map(|r| wire::encode(&r.wrapped_key));
    let signing_key = rosters::registered_key(&account).and_then(|public_key| {
        Some(AccountSigningKey {
            public_key,
            wrapped_key: wire::encode(account.wrapped_signing_key.as_deref()?),
        })
    });
    Ok(AccountUnlock {
        account_id,
        account_recipient: account.recipient.unwrap_or_default(),
        passkeys,
        recovery,
        device: device
            .and_then(|d| d.wrapped_key.as_deref())
            .map(wire::encode),
        signing_key,
    })
}
