//! The exchanges that take several steps between the server, the authenticator and the key
//! hierarchy: signing up, signing in, recovering, adding a passkey, linking a device, and
//! confirming it's you before an account-critical change.
//!
//! Pages start them and show their outcome. Each updates the [`Session`] as soon as the
//! server has acted, so a failure halfway leaves the app agreeing with the server: an
//! account that exists is signed in, an identity that was unwrapped stays unlocked.

use std::future::Future;

use folio_shared::api::account::{
    AddPasskey, Assertion, AuthenticationOptions, DeviceSummary, LoginStart, Recover,
    RecoverySetup, RegistrationStart, SessionInfo, SignUp, SignedOutEverywhere, needs_fresh_proof,
};
use folio_shared::api::roster::AccountSigningKey;
use folio_shared::keys::{AccountIdentity, RecoveryCode, SigningKey};
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::api::{self, ApiError};
use crate::milestones;
use crate::offline;
use crate::passkey::{self, Mediation, PasskeyError, PrfOutput, UsedPasskey};
use crate::session::Session;
use crate::unlocking::{self, Locked};

/// Why a ceremony stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Server(ApiError),
    Passkey(PasskeyError),
    /// A key did not unwrap; the message says what to try instead.
    Keys(String),
    /// The step needs the account identity, which is not in memory.
    NotUnlocked,
    /// The user dismissed the passkey prompt that confirms it's them: nothing changed.
    NotConfirmed,
}

impl Failure {
    /// A failure the user caused on purpose or cannot act on, such as an autofill request
    /// that a button press replaced: the page shows nothing.
    pub fn is_silent(&self) -> bool {
        matches!(self, Failure::Passkey(PasskeyError::Aborted))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Server(error) => error.fmt(f),
            Failure::Passkey(error) => error.fmt(f),
            Failure::Keys(message) => f.write_str(message),
            Failure::NotUnlocked => {
                f.write_str("Unlock your records first: this step needs your account key.")
            }
            Failure::NotConfirmed => f.write_str(
                "You did not confirm it's you, so nothing was changed. Try again and answer \
                 your passkey's prompt (PIN, fingerprint or face).",
            ),
        }
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure::Server(error)
    }
}

impl From<PasskeyError> for Failure {
    fn from(error: PasskeyError) -> Self {
        Failure::Passkey(error)
    }
}

/// A new account, signed in and unlocked.
pub struct SignedUp {
    /// Shown to the user once, then forgotten.
    pub recovery_code: RecoveryCode,
    /// What did not work after the account was made (it exists regardless, and the
    /// recovery code must still be shown).
    pub warning: Option<String>,
}

/// What a page shows while the passkey confirms it's the user.
pub const CONFIRM_PROMPT: &str =
    "Confirm it's you: your passkey will ask for your PIN, fingerprint or face.";

/// Confirms it's the user with one of the account's passkeys (user verification required):
/// the server then lets this session make account-critical changes for five minutes.
/// Returns the options the passkey answered, which name the account's credentials.
pub async fn confirm_it_is_you() -> Result<AuthenticationOptions, Failure> {
    Ok(confirm(false).await?.0)
}

/// [`confirm_it_is_you`], also asking the passkey for its PRF output: the passkey that
/// confirms is the one a change of the account's keys may trust to unlock them next.
/// Returns that passkey's id and its PRF output (`None` without PRF support).
pub async fn confirm_keeping_prf() -> Result<(Uuid, Option<PrfOutput>), Failure> {
    let (_, used) = confirm(true).await?;
    let passkeys = api::passkeys().await?;
    let id = passkeys
        .iter()
        .find(|passkey| passkey.credential_id == used.credential.id)
        .map(|passkey| passkey.id)
        .ok_or_else(|| {
            Failure::Keys("The passkey you used is not one of this account's.".into())
        })?;
    Ok((id, used.prf))
}

async fn confirm(with_prf: bool) -> Result<(AuthenticationOptions, UsedPasskey), Failure> {
    let options = api::fresh_proof_start().await?;
    let used = passkey::get(&options.options, Mediation::Modal, with_prf)
        .await
        .map_err(|error| match error {
            PasskeyError::Cancelled => Failure::NotConfirmed,
            other => Failure::Passkey(other),
        })?;
    api::fresh_proof_finish(&Assertion {
        ceremony_id: options.ceremony_id,
        credential: used.credential.clone(),
    })
    .await?;
    Ok((options, used))
}

/// Makes an account-critical `call`; when the server asks for a fresh proof, announces
/// [`CONFIRM_PROMPT`], confirms with a passkey and makes the call again. A proof lasts five
/// minutes, so a second change soon after asks nothing.
pub async fn confirmed<T, Fut>(
    announce: impl Fn(&'static str),
    call: impl Fn() -> Fut,
) -> Result<T, Failure>
where
    Fut: Future<Output = Result<T, ApiError>>,
{
    match call().await {
        Err(ApiError::Problem(problem)) if needs_fresh_proof(&problem) => {
            announce(CONFIRM_PROMPT);
            confirm_it_is_you().await?;
            Ok(call().await?)
        }
        answer => Ok(answer?),
    }
}

/// Makes an account: its identity, recovery code and first passkey, then its first vault.
pub async fn sign_up(session: Session, display_name: String) -> Result<SignedUp, Failure> {
    let account = AccountIdentity::generate();
    let recovery_code = RecoveryCode::generate();
    let recovery = RecoverySetup::of(&account, &recovery_code);

    let options = api::sign_up_start(&RegistrationStart {
        display_name,
        discoverable: true,
    })
    .await?;
    let created = passkey::create(&options.options).await?;
    let credential_id = created.credential.raw_id.clone();
    let passkey_wrapped_key = created
        .prf
        .map(|prf| unlocking::wrap_for_passkey(&account, &prf).wrapped_key);
    let wrapped_now = passkey_wrapped_key.is_some();
    let signed_in = api::sign_up_finish(&SignUp {
        ceremony_id: options.ceremony_id,
        credential: created.credential,
        passkey_name: passkey::suggested_name(),
        prf_enabled: created.prf_enabled,
        account_recipient: account.recipient().to_string(),
        passkey_wrapped_key,
        recovery,
    })
    .await?;
    began(session, signed_in.session);
    session.unlocked(account.clone());
    register_signing_key(&account, None).await;

    // From here on the account exists: failures are warnings, so the code is still shown.
    let mut warnings = Vec::new();
    if created.prf_enabled
        && !wrapped_now
        && let Err(failure) = let_passkey_unlock(session, &account, &credential_id).await
    {
        warnings.push(format!(
            "Your passkey signs you in, but could not be set up to unlock your records \
             ({failure}). Use your recovery code to unlock them."
        ));
    }
    if let Err(failure) = api::create_vault(&unlocking::new_vault(&account)).await {
        warnings.push(format!(
            "Your vault could not be created yet ({failure}); you can create it from the \
             start page."
        ));
    }
    Ok(SignedUp {
        recovery_code,
        warning: (!warnings.is_empty()).then(|| warnings.join(" ")),
    })
}

/// Where a passkey sign-in left the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterSignIn {
    Unlocked,
    /// Signed in, but the passkey could not unlock: the session says why.
    Locked,
}

/// Signs in with a passkey and, when its PRF output opens the account key, unlocks.
/// Without `account_id` the browser offers every passkey it has for this site.
pub async fn sign_in(
    session: Session,
    mediation: Mediation,
    account_id: Option<Uuid>,
) -> Result<AfterSignIn, Failure> {
    let options = api::sign_in_start(&LoginStart { account_id }).await?;
    let used = passkey::get(&options.options, mediation, true).await?;
    let signed_in = api::sign_in_finish(&Assertion {
        ceremony_id: options.ceremony_id,
        credential: used.credential,
    })
    .await?;
    began(session, signed_in.session);
    let unlocked =
        unlocking::unlock_with_passkey(&signed_in.unlock, signed_in.passkey_id, used.prf);
    if let Ok(account) = &unlocked {
        register_signing_key(account, signed_in.unlock.signing_key.as_ref()).await;
    }
    Ok(settle(session, unlocked))
}

/// Gives the server the public half of the account's signing key the first time the
/// account unlocks, so that it can check each write's signature as a member list requires.
/// Writes are signed either way; a failure here is tried again at the next unlock.
async fn register_signing_key(account: &AccountIdentity, registered: Option<&AccountSigningKey>) {
    if registered.is_some() {
        return;
    }
    let key = SigningKey::of_account(account);
    let _ = api::put_signing_key(&AccountSigningKey::of(&key, account)).await;
}

/// A session the server has just begun. A sign-out made offline before it is moot: the
/// cookie it was about has been replaced.
fn began(session: Session, info: SessionInfo) {
    spawn_local(offline::kept::forget_sign_out());
    session.signed_in(info);
}

/// Leaves the session unlocked with the account, or locked with the reason it did not open.
fn settle(session: Session, unlocked: Result<AccountIdentity, Locked>) -> AfterSignIn {
    match unlocked {
        Ok(account) => {
            milestones::reached(milestones::UNLOCKED);
            session.unlocked(account);
            AfterSignIn::Unlocked
        }
        Err(reason) => {
            session.locked(reason);
            AfterSignIn::Locked
        }
    }
}

/// Unlocks the copy of the records kept on this device while the server is out of reach,
/// with the PRF output of one of the account's passkeys (see [`passkey::prf_here`]).
pub async fn unlock_offline(session: Session) -> Result<AfterSignIn, Failure> {
    let kept = offline::kept::account().await.ok_or(Failure::Keys(
        "Folio's server cannot be reached, and this device has no copy of your records \
             to open without it. Try again once you are online."
            .into(),
    ))?;
    let prf = passkey::prf_here().await?;
    Ok(settle(
        session,
        unlocking::unlock_with_any_passkey(&kept.unlock, prf),
    ))
}

/// Unlocks the signed-in account with its recovery code.
pub async fn unlock_with_recovery_code(
    session: Session,
    code: &RecoveryCode,
) -> Result<(), Failure> {
    let unlock = offline::account_unlock(session).await?;
    let account = unlocking::unlock_with_recovery_code(&unlock, code).map_err(Failure::Keys)?;
    // The passkey that just signed in has PRF but no wrap yet: give it one now, so it
    // unlocks by itself next time. Unlocking has succeeded either way; a failure here only
    // means the recovery code is needed once more.
    if let Some(Locked::NotSetUp { passkey_id, prf }) = session.locked_reason_untracked() {
        let _ =
            api::set_passkey_unlock(passkey_id, &unlocking::wrap_for_passkey(&account, &prf)).await;
    }
    register_signing_key(&account, unlock.signing_key.as_ref()).await;
    session.unlocked(account);
    Ok(())
}

/// Signs in with the recovery code when every passkey is lost. The session may then only
/// register a new passkey (see [`add_passkey`]).
pub async fn recover(session: Session, code: &RecoveryCode) -> Result<(), Failure> {
    let signed_in = api::recover(&Recover {
        verifier: unlocking::encode(&code.sign_in_verifier()),
    })
    .await?;
    began(session, signed_in.session);
    let account =
        unlocking::unlock_with_recovery_code(&signed_in.unlock, code).map_err(Failure::Keys)?;
    session.unlocked(account);
    Ok(())
}

/// A passkey just registered.
pub struct AddedPasskey {
    /// It signs in, but setting it up to unlock failed: the user can retry from settings.
    pub unlock_setup_failed: Option<Failure>,
}

/// Registers another passkey for the unlocked account, set up to unlock it when the
/// authenticator supports PRF. `display_name` is what the authenticator will show. Adding a
/// passkey is account-critical: `announce` tells the page when a passkey must confirm first
/// (a session just recovered with the recovery code need not).
pub async fn add_passkey(
    session: Session,
    display_name: String,
    name: String,
    announce: impl Fn(&'static str),
) -> Result<AddedPasskey, Failure> {
    let account = session.account_identity().ok_or(Failure::NotUnlocked)?;
    let start = RegistrationStart {
        display_name,
        discoverable: true,
    };
    let options = confirmed(announce, || api::add_passkey_start(&start)).await?;
    let created = passkey::create(&options.options).await?;
    let credential_id = created.credential.raw_id.clone();
    let wrapped_key = created
        .prf
        .map(|prf| unlocking::wrap_for_passkey(&account, &prf).wrapped_key);
    let needs_unlock_setup = created.prf_enabled && wrapped_key.is_none();
    api::add_passkey_finish(&AddPasskey {
        ceremony_id: options.ceremony_id,
        credential: created.credential,
        name,
        prf_enabled: created.prf_enabled,
        wrapped_key,
    })
    .await?;
    // A recovery-scope session becomes a full one with its new passkey.
    session.refresh().await;
    let unlock_setup_failed = if needs_unlock_setup {
        let_passkey_unlock(session, &account, &credential_id)
            .await
            .err()
    } else {
        None
    };
    Ok(AddedPasskey {
        unlock_setup_failed,
    })
}

/// Sets up an existing passkey with PRF to unlock the account: one sign-in with just that
/// passkey, for its PRF output, then its wrap of the account key.
pub async fn let_passkey_unlock(
    session: Session,
    account: &AccountIdentity,
    credential_id: &[u8],
) -> Result<(), Failure> {
    let account_id = session
        .info_untracked()
        .map(|info| info.account_id)
        .ok_or(Failure::NotUnlocked)?;
    let mut options = api::sign_in_start(&LoginStart {
        account_id: Some(account_id),
    })
    .await?;
    // Only this passkey's PRF output opens its wrap, so it must be the one that answers.
    options
        .options
        .public_key
        .allow_credentials
        .retain(|allowed| allowed.id == credential_id);
    let used = passkey::get(&options.options, Mediation::Modal, true).await?;
    let signed_in = api::sign_in_finish(&Assertion {
        ceremony_id: options.ceremony_id,
        credential: used.credential,
    })
    .await?;
    began(session, signed_in.session);
    let (Some(prf), Some(passkey_id)) = (used.prf, signed_in.passkey_id) else {
        return Err(Failure::Keys(
            "The authenticator did not return the secret that unlocks your records.".into(),
        ));
    };
    api::set_passkey_unlock(passkey_id, &unlocking::wrap_for_passkey(account, &prf)).await?;
    Ok(())
}

/// Replaces the recovery code: the old one stops working. Returns the new one, to show once.
/// Confirmed with a passkey when the server asks (see [`confirmed`]).
pub async fn new_recovery_code(
    session: Session,
    announce: impl Fn(&'static str),
) -> Result<RecoveryCode, Failure> {
    let account = session.account_identity().ok_or(Failure::NotUnlocked)?;
    let code = RecoveryCode::generate();
    let setup = RecoverySetup::of(&account, &code);
    confirmed(announce, || api::set_recovery_code(&setup)).await?;
    Ok(code)
}

/// Wraps the account key to each linked device that does not have it yet, so it can
/// unlock by itself.
pub async fn give_key_to_new_devices(
    session: Session,
    devices: &[DeviceSummary],
) -> Result<(), Failure> {
    let account = session.account_identity().ok_or(Failure::NotUnlocked)?;
    for device in devices.iter().filter(|device| !device.has_key) {
        let key = unlocking::wrap_for_device(&account, &device.recipient).map_err(|error| {
            Failure::Keys(format!(
                "The device {} has an unusable key: {error}.",
                device.name
            ))
        })?;
        api::set_device_unlock(device.id, &key).await?;
    }
    Ok(())
}

/// Deletes the account and everything in it, after a passkey confirms it is the owner: this
/// one always asks, however recently the user confirmed.
pub async fn delete_account(session: Session) -> Result<(), Failure> {
    let account_id = session.info_untracked().map(|info| info.account_id);
    let options = confirm_it_is_you().await?;
    api::delete_account().await?;
    session.signed_out();
    offline::forget();
    if let Some(account_id) = account_id {
        passkey::forget_account(&options.options, account_id).await;
    }
    Ok(())
}

/// Ends every session and signs out every linked device, this browser included, then
/// forgets the session and the account key here.
pub async fn sign_out_everywhere(session: Session) -> Result<SignedOutEverywhere, Failure> {
    let ended = api::sign_out_everywhere().await?;
    session.signed_out();
    offline::kept::forget().await;
    Ok(ended)
}

/// Signs out on the server, and forgets the session and the account key here whatever the
/// server said: the user asked to leave.
pub async fn sign_out(session: Session) {
    let account = session.info_untracked().map(|info| info.account_id);
    let answer = api::sign_out().await;
    session.signed_out();
    offline::kept::forget().await;
    // Offline, the server still holds the session: it is ended when the server answers
    // again (`Session::refresh`).
    if matches!(answer, Err(ApiError::Offline))
        && let Some(account) = account
    {
        offline::kept::remember_sign_out(account).await;
    }
}
