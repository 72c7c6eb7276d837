//! `folio account create|login|whoami|sign-out-everywhere`: an account for scripts and
//! headless machines.
//!
//! The CLI signs up exactly as the app does: it makes every key itself, registers its
//! software passkey (with PRF, so signing in unlocks), shows the recovery code once, and
//! pairs itself as a device so later commands use a bearer token and the device key.

use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret as _;
use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use clap::{Args, Subcommand};
use folio_shared::api::account::{
    AccountUnlock, Assertion, RecoverySetup, RedeemPairing, RegistrationStart, SignUp,
};
use folio_shared::keys::{
    AccountIdentity, DeviceKey, PASSKEY_PRF_INPUT, RecoveryCode, Unlocker, WrappedKey,
};
use serde::Serialize;
use url::Url;
use uuid::Uuid;

use super::fresh_proof::confirm_session;
use super::profile::{Profile, ProfileDevice, ProfilePasskey};
use super::soft_passkey::SoftPasskey;
use crate::client::account::{AccountClient, SessionClient};

#[derive(Debug, Args)]
pub struct AccountArgs {
    #[command(subcommand)]
    pub command: AccountCommand,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Make a new account on a server, save its keys in a profile and print the recovery code.
    Create {
        /// The server's public URL (its origin is where the passkey signs in).
        #[arg(long, env = "FOLIO_SERVER")]
        server: Url,
        #[command(flatten)]
        profile: ProfileArg,
        /// The name your passkey shows for this account.
        #[arg(long, default_value = "Folio")]
        name: String,
        /// Replace a profile that already exists at that path.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Sign in again with the profile's passkey and give this profile a fresh device token.
    Login {
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
    /// Show the account the profile signs in to, and check that it unlocks.
    Whoami {
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
    /// End every session and revoke every device of the account, this profile's included
    /// (sign in again with `folio account login`).
    SignOutEverywhere {
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
    /// List the account's devices that are still signed in.
    Devices {
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
    /// Revoke a device (a lost phone, an old computer) and give the account new keys, so
    /// that what it kept opens nothing added afterwards. Prints a new recovery code.
    RevokeDevice {
        /// The device's id, from `folio account devices`.
        device: Uuid,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Debug, Args)]
pub struct ProfileArg {
    /// The profile file: server URL, software passkey and device key.
    #[arg(long = "profile", env = "FOLIO_PROFILE")]
    pub path: PathBuf,
}

#[derive(Debug, Args)]
pub struct Output {
    /// Print one JSON object on standard output instead of text.
    #[arg(long)]
    pub json: bool,
}

impl Output {
    /// Prints `value` as JSON, or `text` for a person.
    pub fn print<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) -> Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            println!("{}", text());
        }
        Ok(())
    }
}

const DEVICE_NAME: &str = "folio command line";

pub async fn run(args: AccountArgs) -> Result<()> {
    match args.command {
        AccountCommand::Create {
            server,
            profile,
            name,
            force,
            output,
        } => create(server, &profile.path, &name, force, &output).await,
        AccountCommand::Login { profile, output } => login(&profile.path, &output).await,
        AccountCommand::Whoami { profile, output } => whoami(&profile.path, &output).await,
        AccountCommand::SignOutEverywhere { profile, output } => {
            sign_out_everywhere(&profile.path, &output).await
        }
        AccountCommand::Devices { profile, output } => {
            super::devices::list(&profile.path, &output).await
        }
        AccountCommand::RevokeDevice {
            device,
            profile,
            output,
        } => super::devices::revoke(&profile.path, device, &output).await,
    }
}

#[derive(Serialize)]
struct Created {
    account_id: Uuid,
    server: String,
    profile: PathBuf,
    passkey_id: Uuid,
    device_id: Uuid,
    recovery_code: String,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn create(server: Url, path: &Path, name: &str, force: bool, output: &Output) -> Result<()> {
    Profile::ensure_absent(path, force)?;
    let origin = origin_of(&server)?;
    let account = AccountIdentity::generate();
    let recovery = RecoveryCode::generate();
    let mut passkey = SoftPasskey::generate()?;
    let client = AccountClient::new(origin.as_str());

    let options = client
        .register_start(&RegistrationStart {
            display_name: name.to_owned(),
            // The software authenticator keeps no resident credentials; the profile names
            // the account instead.
            discoverable: false,
        })
        .await
        .context("starting the sign-up")?;
    let credential = passkey.register(&origin, options.options)?;
    let prf_unlocker = Unlocker::from_passkey_prf(&passkey.prf(PASSKEY_PRF_INPUT));
    let session = client
        .register_finish(&SignUp {
            ceremony_id: options.ceremony_id,
            credential,
            passkey_name: DEVICE_NAME.to_owned(),
            prf_enabled: true,
            account_recipient: account.recipient().to_string(),
            passkey_wrapped_key: Some(b64(account.wrap_to(&prf_unlocker.recipient()).as_bytes())),
            recovery: RecoverySetup::of(&account, &recovery),
        })
        .await
        .context("finishing the sign-up")?;
    let passkey_id = session
        .signed_in
        .passkey_id
        .context("the server did not name the new passkey")?;
    let account_id = session.account_id();
    let device = pair_this_device(&client, &session, &account).await?;
    let profile = Profile::new(
        origin.clone(),
        account_id,
        ProfilePasskey {
            id: passkey_id,
            saved: passkey.save()?,
        },
        device,
    );
    profile.save(path)?;
    // From the start, so that every write of this account is signed.
    profile
        .client()
        .ensure_signing_key(&account, None)
        .await
        .context("registering the account's signing key")?;
    let device_id = profile.device.id;
    session.sign_out().await.context("signing out")?;

    let created = Created {
        account_id,
        server: origin.to_string(),
        profile: path.to_owned(),
        passkey_id,
        device_id,
        recovery_code: recovery.to_string(),
    };
    output.print(&created, || {
        format!(
            "Account {account_id} created on {origin}.\n\n\
             Recovery code: {}\n\n\
             Write it down and keep it somewhere safe: it is the only way back into the account \
             if this profile is lost, and it is not shown again.\n\
             The profile is saved in {} (readable by you only).",
            created.recovery_code,
            path.display()
        )
    })
}

#[derive(Serialize)]
struct LoggedIn {
    account_id: Uuid,
    server: String,
    device_id: Uuid,
    unlocked: bool,
}

async fn login(path: &Path, output: &Output) -> Result<()> {
    let mut profile = Profile::load(path)?;
    let mut passkey = SoftPasskey::restore(&profile.passkey.saved)?;
    let client = AccountClient::new(profile.server.as_str());
    let options = client
        .login_start(Some(profile.account_id))
        .await
        .context("starting the sign-in")?;
    let credential = passkey.authenticate(&profile.server, options.options)?;
    // The authenticator's counter has moved on: keep it, whatever happens next, or the next
    // sign-in would look like a cloned passkey.
    profile.passkey.saved = passkey.save()?;
    profile.save(path)?;
    let session = client
        .login_finish(&Assertion {
            ceremony_id: options.ceremony_id,
            credential,
        })
        .await
        .context("finishing the sign-in")?;
    let account = unlock_with_passkey(&session.signed_in.unlock, profile.passkey.id, &passkey)?;

    let previous = profile.device.id;
    profile.device = pair_this_device(&client, &session, &account).await?;
    profile.save(path)?;
    // Revoking a device is account-critical: the session confirms with the passkey first.
    confirm_session(path, &mut profile, &session).await?;
    // The old token may already be revoked (that is often why one logs in again).
    if let Err(e) = session.revoke_device(previous).await
        && e.status() != Some(reqwest::StatusCode::NOT_FOUND)
    {
        return Err(e).context("revoking the profile's previous device");
    }
    let answer = LoggedIn {
        account_id: profile.account_id,
        server: profile.server.to_string(),
        device_id: profile.device.id,
        unlocked: true,
    };
    session.sign_out().await.context("signing out")?;
    output.print(&answer, || {
        format!(
            "Signed in to account {} on {} and unlocked it; this profile is device {}.",
            answer.account_id, answer.server, answer.device_id
        )
    })
}

#[derive(Serialize)]
struct WhoAmI {
    account_id: Uuid,
    server: String,
    device_id: Uuid,
    device_name: String,
    account_recipient: String,
    created_at: chrono::DateTime<chrono::Utc>,
    passkeys: usize,
    devices: usize,
    vaults: usize,
    has_recovery_code: bool,
    /// The device key unwrapped the account identity, and it matches the account's public key.
    unlocks: bool,
}

async fn whoami(path: &Path, output: &Output) -> Result<()> {
    let profile = Profile::load(path)?;
    let client = profile.client();
    let summary = client.account().await.context("reading the account")?;
    let unlock = client
        .account_unlock()
        .await
        .context("reading the account's keys")?;
    let unlocks = match unlock_with_device(&unlock, &profile.device) {
        Ok(_) => true,
        Err(e) => {
            tracing::debug!(error = %e, "the device key does not unlock");
            false
        }
    };
    let answer = WhoAmI {
        account_id: summary.account_id,
        server: profile.server.to_string(),
        device_id: profile.device.id,
        device_name: profile.device.name.clone(),
        account_recipient: summary.account_recipient,
        created_at: summary.created_at,
        passkeys: summary.passkeys,
        devices: summary.devices,
        vaults: summary.vaults,
        has_recovery_code: summary.has_recovery_code,
        unlocks,
    };
    output.print(&answer, || {
        format!(
            "Account {} on {}\n  device: {} ({})\n  passkeys: {}, devices: {}, records: {}\n  \
             recovery code: {}\n  this profile unlocks the account: {}",
            answer.account_id,
            answer.server,
            answer.device_name,
            answer.device_id,
            answer.passkeys,
            answer.devices,
            answer.vaults,
            if answer.has_recovery_code {
                "set"
            } else {
                "none"
            },
            if answer.unlocks { "yes" } else { "no" },
        )
    })
}

#[derive(Serialize)]
struct SignedOut {
    account_id: Uuid,
    server: String,
    sessions_ended: u64,
    devices_signed_out: u64,
}

/// Signs the account out everywhere, this profile's device included. It needs no passkey:
/// it only takes access away.
async fn sign_out_everywhere(path: &Path, output: &Output) -> Result<()> {
    let profile = Profile::load(path)?;
    let ended = profile
        .client()
        .sign_out_everywhere()
        .await
        .context("signing out everywhere")?;
    let answer = SignedOut {
        account_id: profile.account_id,
        server: profile.server.to_string(),
        sessions_ended: ended.sessions_ended,
        devices_signed_out: ended.devices_signed_out,
    };
    output.print(&answer, || {
        format!(
            "Signed out everywhere: {} session(s) ended and {} device(s) signed out, this one \
             included. Run `folio account login --profile {}` to use this profile again.",
            answer.sessions_ended,
            answer.devices_signed_out,
            path.display()
        )
    })
}

/// The server's origin: the passkey is bound to it, and every API path hangs off it.
fn origin_of(server: &Url) -> Result<Url> {
    if !matches!(server.scheme(), "http" | "https") {
        bail!("the server URL must be http:// or https://, not {server}");
    }
    Url::parse(&server.origin().ascii_serialization())
        .with_context(|| format!("{server} has no origin"))
}

/// Pairs this profile as a device: a code from the session, redeemed with a new device
/// key, and the account identity wrapped to that key.
async fn pair_this_device(
    client: &AccountClient,
    session: &SessionClient,
    account: &AccountIdentity,
) -> Result<ProfileDevice> {
    let key = DeviceKey::generate();
    let recipient = Unlocker::from_device_key(&key).recipient();
    let pairing = session.create_pairing().await.context("pairing the CLI")?;
    let paired = client
        .redeem_pairing(&RedeemPairing {
            code: pairing.code,
            device_name: DEVICE_NAME.to_owned(),
            device_recipient: recipient.to_string(),
        })
        .await
        .context("redeeming the pairing code")?;
    session
        .set_device_unlock(
            paired.device_id,
            b64(account.wrap_to(&recipient).as_bytes()),
        )
        .await
        .context("giving the CLI its key")?;
    Ok(ProfileDevice {
        id: paired.device_id,
        name: DEVICE_NAME.to_owned(),
        token: paired.token,
        key: key.to_secret_string().expose_secret().to_owned(),
    })
}

/// The account identity from the passkey's PRF wrap, checked against the account's public
/// key so a server cannot hand over some other identity.
fn unlock_with_passkey(
    unlock: &AccountUnlock,
    passkey_id: Uuid,
    passkey: &SoftPasskey,
) -> Result<AccountIdentity> {
    let wrap = unlock
        .passkeys
        .iter()
        .find(|p| p.passkey_id == passkey_id)
        .context("the server has no PRF key for this profile's passkey")?;
    let unlocker = Unlocker::from_passkey_prf(&passkey.prf(PASSKEY_PRF_INPUT));
    open_wrap(&wrap.wrapped_key, &unlocker, &unlock.account_recipient)
}

/// The account identity from the device's wrap.
pub fn unlock_with_device(
    unlock: &AccountUnlock,
    device: &ProfileDevice,
) -> Result<AccountIdentity> {
    let wrapped = unlock
        .device
        .as_deref()
        .context("the server holds no key for this device: run `folio account login`")?;
    let key = device.key().map_err(anyhow::Error::msg)?;
    open_wrap(
        wrapped,
        &Unlocker::from_device_key(&key),
        &unlock.account_recipient,
    )
}

fn open_wrap(wrapped: &str, unlocker: &Unlocker, recipient: &str) -> Result<AccountIdentity> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(wrapped)
        .context("the wrapped key is not base64url")?;
    let account = WrappedKey::from_bytes(bytes)
        .unwrap_account(unlocker)
        .context("the key does not unlock the account")?;
    if account.recipient().to_string() != recipient {
        bail!("the unlocked identity is not this account's: the server's answer is inconsistent");
    }
    Ok(account)
}
