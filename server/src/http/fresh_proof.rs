//! Fresh proof for account-critical changes: a device token or a session alone may not
//! replace the recovery code, add or remove a passkey, revoke a device, delete a record or
//! the account, or invite or remove caregivers. The caller first proves it holds the account,
//! with a user-verified passkey assertion or the recovery code, and the proof counts for five
//! minutes for that caller only.
//!
//! `POST /api/v1/auth/fresh-proof/start` issues a challenge for this account's passkeys
//! (user verification required); `…/finish` verifies the answer and records the proof;
//! `…/recovery-code` checks the recovery code's verifier as `/auth/recover` does. Every
//! account-critical handler calls [`require`] first; without a live proof it answers 403
//! with the problem type [`FRESH_PROOF_REQUIRED`](folio_shared::api::account::FRESH_PROOF_REQUIRED).

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Response;
use folio_shared::api::Problem;
use folio_shared::api::account::{
    AccountCriticalAction, Assertion, AuthenticationOptions, FreshProof, FreshProofMethod, Recover,
    SessionScope,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::PasskeyAuthentication;

use super::AppState;
use super::auth::{AnySession, Principal, SignedInWith};
use super::json::ApiJson;
use super::problem::ApiError;
use super::sign_in::{finish_for_account, start_for_account};
use super::wire;
use crate::storage::ceremonies::{self, CeremonyKind};
use crate::storage::fresh_proofs::{self, Holder};
use crate::storage::recovery_codes;
use crate::storage::sessions::Session;

impl From<&Principal> for Holder {
    fn from(principal: &Principal) -> Holder {
        match &principal.via {
            SignedInWith::Device(device) => Holder::Device(device.id),
            SignedInWith::Session(session) => Holder::Session(session.id),
        }
    }
}

impl From<&Session> for Holder {
    fn from(session: &Session) -> Holder {
        Holder::Session(session.id)
    }
}

/// What a proof made one way allows. Signing in with the recovery code is a proof only for
/// what recovering needs; a proof asked for on purpose (a passkey, or the recovery code sent
/// to confirm) allows every account-critical change.
fn covers(method: FreshProofMethod, action: AccountCriticalAction) -> bool {
    match method {
        FreshProofMethod::Passkey | FreshProofMethod::RecoveryCode => true,
        FreshProofMethod::RecoverySignIn => matches!(
            action,
            AccountCriticalAction::AddPasskey | AccountCriticalAction::ReplaceRecoveryCode
        ),
    }
}

/// Refuses `action` unless `holder` proved within the last five minutes in a way that
/// covers it.
pub async fn require(
    state: &AppState,
    holder: impl Into<Holder>,
    action: AccountCriticalAction,
) -> Result<(), ApiError> {
    let proofs = fresh_proofs::live(state.storage.db(), holder.into()).await?;
    if proofs.into_iter().any(|method| covers(method, action)) {
        Ok(())
    } else {
        Err(ApiError::FreshProofRequired(action))
    }
}

/// Who may prove: a device, a full session, or a recovery session (whose own sign-in proof
/// may have run out before it registered its passkey).
pub struct Prover {
    account_id: Uuid,
    holder: Holder,
}

impl FromRequestParts<AppState> for Prover {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match Principal::from_request_parts(parts, state).await {
            Ok(principal) => Ok(Prover {
                account_id: principal.account_id,
                holder: (&principal).into(),
            }),
            Err(rejection) => match AnySession::from_request_parts(parts, state).await {
                Ok(AnySession(session)) if session.scope == SessionScope::Recovery => Ok(Prover {
                    account_id: session.account_id,
                    holder: (&session).into(),
                }),
                _ => Err(rejection),
            },
        }
    }
}

/// The ceremony's state: the challenge, and the caller it was issued to, so only that
/// caller can finish it.
#[derive(Serialize, Deserialize)]
struct ProofState {
    session_id: Option<Uuid>,
    device_id: Option<Uuid>,
    authentication: PasskeyAuthentication,
}

impl ProofState {
    fn holder(&self) -> Option<Holder> {
        match (self.session_id, self.device_id) {
            (Some(id), None) => Some(Holder::Session(id)),
            (None, Some(id)) => Some(Holder::Device(id)),
            _ => None,
        }
    }
}

/// Starts a confirmation: the options ask any passkey of this account for a user-verified
/// answer.
#[utoipa::path(post, path = "/api/v1/auth/fresh-proof/start", tag = "accounts",
    security(("device_token" = []), ("session" = [])),
    responses(
        (status = 200, description = "The WebAuthn request options and the ceremony to finish", body = AuthenticationOptions),
        (status = 401, description = "Not signed in, or the account has no passkey", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn start(
    State(state): State<AppState>,
    prover: Prover,
) -> Result<Json<AuthenticationOptions>, ApiError> {
    let (options, authentication) = start_for_account(&state, prover.account_id).await?;
    let (session_id, device_id) = match prover.holder {
        Holder::Session(id) => (Some(id), None),
        Holder::Device(id) => (None, Some(id)),
    };
    let ceremony_id = ceremonies::begin(
        state.storage.db(),
        CeremonyKind::FreshProof,
        Some(prover.account_id),
        &ProofState {
            session_id,
            device_id,
            authentication,
        },
    )
    .await?;
    Ok(Json(AuthenticationOptions {
        ceremony_id,
        options,
    }))
}

/// Finishes a confirmation: a user-verified answer of this account's passkey gives the
/// caller a fresh proof for five minutes.
#[utoipa::path(post, path = "/api/v1/auth/fresh-proof/finish", tag = "accounts",
    security(("device_token" = []), ("session" = [])), request_body = Assertion,
    responses(
        (status = 200, description = "The fresh proof, valid for five minutes", body = FreshProof),
        (status = 400, description = "Unknown, used or expired ceremony, or another caller's", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The passkey's answer failed verification or did not verify the user", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn finish(
    State(state): State<AppState>,
    prover: Prover,
    ApiJson(request): ApiJson<Assertion>,
) -> Result<Json<FreshProof>, ApiError> {
    let (account_id, ceremony): (_, ProofState) = ceremonies::take(
        state.storage.db(),
        CeremonyKind::FreshProof,
        request.ceremony_id,
    )
    .await?;
    if account_id != Some(prover.account_id) || ceremony.holder() != Some(prover.holder) {
        return Err(ApiError::BadRequest(
            "this confirmation was started by another session or device: start again".into(),
        ));
    }
    let passkey = finish_for_account(&state, &request.credential, &ceremony.authentication).await?;
    if passkey.row.account_id != prover.account_id {
        return Err(ApiError::Unauthorized(
            "confirm with a passkey of this account".into(),
        ));
    }
    let expires_at = fresh_proofs::record(
        state.storage.db(),
        prover.account_id,
        prover.holder,
        FreshProofMethod::Passkey,
    )
    .await?;
    Ok(Json(FreshProof {
        method: FreshProofMethod::Passkey,
        expires_at,
    }))
}

/// Confirms with the recovery code instead of a passkey: its verifier, checked as
/// `/api/v1/auth/recover` checks it, against this account's code only.
#[utoipa::path(post, path = "/api/v1/auth/fresh-proof/recovery-code", tag = "accounts",
    security(("device_token" = []), ("session" = [])), request_body = Recover,
    responses(
        (status = 200, description = "The fresh proof, valid for five minutes", body = FreshProof),
        (status = 401, description = "Not this account's recovery code", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn with_recovery_code(
    State(state): State<AppState>,
    prover: Prover,
    ApiJson(request): ApiJson<Recover>,
) -> Result<Json<FreshProof>, ApiError> {
    let verifier = wire::bytes32("verifier", &request.verifier)?;
    let matches = recovery_codes::find_by_verifier(state.storage.db(), &verifier)
        .await?
        .is_some_and(|code| code.account_id == prover.account_id);
    if !matches {
        return Err(ApiError::Unauthorized(
            "this is not the account's recovery code (or it was replaced by a newer one)".into(),
        ));
    }
    let expires_at = fresh_proofs::record(
        state.storage.db(),
        prover.account_id,
        prover.holder,
        FreshProofMethod::RecoveryCode,
    )
    .await?;
    Ok(Json(FreshProof {
        method: FreshProofMethod::RecoveryCode,
        expires_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_in_with_the_recovery_code_covers_only_recovering() {
        use AccountCriticalAction::*;
        let all = [
            ReplaceRecoveryCode,
            RemoveRecoveryCode,
            AddPasskey,
            RemovePasskey,
            RevokeDevice,
            DeleteRecord,
            DeleteAccount,
            InviteCaregiver,
            RemoveCaregiver,
        ];
        for action in all {
            assert!(covers(FreshProofMethod::Passkey, action));
            assert!(covers(FreshProofMethod::RecoveryCode, action));
            assert_eq!(
                covers(FreshProofMethod::RecoverySignIn, action),
                matches!(action, AddPasskey | ReplaceRecoveryCode),
                "{action:?}"
            );
        }
    }
}
