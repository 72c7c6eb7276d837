//! Accounts, passkeys, sessions, recovery and devices: the API types of sign-up, sign-in and
//! unlock.
//!
//! WebAuthn payloads are `webauthn-rs-proto` types, the JSON browsers produce with
//! `PublicKeyCredential.toJSON()` and read with `parseCreationOptionsFromJSON`. Wrapped keys
//! and verifiers are base64url without padding, like every binary field of the API.
//!
//! Nothing here lets the server read a record: it sees public recipients, age files wrapped
//! to keys it does not hold, and a recovery verifier from which the code cannot be derived.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, UserVerificationPolicy,
};

/// The cookie that carries a browser session (`HttpOnly; Secure; SameSite=Strict`).
pub const SESSION_COOKIE: &str = "folio_session";
/// The header a browser session must echo its CSRF token in on every state-changing request.
pub const CSRF_HEADER: &str = "x-folio-csrf";

/// `POST /api/v1/auth/register/start` and `POST /api/v1/account/passkeys/register/start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationStart {
    /// The name the authenticator shows in its account picker. The server does not keep it.
    pub display_name: String,
    /// Ask for a discoverable credential (a passkey that signs in without a user name).
    /// True for browsers; the command-line client's software authenticator sets false.
    #[serde(default = "yes")]
    pub discoverable: bool,
}

fn yes() -> bool {
    true
}

/// The options of a registration ceremony, to pass to `navigator.credentials.create`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationOptions {
    /// Names the ceremony when finishing it; usable once, for a few minutes.
    pub ceremony_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: CreationChallengeResponse,
}

/// The options of an authentication ceremony, to pass to `navigator.credentials.get`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticationOptions {
    pub ceremony_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub options: RequestChallengeResponse,
}

/// `POST /api/v1/auth/register/finish`: the new passkey and the account's public key and
/// wrapped secrets, all made on the client.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignUp {
    pub ceremony_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: RegisterPublicKeyCredential,
    /// What the user calls this passkey ("iPhone", "YubiKey").
    pub passkey_name: String,
    /// The authenticator reported the PRF extension as enabled.
    #[serde(default)]
    pub prf_enabled: bool,
    /// The account's age recipient (`age1…`): vault keys are wrapped to it.
    pub account_recipient: String,
    /// The account identity wrapped to the passkey's PRF unlocker, when the authenticator
    /// already returned a PRF output at registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_wrapped_key: Option<String>,
    pub recovery: RecoverySetup,
}

/// The recovery code's two public traces: the account identity wrapped to its unlocker, and
/// a verifier that lets it sign in. Both are derived on the client; the code never leaves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoverySetup {
    pub wrapped_key: String,
    /// `RecoveryCode::sign_in_verifier`, base64url.
    pub verifier: String,
}

impl RecoverySetup {
    /// What the server keeps for `code` as a way into `account`.
    pub fn of(account: &crate::keys::AccountIdentity, code: &crate::keys::RecoveryCode) -> Self {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let recipient = crate::keys::Unlocker::from_recovery_code(code).recipient();
        RecoverySetup {
            wrapped_key: b64.encode(account.wrap_to(&recipient).as_bytes()),
            verifier: b64.encode(code.sign_in_verifier()),
        }
    }
}

/// `POST /api/v1/auth/login/start`. With an account id the options list that account's
/// credentials (for authenticators without discoverable credentials, like the CLI's); without
/// one the browser lets the user pick a passkey.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginStart {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Uuid>,
}

/// `POST /api/v1/auth/login/finish`, and the finish of every other authentication ceremony.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assertion {
    pub ceremony_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: PublicKeyCredential,
}

/// `POST /api/v1/auth/recover`: sign in with the recovery code when every passkey is lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recover {
    pub verifier: String,
}

/// What a session may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionScope {
    /// Everything the account may do.
    Full,
    /// Signed in with the recovery code: may only register a new passkey (which makes the
    /// session full) or sign out.
    Recovery,
}

/// A browser session, as `GET /api/v1/session` and every sign-in answer it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "account_id": "5d1f3c2a-8e4b-4f0a-9c6d-2b7e1a9f4c33", "scope": "full",
    "csrf_token": "q0Jc3Qm3Yz5m3r8Qv9l2fC1d8kZ0sT7uWb4xN6pE2aI",
    "expires_at": "2026-12-01T21:00:00Z", "idle_timeout_secs": 1800
})))]
pub struct SessionInfo {
    pub account_id: Uuid,
    pub scope: SessionScope,
    /// Send this in the `x-folio-csrf` header on every state-changing request.
    pub csrf_token: String,
    /// The session ends at this time whatever happens.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// ... and earlier if unused for this many seconds.
    pub idle_timeout_secs: u64,
}

/// The answer to a successful sign-up, sign-in or recovery. The session itself travels in
/// the `folio_session` cookie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedIn {
    pub session: SessionInfo,
    /// The passkey used, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_id: Option<Uuid>,
    /// What the client needs to unlock the account identity.
    pub unlock: AccountUnlock,
}

/// `GET /api/v1/account/unlock`: the account identity wrapped to each unlocker the caller
/// may hold. The client tries the one it has: a passkey's PRF output, its device key, or
/// the recovery code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountUnlock {
    pub account_id: Uuid,
    pub account_recipient: String,
    /// Wrapped to each passkey's PRF unlocker, for the passkeys that have one.
    pub passkeys: Vec<PasskeyUnlock>,
    /// Wrapped to the recovery code's unlocker, unless the code was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<String>,
    /// Wrapped to the calling device's key, once a signed-in client has wrapped it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The account's signing key, wrapped to the account recipient; none until a client
    /// registers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<super::roster::AccountSigningKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeyUnlock {
    pub passkey_id: Uuid,
    /// The credential id (base64url), to ask the authenticator for this passkey's PRF.
    pub credential_id: String,
    pub wrapped_key: String,
}

/// `GET /api/v1/account`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "account_id": "5d1f3c2a-8e4b-4f0a-9c6d-2b7e1a9f4c33",
    "account_recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "created_at": "2026-12-01T09:00:00Z",
    "passkeys": 2, "devices": 1, "vaults": 1,
    "has_recovery_code": true, "signed_in_with": "device"
})))]
pub struct AccountSummary {
    pub account_id: Uuid,
    pub account_recipient: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub passkeys: usize,
    pub devices: usize,
    pub vaults: usize,
    pub has_recovery_code: bool,
    /// How the caller is signed in: `session` or `device`.
    pub signed_in_with: String,
}

/// A passkey in settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasskeySummary {
    pub id: Uuid,
    pub name: String,
    pub credential_id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The authenticator supports PRF.
    pub prf_enabled: bool,
    /// Signing in with this passkey also unlocks the account.
    pub unlocks: bool,
}

/// `POST /api/v1/account/passkeys/register/finish`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddPasskey {
    pub ceremony_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: RegisterPublicKeyCredential,
    pub name: String,
    #[serde(default)]
    pub prf_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapped_key: Option<String>,
}

/// `PATCH /api/v1/account/passkeys/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenamePasskey {
    pub name: String,
}

/// `PUT /api/v1/account/passkeys/{id}/unlock` and `PUT /api/v1/account/devices/{id}/unlock`:
/// the account identity wrapped to that passkey's PRF unlocker or that device's key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnlockKey {
    pub wrapped_key: String,
}

/// `POST /api/v1/account/pairings`: a code a new device redeems to join the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pairing {
    pub id: Uuid,
    /// `XXXX-XXXX-XXXX`, usable once, until `expires_at`.
    pub code: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The code as a QR code, an SVG document, for a phone to scan.
    pub qr_svg: String,
}

/// `POST /api/v1/pairings/redeem`: a device joins with its own public key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedeemPairing {
    pub code: String,
    /// What the user will see in the device list ("Work laptop CLI").
    pub device_name: String,
    /// The device's age recipient: the account identity will be wrapped to it.
    pub device_recipient: String,
}

/// The answer to a redeemed pairing code. The token is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairedDevice {
    pub account_id: Uuid,
    pub device_id: Uuid,
    /// The bearer token (`fd_…`) of the device.
    pub token: String,
}

/// A device in settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "id": "8a3e2f10-6b7c-4d5e-9f01-23456789abcd", "name": "Ada's phone",
    "recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
    "created_at": "2026-12-01T09:05:00Z", "last_used_at": "2026-12-02T07:30:00Z",
    "has_key": true, "current": true
})))]
pub struct DeviceSummary {
    pub id: Uuid,
    pub name: String,
    pub recipient: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A signed-in client has wrapped the account identity to this device's key.
    pub has_key: bool,
    /// This is the device making the request.
    pub current: bool,
}

/// Shortens an age recipient to what a person compares between two screens.
pub fn recipient_fingerprint(recipient: &str) -> String {
    let tail: String = recipient
        .chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

/// How long a fresh proof lasts: an account-critical change needs a user-verified passkey
/// assertion (or the recovery code) made this recently by the same caller.
pub const FRESH_PROOF_TTL_SECS: u64 = 5 * 60;

/// The problem `type` of a 403 answered to an account-critical request without a fresh
/// proof. Clients recognise it, confirm with a passkey and send the request again.
pub const FRESH_PROOF_REQUIRED: &str = "https://folio.health/problems/fresh-proof-required";

/// The problem's extension member naming the change that needs the proof (an
/// [`AccountCriticalAction`] in snake case).
pub const FRESH_PROOF_ACTION_MEMBER: &str = "action";

/// Whether `problem` asks for a fresh proof before the request is sent again.
pub fn needs_fresh_proof(problem: &super::Problem) -> bool {
    problem.kind == FRESH_PROOF_REQUIRED
}

/// The changes to an account that a device token or a session alone may not make: each
/// needs a fresh proof of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountCriticalAction {
    ReplaceRecoveryCode,
    RemoveRecoveryCode,
    AddPasskey,
    RemovePasskey,
    RevokeDevice,
    DeleteRecord,
    DeleteAccount,
    InviteCaregiver,
    RemoveCaregiver,
}

/// How a caller proved, a moment ago, that they hold the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FreshProofMethod {
    /// A passkey of the account answered with user verification (PIN, fingerprint, face).
    Passkey,
    /// The recovery code's verifier, sent to `/api/v1/auth/fresh-proof/recovery-code`.
    RecoveryCode,
    /// Signing in with the recovery code (`/api/v1/auth/recover`): it covers only what
    /// recovering needs, registering a passkey and replacing the recovery code.
    RecoverySignIn,
}

/// The answer of `POST /api/v1/auth/fresh-proof/finish` and `…/fresh-proof/recovery-code`:
/// the caller (this session or this device, nobody else) may make account-critical changes
/// until `expires_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FreshProof {
    pub method: FreshProofMethod,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The answer of `POST /api/v1/auth/sign-out-everywhere`: every session of the account has
/// ended and every device token is revoked, the caller's own included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedOutEverywhere {
    pub sessions_ended: u64,
    pub devices_signed_out: u64,
}
