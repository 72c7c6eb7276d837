//! Passkeys in this browser: the WebAuthn ceremonies, with the PRF extension that lets a
//! passkey unlock the account as well as sign in.
//!
//! The browser calls themselves are in `passkey.js`, a small ES module served next to the
//! app (the CSP allows scripts from our origin only, so no inline script would do). This
//! module gives them Rust types: the server's options in, the credential to send back and
//! the PRF output to keep out.

use folio_shared::api::account::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};
use folio_shared::keys::PASSKEY_PRF_INPUT;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/passkey.js")]
extern "C" {
    /// What `createPasskey` and `getPasskey` resolve to.
    type CeremonyResult;

    #[wasm_bindgen(method, getter)]
    fn credential(this: &CeremonyResult) -> String;

    #[wasm_bindgen(method, getter, js_name = prfEnabled)]
    fn prf_enabled(this: &CeremonyResult) -> bool;

    #[wasm_bindgen(method, getter, js_name = prfFirst)]
    fn prf_first(this: &CeremonyResult) -> Option<js_sys::Uint8Array>;

    #[wasm_bindgen(catch, js_name = createPasskey)]
    async fn create_passkey(public_key_json: &str, prf_input: &[u8]) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_name = getPasskey)]
    async fn get_passkey(
        public_key_json: &str,
        prf_input: Option<Vec<u8>>,
        conditional: bool,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_name = prfHere)]
    async fn prf_here_js(prf_input: &[u8]) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = conditionalMediationAvailable)]
    async fn conditional_mediation_available_js() -> JsValue;

    #[wasm_bindgen(js_name = abortConditional)]
    fn abort_conditional_js();

    #[wasm_bindgen(js_name = suggestedPasskeyName)]
    fn suggested_passkey_name_js() -> String;

    #[wasm_bindgen(js_name = signalAccountDeleted)]
    async fn signal_account_deleted_js(rp_id: &str, user_id: &str);
}

/// The 32-byte PRF output of a passkey for [`PASSKEY_PRF_INPUT`]: the secret its account
/// unlocker is derived from. Kept in memory only.
pub type PrfOutput = [u8; 32];

/// A passkey just made by the authenticator.
pub struct CreatedPasskey {
    pub credential: RegisterPublicKeyCredential,
    /// The authenticator can evaluate PRF for this passkey.
    pub prf_enabled: bool,
    /// Some authenticators evaluate PRF at creation already; others only when signing in.
    pub prf: Option<PrfOutput>,
}

/// A passkey that just signed a challenge.
pub struct UsedPasskey {
    pub credential: PublicKeyCredential,
    /// `None` when the authenticator does not support PRF, or was not asked.
    pub prf: Option<PrfOutput>,
}

/// Why a ceremony did not produce a credential.
#[derive(Debug, Clone, PartialEq)]
pub enum PasskeyError {
    /// Another request took over (an autofill request aborted for a button press, or the
    /// user left the page): nothing to tell the user.
    Aborted,
    /// The user dismissed the prompt, or it timed out.
    Cancelled,
    /// The authenticator already holds a passkey for this account.
    AlreadyRegistered,
    /// This browser has no WebAuthn, or not the parts the app needs.
    Unsupported,
    /// Anything else the browser reported.
    Failed(String),
}

impl std::fmt::Display for PasskeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasskeyError::Aborted => f.write_str("The passkey request was replaced by another."),
            PasskeyError::Cancelled => {
                f.write_str("The passkey request was cancelled or timed out. Try again.")
            }
            PasskeyError::AlreadyRegistered => f.write_str(
                "This authenticator already holds a passkey for your account. \
                 Use another authenticator, or keep using the one you have.",
            ),
            PasskeyError::Unsupported => {
                f.write_str("This browser cannot use passkeys. Update it, or use another browser.")
            }
            PasskeyError::Failed(message) => write!(f, "The passkey request failed: {message}"),
        }
    }
}

impl From<JsValue> for PasskeyError {
    fn from(error: JsValue) -> Self {
        let field = |name: &str| {
            js_sys::Reflect::get(&error, &JsValue::from_str(name))
                .ok()
                .and_then(|value| value.as_string())
                .unwrap_or_default()
        };
        match field("name").as_str() {
            "AbortError" => PasskeyError::Aborted,
            "NotAllowedError" => PasskeyError::Cancelled,
            "InvalidStateError" => PasskeyError::AlreadyRegistered,
            "NotSupportedError" => PasskeyError::Unsupported,
            _ => PasskeyError::Failed(field("message")),
        }
    }
}

/// Makes a new passkey with the server's registration options, asking for PRF.
pub async fn create(options: &CreationChallengeResponse) -> Result<CreatedPasskey, PasskeyError> {
    let json = serde_json::to_string(&options.public_key)
        .map_err(|e| PasskeyError::Failed(e.to_string()))?;
    let result: CeremonyResult = create_passkey(&json, PASSKEY_PRF_INPUT)
        .await?
        .unchecked_into();
    Ok(CreatedPasskey {
        credential: parse_credential(&result)?,
        prf_enabled: result.prf_enabled(),
        prf: prf_output(&result),
    })
}

/// How the browser should ask for a passkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mediation {
    /// A dialog, now: for a button.
    Modal,
    /// Offered among the autofill suggestions of an `autocomplete="username webauthn"`
    /// field; waits until the user picks one.
    Autofill,
}

/// Signs the server's challenge with a passkey. `with_prf` also asks for the PRF output,
/// which signing in needs to unlock and deleting the account does not.
pub async fn get(
    options: &RequestChallengeResponse,
    mediation: Mediation,
    with_prf: bool,
) -> Result<UsedPasskey, PasskeyError> {
    // The server's own `mediation` is a hint; the page knows whether it has a button or
    // an autofill field.
    let json = serde_json::to_string(&options.public_key)
        .map_err(|e| PasskeyError::Failed(e.to_string()))?;
    let prf_input = with_prf.then(|| PASSKEY_PRF_INPUT.to_vec());
    let result: CeremonyResult = get_passkey(&json, prf_input, mediation == Mediation::Autofill)
        .await?
        .unchecked_into();
    Ok(UsedPasskey {
        credential: parse_credential(&result)?,
        prf: prf_output(&result),
    })
}

/// The PRF output of whichever of this account's passkeys the user picks, without the
/// server: what unlocks the copy of the records kept on this device while offline. `None`
/// when the authenticator gave no PRF output.
pub async fn prf_here() -> Result<Option<PrfOutput>, PasskeyError> {
    let result: CeremonyResult = prf_here_js(PASSKEY_PRF_INPUT).await?.unchecked_into();
    Ok(prf_output(&result))
}

/// Whether this browser offers passkeys among autofill suggestions.
pub async fn autofill_available() -> bool {
    conditional_mediation_available_js()
        .await
        .as_bool()
        .unwrap_or(false)
}

/// Ends a pending autofill request, when the page that made it goes away.
pub fn abort_autofill() {
    abort_conditional_js();
}

/// Asks the browser's passkey manager to drop the passkeys of a deleted account, so that
/// it stops offering them. Best effort: not every browser can.
pub async fn forget_account(options: &RequestChallengeResponse, account_id: uuid::Uuid) {
    // webauthn-rs registers the account id's bytes as the WebAuthn user handle.
    let user_id = crate::unlocking::encode(account_id.as_bytes());
    signal_account_deleted_js(&options.public_key.rp_id, &user_id).await;
}

/// A name for a new passkey that tells the user where it lives ("Passkey on Linux").
pub fn suggested_name() -> String {
    suggested_passkey_name_js()
}

fn parse_credential<T: serde::de::DeserializeOwned>(
    result: &CeremonyResult,
) -> Result<T, PasskeyError> {
    serde_json::from_str(&result.credential())
        .map_err(|e| PasskeyError::Failed(format!("the browser's credential did not parse ({e})")))
}

fn prf_output(result: &CeremonyResult) -> Option<PrfOutput> {
    result.prf_first()?.to_vec().try_into().ok()
}
